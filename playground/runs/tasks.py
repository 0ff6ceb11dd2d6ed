"""A caller's runs found by task id: what an agent's ``get_video`` and ``cancel_video`` answer.

A task id names a task at the provider, and the provider shows it only to the key that made it; on a
shared server key it would show anyone's. So a task id is looked up among the caller's own runs
first, and one that is not theirs is answered exactly as one that does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .engine import cancel_task
from .phases import Phase
from .record import RunRecord

if TYPE_CHECKING:
    from .connection import Connection
    from .service import RunService


@dataclass(frozen=True)
class TaskReport:
    """Where one of the caller's runs stands, from the run being followed or, once it ended, the history."""

    record: RunRecord
    phase: Phase
    progress: int
    eta_seconds: float | None
    message: str

    @property
    def video_count(self) -> int:
        return len(self.record.files) if self.phase is Phase.COMPLETED else 0


@dataclass(frozen=True)
class CancelAsked:
    """The provider was asked to cancel; its answer in words (a queued task is refunded)."""

    record: RunRecord
    message: str


@dataclass(frozen=True)
class AlreadyFinished:
    """Nothing to cancel: the run has ended."""

    record: RunRecord


@dataclass(frozen=True)
class UnknownTask:
    """No run of the caller's has this task id (none at all, or someone else's)."""

    task_id: str


async def report(ctx: RunService, owner: str, task_id: str) -> TaskReport | UnknownTask:
    task_id = task_id.strip()
    live = ctx.tracker.live_task(owner, task_id)
    if live is not None:
        latest = live.latest
        return TaskReport(live.record, latest.phase, latest.progress, latest.eta_seconds, latest.message)
    # Ended (or followed by nobody in this process): the history has the settled state and the files.
    record = await ctx.store.call(ctx.store.owned_task, owner, task_id)
    if record is None:
        return UnknownTask(task_id)
    progress = 100 if record.phase is Phase.COMPLETED else 0
    return TaskReport(record, record.phase, progress, None, record.message)


async def cancel(
    ctx: RunService, conn: Connection, owner: str, task_id: str
) -> CancelAsked | AlreadyFinished | UnknownTask:
    task_id = task_id.strip()
    record = await ctx.store.call(ctx.store.owned_task, owner, task_id)
    if record is None:
        return UnknownTask(task_id)
    live = ctx.tracker.live(owner, record.run_id)
    phase = live.latest.phase if live is not None else record.phase
    if phase.finished:
        return AlreadyFinished(record)
    async with conn.client(ctx.settings) as client:
        message = await cancel_task(client, record.task_id or task_id)
    return CancelAsked(record, message)
