"""This replica's part in a deployment of several: keeping its leases, taking over orphaned runs, passing on wakes.

Every :data:`~.leases.RENEW_EVERY` seconds the keeper renews the leases of the runs and boards this
replica drives, and looks for unfinished runs whose lease ran out (their replica died, or this one
restarted): a run the provider took is polled again by task id on the server's key; one left
``submitting`` is settled (never sent, or uncertain and counted); a demo run is gone with the
simulator that ran it; a run on a visitor's own key waits for the visitor, whose page takes it
over. Every second it also rings runs a provider callback woke on another replica.

A lone process on a SQLite file runs the same loop: its restart is a replica taking over its own runs.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Protocol

from .board import BoardRunner
from .callbacks import CallbackHub
from .connection import Connection
from .leases import RENEW_EVERY, UNCLAIMED_GRACE, run_lease
from .phases import Mode, Phase
from .record import RunRecord
from .store import RunStore
from .tracker import DEMO_GONE, RunTracker


class KeeperServices(Protocol):
    """What the keeper needs of the run service (:class:`RunService` is one), so the two do not import each other."""

    store: RunStore
    tracker: RunTracker
    boards: BoardRunner
    callbacks: CallbackHub | None

    def connection_for_record(self, record: RunRecord) -> Connection | None: ...


log = logging.getLogger(__name__)
#: How often callback wakes from other replicas are looked for.
WAKE_EVERY = 1.0


class ReplicaKeeper:
    def __init__(self, service: KeeperServices) -> None:
        self.service = service
        self._loop: asyncio.Task[None] | None = None
        #: Orphaned runs on a visitor's own key, left for the visitor (looked at once, not every pass).
        self._left: set[str] = set()
        self._wakes_since = time.time()

    @property
    def replica(self) -> str:
        return self.service.tracker.leases.holder

    async def start(self) -> int:
        """Take over what is orphaned now (this replica's own runs after a restart), then keep at it."""
        # Nothing of this process is being started yet; on a shared database other replicas' runs may be.
        taken = await self.take_over(grace=UNCLAIMED_GRACE if self.service.store.db.shared else 0.0)
        await self.service.boards.resume()  # after the runs, so a board waits on its shot being polled again
        self._loop = asyncio.create_task(self._keep())
        return taken

    async def close(self) -> None:
        if self._loop is not None:
            self._loop.cancel()
            await asyncio.gather(self._loop, return_exceptions=True)

    async def take_over(self, grace: float = UNCLAIMED_GRACE) -> int:
        """Follow or settle every run nobody follows; how many are polled again."""
        tracker, store = self.service.tracker, self.service.store
        followed = 0
        for record in await asyncio.to_thread(tracker.leases.orphans, grace):
            if tracker.driving(record.run_id) or record.run_id in self._left:
                continue
            conn = self.service.connection_for_record(record)
            if record.task_id is None or record.mode == Mode.DEMO or conn is None:
                if record.mode == Mode.VISITOR_KEY and record.task_id is not None:
                    self._left.add(record.run_id)  # its key was never stored: the visitor's page resumes it
                    continue
                lease = run_lease(record.run_id)
                if not await asyncio.to_thread(tracker.leases.claim, lease):
                    continue  # another replica got there first
                try:
                    if record.task_id is None:
                        await tracker.settle_stranded(record)
                    else:  # the embedded simulator that ran it is gone with its replica (or restart)
                        await store.call(
                            store.update, record.run_id, phase=Phase.ERROR, charged=False, message=DEMO_GONE
                        )
                finally:
                    await asyncio.to_thread(tracker.leases.release, lease)
                continue
            tracker.resume(record, conn)
            followed += 1
        if followed:
            log.info("replica %s follows %d run(s) nobody followed", self.replica, followed)
        return followed

    async def _keep(self) -> None:
        ticks_per_pass = max(1, round(RENEW_EVERY / WAKE_EVERY))
        tick = 0
        while True:
            await asyncio.sleep(WAKE_EVERY)
            tick += 1
            try:
                await self._pass_on_wakes()
                if tick % ticks_per_pass == 0:
                    await self._renew()
                    await self.take_over()
                    await self.service.boards.resume()
            except Exception:  # a database that blips must not end the loop that keeps the leases
                log.exception("replica %s: keeping its leases failed; trying again", self.replica)

    async def _renew(self) -> None:
        tracker, boards = self.service.tracker, self.service.boards
        names = sorted(tracker.held | boards.held)
        kept = await asyncio.to_thread(tracker.leases.renew, names)
        lost = set(names) - kept
        if lost:
            tracker.lost(lost)

    async def _pass_on_wakes(self) -> None:
        if self.service.callbacks is None:
            return
        since, self._wakes_since = self._wakes_since, time.time()
        woken = await asyncio.to_thread(self.service.tracker.leases.woken, since - 1.0)
        self.service.tracker.ring(woken)
