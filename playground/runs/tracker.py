"""Runs that outlive the page that started them.

A run is driven by a background task on the server's event loop, not by the page's generator: the
page only subscribes to it. So a refresh, a closed tab or a dropped connection never stops the
polling or the download of something paid for, and a new page (or the same visitor after a
refresh) can subscribe again. Every step is written to the :class:`~playground.runs.store.RunStore` at
once, which is what lets a restarted server resume the tasks it knew.

The visitor's key lives only inside the run's own :class:`~playground.runs.connection.Connection`, for as long
as that run is driven; nothing here is keyed by a key.

The tracker also keeps the ledger honest about what may have been billed: the moment before a
request leaves is written down (``sent_at``), a submission that may have reached the provider
stays counted at its estimate (``Phase.UNCERTAIN``), and a task attached by id later settles the
uncertain run it turns out to be (:meth:`RunStore.adopt_uncertain <.store.RunStore.adopt_uncertain>`).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..media import make_poster
from ..settings import Settings
from ..texts import text
from ..wave import errors
from .callbacks import token_hash
from .connection import Connection, key_fingerprint
from .engine import LOOKING_UP, SUBMITTING, RunUpdate, attach_task, run_task
from .leases import Leases, run_lease
from .live import TrackedRun
from .media_files import MediaFiles
from .phases import Mode, Phase
from .record import RunRecord
from .store import RunStore, found_message
from .watch import watch

if TYPE_CHECKING:
    from ..wave import PollPolicy
    from .callbacks import CallbackHub, CallbackTicket

log = logging.getLogger(__name__)
PolicyFor = Callable[[Connection], "PollPolicy"]


def owner_folder(owner: str) -> str:
    """A visitor's media folder name: derived from their secret identity, so it cannot be guessed."""
    return hashlib.sha256(owner.encode()).hexdigest()[:24]


def board_file(media_dir: Path, owner: str, group_id: str) -> Path:
    """Where a storyboard's joined video is kept: beside its shots' files, in its owner's folder."""
    return media_dir / owner_folder(owner) / "boards" / f"{group_id}.mp4"


COUNTED_UNTIL_FOUND = text(
    "runs.tracker.counted_until_found",
    "{message} It is counted toward your budget at its estimate until it is found: "
    "if you find its task id, use Resume by task id.",
)
FIND_IT = text("runs.tracker.find_it", "{message} If you find its task id, use Resume by task id.")


def uncertain_note(mode: Mode, message: str) -> str:
    """An uncertain run's ``message`` with what it adds: it is counted, and how it is found."""
    return (COUNTED_UNTIL_FOUND if mode == Mode.SERVER_KEY else FIND_IT)(message=message)


#: The start-up settlement of a run the last process never finished sending (see :meth:`RunTracker.settle_stranded`).
NEVER_SENT = text(
    "runs.tracker.never_sent", "The server stopped before sending this run: nothing was sent or charged."
)()
MAYBE_SENT = text(
    "runs.tracker.maybe_sent",
    "The server stopped while sending this run, so the task may have been created (and charged).",
)()
DEMO_GONE = text(
    "runs.tracker.demo_gone", "The demo simulator restarted, so this simulated run is gone (demo runs cost nothing)."
)()
RESUMING = text("runs.tracker.resuming", "Resuming after a restart…")
STOPPED_FOLLOWING = text("runs.tracker.stopped_following", "The playground stopped following this run: {error}")


def _charged(update: RunUpdate) -> bool:
    """Whether the provider bills this outcome, as far as the page can tell."""
    if update.phase == Phase.UNCERTAIN:
        return True  # the provider may have made (and billed) it: counted until it is found
    if update.task_id is None:
        return False  # never accepted
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
        leases: Leases | None = None,
        media: MediaFiles | None = None,
    ) -> None:
        self.settings, self.store, self.media_dir = settings, store, media_dir
        self.policy_for = policy_for
        self.callbacks = callbacks
        self.leases = leases or Leases(store.db, "local")
        self.media = media or MediaFiles(media_dir)
        self._runs: dict[str, TrackedRun] = {}
        #: The leases of the runs this replica drives now (the keeper renews them).
        self.held: set[str] = set()
        self._tickets: dict[str, CallbackTicket] = {}

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

    def discard(self, ticket: CallbackTicket | None) -> None:
        """Close the callback route :meth:`prepare` opened for a run that will not be sent."""
        if ticket is not None and self.callbacks is not None:
            self.callbacks.close(ticket)

    async def submit(self, conn: Connection, record: RunRecord, ticket: CallbackTicket | None = None) -> TrackedRun:
        """Record the run, then send it from a background task; returns at once."""
        await self.store.call(self.store.add, record)
        return self.submit_recorded(conn, record, ticket)

    def submit_recorded(self, conn: Connection, record: RunRecord, ticket: CallbackTicket | None = None) -> TrackedRun:
        """Send a run the history already holds (one :meth:`RunStore.reserve` recorded) from a background task."""
        wake = ticket.wake if ticket else None
        folder, policy = self.folder_for(record.owner), self.policy_for(conn)
        return self._start(
            record,
            RunUpdate(Phase.SUBMITTING, SUBMITTING()),
            conn,
            lambda client: run_task(client, record.request, folder, policy, wake),
            ticket,
        )

    async def attach(self, conn: Connection, owner: str, task_id: str) -> TrackedRun:
        """Follow a task submitted earlier: the live run if there is one, else poll it afresh."""
        live = self.live_task(owner, task_id)
        if live is not None:
            return live
        known = await self.store.call(self.store.owned_task, owner, task_id)
        record = known or RunRecord(
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
        if known is None:
            await self.store.call(self.store.add, record)
        return self._follow(record, conn, LOOKING_UP(task_id=task_id))

    def ring(self, run_ids: list[str]) -> None:
        """Wake runs a callback reached another replica for (see :meth:`.leases.Leases.woken`)."""
        for run_id in run_ids:
            ticket = self._tickets.get(run_id)
            if ticket is not None:
                ticket.ring()

    def driving(self, run_id: str) -> bool:
        """Whether this replica has a driver (or a watcher) for the run now."""
        return run_id in self._runs

    def lost(self, leases: set[str]) -> None:
        """Stop driving runs whose leases another replica took (this one stalled too long): it follows them now."""
        for run in list(self._runs.values()):
            if run_lease(run.record.run_id) in leases and run.driver is not None and not run.finished:
                log.warning("run %s is followed by another replica now", run.record.run_id)
                run.driver.cancel()
                self.held.discard(run_lease(run.record.run_id))
                run.driver = asyncio.create_task(self._watch_only(run))

    async def _watch_only(self, run: TrackedRun) -> None:
        try:
            await watch(self.store, self.leases, self.media, run)
        finally:
            self._forget_later(run)

    def live(self, owner: str, run_id: str) -> TrackedRun | None:
        run = self._runs.get(run_id)
        return run if run is not None and run.record.owner == owner else None

    def live_task(self, owner: str, task_id: str) -> TrackedRun | None:
        for run in self._runs.values():
            if run.record.owner == owner and run.record.task_id == task_id and not run.finished:
                return run
        return None

    def reassign(self, from_owner: str, to_owner: str) -> None:
        """Runs being driven follow their rows to a new owner (a browser's runs joining an account)."""
        for run in self._runs.values():
            if run.record.owner == from_owner:
                run.record.owner = to_owner

    def folder_for(self, owner: str) -> Path:
        return self.media_dir / owner_folder(owner)

    async def settle_stranded(self, record: RunRecord) -> bool:
        """Settle a run a stopped process left ``submitting`` with no task id; whether it still was.

        One never sent (no ``sent_at``) cost nothing; one sent may have made a task the provider
        bills, so it becomes uncertain and stays counted. Demo runs cost nothing either way.
        """
        if record.mode == Mode.DEMO:
            changes = {"phase": Phase.ERROR, "charged": False, "message": DEMO_GONE}
        elif record.sent_at is None:
            changes = {"phase": Phase.ERROR, "charged": False, "message": NEVER_SENT}
        else:
            message = uncertain_note(record.mode, MAYBE_SENT)
            changes = {"phase": Phase.UNCERTAIN, "charged": True, "message": message}
        return await self.store.call(self.store.settle_if_stranded, record.run_id, **changes)

    def resume(self, record: RunRecord, conn: Connection) -> TrackedRun:
        """Poll a task again that nobody follows now (after a restart, or a replica's death), never resubmitting."""
        return self._follow(record, conn, RESUMING())

    async def close(self) -> None:
        drivers = [r.driver for r in self._runs.values() if r.driver and not r.driver.done()]
        for driver in drivers:
            driver.cancel()
        await asyncio.gather(*drivers, return_exceptions=True)

    def _follow(self, record: RunRecord, conn: Connection, first_message: str) -> TrackedRun:
        """Drive a run whose task the provider already has: poll it by id, never submit it again."""
        first = RunUpdate(Phase.QUEUED, first_message, task_id=record.task_id or "")
        return self._start(record, first, conn, self._attach_source(record, conn), None)

    def _attach_source(self, record: RunRecord, conn: Connection) -> Callable[[Any], AsyncIterator[RunUpdate]]:
        task_id = record.task_id or ""
        folder, policy = self.folder_for(record.owner), self.policy_for(conn)
        return lambda client: attach_task(client, task_id, folder, policy)

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
        lease = run_lease(run.record.run_id)
        try:
            if not await asyncio.to_thread(self.leases.claim, lease):
                # Another replica follows it: show its row as it changes, and take over if that replica dies.
                orphaned = await watch(self.store, self.leases, self.media, run)
                if not orphaned or not await asyncio.to_thread(self.leases.claim, lease):
                    return
                source = self._attach_source(run.record, conn)
            self.held.add(lease)
            if ticket is not None:
                self._tickets[run.record.run_id] = ticket
                run.record.callback_hash = token_hash(ticket.token)
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
                STOPPED_FOLLOWING(error=type(exc).__name__),
                task_id=run.record.task_id,
            )
            await self._persist(run, last, failure)
            await run.publish(failure)
        finally:
            self._tickets.pop(run.record.run_id, None)
            if ticket is not None and self.callbacks is not None:
                self.callbacks.close(ticket)
            if lease in self.held:
                self.held.discard(lease)
                await asyncio.shield(asyncio.to_thread(self.leases.release, lease))
            self._forget_later(run)

    def _forget_later(self, run: TrackedRun) -> None:
        # Subscribers that arrive a moment late (a page reloading) still find the final update.
        asyncio.get_running_loop().call_later(300, self._runs.pop, run.record.run_id, None)

    async def _finalise(self, run: TrackedRun, update: RunUpdate) -> RunUpdate:
        if update.phase == Phase.UNCERTAIN:
            return replace(update, message=uncertain_note(run.record.mode, update.message))
        if update.phase == Phase.COMPLETED and update.videos:
            try:
                run.record.poster = str(await asyncio.to_thread(make_poster, update.videos[0]))
            except Exception:  # a poster is a nicety; the video itself is saved
                log.warning("no poster for %s", update.task_id, exc_info=True)
            await self._keep(update.videos, run.record.poster)
        return update

    async def _keep(self, videos: tuple[Path, ...], poster: str | None) -> None:
        """Copy a finished run's files to the bucket before the history calls it completed anywhere."""
        for path in (*videos, *([Path(poster)] if poster else [])):
            try:
                await self.media.keep(path)
            except Exception:  # served from this replica still; the others say it is missing
                log.warning("%s could not be copied to the media bucket", path.name, exc_info=True)

    async def _persist(self, run: TrackedRun, last: RunUpdate | None, update: RunUpdate) -> None:
        if (
            last is not None
            and (last.phase, last.task_id, last.progress) == (update.phase, update.task_id, update.progress)
            and not update.finished
            and not update.sending
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
        if update.sending:
            changes["sent_at"] = time.time()  # on disk before the request leaves (see run_task)
            changes["callback_hash"] = run.record.callback_hash
        identified = bool(update.task_json) and run.record.model == "unknown"
        if identified:
            changes.update(_identity_from_task(update.task_json or {}))
        for name, value in changes.items():
            setattr(run.record, name, value)
        await self.store.call(self.store.update, run.record.run_id, **changes)
        if identified and run.record.model != "unknown":
            await self._adopt_uncertain(run)

    async def _adopt_uncertain(self, run: TrackedRun) -> None:
        """An attached task now known by model and action may be an uncertain run of this owner: settle it."""
        found = await self.store.call(self.store.adopt_uncertain, run.record.run_id)
        if found is None:
            return
        run.record.request, run.record.estimated_cost = found.request, found.estimated_cost
        run.record.address, run.record.created_at = found.address, found.created_at
        live = self._runs.get(found.run_id)
        if live is not None:
            live.record.charged, live.record.message = False, found_message(run.record.task_id or "")


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
