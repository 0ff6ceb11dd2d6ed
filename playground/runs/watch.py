"""Following a run that another replica drives: its history row, read again until it ends.

The page of a visitor whose run is polled elsewhere (a refresh that reached another replica, or a
takeover after one died) is fed from the shared history: each change of the row is published as an
update, the finished row with its files (fetched from the bucket if this replica lacks them). When
the driving replica's lease runs out, the watcher says so, and the run is taken over here.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from ..texts import text
from .engine import RunUpdate
from .leases import Leases, run_lease
from .live import TrackedRun
from .media_files import MediaFiles
from .phases import Phase
from .record import RunRecord
from .store import RunStore

#: How often the row is read again: a page following a run elsewhere lags it by at most this.
WATCH_EVERY = 1.0
GONE = text("runs.watch.gone", "This run is no longer in the history.")()


async def update_of(media: MediaFiles, record: RunRecord) -> RunUpdate:
    """What a history row says, as an update; a finished run's files local to this replica."""
    videos: tuple[Path, ...] = ()
    if record.phase == Phase.COMPLETED:
        fetched = [await media.fetch(f) for f in record.files]
        videos = tuple(p for p in fetched if p is not None)
        if record.poster:
            await media.fetch(record.poster)
    return RunUpdate(
        record.phase,
        record.message,
        task_id=record.task_id,
        progress=100 if record.finished else 0,
        queued_seconds=record.queued_seconds,
        processing_seconds=record.processing_seconds,
        videos=videos,
        video_urls=tuple(record.urls),
    )


async def watch(store: RunStore, leases: Leases, media: MediaFiles, run: TrackedRun) -> bool:
    """Publish the run's row as it changes; False once it ended, True once its driver's lease ran out."""
    run_id, lease, seen = run.record.run_id, run_lease(run.record.run_id), None
    while True:
        record = await store.call(store.get, run_id)
        if record is None:
            await run.publish(RunUpdate(Phase.ERROR, GONE, task_id=run.record.task_id))
            return False
        state = (record.phase, record.message, record.task_id, record.updated_at)
        if state != seen:
            seen = state
            run.record = record
            await run.publish(await update_of(media, record))
        if record.finished:
            return False
        if record.task_id and await asyncio.to_thread(leases.holding, lease) is None:
            return True
        await asyncio.sleep(WATCH_EVERY)
