"""The ``many-tasks`` section: the whole app in demo mode; concurrent ``/generate`` calls through
``gradio_client`` while the cost readout is timed, through ``/estimate`` (in a session, as gradio_client
calls it, and in none, as a plain HTTP call or an MCP tool does) and through the page's own readout event;
the process's RSS, tasks completed, lost and submitted twice.

``tests/test_load.py`` reuses :func:`load_app` with fast simulator timings.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stdout
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx

from .report import REPO, Figure, RssWatch, note, percentile


@dataclass
class LoadResult:
    tasks: int
    completed: int = 0
    lost: int = 0
    duplicates: int = 0
    errors: list[str] = field(default_factory=list)
    estimate_ms: list[float] = field(default_factory=list)
    #: ``/estimate`` posted with no session, for which Gradio builds a session state each time.
    estimate_bare_ms: list[float] = field(default_factory=list)
    readout_ms: list[float] = field(default_factory=list)
    rss_before: float = 0.0
    rss_peak: float = 0.0
    rss_after: float = 0.0
    seconds: float = 0.0

    def lines(self) -> list[str]:
        estimate, page = percentile(self.estimate_ms, 0.95) or 0, percentile(self.readout_ms, 0.95) or 0
        bare = percentile(self.estimate_bare_ms, 0.95) or 0
        return [
            (
                f"{self.tasks} concurrent tasks in {self.seconds:.1f} s: {self.completed} completed, "
                f"{self.lost} lost, {self.duplicates} submitted twice"
            ),
            (
                f"cost readout round trips: /estimate p95 {estimate:.1f} ms (n={len(self.estimate_ms)}), "
                f"with no session {bare:.1f} ms (n={len(self.estimate_bare_ms)}), "
                f"page readout p95 {page:.1f} ms (n={len(self.readout_ms)})"
            ),
            f"app RSS before {self.rss_before:.0f} MB, peak {self.rss_peak:.0f} MB, after {self.rss_after:.0f} MB",
        ]


class PageReadout:
    """The page's own cost readout event, posted the way the browser posts it (queue-less run)."""

    def __init__(self, app_url: str, elem_id: str = "generate-cost") -> None:
        config = httpx.get(f"{app_url}/config", timeout=10).json()
        by_elem = {c.get("props", {}).get("elem_id"): c["id"] for c in config["components"]}
        values = {c["id"]: c.get("props", {}).get("value") for c in config["components"]}
        cost_id = by_elem[elem_id]
        dep = next(
            d
            for d in config["dependencies"]  # the event that follows every control's change
            if cost_id in d["outputs"] and any(t[1] == "change" for t in d["targets"])
        )
        self.url = f"{app_url}/gradio_api/run/predict"
        self.payload = {
            "fn_index": dep["id"],
            "data": [values.get(i) for i in dep["inputs"]],
            "event_data": None,
            "trigger_id": dep["targets"][0][0],
            "session_hash": f"bench-page-{os.getpid()}",
        }


def _time_readouts(app_url: str, stop: threading.Event, result: LoadResult, every: float = 0.05) -> None:
    """Keep asking for the price, as a visitor changing controls would, until ``stop``."""
    try:
        page: PageReadout | None = PageReadout(app_url)
    except (httpx.HTTPError, KeyError, StopIteration) as exc:
        result.errors.append(f"page readout not found: {exc!r}")
        page = None
    # With a session, as gradio_client and the page send, and without, as curl or an MCP tool sends: for a
    # call naming no session Gradio builds a session state each time (made cheap by web/sessions.py).
    estimate = {
        "data": ["veo3.1-fast-official", "generate", 8, "1080p", True, 2],
        "session_hash": f"bench-estimate-{os.getpid()}",
    }
    url = f"{app_url}/gradio_api/run/estimate"
    targets = [(url, estimate, result.estimate_ms), (url, {"data": estimate["data"]}, result.estimate_bare_ms)]
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
    jobs = [
        client.submit(load_prompt(prefix, i), api_name="/generate", duration=4, resolution="720p") for i in range(tasks)
    ]
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
    command = [
        sys.executable,
        "-m",
        "bench",
        "--drive",
        app_url,
        "--load-tasks",
        str(tasks),
        "--prefix",
        prefix,
        "--timeout",
        str(timeout),
    ]
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
def running_app(
    data_dir: Path, queue_seconds: float = 2.0, processing_seconds: float = 12.0
) -> Iterator[tuple[str, Any]]:
    """The whole app in demo mode, launched as `python app.py` launches it: (url, its simulator)."""
    from playground.app import create_playground
    from playground.settings import Settings

    settings = Settings(
        demo=True, sim_queue_seconds=queue_seconds, sim_processing_seconds=processing_seconds, data_dir=data_dir
    )
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
        Figure(
            section,
            f"cost readout /estimate p95 ({len(result.estimate_ms)} calls)",
            percentile(result.estimate_ms, 0.95),
            "ms",
            100.0,
        ),
        Figure(
            section,
            f"cost readout /estimate with no session p95 ({len(result.estimate_bare_ms)} calls)",
            percentile(result.estimate_bare_ms, 0.95),
            "ms",
            100.0,
        ),
        Figure(
            section,
            f"cost readout, page event p95 ({len(result.readout_ms)} calls)",
            percentile(result.readout_ms, 0.95),
            "ms",
            100.0,
        ),
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


def drive_and_print(app_url: str, tasks: int, prefix: str, timeout: float) -> None:
    """The load driver's process: its result as one JSON line on stdout, read by :func:`load_app`."""
    result = drive(app_url, tasks, prefix, timeout)
    print(json.dumps(asdict(result)))
