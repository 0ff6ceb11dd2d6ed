"""The ``compare`` section: an 8-cell compare grid's overhead over one run, in-process on the demo
:class:`RunService` (no page, no browser). From the simulator marking each task completed to the
finished update being yielded: through :meth:`RunService.start` and ``run.updates()`` for one run;
through :func:`start_grid` and :func:`merged_updates` for the grid, from the latest of the 8
completions to the last cell's finished update. Also the grid's time from submit to every cell
holding a task id."""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from playground import veo
from playground.app import create_playground
from playground.runs import (
    FrameInputs,
    GridStarted,
    Phase,
    RunService,
    RunUpdate,
    Started,
    Visitor,
    merged_updates,
    start_grid,
)
from playground.settings import Settings
from playground.simulator import SimulatorServer

from .report import Figure, note

CELLS = 8
#: Seeds vary the cells; of the fast models only the older page's ``veo-3.1-fast`` takes a seed.
BASE = veo.Variant("veo-3.1-fast", duration=4)
PROMPT = "bench compare: a lighthouse at dusk, waves breaking below"
#: Demo timings shorter than the app's 2 s + 12 s: what is measured is what follows the completion.
QUEUE_SECONDS, PROCESSING_SECONDS = 1.0, 4.0


@dataclass
class Trial:
    #: Latest completion to last finished update yielded; None when a run did not complete.
    overhead: float | None = None
    #: Submit to every run holding a task id.
    submitted: float | None = None
    #: Per run: completion to the first update past it (the poll that saw it), and to its finished update.
    caught: list[float] = field(default_factory=list)
    shown: list[float] = field(default_factory=list)


async def watch(
    sim: SimulatorServer, count: int, submitted_at: float, updates: AsyncIterator[tuple[int, RunUpdate]]
) -> Trial:
    """Consume the updates until every run finished; time them against the simulator's completions."""
    task_ids: dict[int, str] = {}
    caught: dict[int, float] = {}
    finals: dict[int, tuple[RunUpdate, float]] = {}
    trial = Trial()
    async for index, update in updates:
        now = time.monotonic()
        if update.task_id:
            task_ids.setdefault(index, update.task_id)
            if trial.submitted is None and len(task_ids) == count:
                trial.submitted = now - submitted_at
        if update.phase == Phase.DOWNLOADING or update.finished:
            caught.setdefault(index, now)
        if update.finished:
            finals[index] = (update, now)
    done: dict[int, float] = {}
    for index, (update, _) in finals.items():
        task = sim.sim.tasks.get(update.task_id or "")
        if update.phase == Phase.COMPLETED and task is not None and task.completed_monotonic is not None:
            done[index] = task.completed_monotonic
    if len(done) == count:
        trial.overhead = max(at for _, at in finals.values()) - max(done.values())
        trial.caught = [caught[i] - done[i] for i in done]
        trial.shown = [finals[i][1] - done[i] for i in done]
    return trial


async def one_run(service: RunService, visitor: Visitor, sim: SimulatorServer, n: int) -> Trial:
    built = veo.plan_grid("generate", f"{PROMPT} (run {n})", [replace(BASE, seed=n)]).cells[0].built
    submitted_at = time.monotonic()
    started = await service.start(service.connection("", visitor), visitor, built)
    if not isinstance(started, Started):
        raise RuntimeError(f"one run refused: {started.message}")

    async def tagged() -> AsyncIterator[tuple[int, RunUpdate]]:
        async for update in started.run.updates():
            yield 0, update

    return await watch(sim, 1, submitted_at, tagged())


async def one_grid(service: RunService, visitor: Visitor, sim: SimulatorServer, n: int) -> Trial:
    variants, conn = veo.seeds(BASE, 1 + CELLS * n, CELLS), service.connection("", visitor)
    submitted_at = time.monotonic()
    started = await start_grid(service, conn, visitor, "generate", f"{PROMPT} (grid {n})", variants, FrameInputs())
    if not isinstance(started, GridStarted):
        raise RuntimeError(f"grid refused: {started.message}")
    return await watch(sim, CELLS, submitted_at, merged_updates(started.runs))


async def _trials(service: RunService, sim: SimulatorServer, grids: int) -> tuple[list[Trial], list[Trial]]:
    visitor, runs, cells = Visitor("bench"), [], []
    try:
        for n in range(grids):  # alternated, so any drift over the section falls on both alike
            runs.append(await one_run(service, visitor, sim, n))
            cells.append(g := await one_grid(service, visitor, sim, n))
            if g.overhead is not None:
                note(
                    f"grid {n + 1}: last cell shown {g.overhead:.3f} s after the last completion (one run: "
                    f"{runs[-1].overhead or 0:.3f} s); per cell, a poll saw it {min(g.caught):.3f}-"
                    f"{max(g.caught):.3f} s and it was shown {min(g.shown):.3f}-{max(g.shown):.3f} s after it completed"
                )
    finally:
        await service.tracker.close()
    return runs, cells


def _stat(values: list[float | None], how: str) -> float | None:
    got = [v for v in values if v is not None]
    return (statistics.median(got) if how == "median" else max(got)) if got else None


def compare(grids: int) -> list[Figure]:
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="bench-compare-") as tmp:
        settings = Settings(
            demo=True, data_dir=Path(tmp), sim_queue_seconds=QUEUE_SECONDS, sim_processing_seconds=PROCESSING_SECONDS
        )
        playground = create_playground(settings, env={})
        assert playground.simulator is not None
        try:
            runs, cells = asyncio.run(_trials(playground.context, playground.simulator, grids))
        finally:
            playground.close()
    note(f"compare: {grids} single runs and {grids} grids of {CELLS} in {time.monotonic() - started:.0f} s")
    one, grid = [t.overhead for t in runs], [t.overhead for t in cells]
    one_med, grid_med = _stat(one, "median"), _stat(grid, "median")
    diff = grid_med - one_med if grid_med is not None and one_med is not None else None
    s, g = "compare", f"{CELLS}-cell grid"
    return [
        Figure(s, "one run: completed to finished update, median", one_med, "s"),
        Figure(s, "one run: completed to finished update, max", _stat(one, "max"), "s"),
        Figure(s, f"{g}: last completed to last cell shown, median", grid_med, "s"),
        Figure(s, f"{g}: last completed to last cell shown, max", _stat(grid, "max"), "s"),
        Figure(s, "grid overhead over one run (difference of medians)", diff, "s"),
        Figure(s, "one run: submit to task id, median", _stat([t.submitted for t in runs], "median"), "s"),
        Figure(s, f"{g}: submit to every cell's task id, median", _stat([t.submitted for t in cells], "median"), "s"),
        Figure(s, f"{g}: submit to every cell's task id, max", _stat([t.submitted for t in cells], "max"), "s"),
        Figure(s, "runs or grids not completed", float(sum(t.overhead is None for t in runs + cells)), "", 0.0),
    ]
