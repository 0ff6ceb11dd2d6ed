"""Runs that outlive the page that started them.

A run is driven by a background task on the server's event loop, not by the page's generator: the
page only subscribes to it. So a refresh, a closed tab or a dropped connection never stops the
polling or the download of something paid for, and a new page (or the same visitor after a
refresh) can subscribe again. Every step is written to the :class:`~playground.runs.store.RunStore` at
once, which is what lets a restarted server resume the tasks it knew.

The visitor's key lives only inside the run's own :class:`~playground.runs.connection.Connection`, for as long
as that run is driven; nothing here is keyed by a key.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..media import make_poster
from ..settings import Settings
from ..wave import errors
from .connection import Connection, key_fingerprint
from .engine import RunUpdate, attach_task, run_task
from .phases import Phase
from .store import RunRecord, RunStore

if TYPE_CHECKING:
    from ..wave import PollPolicy
    from .callbacks import CallbackHub, CallbackTicket

log = logging.getLogger(__name__)
PolicyFor = Callable[[Connection], "PollPolicy"]


def owner_folder(owner: str) -> str:
    """A visitor's media folder name: derived from their secret identity, so it cannot be guessed."""
    return hashlib.sha256(owner.encode()).hexdigest()[:24]


@dataclass
class TrackedRun:
    """One run being driven, and the latest thing known about it."""

    record: RunRecord
    latest: RunUpdate
    _version: int = 0
    _changed: asyncio.Condition = field(default_factory=asyncio.Condition, repr=False)
    driver: asyncio.Task[None] | None = field(default=None, repr=False)

    @property
    def finished(self) -> bool:
        return self.latest.finished

    async def publish(self, update: RunUpdate) -> None:
        async with self._changed:
            self.latest = update
            self._version += 1
            self._changed.notify_all()

    async def updates(self) -> AsyncIterator[RunUpdate]:
        """The latest update now, then each new one, until the run ends."""
        seen = -1
        while True:
            async with self._changed:
                await self._changed.wait_for(lambda last=seen: self._version != last)
                seen, update = self._version, self.latest
            yield update
            if update.finished:
                return


def _charged(update: RunUpdate) -> bool:
    """Whether the provider bills this outcome, as far as the page can tell."""
    if update.task_id is None:
        return False  # never accepted (or, if uncertain, unknown: the history shows it)
    # Refunded on cancel; a filtered prompt is not billed.
    return not (update.phase == Phase.CANCELLED or isinstance(update.error, errors.ContentFiltered))


class RunTracker:
    def __init__(
        self,
        settings: Settings,
        store: RunStore,
        media_dir: Path,
        policy_for: PolicyFor,
        callbacks: CallbackHub | None = None,
    ) -> None:
        self.settings, self.store, self.media_dir = settings, store, media_dir
        self.policy_for = policy_for
        self.callbacks = callbacks
        self._runs: dict[str, TrackedRun] = {}

    # -- starting and finding runs ---------------------------------------------------------------

    def prepare(self, body: dict[str, Any], conn: Connection) -> tuple[dict[str, Any], CallbackTicket | None]:
        """The body as it will be sent: with our callback route when the app is reachable.

        Not in demo mode: the embedded simulator would have to post out to the public address
        and back in, and it is polled on loopback quickly anyway.
        """
        if self.callbacks is None or body.get("callback_url") or conn.simulated:
            return body, None
        from .callbacks import with_callback

        ticket = self.callbacks.open()
        return with_callback(body, ticket), ticket

    def visitor_body(self, body: dict[str, Any]) -> dict[str, Any]:
        """A recorded body without the callback route :meth:`prepare` added (it was for that run only)."""
        url = body.get("callback_url")
        if self.callbacks is None or not isinstance(url, str) or not self.callbacks.owns(url):
            return dict(body)
        return {k: v for k, v in body.items() if k not in ("callback_url", "callback_events")}

    async def submit(self, conn: Connection, record: RunRecord, ticket: CallbackTicket | None = None) -> TrackedRun:
        """Record the run, then send it from a background task; returns at once."""
        await self.store.call(self.store.add, record)
        wake = ticket.wake if ticket else None
        folder, policy = self.folder_for(record.owner), self.policy_for(conn)
        return self._start(
            record,
            RunUpdate(Phase.SUBMITTING, "Submitting the task…"),
            conn,
            lambda client: run_task(client, record.request, folder, policy, wake),
            ticket,
        )

    async def attach(self, conn: Connection, owner: str, task_id: str) -> TrackedRun:
        """Follow a task submitted earlier: the live run if there is one, else poll it afresh."""
        live = self.live_task(owner, task_id)
        if live is not None:
            return live
        records = [r for r in await self.store.call(self.store.runs_of_task, task_id) if r.owner == owner]
        record = (
            records[-1]
            if records
            else RunRecord(
                owner=owner,
                mode=conn.mode,
                key_fingerprint=key_fingerprint(conn.api_key),
                action="unknown",
                model="unknown",
                request={},
                task_id=task_id,
                phase=Phase.QUEUED,
                estimated_cost=None,
            )
        )
        if not records:
            await self.store.call(self.store.add, record)
        return self._follow(record, conn, f"Looking up task {task_id}…")

    def live(self, owner: str, run_id: str) -> TrackedRun | None:
        run = self._runs.get(run_id)
        return run if run is not None and run.record.owner == owner else None

    def live_task(self, owner: str, task_id: str) -> TrackedRun | None:
        for run in self._runs.values():
            if run.record.owner == owner and run.record.task_id == task_id and not run.finished:
                return run
        return None

    def folder_for(self, owner: str) -> Path:
        return self.media_dir / owner_folder(owner)

    async def resume_unfinished(self, connection_for: Callable[[RunRecord], Connection | None]) -> int:
        """After a restart: poll again every task that was still running, with the key it ran on."""
        resumed = 0
        for record in await self.store.call(self.store.unfinished):
            if record.run_id in self._runs:
                continue
            conn = connection_for(record)
            if conn is None:
                # A visitor's own key is never stored: the run resumes when they come back with it.
                continue
            self._follow(record, conn, "Resuming after a restart…")
            resumed += 1
        return resumed

    async def close(self) -> None:
        drivers = [r.driver for r in self._runs.values() if r.driver and not r.driver.done()]
        for driver in drivers:
            driver.cancel()
        await asyncio.gather(*drivers, return_exceptions=True)

    def _follow(self, record: RunRecord, conn: Connection, first_message: str) -> TrackedRun:
        """Drive a run whose task the provider already has: poll it by id, never submit it again."""
        task_id = record.task_id or ""
        folder, policy = self.folder_for(record.owner), self.policy_for(conn)
        return self._start(
            record,
            RunUpdate(Phase.QUEUED, first_message, task_id=task_id),
            conn,
            lambda client: attach_task(client, task_id, folder, policy),
            None,
        )

    def _start(
        self,
        record: RunRecord,
        first: RunUpdate,
        conn: Connection,
        source: Callable[[Any], AsyncIterator[RunUpdate]],
        ticket: CallbackTicket | None,
    ) -> TrackedRun:
        # Everything ``source`` needs is bound before this returns: drivers start only after the
        # caller's loop has moved on to its next record.
        run = TrackedRun(record, first)
        self._runs[record.run_id] = run
        run.driver = asyncio.create_task(self._drive(run, conn, source, ticket))
        return run

    # -- driving -------------------------------------------------------------------------------

    async def _drive(
        self,
        run: TrackedRun,
        conn: Connection,
        source: Callable[[Any], AsyncIterator[RunUpdate]],
        ticket: CallbackTicket | None,
    ) -> None:
        last: RunUpdate | None = None
        try:
            async with conn.client(self.settings) as client:
                async for update in source(client):
                    if ticket is not None and update.task_id and ticket.task_id is None and self.callbacks:
                        self.callbacks.bind(ticket, update.task_id)
                    if update.finished:
                        update = await self._finalise(run, update)
                    await self._persist(run, last, update)
                    last = update
                    await run.publish(update)
        except asyncio.CancelledError:
            raise  # the server is stopping; the store still says the run is unfinished
        except Exception as exc:  # a bug must not leave the run hanging in the page
            log.exception("run %s stopped unexpectedly", run.record.run_id)
            failure = RunUpdate(
                Phase.ERROR,
                f"The playground stopped following this run: {type(exc).__name__}",
                task_id=run.record.task_id,
            )
            await self._persist(run, last, failure)
            await run.publish(failure)
        finally:
            if ticket is not None and self.callbacks is not None:
                self.callbacks.close(ticket)
            self._forget_later(run)

    def _forget_later(self, run: TrackedRun) -> None:
        # Subscribers that arrive a moment late (a page reloading) still find the final update.
        asyncio.get_running_loop().call_later(300, self._runs.pop, run.record.run_id, None)

    async def _finalise(self, run: TrackedRun, update: RunUpdate) -> RunUpdate:
        if update.phase == Phase.COMPLETED and update.videos:
            try:
                run.record.poster = str(await asyncio.to_thread(make_poster, update.videos[0]))
            except Exception:  # a poster is a nicety; the video itself is saved
                log.warning("no poster for %s", update.task_id, exc_info=True)
        return update

    async def _persist(self, run: TrackedRun, last: RunUpdate | None, update: RunUpdate) -> None:
        if (
            last is not None
            and (last.phase, last.task_id, last.progress) == (update.phase, update.task_id, update.progress)
            and not update.finished
        ):
            return  # a heartbeat: nothing new to keep
        changes: dict[str, Any] = {
            "phase": update.phase,
            "message": update.message,
            "queued_seconds": update.queued_seconds,
            "processing_seconds": update.processing_seconds,
        }
        if update.task_id and update.task_id != run.record.task_id:
            changes["task_id"] = update.task_id
        if update.finished:
            changes["charged"] = _charged(update)
            changes["files"] = [str(p) for p in update.videos]
            changes["poster"] = run.record.poster
        if update.video_urls:
            changes["urls"] = list(update.video_urls)
            expires = _earliest_expiry(update.task_json or {})
            if expires is not None:
                changes["expires_at"] = expires
        if update.task_json and run.record.model == "unknown":
            changes.update(_identity_from_task(update.task_json))
        for name, value in changes.items():
            setattr(run.record, name, value)
        await self.store.call(self.store.update, run.record.run_id, **changes)


def _identity_from_task(task_json: dict[str, Any]) -> dict[str, Any]:
    """What an attached task's own JSON says about it, for its history row."""
    out: dict[str, Any] = {}
    if isinstance(task_json.get("model"), str):
        out["model"] = task_json["model"]
    if isinstance(task_json.get("action"), str):
        out["action"] = task_json["action"]
    return out


def _earliest_expiry(task_json: dict[str, Any]) -> float | None:
    """When the first of the task's result links stops working (seconds since the epoch)."""
    videos = ((task_json.get("result") or {}).get("videos")) or []
    times = [v["expires_at"] for v in videos if isinstance(v, dict) and isinstance(v.get("expires_at"), (int, float))]
    return min(times) if times else None
