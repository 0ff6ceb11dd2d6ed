"""The words a run is described with: where it stands (:class:`Phase`) and whose key it runs on (:class:`Mode`).

Both are ``StrEnum``: a member equals the string it stands for, so the history's SQLite rows, the
browser's stored state and the page's CSS classes keep the same words they always had.
"""

from __future__ import annotations

from enum import StrEnum

from ..texts import text


class Phase(StrEnum):
    """Where one run stands, as the page and the history show it."""

    SUBMITTING = "submitting"
    QUEUED = "queued"
    PROCESSING = "processing"
    DOWNLOADING = "downloading"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"
    TIMEOUT = "timeout"
    #: A storyboard's later shot, reserved with the board and sent once the shot before has its video.
    WAITING = "waiting"
    #: The submit may or may not have reached the provider: the history shows it, nothing retries it.
    UNCERTAIN = "uncertain"
    ERROR = "error"

    @property
    def finished(self) -> bool:
        """Nothing more will happen to the run: no polling, no download."""
        return self in TERMINAL_PHASES

    @property
    def label(self) -> str:
        """The phase in words for the page (History's cards): a Message whose English is the value."""
        return PHASE_LABELS[self]


#: Phases after which a run changes no more.
TERMINAL_PHASES = frozenset(
    {Phase.COMPLETED, Phase.FAILED, Phase.CANCELLED, Phase.TIMEOUT, Phase.UNCERTAIN, Phase.ERROR}
)
#: Each phase in words; the English is the stored word itself, so a card reads as it always did.
PHASE_LABELS: dict[Phase, str] = {phase: text(f"runs.phases.{phase.value}", phase.value)() for phase in Phase}
#: Phases in which the provider may still be working or the files are not saved yet.
UNFINISHED_PHASES = tuple(phase for phase in Phase if phase not in TERMINAL_PHASES)


class Mode(StrEnum):
    """Whose key a run is sent with, which decides who pays and who may see its task."""

    #: The embedded simulator: nothing is sent to the provider, nothing costs anything.
    DEMO = "demo"
    #: The operator's key, shared by every visitor: budgets apply and only the history knows whose a task is.
    SERVER_KEY = "server-key"
    #: The visitor's own key, in their request only: the provider shows a task only to the key that made it.
    VISITOR_KEY = "visitor-key"

    @property
    def simulated(self) -> bool:
        return self is Mode.DEMO


class GroupKind(StrEnum):
    """What a group of runs started together is: a compare grid or a storyboard."""

    COMPARE = "compare"
    #: The shots of a storyboard, in order: each continues the one before it.
    STORYBOARD = "storyboard"
