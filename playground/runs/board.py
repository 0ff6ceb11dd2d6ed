"""Storyboards run shot by shot: the whole board reserved at once, each shot sent when the one before has its video.

Every shot is an ordinary run (its own record, poll, files and refund), recorded with the board as
one group when the board starts, so the budget sees the whole board's price at once. A later shot
waits in the history (``Phase.WAITING``) with the request it will send; when the shot before ends
with a video, the request gets that clip's link and is sent. A board outlives the page (the driver
is a background task) and the process: after a restart :meth:`BoardRunner.resume` goes on from the
next shot that was never sent, so no shot is sent twice.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from ..media import JoinFailed, JoinResult, join_clips
from ..texts import text
from ..veo import PENDING_CLIP_URL, BoardPlan, BoardSettings, FormValues, Shot, plan_board
from .engine import RunUpdate
from .frames import PENDING_FRAME_URL, FrameError, FrameInputs
from .leases import board_lease
from .ledger import GroupReserved
from .live import TrackedRun
from .ownership import Refused
from .phases import GroupKind, Mode, Phase
from .record import RunRecord
from .tracker import board_file

if TYPE_CHECKING:
    from ..settings import Settings
    from ..veo import BuiltRequest
    from .budget import Budget
    from .connection import Connection
    from .frames import FrameResolver
    from .store import RunStore
    from .tracker import RunTracker
    from .visitors import Visitor


class BoardServices(Protocol):
    """What a board needs of the run service (:class:`RunService` is one), named so the two do not import each other."""

    settings: Settings
    store: RunStore
    tracker: RunTracker
    frames: FrameResolver
    budget: Budget

    def new_record(self, conn: Connection, visitor: Visitor, built: BuiltRequest, sent: dict) -> RunRecord: ...

    def connection_for_record(self, record: RunRecord) -> Connection | None: ...

    async def group_runs(self, visitor: Visitor | str, group_id: str) -> list[RunRecord]: ...


WAITING_FOR = text("runs.board.waiting_for", "Waiting for shot {shot} to finish.")
NOT_RUN = text("runs.board.not_run", "Not run: shot {shot} did not finish with a video (nothing was charged).")
NOT_RUN_CANCELLED = text("runs.board.not_run_cancelled", "Not run: the board was cancelled (nothing was charged).")
NEEDS_FIRST_FRAME = text("runs.board.needs_first_frame", "Shot 1 starts from an image: add the first frame.")
DEMO_BOARD_GONE = text(
    "runs.board.demo_gone", "Not run: the demo simulator restarted, so the clip before this shot is gone."
)
NOT_RERUNNABLE = text(
    "runs.board.not_rerunnable", "Only a finished board can be made again from a shot whose previous shot has a video."
)
NO_SOURCE = text("runs.board.no_source", "Not run: the clip of shot {shot} has no link to continue from.")


@dataclass(frozen=True)
class BoardInvalid:
    """A board refused before anything was uploaded or sent; ``plan`` says which shot and why."""

    plan: BoardPlan

    @property
    def message(self) -> str:
        return "; ".join(self.plan.problems)


@dataclass(frozen=True)
class BoardStarted:
    plan: BoardPlan
    group_id: str
    records: list[RunRecord]


@dataclass
class BoardProgress:
    """What a page following a board needs: the run of the shot being made now, and when that changes."""

    group_id: str
    current: TrackedRun | None = None
    #: The joined video, once every shot has its clip.
    video: JoinResult | None = None
    cancelled: bool = False
    done: bool = False
    _changed: asyncio.Event = field(default_factory=asyncio.Event, repr=False)

    def changed(self) -> None:
        self._changed.set()

    async def wait(self) -> None:
        await self._changed.wait()
        self._changed.clear()


def board_of(records: Sequence[RunRecord]) -> tuple[BoardSettings, list[Shot]]:
    """A recorded board's settings and shots, as they were asked for."""
    first = records[0].request
    settings = BoardSettings(
        model=records[0].model,
        resolution=first.get("resolution"),
        aspect_ratio=first.get("aspect_ratio"),
        generate_audio=first.get("generate_audio"),
        from_image=records[0].action == "image2video",
    )
    return settings, [Shot(str(r.request.get("prompt", "")), r.request.get("duration")) for r in records]


class BoardRunner:
    """Drives every board of this process; holds boards by group id, never a visitor's key."""

    def __init__(self, service: BoardServices) -> None:
        self.service = service
        self._boards: dict[str, BoardProgress] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._joining: dict[str, asyncio.Lock] = {}
        #: The leases of the boards this replica drives now (renewed with the runs').
        self.held: set[str] = set()

    def progress(self, group_id: str) -> BoardProgress | None:
        return self._boards.get(group_id)

    async def start(
        self, conn: Connection, visitor: Visitor, settings: BoardSettings, shots: Sequence[Shot], frames: FrameInputs
    ) -> BoardStarted | BoardInvalid | Refused:
        """Judge the board, host its first frame, reserve every shot as one group, then drive it."""
        service = self.service
        plan = plan_board(settings, shots, service.settings.operator_prices)
        if not plan.ok:
            return BoardInvalid(plan)
        first_frame = None
        if settings.from_image:
            if not (frames.first_file or (frames.first_url or "").strip()):
                return Refused(NEEDS_FIRST_FRAME(), "first_frame_image")
            values = FormValues(model=settings.model, action="image2video", prompt=shots[0].prompt)
            values.aspect_ratio = settings.aspect_ratio or "16:9"
            try:
                hosted, _ = await service.frames.resolve(conn, visitor.owner, frames, values)
            except FrameError as exc:
                return Refused(exc.message, exc.field)
            first_frame = hosted.get("first_frame_image")
            if not isinstance(first_frame, str):
                return Refused(NEEDS_FIRST_FRAME(), "first_frame_image")
        group_id = uuid.uuid4().hex
        records = []
        for index, shot in enumerate(plan.shots):
            assert shot.built.body is not None
            body = dict(shot.built.body)
            if index == 0 and first_frame:
                body["first_frame_image"] = first_frame
            record = service.new_record(conn, visitor, shot.built, body)
            record.group_id, record.group_kind, record.group_index = group_id, GroupKind.STORYBOARD, index
            record.phase = Phase.WAITING
            records.append(record)
        outcome = await service.budget.reserve_group(conn, visitor, records)
        if not isinstance(outcome, GroupReserved):
            return Refused(service.budget.refusal(outcome), "budget")
        self._drive(conn, group_id, outcome.records, 0, None)
        return BoardStarted(plan, group_id, outcome.records)

    def _drive(self, conn: Connection, group_id: str, records: list[RunRecord], start: int, source: str | None) -> None:
        progress = self._boards.setdefault(group_id, BoardProgress(group_id))
        task = asyncio.create_task(self._run(conn, progress, records, start, source))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run(
        self, conn: Connection, progress: BoardProgress, records: list[RunRecord], start: int, source: str | None
    ) -> None:
        lease = board_lease(progress.group_id)
        leases = self.service.tracker.leases
        try:
            if not await asyncio.to_thread(leases.claim, lease):
                return  # another replica goes on with this board
            self.held.add(lease)
            for index in range(start, len(records)):
                if progress.cancelled:
                    await self._settle(records[index:], NOT_RUN_CANCELLED())
                    return
                final = await self._shot(conn, progress, records[index], source)
                if final is None or final.phase != Phase.COMPLETED:
                    await self._settle(records[index + 1 :], NOT_RUN(shot=index + 1))
                    return
                source = final.video_urls[0] if final.video_urls else None
                if source is None and index + 1 < len(records):
                    await self._settle(records[index + 1 :], NO_SOURCE(shot=index + 1))
                    return
            progress.video = await self.joined(records[0].owner, progress.group_id)
        finally:
            if lease in self.held:
                self.held.discard(lease)
                await asyncio.shield(asyncio.to_thread(leases.release, lease))
            progress.done = True
            progress.current = None
            progress.changed()

    async def _shot(
        self, conn: Connection, progress: BoardProgress, record: RunRecord, source: str | None
    ) -> RunUpdate | None:
        """Send one waiting shot (its request gets the clip it continues) and wait for how it ends."""
        tracker, store = self.service.tracker, self.service.store
        body = dict(record.request)
        if body.get("first_frame_image") in (PENDING_CLIP_URL, PENDING_FRAME_URL):
            if source is None:
                return None
            body["first_frame_image"] = source
        sent, ticket = tracker.prepare(body, conn)
        record.request, record.phase = sent, Phase.SUBMITTING
        # Marked as sending before it is sent: a restart from here on never sends it again.
        await store.call(store.update, record.run_id, request=sent, phase=Phase.SUBMITTING)
        run = tracker.submit_recorded(conn, record, ticket)
        return await self._followed(progress, run)

    async def _followed(self, progress: BoardProgress, run: TrackedRun) -> RunUpdate:
        progress.current = run
        progress.changed()
        final = run.latest
        async for update in run.updates():
            final = update
        return final

    async def _settle(self, records: Sequence[RunRecord], message: str) -> None:
        store = self.service.store
        for record in records:
            if record.phase == Phase.WAITING:
                record.phase = Phase.CANCELLED
                await store.call(store.update, record.run_id, phase=Phase.CANCELLED, charged=False, message=message)

    async def rerun_from(
        self, conn: Connection, visitor: Visitor, group_id: str, index: int
    ) -> BoardStarted | BoardInvalid | Refused:
        """Make shot ``index`` and every shot after it again, continuing from the shot before; the others stay.

        The replaced shots stay in the history as the runs they were, moved to a group of their own;
        the new ones are reserved against the budget together, as a board is.
        """
        records = await self.service.group_runs(visitor, group_id)
        if not records or not 0 <= index < len(records) or any(not r.phase.finished for r in records):
            return Refused(NOT_RERUNNABLE(), "board")
        if index > 0 and (records[index - 1].phase != Phase.COMPLETED or not records[index - 1].urls):
            return Refused(NOT_RERUNNABLE(), "board")
        settings, shots = board_of(records)
        plan = plan_board(settings, shots, self.service.settings.operator_prices)
        if not plan.ok:
            return BoardInvalid(plan)
        fresh = []
        for shot_index in range(index, len(records)):
            built = plan.shots[shot_index].built
            assert built.body is not None
            body = dict(built.body) if shot_index else self.service.tracker.visitor_body(records[0].request)
            record = self.service.new_record(conn, visitor, built, body)
            record.group_id, record.group_kind, record.group_index = group_id, GroupKind.STORYBOARD, shot_index
            record.phase = Phase.WAITING
            fresh.append(record)
        outcome = await self.service.budget.reserve_group(conn, visitor, fresh)
        if not isinstance(outcome, GroupReserved):
            return Refused(self.service.budget.refusal(outcome), "budget")
        store = self.service.store
        await store.call(
            store.regroup, [r.run_id for r in records[index:]], f"{group_id}-replaced-{uuid.uuid4().hex[:6]}"
        )
        self.joined_path(records[0]).unlink(missing_ok=True)  # joined again once the new shots are made
        kept = records[:index] + outcome.records
        source = records[index - 1].urls[0] if index else None
        self._boards.pop(group_id, None)
        self._drive(conn, group_id, kept, index, source)
        return BoardStarted(plan, group_id, kept)

    async def rerun_cost(self, owner: str, group_id: str, index: int) -> float | None:
        """What making shot ``index`` and the shots after it again would cost (None: no set price)."""
        records = await self.service.group_runs(owner, group_id)
        settings, shots = board_of(records)
        plan = plan_board(settings, shots, self.service.settings.operator_prices)
        costs = [s.cost for s in plan.shots[index:]]
        return None if not costs or any(c is None for c in costs) else round(sum(c for c in costs if c), 4)

    def joined_path(self, record: RunRecord) -> Path:
        """Where the joined video of the board ``record`` belongs to is kept, beside its shots' files."""
        return board_file(self.service.tracker.media_dir, record.owner, record.group_id or "")

    async def joined(self, owner: str, group_id: str) -> JoinResult | None:
        """The board's one video: joined once every shot has its clip (again after a restart), else None."""
        records = await self.service.group_runs(owner, group_id)
        if not records or any(r.phase != Phase.COMPLETED or not r.files for r in records):
            return None
        dest = self.joined_path(records[0])
        lock = self._joining.setdefault(group_id, asyncio.Lock())
        async with lock:  # the page and the API may ask together; one join writes the file
            media = self.service.tracker.media
            if dest.is_file() or await media.fetch(dest):
                return JoinResult(dest, sum(r.request.get("duration") or 0 for r in records), True, len(records))
            clips = [await media.fetch(r.files[0]) for r in records]
            if any(clip is None for clip in clips):
                return None
            try:
                # Stream copy in a thread: the clips pass through packet by packet, never decoded.
                joined = await asyncio.to_thread(join_clips, [c for c in clips if c is not None], dest)
            except JoinFailed:
                return None
            await media.keep(dest)
            return joined

    async def close(self) -> None:
        """Stop driving (the process is stopping): waiting shots stay waiting, for :meth:`resume` to go on with."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def cancel(self, owner: str, group_id: str) -> bool:
        """Stop a board of ``owner``'s after the shot being made (which Cancel on the page may still stop)."""
        records = await self.service.group_runs(owner, group_id)
        if not records:
            return False
        progress = self._boards.get(group_id)
        if progress is not None and not progress.done:
            progress.cancelled = True
            return True
        await self._settle([r for r in records if r.phase == Phase.WAITING], NOT_RUN_CANCELLED())
        return True

    async def resume(self) -> int:
        """After a restart: go on with every board that has a shot never sent; how many boards."""
        service, store = self.service, self.service.store
        resumed = 0
        for owner, group_id in await store.call(store.waiting_groups, GroupKind.STORYBOARD):
            current = self._boards.get(group_id)
            if current is not None and not current.done:
                continue  # this replica drives it now
            records = await service.group_runs(owner, group_id)
            start = next(i for i, r in enumerate(records) if r.phase == Phase.WAITING)
            conn = service.connection_for_record(records[start])
            if conn is None and records[start].mode != Mode.DEMO:
                continue  # its key is the visitor's own: the page goes on with it (see BoardTab)
            if not await asyncio.to_thread(service.tracker.leases.claim, board_lease(group_id)):
                continue  # another replica drives it
            if conn is None or records[start].mode == Mode.DEMO:  # the embedded simulator starts empty
                await self._settle(records[start:], DEMO_BOARD_GONE())
                continue
            self._boards.setdefault(group_id, BoardProgress(group_id))
            task = asyncio.create_task(self._go_on(conn, owner, records, start))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
            resumed += 1
        return resumed

    async def _go_on(self, conn: Connection, owner: str, records: list[RunRecord], start: int) -> None:
        """Wait for the shot before ``start`` (the tracker may be polling it again), then drive from ``start``."""
        progress = self._boards[records[0].group_id or ""]
        source = None
        if start > 0:
            before = records[start - 1]
            live = self.service.tracker.live(owner, before.run_id)
            final = await self._followed(progress, live) if live is not None else None
            record = await self.service.store.call(self.service.store.owned_run, owner, before.run_id)
            if record is None or record.phase != Phase.COMPLETED:
                await self._settle(records[start:], NOT_RUN(shot=start))
                progress.done = True
                progress.changed()
                return
            urls = final.video_urls if final is not None and final.video_urls else tuple(record.urls)
            source = urls[0] if urls else None
        await self._run(conn, progress, records, start, source)
