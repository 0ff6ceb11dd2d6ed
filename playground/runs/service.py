"""The run service the page, the API and History share: who a visitor is, which key a run goes on, starting it.

No Gradio here: the web layer turns its request into a session id and its controls into values, and
asks :class:`RunService`. Every run starts in :meth:`RunService.start`, so the callback check, the
price, the budget and the record are the same whichever way a run was asked for.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import uuid
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from ..net import callback_refusal
from ..settings import Settings
from ..veo import BuiltRequest, estimate
from ..wave import PollPolicy
from .board import BoardRunner
from .budget import Budget
from .connection import Connection, choose_connection, connection_for_record, key_fingerprint, outsider_connection
from .engine import RunUpdate
from .frames import FrameResolver
from .identity import Identities
from .leases import Leases, replica_id
from .ledger import GroupReserved, Reserved
from .live import TrackedRun
from .media_files import MediaFiles
from .media_links import MediaLinks
from .ownership import Ownership, Refused
from .phases import GroupKind, Phase
from .record import RunRecord
from .replica import ReplicaKeeper
from .shares import Shares
from .store import RunStore
from .tracker import RunTracker
from .visitors import RequestFacts, Visitor, Visitors

if TYPE_CHECKING:
    from .callbacks import CallbackHub, CallbackTicket

#: The form field a budget refusal is shown against.
BUDGET_FIELD = "budget"


@dataclass(frozen=True)
class Started:
    """A run the tracker now drives."""

    run: TrackedRun


@dataclass(frozen=True)
class GroupStarted:
    """Every run of a group, driven by the tracker, in the group's order."""

    group_id: str
    runs: list[TrackedRun]


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
    #: The share links of finished runs (``/share/<token>``).
    shares: Shares | None = None
    #: Where saved videos and posters are: the media folder, and the bucket when there is one.
    media: MediaFiles | None = None
    visitors: Visitors = field(init=False)
    tracker: RunTracker = field(init=False)
    budget: Budget = field(init=False)
    boards: BoardRunner = field(init=False)
    keeper: ReplicaKeeper = field(init=False)

    def __post_init__(self) -> None:
        self.boards = BoardRunner(self)
        self.media = self.media or MediaFiles(self.media_dir)
        if self.shares is None:
            self.shares = Shares(self.store, self.media, self.settings.public_base_url)
        leases = Leases(self.store.db, replica_id(self.settings.replica_id, self.store.db.shared))
        self.tracker = RunTracker(
            self.settings, self.store, self.media_dir, self.poll_policy, self.callbacks, leases, self.media
        )
        if self.callbacks is not None:
            self.callbacks.elsewhere = lambda hashed: self.store.call(leases.wake, hashed)
        self.keeper = ReplicaKeeper(self)
        self.budget = Budget(self.settings, self.store)
        self.visitors = Visitors(self.settings, self.identities.address_key)

    def visitor(self, visitor_token: str | None, facts: RequestFacts) -> Visitor:
        """Who this request is: their account when signed in, else their browser, and where they come from."""
        browser = self.identities.browser_owner(visitor_token)
        visitor = self.visitors.visitor(browser, self.identities.session_owner(facts.session_id), facts)
        if visitor.server_key_refusal and (self.settings.demo_mode or not self.settings.api_key):
            return replace(visitor, server_key_refusal=None)  # no server key to keep from anyone
        return visitor

    def tool_visitor(self, api_key: str | None, facts: RequestFacts) -> Visitor:
        """Who an agent's tool call is. MCP over stateless HTTP brings no browser and no session, so the
        runs are filed under the key it brings (only its holder can name them), else under the address it
        calls from, where the address caps count it anyway. Sign-in and the allow-list apply as for a page."""
        if api_key:
            mac = hmac.new(self.identities.address_key, api_key.encode(), hashlib.sha256).hexdigest()[:32]
            session = f"tool-key:{mac}"
        else:
            address = self.visitors.proxies.client_address(facts)
            session = f"tool-address:{self.visitors.address_owner(address)}" if address else "tool-anonymous"
        return self.visitor(None, replace(facts, session_id=session))

    async def join_account(self, visitor: Visitor) -> int:
        """File what this browser ran before signing in under the account; how many runs moved."""
        if visitor.account is None or not visitor.browser_owner:
            return 0
        moved = await self.store.call(self.store.reassign, visitor.browser_owner, visitor.owner)
        self.tracker.reassign(visitor.browser_owner, visitor.owner)
        return moved

    async def recent_prompts(self, visitor: Visitor, limit: int = 8) -> list[str]:
        """The visitor's last distinct prompts from their history, newest first; a prompt run again counts once."""
        records = await self.store.call(self.store.history, visitor.owner, 200)
        prompts = dict.fromkeys(p for r in records if (p := str(r.request.get("prompt") or "").strip()))
        return list(prompts)[:limit]

    @property
    def ownership(self) -> Ownership:
        return self.frames.ownership

    def connection(self, visitor_key: str | None, visitor: Visitor | str) -> Connection:
        """Where this visitor's requests go: a visitor the allow-list leaves out never gets the server's key."""
        if isinstance(visitor, str):  # a bare owner id: a browser with no account and no allow-list
            return choose_connection(self.settings, self.simulator_url, visitor_key, visitor)
        if visitor.server_key_refusal:
            return outsider_connection(self.settings, self.simulator_url, visitor_key, visitor.owner)
        return choose_connection(self.settings, self.simulator_url, visitor_key, visitor.owner)

    def connection_for_record(self, record: RunRecord) -> Connection | None:
        """The connection an unfinished run resumes on after a restart, if the server holds its key."""
        return connection_for_record(self.settings, record)

    async def resume_after_restart(self) -> int:
        """Poll again what was running when the server stopped, say so for what cannot be, and keep at it.

        Runs left ``submitting`` with no task id are settled: never sent, nothing was charged; sent,
        they are uncertain and stay counted. From then on the replica keeper renews this replica's
        leases and takes over the runs of replicas that stop (see :mod:`.replica`).
        """
        return await self.keeper.start()

    def poll_policy(self, conn: Connection) -> PollPolicy:
        expected = (self.settings.sim_queue_seconds + self.settings.sim_processing_seconds) if conn.simulated else 90.0
        return PollPolicy(expected_seconds=expected, deadline=self.settings.poll_deadline)

    def new_record(self, conn: Connection, visitor: Visitor, built: BuiltRequest, sent: dict) -> RunRecord:
        """The record a run starts with: whose it is, which key, what it sends and what it is estimated to cost."""
        assert built.resolved is not None
        return RunRecord(
            owner=visitor.owner,
            mode=conn.mode,
            key_fingerprint=key_fingerprint(conn.api_key),
            action=built.resolved.action,
            model=built.resolved.model.id,
            request=sent,
            estimated_cost=estimate(built.resolved, self.settings.operator_prices).total,
            # Kept only where a cap counts it: the shared allowance of an anonymous address.
            address=visitor.address if self.budget.applies(conn) and not visitor.signed_in else None,
        )

    async def start(self, conn: Connection, visitor: Visitor | str, built: BuiltRequest) -> Started | Refused:
        """Price a valid request, reserve it against the budget and hand the run to the tracker.

        The page, the API and History all start runs here; a refusal says which field it concerns.
        The caps are checked and the run recorded in one store transaction (:meth:`Budget.reserve`),
        so concurrent starts, in this process or another on the same history, cannot pass a cap together.
        """
        assert built.ok and built.resolved is not None and built.body is not None
        # A callback_url judged as resolved, not as written: a name may lead to this server or its network.
        refused_callback = await callback_refusal(built.body.get("callback_url"))
        if refused_callback:
            return Refused(refused_callback, "callback_url")
        if isinstance(visitor, str):
            visitor = Visitor(visitor)
        sent, ticket = self.tracker.prepare(built.body, conn)
        record = self.new_record(conn, visitor, built, sent)
        outcome = await self.budget.reserve(conn, visitor, record)
        if not isinstance(outcome, Reserved):
            self.tracker.discard(ticket)
            return Refused(self.budget.refusal(outcome), BUDGET_FIELD)
        return Started(self.tracker.submit_recorded(conn, outcome.record, ticket))

    async def start_group(
        self, conn: Connection, visitor: Visitor | str, builts: list[BuiltRequest], kind: GroupKind
    ) -> GroupStarted | Refused:
        """Start several runs as one group (a compare grid): all of them, or none.

        The caps are checked against the group's total in one transaction, and only then is any
        request sent; each run is then an ordinary run (its own record, poll, files and refund),
        tagged with the group so the page and History can show them together.
        """
        if isinstance(visitor, str):
            visitor = Visitor(visitor)
        group_id = uuid.uuid4().hex
        prepared, records = [], []
        for index, built in enumerate(builts):
            assert built.ok and built.resolved is not None and built.body is not None
            refused_callback = await callback_refusal(built.body.get("callback_url"))
            if refused_callback:
                self._discard_all(prepared)
                return Refused(refused_callback, "callback_url")
            sent, ticket = self.tracker.prepare(built.body, conn)
            prepared.append(ticket)
            record = self.new_record(conn, visitor, built, sent)
            record.group_id, record.group_kind, record.group_index = group_id, kind, index
            records.append(record)
        outcome = await self.budget.reserve_group(conn, visitor, records)
        if not isinstance(outcome, GroupReserved):
            self._discard_all(prepared)
            return Refused(self.budget.refusal(outcome), BUDGET_FIELD)
        runs = [self.tracker.submit_recorded(conn, r, t) for r, t in zip(outcome.records, prepared, strict=True)]
        return GroupStarted(group_id, runs)

    def _discard_all(self, tickets: list[CallbackTicket | None]) -> None:
        for ticket in tickets:
            self.tracker.discard(ticket)

    async def group_runs(self, visitor: Visitor | str, group_id: str) -> list[RunRecord]:
        """The records of one of the visitor's groups, in order (nothing for another visitor's group)."""
        owner = visitor if isinstance(visitor, str) else visitor.owner
        return await self.store.call(self.store.group, owner, group_id)

    async def run_group_to_end(
        self, conn: Connection, visitor: Visitor | str, builts: list[BuiltRequest], kind: GroupKind
    ) -> Refused | list[tuple[TrackedRun, RunUpdate]]:
        """Start a group and wait for every run of it (the API endpoints): each run with its final update."""
        started = await self.start_group(conn, visitor, builts, kind)
        if isinstance(started, Refused):
            return started

        async def last(run: TrackedRun) -> RunUpdate:
            final = run.latest
            async for update in run.updates():
                final = update
            return final

        finals = await asyncio.gather(*(last(run) for run in started.runs))
        return list(zip(started.runs, finals, strict=True))

    async def run_to_end(
        self, conn: Connection, visitor: Visitor | str, built: BuiltRequest
    ) -> tuple[str | None, RunUpdate]:
        """Run without a page (the API endpoints): the run's id (None if refused) and its final update."""
        started = await self.start(conn, visitor, built)
        if isinstance(started, Refused):
            return None, RunUpdate(Phase.ERROR, started.message)
        last = started.run.latest
        async for update in started.run.updates():
            last = update
        return started.run.record.run_id, last
