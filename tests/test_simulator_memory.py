"""The embedded simulator of a long-running demo holds a bounded number of tasks and logged requests."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from playground.simulator import Simulator, SimulatorConfig
from playground.simulator.engine import ServiceError

BODY = {"model": "veo3.1-fast-official", "action": "generate", "prompt": "a lighthouse at dusk", "duration": 4}


async def test_only_the_newest_finished_tasks_are_kept_and_a_forgotten_one_takes_its_files(tmp_path: Path) -> None:
    sim = Simulator(tmp_path, SimulatorConfig(queue_seconds=0.0, processing_seconds=0.05, progress_steps=1))
    sim.config.finished_tasks_kept = 2
    first = sim.submit("owner", dict(BODY))
    await asyncio.wait_for(first.done.wait(), 60)
    assert first.status == "completed" and first.files and first.files[0].exists()
    waiting = []
    sim.config.queue_seconds = 60.0  # the rest finish by being cancelled: nothing to render
    for _ in range(3):
        task = sim.submit("owner", dict(BODY))
        sim.cancel("owner", task.id)
        waiting.append(task)
    assert set(sim.tasks) == {t.id for t in waiting[-2:]}
    with pytest.raises(ServiceError) as gone:
        sim.find("owner", first.id)
    assert gone.value.status == 404
    assert not first.files[0].exists() and not (tmp_path / first.id).exists()
    unfinished = sim.submit("owner", dict(BODY))  # a task still running is never forgotten
    assert unfinished.id in sim.tasks
    sim.cancel("owner", unfinished.id)


def test_the_request_log_keeps_the_newest_requests(tmp_path: Path) -> None:
    sim = Simulator(tmp_path, SimulatorConfig(requests_kept=100))
    for i in range(1000):
        sim.record("GET", f"/v1/tasks/{i}", "owner", None)
    assert 100 <= len(sim.requests) <= 110
    assert sim.requests[-1].path == "/v1/tasks/999"
    assert [int(r.path.rsplit("/", 1)[1]) for r in sim.requests] == list(range(1000 - len(sim.requests), 1000))
