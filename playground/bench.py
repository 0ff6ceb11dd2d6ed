"""The performance benchmark: ``python -m playground.bench [--only SECTION]``.

Every figure is measured in this one run, on this machine, against the embedded simulator over
real loopback HTTP, and printed in a table beside its target:

- ``cold-start``: seconds from launching ``app.py`` in demo mode to its first HTTP 200, beside a
  bare Gradio Blocks hello-world launched the same way (best of ``--runs`` each), and the ratio.
- ``completion``: simulated tasks of 5 s to 90 s run at once through :func:`runs.run_task`, the
  generator the page consumes; from the simulator marking each task completed to the generator
  yielding the finished video (p50, p95), and polls per task-minute from the simulator's log.
- ``callbacks``: the same, with a :class:`CallbackHub` on a loopback server as the public URL.
- ``many-tasks``: the whole app in demo mode; 50 concurrent ``/generate`` calls through
  ``gradio_client`` while the cost readout is timed, through ``/estimate`` and through the
  page's own readout event; the process's RSS, tasks completed, lost and submitted twice.
- ``large-result``: peak RSS growth while :func:`runs.download_results` streams a 200 MB result.

``tests/test_load.py`` reuses :func:`load_app` with fast simulator timings.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import math
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from contextlib import contextmanager, nullcontext, redirect_stdout
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

import httpx

from .veo import catalog
from .runs import engine as runs
from .runs.callbacks import CallbackHub, with_callback
from .wave.client import PollPolicy, WaveClient
from .net.loopback import ServerThread
from .simulator import SimulatorConfig, SimulatorServer

SECTIONS = ("cold-start", "completion", "callbacks", "many-tasks", "large-result")
REPO = Path(__file__).resolve().parents[1]
BENCH_KEY = "sk-bench-0123456789"
HELLO_WORLD = 'import gradio as gr\nwith gr.Blocks() as demo:\n    gr.Markdown("Hello")\ndemo.launch()\n'


# -- the report ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Figure:
    section: str
    name: str
    value: float | None
    unit: str = ""
    #: The figure passes when it is at most this (or at least, with ``at_least``); None: shown only.
    limit: float | None = None
    at_least: bool = False

    @property
    def verdict(self) -> str:
        if self.limit is None:
            return ""
        if self.value is None:
            return "FAIL"
        ok = self.value >= self.limit if self.at_least else self.value <= self.limit
        return "pass" if ok else "FAIL"

    @property
    def target(self) -> str:
        if self.limit is None:
            return ""
        return f"{'>=' if self.at_least else '<='} {self.limit:g}{' ' + self.unit if self.unit else ''}"

    def shown(self) -> str:
        if self.value is None:
            return "n/a"
        text = f"{self.value:.3f}".rstrip("0").rstrip(".") if abs(self.value) < 100 else f"{self.value:.0f}"
        return f"{text} {self.unit}".strip()


def table(figures: list[Figure]) -> str:
    rows = [("section", "figure", "measured", "target", "")]
    rows += [(f.section, f.name, f.shown(), f.target, f.verdict) for f in figures]
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def percentile(values: list[float], share: float) -> float | None:
    """Nearest-rank percentile: a value that was actually measured."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered), max(1, math.ceil(share * len(ordered)))) - 1]


def note(text: str) -> None:
    print(f"[bench] {text}", file=sys.stderr, flush=True)


# -- memory -------------------------------------------------------------------------------------

def status_mb(field_name: str, pid: int | str = "self") -> float:
    """A field of /proc/<pid>/status (VmRSS, VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field_name + ":"):
            return int(line.split()[1]) / 1024
    raise KeyError(field_name)


class RssWatch:
    """Peak RSS of this process over a block: the kernel's high-water mark, reset at the start
    (``clear_refs`` 5), with a sampling thread as a floor where the reset is not allowed."""

    def __init__(self, every: float = 0.01) -> None:
        self.every = every
        self.before = self.peak = self.after = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._exact = False

    def _sample(self) -> None:
        while not self._stop.wait(self.every):
            self.peak = max(self.peak, status_mb("VmRSS"))

    def __enter__(self) -> "RssWatch":
        gc.collect()
        self.before = self.peak = status_mb("VmRSS")
        try:
            Path("/proc/self/clear_refs").write_text("5")
            self._exact = True
        except OSError:
            self._exact = False
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        if self._exact:
            self.peak = max(self.peak, status_mb("VmHWM"))
        gc.collect()
        self.after = status_mb("VmRSS")

    @property
    def growth(self) -> float:
        return self.peak - self.before


# -- cold start ---------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def seconds_to_first_200(script: Path, data_dir: Path, timeout: float = 120.0) -> float:
    """Launch ``script`` as `python script` would be launched, and time it to its first HTTP 200."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WAVE_", "GRADIO_"))}
    env.update(GRADIO_SERVER_PORT=str(port), GRADIO_SERVER_NAME="127.0.0.1", WAVE_DEMO="1",
               PLAYGROUND_DATA_DIR=str(data_dir), GRADIO_ANALYTICS_ENABLED="False")
    url = f"http://127.0.0.1:{port}/"
    started = time.monotonic()
    process = subprocess.Popen([sys.executable, str(script)], cwd=script.parent, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        with httpx.Client(timeout=2.0) as http:
            while time.monotonic() - started < timeout:
                if process.poll() is not None:
                    raise RuntimeError(f"{script.name} exited with {process.returncode} before answering")
                try:
                    if http.get(url).status_code == 200:
                        return time.monotonic() - started
                except httpx.TransportError:
                    pass
                time.sleep(0.02)
        raise RuntimeError(f"{script.name} did not answer within {timeout:g} s")
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def cold_start(runs_each: int = 3) -> list[Figure]:
    with tempfile.TemporaryDirectory(prefix="bench-cold-") as tmp:
        hello = Path(tmp) / "hello_world.py"
        hello.write_text(HELLO_WORLD)
        app_times: list[float] = []
        hello_times: list[float] = []
        for attempt in range(runs_each):  # alternated, so a busy moment hurts both alike
            app_times.append(seconds_to_first_200(REPO / "app.py", Path(tmp) / f"data-{attempt}"))
            hello_times.append(seconds_to_first_200(hello, Path(tmp) / f"hello-{attempt}"))
            note(f"cold start {attempt + 1}: app.py {app_times[-1]:.2f} s, hello world {hello_times[-1]:.2f} s")
    best_app, best_hello = min(app_times), min(hello_times)
    return [Figure("cold-start", "app.py to first HTTP 200 (best)", best_app, "s"),
            Figure("cold-start", "hello-world Blocks to first HTTP 200 (best)", best_hello, "s"),
            Figure("cold-start", "ratio app / hello world", best_app / best_hello, "", 1.2)]


# -- completion to video shown ------------------------------------------------------------------

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


def spread(count: int, low: float = 5.0, high: float = 90.0) -> list[float]:
    """Task lengths evenly spread over [low, high]."""
    if count == 1:
        return [high]
    return [low + (high - low) * i / (count - 1) for i in range(count)]


def timing_by_prompt(lengths: dict[str, float], fallback: tuple[float, float] = (1.0, 3.0)
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
    built = catalog.build_request(catalog.FormValues(prompt=prompt, duration=4, resolution="720p"))
    if not built.ok:
        raise RuntimeError(built.message())
    return built.body


async def drive_run(base_url: str, prompt: str, media_dir: Path, policy: PollPolicy,
                    hub: CallbackHub | None = None) -> RunOutcome:
    """One run as the page drives it, noting when the finished video is yielded."""
    outcome = RunOutcome(prompt)
    ticket = hub.open() if hub is not None else None
    body = with_callback(request_body(prompt), ticket) if ticket is not None else request_body(prompt)
    try:
        async with WaveClient(BENCH_KEY, base_url) as client:
            async for update in runs.run_task(client, body, media_dir, policy,
                                              wake=ticket.wake if ticket is not None else None):
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
    polls = Counter(r.path.rsplit("/", 1)[-1] for r in list(server.sim.requests)
                    if r.method == "GET" and r.path.startswith("/v1/tasks/"))
    for outcome in outcomes:
        task = server.sim.tasks.get(outcome.task_id or "")
        if task is None or outcome.phase != "completed" or task.completed_monotonic is None:
            result.lost += 1
            continue
        result.latencies.append(outcome.shown_at - task.completed_monotonic)
        result.polls += polls[task.id]
        result.task_minutes += (task.completed_at - task.created_at) / 60
    return result


async def completion_runs(server: SimulatorServer, lengths: dict[str, float], media_dir: Path,
                          policy: PollPolicy, hub: CallbackHub | None) -> CompletionResult:
    prompts = list(lengths)
    outcomes = await asyncio.gather(*(drive_run(server.base_url, p, media_dir, policy, hub) for p in prompts))
    return measure(server, list(outcomes))


@dataclass(frozen=True)
class CompletionPlan:
    tasks: int = 24
    expected_seconds: float = 90.0


def _prompts(mode: str, lengths: list[float]) -> dict[str, float]:
    return {f"bench {mode} task {i}: a lighthouse at dusk, {s:.1f} s": s for i, s in enumerate(lengths)}


async def _completion_modes(modes: list[str], plan: CompletionPlan, tmp: Path) -> dict[str, CompletionResult]:
    """Both modes at once on one simulator, so the section takes one spread's time, ~90 s."""
    plans = {mode: _prompts(mode, spread(plan.tasks)) for mode in modes}
    everything = {p: s for prompts in plans.values() for p, s in prompts.items()}
    config = SimulatorConfig(timing=timing_by_prompt(everything))
    policy = PollPolicy(expected_seconds=plan.expected_seconds)
    with SimulatorServer.start_new(tmp / "sim", config) as server, \
            (served_hub() if "callbacks" in modes else nullcontext()) as hub:
        results = await asyncio.gather(*(completion_runs(server, plans[m], tmp / m, policy,
                                                         hub if m == "callbacks" else None) for m in modes))
    return dict(zip(modes, results))


@contextmanager
def served_hub() -> Iterator[CallbackHub]:
    """A CallbackHub served on loopback, standing in for the app's public base URL."""
    from fastapi import FastAPI

    app = FastAPI()
    with ServerThread(app) as thread:
        hub = CallbackHub(thread.base_url)
        app.include_router(hub.router())  # after start, as the app adds it beside a launched Gradio
        yield hub


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


# -- many tasks through the whole app -----------------------------------------------------------

@dataclass
class LoadResult:
    tasks: int
    completed: int = 0
    lost: int = 0
    duplicates: int = 0
    errors: list[str] = field(default_factory=list)
    estimate_ms: list[float] = field(default_factory=list)
    readout_ms: list[float] = field(default_factory=list)
    rss_before: float = 0.0
    rss_peak: float = 0.0
    rss_after: float = 0.0
    seconds: float = 0.0

    def lines(self) -> list[str]:
        estimate, page = percentile(self.estimate_ms, 0.95) or 0, percentile(self.readout_ms, 0.95) or 0
        return [(f"{self.tasks} concurrent tasks in {self.seconds:.1f} s: {self.completed} completed, "
                 f"{self.lost} lost, {self.duplicates} submitted twice"),
                (f"cost readout round trips: /estimate p95 {estimate:.1f} ms (n={len(self.estimate_ms)}), "
                 f"page readout p95 {page:.1f} ms (n={len(self.readout_ms)})"),
                f"app RSS before {self.rss_before:.0f} MB, peak {self.rss_peak:.0f} MB, after {self.rss_after:.0f} MB"]


class PageReadout:
    """The page's own cost readout event, posted the way the browser posts it (queue-less run)."""

    def __init__(self, app_url: str, elem_id: str = "generate-cost") -> None:
        config = httpx.get(f"{app_url}/config", timeout=10).json()
        by_elem = {c.get("props", {}).get("elem_id"): c["id"] for c in config["components"]}
        values = {c["id"]: c.get("props", {}).get("value") for c in config["components"]}
        cost_id = by_elem[elem_id]
        dep = next(d for d in config["dependencies"]  # the event that follows every control's change
                   if cost_id in d["outputs"] and any(t[1] == "change" for t in d["targets"]))
        self.url = f"{app_url}/gradio_api/run/predict"
        self.payload = {"fn_index": dep["id"], "data": [values.get(i) for i in dep["inputs"]],
                        "event_data": None, "trigger_id": dep["targets"][0][0],
                        "session_hash": f"bench-page-{os.getpid()}"}


def _time_readouts(app_url: str, stop: threading.Event, result: LoadResult, every: float = 0.05) -> None:
    """Keep asking for the price, as a visitor changing controls would, until ``stop``."""
    try:
        page: PageReadout | None = PageReadout(app_url)
    except (httpx.HTTPError, KeyError, StopIteration) as exc:
        result.errors.append(f"page readout not found: {exc!r}")
        page = None
    # With a session, as gradio_client and the page send: Gradio builds a new session's state
    # (the config of every component) for a call without one, which is not the readout's cost.
    estimate = {"data": ["veo3.1-fast-official", "generate", 8, "1080p", True, 2],
                "session_hash": f"bench-estimate-{os.getpid()}"}
    targets = [(f"{app_url}/gradio_api/run/estimate", estimate, result.estimate_ms)]
    if page is not None:
        targets.append((page.url, page.payload, result.readout_ms))
    with httpx.Client(timeout=10) as http:
        while not stop.wait(every):
            for url, payload, sink in targets:
                started = time.perf_counter()
                response = http.post(url, json=payload)
                if response.status_code == 200:
                    sink.append((time.perf_counter() - started) * 1000)
                else:
                    result.errors.append(f"readout HTTP {response.status_code}")


def drive(app_url: str, tasks: int, prefix: str, timeout: float) -> LoadResult:
    """The visitors' side, run in its own process (see :func:`load_app`): ``tasks`` concurrent
    ``/generate`` calls through gradio_client while the cost readout is timed."""
    from gradio_client import Client

    result = LoadResult(tasks)
    client = Client(app_url, verbose=False, download_files=False, max_workers=tasks + 4, analytics_enabled=False)
    stop = threading.Event()
    timer = threading.Thread(target=_time_readouts, args=(app_url, stop, result), daemon=True)
    started = time.monotonic()
    timer.start()
    jobs = [client.submit(load_prompt(prefix, i), api_name="/generate", duration=4, resolution="720p")
            for i in range(tasks)]
    for job in jobs:
        try:
            _, task = job.result(timeout=max(1.0, timeout - (time.monotonic() - started)))
            result.completed += task.get("status") == "completed"
        except Exception as exc:  # a lost task: counted and named, never hidden
            result.errors.append(f"{type(exc).__name__}: {str(exc)[:200]}")
    result.seconds = time.monotonic() - started
    stop.set()
    timer.join()
    client.close()
    return result


def load_prompt(prefix: str, index: int) -> str:
    return f"{prefix}-{index}: waves breaking on a pier"


def load_app(app_url: str, sim: Any, tasks: int = 50, timeout: float = 300.0) -> LoadResult:
    """``tasks`` concurrent runs through the app at ``app_url``, as :func:`drive` in a separate
    process: clients are other machines, and gradio_client's threads (each call builds its own
    HTTP client) would otherwise compete with the app for this process's interpreter lock.

    ``sim`` is the app's embedded :class:`Simulator`, whose log shows what was submitted; the
    RSS figures are this process's, which is the app's.
    """
    prefix = f"load {os.getpid()}-{time.time_ns()}"
    command = [sys.executable, "-m", "playground.bench", "--drive", app_url, "--load-tasks", str(tasks),
               "--prefix", prefix, "--timeout", str(timeout)]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    with RssWatch() as rss:
        done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=timeout + 60, check=False)
    try:
        result = LoadResult(**json.loads(done.stdout.strip().splitlines()[-1]))
    except (ValueError, IndexError, TypeError):
        result = LoadResult(tasks, errors=[f"the load driver failed: {done.stderr.strip()[-500:]}"])
    submitted = Counter(r.body.get("prompt") for r in sim.submissions() if r.body)
    prompts = [load_prompt(prefix, i) for i in range(tasks)]
    result.duplicates = sum(submitted[p] - 1 for p in prompts if submitted[p] > 1)
    result.lost = tasks - result.completed
    result.rss_before, result.rss_peak, result.rss_after = rss.before, rss.peak, rss.after
    return result


@contextmanager
def running_app(data_dir: Path, queue_seconds: float = 2.0, processing_seconds: float = 12.0
                ) -> Iterator[tuple[str, Any]]:
    """The whole app in demo mode, launched as `python app.py` launches it: (url, its simulator)."""
    from .app import create_playground
    from .settings import Settings

    settings = Settings(demo=True, sim_queue_seconds=queue_seconds, sim_processing_seconds=processing_seconds,
                        data_dir=data_dir)
    playground = create_playground(settings, env={})
    _, url, _ = playground.launch(prevent_thread_lock=True, quiet=True)
    try:
        yield url.rstrip("/"), playground.simulator.sim
    finally:
        with redirect_stdout(sys.stderr):  # Gradio prints "Closing server…", which is not a figure
            playground.close()


def load_figures(result: LoadResult) -> list[Figure]:
    section = "many-tasks"
    return [
        Figure(section, f"cost readout /estimate p95 ({len(result.estimate_ms)} calls)",
               percentile(result.estimate_ms, 0.95), "ms", 100.0),
        Figure(section, f"cost readout, page event p95 ({len(result.readout_ms)} calls)",
               percentile(result.readout_ms, 0.95), "ms", 100.0),
        Figure(section, "tasks completed", float(result.completed), "", float(result.tasks), at_least=True),
        Figure(section, "tasks lost", float(result.lost), "", 0.0),
        Figure(section, "tasks submitted twice", float(result.duplicates), "", 0.0),
        Figure(section, "wall time for all tasks", result.seconds, "s"),
        Figure(section, "app RSS before", result.rss_before, "MB"),
        Figure(section, "app RSS peak", result.rss_peak, "MB"),
        Figure(section, "app RSS after", result.rss_after, "MB"),
    ]


def many_tasks(tasks: int) -> list[Figure]:
    with tempfile.TemporaryDirectory(prefix="bench-load-") as tmp, running_app(Path(tmp)) as (url, sim):
        result = load_app(url, sim, tasks)
    for line in result.lines() + result.errors[:5]:
        note(line)
    return load_figures(result)


# -- a large result -----------------------------------------------------------------------------

async def _download_large(tmp: Path, size: int) -> tuple[RssWatch, float, int]:
    config = SimulatorConfig(queue_seconds=0.1, processing_seconds=0.2, progress_steps=2, result_bytes=size)
    with SimulatorServer.start_new(tmp / "sim", config) as server:
        async with WaveClient(BENCH_KEY, server.base_url) as client:
            task = await client.submit(request_body("bench: one very large result"))
            async for _ in task.wait(PollPolicy(min_interval=0.05, early_interval=0.05, expected_seconds=0.3)):
                pass
        urls = task.state.video_urls()
        with RssWatch() as rss:
            started = time.monotonic()
            paths = await runs.download_results(urls, tmp / "media")
            seconds = time.monotonic() - started
    return rss, seconds, paths[0].stat().st_size


def large_result(megabytes: int) -> list[Figure]:
    with tempfile.TemporaryDirectory(prefix="bench-large-") as tmp:
        rss, seconds, size = asyncio.run(_download_large(Path(tmp), megabytes * 1024 * 1024))
    note(f"downloaded {size / 2**20:.0f} MB in {seconds:.1f} s; RSS {rss.before:.0f} -> peak {rss.peak:.0f} MB")
    return [Figure("large-result", f"size saved to disk (asked {megabytes} MB)", size / 2**20, "MB",
                   float(megabytes), at_least=True),
            Figure("large-result", "peak RSS growth while downloading", rss.growth, "MB", 30.0),
            Figure("large-result", "download time", seconds, "s")]


# -- the command --------------------------------------------------------------------------------

def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m playground.bench", description=__doc__.split("\n")[0])
    parser.add_argument("--only", action="append", choices=SECTIONS, metavar="SECTION",
                        help=f"run only this section (repeatable): {', '.join(SECTIONS)}")
    parser.add_argument("--runs", type=int, default=3, help="cold starts of each kind (best is kept)")
    parser.add_argument("--tasks", type=int, default=24, help="simulated 5-90 s tasks per completion mode")
    parser.add_argument("--expected", type=float, default=90.0, help="PollPolicy.expected_seconds for them")
    parser.add_argument("--load-tasks", type=int, default=50, help="concurrent tasks through the app")
    parser.add_argument("--large-mb", type=int, default=200, help="size of the large result")
    # The load driver's own process (see load_app): not a section, so left out of --help.
    parser.add_argument("--drive", metavar="URL", help=argparse.SUPPRESS)
    parser.add_argument("--prefix", default="load", help=argparse.SUPPRESS)
    parser.add_argument("--timeout", type=float, default=300.0, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def run(args: argparse.Namespace) -> list[Figure]:
    chosen = [s for s in SECTIONS if s in (args.only or SECTIONS)]
    figures: list[Figure] = []
    if "cold-start" in chosen:
        figures += cold_start(args.runs)
    modes = [m for m in ("completion", "callbacks") if m in chosen]
    if modes:
        figures += completion(modes, CompletionPlan(args.tasks, args.expected))
    if "many-tasks" in chosen:
        figures += many_tasks(args.load_tasks)
    if "large-result" in chosen:
        figures += large_result(args.large_mb)
    return figures


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # the benchmark never leaves this machine
    args = parse(argv)
    if args.drive:
        result = drive(args.drive, args.load_tasks, args.prefix, args.timeout)
        print(json.dumps(asdict(result)))
        return 0
    figures = run(args)
    print(table(figures))
    return 1 if any(f.verdict == "FAIL" for f in figures) else 0


if __name__ == "__main__":
    sys.exit(main())
