"""The run service the page, the API and History share: who a visitor is, which key a run goes on, starting it.

No Gradio here: the web layer turns its request into a session id and its controls into values, and
asks :class:`RunService`. Every run starts in :meth:`RunService.start`, so the callback check, the
price, the budget and the record are the same whichever way a run was asked for.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..net import callback_refusal
from ..settings import Settings
from ..veo import BuiltRequest, estimate
from ..wave import PollPolicy
from .budget import Budget
from .connection import Connection, choose_connection, connection_for_record, key_fingerprint
from .engine import RunUpdate
from .frames import FrameResolver
from .identity import Identities
from .media_links import MediaLinks
from .ownership import Ownership, Refused
from .phases import Mode, Phase
from .store import RunRecord, RunStore
from .tracker import RunTracker, TrackedRun

if TYPE_CHECKING:
    from .callbacks import CallbackHub

#: The form field a budget refusal is shown against.
BUDGET_FIELD = "budget"


@dataclass(frozen=True)
class Started:
    """A run the tracker now drives."""

    run: TrackedRun


@dataclass
class RunService:
    """What every handler may use: operator settings, the run tracker and history. No visitor data."""

    settings: Settings
    simulator_url: str | None
    media_dir: Path
    frames: FrameResolver
    store: RunStore
    identities: Identities
    #: Signs the links to visitors' videos and posters.
    media_links: MediaLinks
    #: Gradio's BrowserState obscures stored values with this; kept across restarts with the identities.
    browser_secret: str = field(repr=False, default="")
    callbacks: CallbackHub | None = None
    tracker: RunTracker = field(init=False)
    budget: Budget = field(init=False)

    def __post_init__(self) -> None:
        self.tracker = RunTracker(self.settings, self.store, self.media_dir, self.poll_policy, self.callbacks)
        self.budget = Budget(self.settings, self.store)

    def owner(self, visitor_token: str | None, session_id: str) -> str:
        """The owner id runs are filed under: the browser's identity, else only this session's."""
        return self.identities.owner(visitor_token, session_id)

    @property
    def ownership(self) -> Ownership:
        return self.frames.ownership

    def connection(self, visitor_key: str | None, owner: str) -> Connection:
        return choose_connection(self.settings, self.simulator_url, visitor_key, owner)

    def connection_for_record(self, record: RunRecord) -> Connection | None:
        """The connection an unfinished run resumes on after a restart, if the server holds its key."""
        return connection_for_record(self.settings, record)

    async def resume_after_restart(self) -> int:
        """Poll again what was running when the server stopped; say so for what cannot be."""
        for record in await self.store.call(self.store.unfinished):
            if record.mode == Mode.DEMO:
                # The embedded simulator starts empty: its tasks did not survive the restart.
                await self.store.call(
                    self.store.update,
                    record.run_id,
                    phase=Phase.ERROR,
                    charged=False,
                    message="The demo simulator restarted, so this simulated run is gone (demo runs cost nothing).",
                )
        return await self.tracker.resume_unfinished(self.connection_for_record)

    def poll_policy(self, conn: Connection) -> PollPolicy:
        expected = (self.settings.sim_queue_seconds + self.settings.sim_processing_seconds) if conn.simulated else 90.0
        return PollPolicy(expected_seconds=expected, deadline=self.settings.poll_deadline)

    async def start(self, conn: Connection, owner: str, built: BuiltRequest) -> Started | Refused:
        """Price a valid request, check the budget and hand the run to the tracker.

        The page, the API and History all start runs here; a refusal says which field it concerns.
        """
        assert built.ok and built.resolved is not None and built.body is not None
        # A callback_url judged as resolved, not as written: a name may lead to this server or its network.
        refused_callback = await callback_refusal(built.body.get("callback_url"))
        if refused_callback:
            return Refused(refused_callback, "callback_url")
        cost = estimate(built.resolved, self.settings.operator_prices).total
        async with self.budget.lock:
            standing = await self.budget.standing(conn, owner)
            refusal = standing.refusal(cost) if standing else None
            if refusal:
                return Refused(refusal, BUDGET_FIELD)
            sent, ticket = self.tracker.prepare(built.body, conn)
            record = RunRecord(
                owner=owner,
                mode=conn.mode,
                key_fingerprint=key_fingerprint(conn.api_key),
                action=built.resolved.action,
                model=built.resolved.model.id,
                request=sent,
                estimated_cost=cost,
            )
            return Started(await self.tracker.submit(conn, record, ticket))

    async def run_to_end(self, conn: Connection, owner: str, built: BuiltRequest) -> tuple[str | None, RunUpdate]:
        """Run without a page (the API endpoints): the run's id (None if refused) and its final update."""
        started = await self.start(conn, owner, built)
        if isinstance(started, Refused):
            return None, RunUpdate(Phase.ERROR, started.message)
        last = started.run.latest
        async for update in started.run.updates():
            last = update
        return started.run.record.run_id, last
