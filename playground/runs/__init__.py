"""The run service: everything about a run that is not the page, shared by the page, the API and History.

No Gradio here. :class:`RunService` is the front door; the modules behind it:

* :mod:`.phases`: :class:`Phase` (where a run stands) and :class:`Mode` (whose key it runs on);
* :mod:`.connection`: which key and address a request goes to, and which one resumes a run after a restart;
* :mod:`.engine`: one run as a stream of :class:`RunUpdate`\\ s (submit, watch, download);
* :mod:`.tracker`: runs driven in the background, outliving the page; :mod:`.store`: their SQLite history;
* :mod:`.budget`, :mod:`.identity`, :mod:`.ownership`: spending caps, who a visitor is, whose a task is;
* :mod:`.frames`: the visitor's images and remix sources as URLs the provider fetches;
* :mod:`.board`: a storyboard reserved whole and run shot by shot, going on after a restart;
* :mod:`.grid`: a compare grid judged whole and started as one group;
* :mod:`.callbacks`, :mod:`.media_links`: the provider's callback route and signed links to saved videos.

Other layers import from this package (``from ..runs import RunService, Phase``), never from its modules.
"""

# Submodules in dependency order, so importing the package never meets a half-built module.
# isort: off
from .phases import TERMINAL_PHASES, UNFINISHED_PHASES, GroupKind, Mode, Phase
from .ledger import CapReached, GroupReserved, Limits, RateLimited, Reserved, Scope
from .record import RunRecord
from .database import Database, Dialect
from .store import RunStore
from .leases import Leases, replica_id
from .media_files import MediaFiles
from .connection import Connection, choose_connection, connection_for_record, key_fingerprint
from .engine import (
    DownloadPolicy,
    RunUpdate,
    attach_task,
    cancel_task,
    curl_command,
    download_results,
    follow_task,
    run_task,
)
from .callbacks import CallbackHub, CallbackTicket, with_callback
from .live import TrackedRun
from .tracker import RunTracker, owner_folder
from .budget import Budget, Standing, Unpriced
from .identity import Identities, browser_state_secret, derived_key, load_secret
from .ownership import NOT_YOURS, Access, Allowed, Ownership, Refused, run_reference
from .media_links import MediaLinks, MediaRef
from .frames import (
    PENDING_FRAME_URL,
    REMIX_FROM_RUN,
    REMIX_FROM_TASK,
    REMIX_FROM_URL,
    REMIX_SOURCE_FIELD,
    FrameError,
    FrameInputs,
    FrameResolver,
    RemixFrom,
)
from .visitors import Account, AccountKind, RequestFacts, Visitor, Visitors
from . import tasks
from .share_page import settings_shown
from .shares import SHARE_PREFIX, Share, Shares
from .board import BoardInvalid, BoardProgress, BoardRunner, BoardStarted
from .service import BUDGET_FIELD, GroupStarted, RunService, Started
from .grid import (
    GRID_ACTIONS,
    GridInvalid,
    GridStarted,
    frames_given,
    follow_group,
    judge_grid,
    merged_updates,
    outcome_word,
    settled,
    start_grid,
)
# isort: on

__all__ = [
    # visitors
    "Account",
    "AccountKind",
    "RequestFacts",
    "Visitor",
    "tasks",
    "Visitors",
    # phases
    "Mode",
    "Phase",
    "TERMINAL_PHASES",
    "UNFINISHED_PHASES",
    # store, and the ledger's reservations
    "RunRecord",
    "RunStore",
    "Database",
    "Dialect",
    "Leases",
    "replica_id",
    "MediaFiles",
    "CapReached",
    "Limits",
    "RateLimited",
    "GroupKind",
    "GroupReserved",
    "GroupStarted",
    "Reserved",
    "Scope",
    # connection
    "Connection",
    "choose_connection",
    "connection_for_record",
    "key_fingerprint",
    # engine
    "DownloadPolicy",
    "RunUpdate",
    "attach_task",
    "cancel_task",
    "curl_command",
    "download_results",
    "follow_task",
    "run_task",
    # callbacks
    "CallbackHub",
    "CallbackTicket",
    "with_callback",
    # tracker
    "RunTracker",
    "TrackedRun",
    "owner_folder",
    # budget, identity, ownership
    "Budget",
    "Standing",
    "Unpriced",
    "Identities",
    "browser_state_secret",
    "derived_key",
    "load_secret",
    "NOT_YOURS",
    "Access",
    "Allowed",
    "Ownership",
    "Refused",
    "run_reference",
    # media links
    "MediaLinks",
    "MediaRef",
    # frames
    "PENDING_FRAME_URL",
    "REMIX_FROM_RUN",
    "REMIX_FROM_TASK",
    "REMIX_FROM_URL",
    "REMIX_SOURCE_FIELD",
    "FrameError",
    "FrameInputs",
    "FrameResolver",
    "RemixFrom",
    # service
    "BUDGET_FIELD",
    "RunService",
    "Started",
    # share links
    "SHARE_PREFIX",
    "Share",
    "Shares",
    "settings_shown",
    # storyboards
    "BoardInvalid",
    "BoardProgress",
    "BoardRunner",
    "BoardStarted",
    # compare grids
    "GRID_ACTIONS",
    "GridInvalid",
    "GridStarted",
    "frames_given",
    "follow_group",
    "judge_grid",
    "merged_updates",
    "outcome_word",
    "settled",
    "start_grid",
]
