"""Shared fixtures: a real simulator on 127.0.0.1 with fast timings, and a client for it."""

from __future__ import annotations

from pathlib import Path
from typing import AsyncIterator, Iterator

import pytest

from playground.client import RetryPolicy, WaveClient
from playground.simulator import SimulatorConfig, SimulatorServer

TEST_KEY = "sk-test-0123456789"


@pytest.fixture
def sim(tmp_path: Path) -> Iterator[SimulatorServer]:
    config = SimulatorConfig(queue_seconds=0.2, processing_seconds=0.6, progress_steps=3)
    with SimulatorServer.start_new(tmp_path / "sim", config) as server:
        yield server


@pytest.fixture
async def client(sim: SimulatorServer) -> AsyncIterator[WaveClient]:
    async with WaveClient(TEST_KEY, sim.base_url, retry=RetryPolicy(base_delay=0.01, max_delay=0.05)) as c:
        yield c
