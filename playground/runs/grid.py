"""A compare grid from the visitor's inputs to running cells: judged whole, frames hosted once, started as one group.

The page and the ``/compare`` endpoint both start grids here, so a grid the page refuses is refused
over the API with the same words, and nothing is uploaded or sent for a grid that is not valid.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..texts import Message, text
from ..veo import REQUIRED_IMAGES, FormValues, GridPlan, Variant, plan_grid
from .connection import key_fingerprint
from .engine import RunUpdate
from .frames import PENDING_FRAME_URL, FrameError, FrameInputs
from .live import TrackedRun
from .ownership import Refused
from .phases import GroupKind, Phase
from .record import RunRecord

if TYPE_CHECKING:
    from .connection import Connection
    from .service import RunService
    from .visitors import Visitor

#: The actions a grid can run: one prompt and, for the image actions, the same frames in every cell.
#: Remix is left out: a continuation compares best in its own tab, from one source clip.
GRID_ACTIONS = ("generate", "image2video", "first_last_frame")

NOT_A_GRID_ACTION = text(
    "runs.grid.not_a_grid_action", "A grid runs generate, image2video or first_last_frame; got {action}."
)


@dataclass(frozen=True)
class GridInvalid:
    """A grid refused before anything was uploaded or sent; ``plan`` says which cell and why."""

    plan: GridPlan
    problems: tuple[Message, ...]

    @property
    def message(self) -> str:
        return "; ".join(self.problems)


@dataclass(frozen=True)
class GridStarted:
    """Every cell running, as ordinary runs of one group, in the grid's order."""

    plan: GridPlan
    group_id: str
    runs: list[TrackedRun]
    #: What the frames' checks and hosting said (host used, warnings), for the page.
    notes: list[str] = field(default_factory=list)


def frames_given(action: str, inputs: FrameInputs) -> dict[str, str | None]:
    """Placeholders for the frames the visitor gave, so the grid is judged and priced before any upload."""
    out: dict[str, str | None] = {}
    for name in REQUIRED_IMAGES.get(action, ()):
        which = name.removesuffix("_frame_image")
        given = getattr(inputs, f"{which}_file") or (getattr(inputs, f"{which}_url") or "").strip()
        out[name] = PENDING_FRAME_URL if given else None
    return out


def judge_grid(
    action: str,
    prompt: str,
    variants: Sequence[Variant],
    frames: Mapping[str, str | None] | None = None,
    operator_prices: Mapping[str, float] | None = None,
) -> GridPlan | GridInvalid:
    """The grid planned and priced; or refused, with every cell's problems, when any cell is invalid."""
    plan = plan_grid(action, prompt, variants, frames, operator_prices)
    if action not in GRID_ACTIONS:
        return GridInvalid(plan, (NOT_A_GRID_ACTION(action=action or "nothing"),))
    return plan if plan.ok else GridInvalid(plan, plan.problems)


async def start_grid(
    service: RunService,
    conn: Connection,
    visitor: Visitor,
    action: str,
    prompt: str,
    variants: Sequence[Variant],
    inputs: FrameInputs,
) -> GridStarted | GridInvalid | Refused:
    """Judge every cell, host the frames once, then start all cells together (or none, on a cap)."""
    prices = dict(service.settings.operator_prices)
    judged = judge_grid(action, prompt, variants, frames_given(action, inputs), prices)
    if isinstance(judged, GridInvalid):
        return judged
    notes: list[str] = []
    frames: dict[str, str | None] = {}
    if REQUIRED_IMAGES.get(action):
        # Every cell shows the same frames; their aspect only words the checks' warnings.
        aspect = next((c.variant.aspect_ratio for c in judged.cells if c.variant.aspect_ratio), None) or "16:9"
        values = FormValues(model=variants[0].model, action=action, prompt=prompt, aspect_ratio=aspect)
        try:
            hosted, notes = await service.frames.resolve(conn, visitor.owner, inputs, values)
        except FrameError as exc:
            return Refused(exc.message, exc.field)
        frames = {k: v for k, v in hosted.items() if isinstance(v, str) or v is None}
    plan = plan_grid(action, prompt, variants, frames, prices)
    if not plan.ok:  # a hosted link the rules refuse: said, and still nothing sent
        return GridInvalid(plan, plan.problems)
    started = await service.start_group(conn, visitor, [c.built for c in plan.cells], GroupKind.COMPARE)
    if isinstance(started, Refused):
        return started
    return GridStarted(plan, started.group_id, started.runs, notes)


async def merged_updates(runs: Sequence[TrackedRun]) -> AsyncIterator[tuple[int, RunUpdate]]:
    """Every cell's updates as they come, tagged with the cell's index, until every cell has finished."""
    queue: asyncio.Queue[tuple[int, RunUpdate | None]] = asyncio.Queue()

    async def pump(index: int, run: TrackedRun) -> None:
        try:
            async for update in run.updates():
                await queue.put((index, update))
        finally:
            await queue.put((index, None))

    pumps = [asyncio.create_task(pump(i, run)) for i, run in enumerate(runs)]
    open_cells = len(pumps)
    try:
        while open_cells:
            index, update = await queue.get()
            if update is None:
                open_cells -= 1
                continue
            yield index, update
    finally:
        for task in pumps:
            task.cancel()


def outcome_word(phase: Phase) -> str:
    """A finished cell's status as ``/compare`` names it."""
    if phase == Phase.COMPLETED:
        return "completed"
    return "cancelled" if phase == Phase.CANCELLED else "failed"


def settled(record: RunRecord) -> TrackedRun:
    """A run that ended while nobody watched, as a run whose only update is how it ended."""
    final = RunUpdate(
        record.phase,
        record.message,
        task_id=record.task_id,
        progress=100,
        videos=tuple(Path(path) for path in record.files),
        video_urls=tuple(record.urls),
        queued_seconds=record.queued_seconds,
        processing_seconds=record.processing_seconds,
    )
    return TrackedRun(record, final)


async def follow_group(
    service: RunService, conn: Connection, owner: str, records: Sequence[RunRecord]
) -> list[TrackedRun | None]:
    """Each run of a group to follow again after a refresh or a restart: the live run, how it ended,
    a fresh poll, or None where it ran on a key this connection does not hold (the page says so)."""
    followed: list[TrackedRun | None] = []
    for record in records:
        live = service.tracker.live(owner, record.run_id)
        if live is not None:
            followed.append(live)
        elif record.finished:
            followed.append(settled(record))
        elif not record.task_id or conn.mode != record.mode or key_fingerprint(conn.api_key) != record.key_fingerprint:
            followed.append(None)
        else:
            followed.append(await service.tracker.attach(conn, owner, record.task_id))
    return followed
