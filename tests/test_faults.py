"""Faults on submit, poll and download, injected by the simulator, seen the way the page sees them.

Each case scripts one misbehaviour of the service (an HTTP status, a dropped connection, a body cut
short, a lie about the status, a lost task, a link that refuses, a trickle), runs a whole task
through :func:`playground.runs.engine.run_task` (whose updates are what the page shows) and checks:

* the page ends in a clear state: the expected phase, a sentence saying what happened, and the
  task id in the rendered status panel whenever the service created a task we know of;
* the task id, once known, is in every later update (never lost);
* the service never holds more tasks for the visitor than they asked for (never submitted twice);
* where the fault clears, the run recovers and the video is saved.

``python -m pytest tests/test_faults.py -s`` prints the figures at the end.
"""

from __future__ import annotations

import asyncio
import dataclasses
import email.utils
import functools
import html
import shutil
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from playground.runs import engine as runs
from playground.runs.engine import RunUpdate, run_task
from playground.simulator import SimulatorConfig, SimulatorServer, engine, key_fingerprint
from playground.veo import FormValues, build_request
from playground.wave import PollPolicy, RetryPolicy, WaveClient
from playground.web.view import status_panel

#: The client gives up on any one answer after this long; "timeout" faults wait longer. Generous,
#: because the cases run side by side on two cores and a busy loop must not look like a fault.
CLIENT_TIMEOUT = 1.5
TOO_SLOW = 3.0
#: How many cases run at once against the one simulator (each with its own key and faults).
CONCURRENCY = 50
RETRY = RetryPolicy(attempts=4, base_delay=0.01, max_delay=0.05, max_retry_after=2.0)


def fast_poll(deadline: float = 20.0) -> PollPolicy:
    """Every pause the policy knows of (whatever its fields are called) kept short."""
    pauses = {f.name: 0.1 for f in dataclasses.fields(PollPolicy) if f.name.endswith("_interval")}
    return PollPolicy(**{**pauses, "max_interval": 0.2}, expected_seconds=0.3, deadline=deadline)


FAST_DOWNLOADS = runs.DownloadPolicy(
    read_timeout=CLIENT_TIMEOUT, connect_timeout=1.0, deadline=10.0, attempts=3, retry_delay=0.05
)
DONE = "Done:"
UNCERTAIN = "may have been created"
NOT_SAVED = "could not be saved"


@dataclass(frozen=True)
class Case:
    name: str
    #: ``sim.faults.add`` keyword arguments, ``route`` included, in the order they strike.
    faults: tuple[dict[str, Any], ...]
    #: The phase the page ends in, and a phrase its message must contain.
    phase: str = "completed"
    says: str = DONE
    #: Tasks the service holds for this visitor afterwards, and POST /v1/tasks it received.
    tasks: int = 1
    posts: int = 1
    #: A phrase some update before the end must show (what the page says meanwhile).
    shows: str | None = None
    config: dict[str, Any] = field(default_factory=dict)
    deadline: float | None = None

    @property
    def settle(self) -> float:
        """How long the service may still be working on a request the client gave up on."""
        return max([f.get("delay", 0.0) for f in self.faults if f.get("kind") != "trickle"] + [0.0])


def _date_in(seconds: float) -> str:
    return email.utils.formatdate(time.time() + seconds, usegmt=True)


def _server_errors(route: str, times: int, **expected: Any) -> list[Case]:
    return [
        Case(f"{route}-{status}", ({"route": route, "status": status, "times": times},), **expected)
        for status in (500, 502, 503, 504)
    ]


SUBMIT = [
    Case("submit-429-retry-after", ({"route": "submit", "status": 429, "retry_after": 0.2},), posts=2),
    Case("submit-429-no-retry-after", ({"route": "submit", "status": 429},), posts=2),
    Case(
        "submit-429-retry-after-http-date",
        ({"route": "submit", "status": 429, "retry_after": lambda: _date_in(1)},),
        posts=2,
    ),
    Case("submit-429-retry-after-junk", ({"route": "submit", "status": 429, "retry_after": "soon"},), posts=2),
    Case(
        "submit-429-persistent",
        ({"route": "submit", "status": 429, "times": 10},),
        "error",
        "rate limiting",
        tasks=0,
        posts=RETRY.attempts,
    ),
    *_server_errors("submit", 1, phase="uncertain", says=UNCERTAIN, tasks=0),
    Case("submit-reset", ({"route": "submit", "kind": "reset"},), "uncertain", UNCERTAIN, tasks=0),
    Case(
        "submit-reset-after-work", ({"route": "submit", "kind": "reset", "after_work": True},), "uncertain", UNCERTAIN
    ),
    Case("submit-timeout", ({"route": "submit", "status": 200, "delay": TOO_SLOW},), "uncertain", UNCERTAIN),
    Case("submit-502-html", ({"route": "submit", "status": 502, "malformed": True},), "uncertain", UNCERTAIN, tasks=0),
    Case("submit-200-html", ({"route": "submit", "status": 200, "malformed": True},), "uncertain", UNCERTAIN, tasks=0),
    Case("submit-200-truncated-json", ({"route": "submit", "kind": "truncate"},)),
    Case("submit-cut-mid-answer", ({"route": "submit", "kind": "cut"},), "uncertain", UNCERTAIN),
]

POLL = [
    Case("get-429-retry-after", ({"route": "get", "status": 429, "retry_after": 0.1, "times": 2},)),
    Case("get-429-no-retry-after", ({"route": "get", "status": 429, "times": 2},)),
    *_server_errors("get", 3),
    Case("get-reset", ({"route": "get", "kind": "reset", "times": 2},)),
    Case("get-timeout", ({"route": "get", "status": 200, "delay": TOO_SLOW},)),
    Case("get-502-html", ({"route": "get", "status": 502, "malformed": True, "times": 2},)),
    Case("get-200-html", ({"route": "get", "status": 200, "malformed": True, "times": 2},)),
    Case("get-200-truncated-json", ({"route": "get", "kind": "truncate", "times": 2},)),
    Case("get-cut-mid-answer", ({"route": "get", "kind": "cut", "times": 2},)),
    # More failures in a row than one reload retries: the wait itself must keep going.
    Case("get-503-burst", ({"route": "get", "status": 503, "times": 3 * RETRY.attempts},)),
    Case(
        "get-unknown-status",
        ({"route": "get", "kind": "odd_status", "status_value": "rendering", "times": 3},),
        shows="rendering",
    ),
    Case("get-task-turns-404", ({"route": "get", "kind": "gone", "times": 1000},), "error", "does not know this task"),
    Case(
        "get-outage-past-deadline",
        ({"route": "get", "status": 503, "times": 1000},),
        "timeout",
        "keep the task id",
        deadline=1.0,
    ),
]

DOWNLOAD = [
    Case("media-403", ({"route": "media", "status": 403},), "error", "expire", shows="saving"),
    Case("media-link-expired", (), "error", "expire", config={"link_lifetime": 0.0}),
    Case("media-404", ({"route": "media", "kind": "gone"},), "error", "expire"),
    *_server_errors("media", 1),
    Case("media-reset", ({"route": "media", "kind": "reset"},)),
    Case("media-cut-mid-file", ({"route": "media", "kind": "cut"},)),
    Case("media-timeout", ({"route": "media", "status": 200, "delay": TOO_SLOW},)),
    Case(
        "media-very-slow",
        ({"route": "media", "kind": "trickle", "chunk_bytes": 32 * 1024, "delay": 0.05},),
        shows="saving",
    ),
    Case(
        "media-stalled",
        ({"route": "media", "kind": "trickle", "chunk_bytes": 4096, "delay": 30.0, "times": FAST_DOWNLOADS.attempts},),
        "error",
        "broke off",
    ),
]

CASES = SUBMIT + POLL + DOWNLOAD


@dataclass
class Outcome:
    """What one case left behind: the page's updates and what the service holds."""

    updates: list[RunUpdate]
    held: list[str]
    posts: int
    folder: Path

    @property
    def final(self) -> RunUpdate:
        return self.updates[-1]

    def ids_dropped(self) -> int:
        """Updates that came after the task id was known but do not carry it."""
        first = next((i for i, u in enumerate(self.updates) if u.task_id), None)
        if first is None:
            return 0
        return sum(1 for u in self.updates[first:] if u.task_id != self.updates[first].task_id)

    def lost(self) -> list[str]:
        """Tasks the service made whose id the page does not show, without saying one may exist."""
        page = status_panel(self.final)
        return [t for t in self.held if t not in page and self.final.phase != "uncertain"]


def _body() -> dict[str, Any]:
    built = build_request(FormValues(prompt="A lighthouse in a storm", duration=4, resolution="720p"))
    assert built.ok
    return built.body


def key_for(case: Case) -> str:
    return f"sk-fault-{case.name}"


async def run_case(sim: SimulatorServer, case: Case, key: str, folder: Path) -> Outcome:
    """Script the case's faults for this key only, run a task through ``run_task``, then look."""
    owner = key_fingerprint(key)
    for fault in case.faults:  # a callable value is computed now (an HTTP date must be fresh)
        sim.faults.add(**{k: v() if callable(v) else v for k, v in fault.items()}, owner=owner)
    policy = fast_poll(case.deadline or 20.0)
    started = time.monotonic()
    async with WaveClient(key, sim.base_url, timeout=httpx.Timeout(CLIENT_TIMEOUT, connect=1.0), retry=RETRY) as client:
        updates = [u async for u in run_task(client, _body(), folder, policy)]
    # A request the client gave up on may still be creating its task (later still on a busy machine).
    await asyncio.sleep(max(0.0, case.settle - (time.monotonic() - started)))
    for _ in range(30 if case.settle else 0):
        if sum(t.owner == owner for t in list(sim.sim.tasks.values())) >= case.tasks:
            break
        await asyncio.sleep(0.1)
    held = [t.id for t in list(sim.sim.tasks.values()) if t.owner == owner]
    posts = sum(1 for r in sim.sim.submissions() if r.key == owner)
    return Outcome(updates, held, posts, folder)


async def run_cases(
    sim: SimulatorServer, cases: list[Case], folder: Path, key: Callable[[Case], str] = key_for
) -> dict[str, Outcome | BaseException]:
    """Every case at once (``CONCURRENCY`` at a time); a case that raises is reported, not fatal."""
    gate = asyncio.Semaphore(CONCURRENCY)

    async def one(case: Case) -> Outcome:
        async with gate:
            return await run_case(sim, case, key(case), folder / case.name)

    results = await asyncio.gather(*(one(c) for c in cases), return_exceptions=True)
    return {c.name: r for c, r in zip(cases, results, strict=False)}


class RenderOnce:
    """The simulator renders a request the same way every time, so each distinct request is rendered
    once and later tasks get a copy: dozens of concurrent cases would otherwise queue on two cores.
    Every task still gets its own real MP4 file, served and downloaded like any other."""

    def __init__(self, real: Callable[[Path, dict], Awaitable[None]]) -> None:
        self.real = real
        self.first: dict[str, Path] = {}
        self.locks: dict[tuple[int, str], asyncio.Lock] = {}

    async def __call__(self, path: Path, spec: dict[str, Any]) -> None:
        key = repr(sorted(spec.items()))
        async with self.locks.setdefault((id(asyncio.get_running_loop()), key), asyncio.Lock()):
            source = self.first.get(key)
            if source is None or not source.exists():
                await self.real(path, spec)
                self.first[key] = path
                return
        await asyncio.to_thread(shutil.copyfile, source, path)


@contextmanager
def rendered_once() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(engine, "_render_elsewhere", RenderOnce(engine._render_elsewhere))
        yield


@contextmanager
def fast_downloads() -> Iterator[None]:
    """The page's own download path with test-sized timeouts (the defaults wait a minute per read)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(runs, "download_results", functools.partial(runs.download_results, policy=FAST_DOWNLOADS))
        yield


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Iterator[dict]:
    """All cases, run once against one simulator: the concurrent ones together, then the ones that
    change the simulator's settings one by one."""
    config = SimulatorConfig(queue_seconds=0.05, processing_seconds=0.1, progress_steps=2)
    folder = tmp_path_factory.mktemp("fault-runs")
    results: dict[str, Outcome | BaseException] = {}
    with (
        SimulatorServer.start_new(tmp_path_factory.mktemp("fault-sim"), config) as sim,
        fast_downloads(),
        rendered_once(),
    ):
        results.update(asyncio.run(run_cases(sim, [c for c in CASES if not c.config], folder)))
        for case in (c for c in CASES if c.config):
            saved = {name: getattr(sim.config, name) for name in case.config}
            for name, value in case.config.items():
                setattr(sim.config, name, value)
            results.update(asyncio.run(run_cases(sim, [case], folder)))
            for name, value in saved.items():
                setattr(sim.config, name, value)
    yield results
    _print_figures(request, _figures(results))


def _figures(results: dict[str, Outcome | BaseException]) -> dict[str, Any]:
    done = {n: r for n, r in results.items() if isinstance(r, Outcome)}
    by_name = {c.name: c for c in CASES}
    unexpected = [n for n, r in results.items() if not isinstance(r, Outcome) or not _as_expected(by_name[n], r)]
    return {
        "cases tried": f"{len(results)} ({len(SUBMIT)} submit, {len(POLL)} poll, {len(DOWNLOAD)} download)",
        "recovered to a saved video": sum(r.final.phase == "completed" for r in done.values()),
        "warned 'may have been created'": sum(r.final.phase == "uncertain" for r in done.values()),
        "  of which the service had made one": sum(
            r.final.phase == "uncertain" and bool(r.held) for r in done.values()
        ),
        "tasks lost": sum(len(r.lost()) for r in done.values()),
        "duplicate submissions": sum(max(0, len(r.held) - 1) for r in done.values()),
        "updates that dropped the task id": sum(r.ids_dropped() for r in done.values()),
        "cases not as expected": f"{len(unexpected)} {unexpected}" if unexpected else 0,
    }


def _as_expected(case: Case, outcome: Outcome) -> bool:
    final = outcome.final
    return (
        (final.phase, case.says in final.message, len(outcome.held), outcome.posts)
        == (case.phase, True, case.tasks, case.posts)
        and not outcome.lost()
        and not outcome.ids_dropped()
    )


def _print_figures(request: pytest.FixtureRequest, figures: dict[str, Any]) -> None:
    capture = request.config.pluginmanager.getplugin("capturemanager")
    with capture.global_and_fixture_disabled():
        print("\n\nFaults: figures")
        for name, value in figures.items():
            print(f"  {name + ':':38} {value}")


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_fault(case: Case, outcomes: dict[str, Outcome | BaseException]) -> None:
    outcome = outcomes[case.name]
    if isinstance(outcome, BaseException):
        raise outcome
    final, updates = outcome.final, outcome.updates
    page = status_panel(final)
    assert final.phase == case.phase, final.message
    assert case.says in final.message, final.message
    assert html.escape(final.message) in page, "the status panel does not show the message"
    assert not outcome.lost(), f"the page does not show task {outcome.lost()}"
    assert outcome.ids_dropped() == 0, [u.task_id for u in updates]
    assert (len(outcome.held), outcome.posts) == (case.tasks, case.posts), "tasks held, POSTs received"
    if case.shows:
        assert any(case.shows in u.message for u in updates[:-1]), [u.message for u in updates]
    if outcome.held and final.phase != "uncertain":
        assert all(u.task_id == outcome.held[0] for u in updates[1:]), "an update after submission lacks the id"
        assert outcome.held[0] in page
    if final.phase == "completed":
        assert final.videos and all(p.stat().st_size > 1000 and p.suffix == ".mp4" for p in final.videos)
    if final.phase == "error" and final.video_urls:
        assert NOT_SAVED in final.message and all(url in final.message for url in final.video_urls), (
            "the page must say the video exists and offer its links"
        )
    assert not list(outcome.folder.rglob("*.part")), "a half-written download was left behind"
