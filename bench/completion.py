"""The ``completion`` and ``callbacks`` sections: simulated tasks of 5 s to 90 s run at once through
:func:`runs.run_task`, the generator the page consumes, timed from the simulator marking each task
completed to the generator yielding the finished video; ``callbacks`` does the same with a
:class:`CallbackHub` on a loopback server as the public URL."""

from __future__ import annotations

import asyncio
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playground import veo
from playground.net import ServerThread
from playground.runs import engine as runs
from playground.runs.callbacks import CallbackHub, with_callback
from playground.simulator import SimulatorConfig, SimulatorServer
from playground.wave import PollPolicy, WaveClient

from .report import Figure, note, percentile

BENCH_KEY = "sk-bench-0123456789"


@dataclass
class RunOutcome:
    prompt: str
    phase: str = ""
    task_id: str | None = None
    shown_at: float | None = None


@dataclass
class CompletionResult:
    latencies: list[float] = field(default_factory=list)
    polls: int = 0
    task_minutes: float = 0.0
    lost: int = 0

    @property
    def polls_per_minute(self) -> float | None:
        return self.polls / self.task_minutes if self.task_minutes else None


@dataclass(frozen=True)
class CompletionPlan:
    tasks: int = 24
    expected_seconds: float = 90.0


def spread(count: int, low: float = 5.0, high: float = 90.0) -> list[float]:
    """Task lengths evenly spread over [low, high]."""
    if count == 1:
        return [high]
    return [low + (high - low) * i / (count - 1) for i in range(count)]


def timing_by_prompt(
    lengths: dict[str, float], fallback: tuple[float, float] = (1.0, 3.0)
) -> Callable[[dict[str, Any]], tuple[float, float]]:
    """The simulator's per-task timing: a task's whole length, of which up to 2 s queued."""

    def timing(body: dict[str, Any]) -> tuple[float, float]:
        total = lengths.get(str(body.get("prompt")))
        if total is None:
            return fallback
        queued = min(2.0, 0.2 * total)
        return queued, total - queued

    return timing


def request_body(prompt: str) -> dict[str, Any]:
    built = veo.build_request(veo.FormValues(prompt=prompt, duration=4, resolution="720p"))
    if not built.ok:
        raise RuntimeError(built.message())
    return built.body


@contextmanager
def served_hub() -> Iterator[CallbackHub]:
    """A CallbackHub served on loopback, standing in for the app's public base URL."""
    from fastapi import FastAPI

    app = FastAPI()
    with ServerThread(app) as thread:
        hub = CallbackHub(thread.base_url)
        app.include_router(hub.router())  # after start, as the app adds it beside a launched Gradio
        yield hub


async def drive_run(
    base_url: str, prompt: str, media_dir: Path, policy: PollPolicy, hub: CallbackHub | None = None
) -> RunOutcome:
    """One run as the page drives it, noting when the finished video is yielded."""
    outcome = RunOutcome(prompt)
    ticket = hub.open() if hub is not None else None
    body = with_callback(request_body(prompt), ticket) if ticket is not None else request_body(prompt)
    try:
        async with WaveClient(BENCH_KEY, base_url) as client:
            async for update in runs.run_task(
                client, body, media_dir, policy, wake=ticket.wake if ticket is not None else None
            ):
                if ticket is not None and update.task_id and ticket.task_id is None:
                    hub.bind(ticket, update.task_id)
                outcome.task_id = update.task_id or outcome.task_id
                outcome.phase = update.phase
                if update.phase == "completed":
                    outcome.shown_at = time.monotonic()
    finally:
        if ticket is not None:
            hub.close(ticket)
    return outcome


def measure(server: SimulatorServer, outcomes: list[RunOutcome]) -> CompletionResult:
    """Completion-to-shown from the simulator's own completion times; polls from its request log."""
    result = CompletionResult()
    polls = Counter(
        r.path.rsplit("/", 1)[-1]
        for r in list(server.sim.requests)
        if r.method == "GET" and r.path.startswith("/v1/tasks/")
    )
    for outcome in outcomes:
        task = server.sim.tasks.get(outcome.task_id or "")
        if task is None or outcome.phase != "completed" or task.completed_monotonic is None:
            result.lost += 1
            continue
        result.latencies.append(outcome.shown_at - task.completed_monotonic)
        result.polls += polls[task.id]
        result.task_minutes += (task.completed_at - task.created_at) / 60
    return result


async def completion_runs(
    server: SimulatorServer, lengths: dict[str, float], media_dir: Path, policy: PollPolicy, hub: CallbackHub | None
) -> CompletionResult:
    prompts = list(lengths)
    outcomes = await asyncio.gather(*(drive_run(server.base_url, p, media_dir, policy, hub) for p in prompts))
    return measure(server, list(outcomes))


def _prompts(mode: str, lengths: list[float]) -> dict[str, float]:
    return {f"bench {mode} task {i}: a lighthouse at dusk, {s:.1f} s": s for i, s in enumerate(lengths)}


async def _completion_modes(modes: list[str], plan: CompletionPlan, tmp: Path) -> dict[str, CompletionResult]:
    """Both modes at once on one simulator, so the section takes one spread's time, ~90 s."""
    plans = {mode: _prompts(mode, spread(plan.tasks)) for mode in modes}
    everything = {p: s for prompts in plans.values() for p, s in prompts.items()}
    config = SimulatorConfig(timing=timing_by_prompt(everything))
    policy = PollPolicy(expected_seconds=plan.expected_seconds)
    with (
        SimulatorServer.start_new(tmp / "sim", config) as server,
        served_hub() if "callbacks" in modes else nullcontext() as hub,
    ):
        results = await asyncio.gather(
            *(completion_runs(server, plans[m], tmp / m, policy, hub if m == "callbacks" else None) for m in modes)
        )
    return dict(zip(modes, results, strict=True))


def completion_figures(mode: str, result: CompletionResult) -> list[Figure]:
    section = mode
    limit = 0.2 if mode == "callbacks" else 1.0
    return [
        Figure(section, "completed to video yielded, p50", percentile(result.latencies, 0.5), "s", limit),
        Figure(section, "completed to video yielded, p95", percentile(result.latencies, 0.95), "s"),
        Figure(section, "polls per task-minute", result.polls_per_minute, "", 15.0 if mode == "completion" else None),
        Figure(section, "tasks measured", float(len(result.latencies)), ""),
        Figure(section, "tasks lost", float(result.lost), "", 0.0),
    ]


def completion(modes: list[str], plan: CompletionPlan) -> list[Figure]:
    with tempfile.TemporaryDirectory(prefix="bench-completion-") as tmp:
        started = time.monotonic()
        results = asyncio.run(_completion_modes(modes, plan, Path(tmp)))
        note(f"{' + '.join(modes)}: {plan.tasks} tasks each of 5-90 s in {time.monotonic() - started:.0f} s")
    return [f for mode in modes for f in completion_figures(mode, results[mode])]
