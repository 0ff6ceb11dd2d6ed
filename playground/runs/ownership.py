"""The one ownership question: may this visitor use that task, run or result?

Every path that turns something a visitor names (a task id, a run of the page's list, a result link
on the embedded simulator) into something shown or sent asks here, so a leaked id never hands one
visitor another's video. On a visitor's own key the provider answers it too (a task is visible only
to the key that made it); on the server's key, shared by everyone, only the history knows whose a
task is.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..texts import text
from .phases import Mode, Phase

if TYPE_CHECKING:
    from .connection import Connection
    from .record import RunRecord
    from .store import RunStore

NOT_YOURS = text("runs.ownership.not_yours", "Task {task_id} belongs to another visitor of this server.")
NOT_THIS_BROWSERS = text(
    "runs.ownership.not_this_browsers", "That run is not one of this browser's runs; pick one from the list."
)
NO_VIDEO_TO_REMIX = text("runs.ownership.no_video_to_remix", "That run has no finished video to remix.")


@dataclass(frozen=True)
class Allowed:
    #: This visitor's own record of it, when the history has one.
    record: RunRecord | None = None


@dataclass(frozen=True)
class Refused:
    """A no: the sentence the visitor reads and, when one form field is to blame, that field."""

    message: str
    field: str | None = None


Access = Allowed | Refused


def run_reference(run_id: str, sample: int) -> str:
    """How the page names one video of a finished run without putting its link in the browser."""
    return f"{run_id}/{sample}"


class Ownership:
    def __init__(self, store: RunStore) -> None:
        self.store = store

    async def task(self, owner: str, conn: Connection, task_id: str) -> Access:
        """A task id typed or pasted by ``owner``: theirs, unknown here, or someone else's."""
        records = await self.store.call(self.store.runs_of_task, task_id)
        mine = [r for r in records if r.owner == owner]
        if mine:
            return Allowed(mine[-1])
        if records and conn.mode != Mode.VISITOR_KEY:
            # On a shared key (the server's, or the demo simulator's per-visitor keys) a task someone
            # else started stays theirs even if its id leaks; on a visitor's own key the provider decides.
            return Refused(NOT_YOURS(task_id=task_id))
        return Allowed()

    async def run_video(self, owner: str, reference: str) -> str | Refused:
        """The provider link of one video of one of ``owner``'s finished runs, named by :func:`run_reference`."""
        run_id, _, sample = (reference or "").strip().partition("/")
        record = await self.store.call(self.store.owned_run, owner, run_id) if run_id else None
        if record is None:
            return Refused(NOT_THIS_BROWSERS())
        index = int(sample) if sample.isdigit() else -1
        if record.phase != Phase.COMPLETED or not 0 <= index < len(record.urls):
            return Refused(NO_VIDEO_TO_REMIX())
        return record.urls[index]
