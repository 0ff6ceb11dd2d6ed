"""Many visitors at once: 50 concurrent runs through the app's API against its simulator.

The same code as the benchmark's ``many-tasks`` section (:func:`bench.load_app`), with
the app fixture's fast simulator timings. It asserts what the visitors would see: every run ends
with its video, none is lost or paid twice, the cost readout keeps answering meanwhile, and the
app's memory stays bounded. Timings are printed, not asserted: the benchmark judges speed.
"""

from __future__ import annotations

import os

import pytest

from bench import load_app
from playground.simulator.workers import RenderFailed, RenderPool

from .conftest import RunningApp

TASKS = 50
#: 50 short videos are a few MB; a leak that kept every run's downloads (or more) in memory shows.
RSS_GROWTH_LIMIT_MB = 200


@pytest.fixture
def say(capsys: pytest.CaptureFixture):
    """Print past pytest's capture, so the figures show in every run of the suite."""

    def write(line: str) -> None:
        with capsys.disabled():
            print(f"\n[load] {line}", end="")

    return write


@pytest.mark.timeout(180)
def test_fifty_concurrent_runs_all_finish_once_while_the_readout_keeps_answering(app: RunningApp, say) -> None:
    result = load_app(app.url, app.sim, TASKS, timeout=150)
    for line in result.lines():
        say(line)
    assert result.errors == [], result.errors[:5]
    assert result.completed == TASKS and result.lost == 0
    assert result.duplicates == 0
    assert len(result.estimate_ms) >= 10 and len(result.readout_ms) >= 10
    assert result.rss_peak - result.rss_before <= RSS_GROWTH_LIMIT_MB


def test_renders_run_in_worker_processes_that_are_replaced_when_they_die(tmp_path) -> None:
    """The page's process never renders (so a burst of finishing tasks cannot stall its answers),
    and a worker killed between renders costs no task its video."""
    pool = RenderPool(1)
    spec = dict(prompt="a lighthouse at dusk", duration=4, aspect_ratio="16:9", audio=False)
    try:
        pool.render(tmp_path / "a.mp4", spec)
        (worker,) = pool._all
        assert worker.process.pid != os.getpid() and worker.process.poll() is None
        worker.process.kill()
        worker.process.wait()
        pool.render(tmp_path / "b.mp4", spec)
        with pytest.raises(RenderFailed, match="duration"):
            pool.render(tmp_path / "c.mp4", {**spec, "duration": -1})
        pool.render(tmp_path / "d.mp4", spec)  # the worker that refused is still serving
    finally:
        pool.close()
    assert (tmp_path / "b.mp4").stat().st_size > 1000 and (tmp_path / "d.mp4").stat().st_size > 1000


def test_workers_start_from_any_working_directory(tmp_path, monkeypatch) -> None:
    """``python /path/to/app.py`` from another folder: the workers still find the package and render."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PYTHONPATH", raising=False)
    pool = RenderPool(1)
    try:
        pool.render(
            tmp_path / "a.mp4", dict(prompt="a lighthouse at dusk", duration=4, aspect_ratio="16:9", audio=False)
        )
    finally:
        pool.close()
    assert (tmp_path / "a.mp4").stat().st_size > 1000
