"""A visitor whose page reaches another replica: the run is followed from the shared history, not sent again.

Two run trackers in this process stand for two replicas: each has its own engine on one PostgreSQL
database, its own media folder, and the same S3 bucket. Replica A sends the run and polls it; the
visitor's page lands on replica B (a refresh the balancer sent elsewhere) and asks for the run by its
task id, as the tab's resume does. B follows A's row and shows the finished video, fetched from the
bucket; both show the visitor the same history. When A dies without letting go of the run, B takes
it over by task id once A's lease runs out.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from playground.net import Bucket
from playground.runs import Connection, Database, Leases, MediaFiles, Phase, RunStore, RunTracker, RunUpdate
from playground.settings import Settings
from playground.wave import PollPolicy

from .test_bucket import config_for
from .test_history import conn_to, record_for

if TYPE_CHECKING:
    from playground.simulator import SimulatorServer

    from .servers import S3Bucket

pytest_plugins = ("tests.servers",)

FAST = PollPolicy(min_interval=0.05, max_interval=0.3, expected_seconds=2.0, deadline=60)


@dataclass
class Replica:
    name: str
    store: RunStore
    tracker: RunTracker
    media_dir: Path


@pytest.fixture
async def replicas(postgres_url: str, s3_bucket: S3Bucket, tmp_path: Path) -> AsyncIterator[dict[str, Replica]]:
    made: dict[str, Replica] = {}
    buckets = []
    for name in ("a", "b"):
        store = RunStore(Database(postgres_url))  # an engine and a pool of its own, as another process has
        bucket = Bucket(config_for(s3_bucket))
        buckets.append(bucket)
        media_dir = tmp_path / name / "media"
        leases = Leases(store.db, name)  # nobody renews them here: they last the default 15 s
        tracker = RunTracker(
            Settings(), store, media_dir, lambda conn: FAST, None, leases, MediaFiles(media_dir, bucket)
        )
        made[name] = Replica(name, store, tracker, media_dir)
    try:
        yield made
    finally:
        for replica in made.values():
            await replica.tracker.close()
            replica.store.db.dispose()
        for bucket in buckets:
            await bucket.aclose()


async def task_id_of(store: RunStore, run_id: str) -> str:
    for _ in range(200):
        record = await store.call(store.get, run_id)
        if record is not None and record.task_id:
            return record.task_id
        await asyncio.sleep(0.05)
    raise AssertionError("the provider never gave the run a task id")


async def last_update(run, timeout: float = 60) -> RunUpdate:
    async def last() -> RunUpdate:
        return [update async for update in run.updates()][-1]

    return await asyncio.wait_for(last(), timeout)


async def test_a_page_on_another_replica_follows_the_run_and_sees_the_same_history(
    replicas: dict[str, Replica], slow_sim: SimulatorServer
) -> None:
    a, b = replicas["a"], replicas["b"]
    conn: Connection = conn_to(slow_sim)
    started = await a.tracker.submit(conn, record_for("alice"))
    task_id = await task_id_of(a.store, started.record.run_id)

    followed = await b.tracker.attach(conn, "alice", task_id)
    assert followed.record.run_id == started.record.run_id, "the visitor's own run, not a new one"
    shown, driven = await asyncio.gather(last_update(followed), last_update(started))

    assert driven.phase == shown.phase == Phase.COMPLETED
    assert len(shown.videos) == 2 and all(p.is_relative_to(b.media_dir) for p in shown.videos), shown.videos
    assert [p.read_bytes() for p in shown.videos] == [p.read_bytes() for p in driven.videos], "A's videos, via S3"
    assert len(slow_sim.sim.submissions()) == 1, "following elsewhere never sends again"
    assert [r.path for r in slow_sim.sim.requests if r.method == "POST"] == ["/v1/tasks"]

    history_a = [(r.run_id, r.phase, r.files) for r in await a.store.call(a.store.history, "alice")]
    history_b = [(r.run_id, r.phase, r.files) for r in await b.store.call(b.store.history, "alice")]
    assert history_a == history_b and len(history_a) == 1
    assert await b.store.call(b.store.history, "mallory") == []


async def test_a_watched_run_is_taken_over_when_its_replica_dies(
    replicas: dict[str, Replica], slow_sim: SimulatorServer
) -> None:
    a, b = replicas["a"], replicas["b"]
    a.tracker.leases.seconds = 2.0  # short, so the dead replica's run is free again soon
    conn = conn_to(slow_sim)
    started = await a.tracker.submit(conn, record_for("alice"))
    task_id = await task_id_of(a.store, started.record.run_id)
    followed = await b.tracker.attach(conn, "alice", task_id)
    await asyncio.sleep(0.5)  # B is watching A's row now

    # A dies as a SIGKILL would leave it: it stops polling and never lets go of its lease.
    a.tracker.leases.release = lambda name: None
    started.driver.cancel()
    await asyncio.gather(started.driver, return_exceptions=True)
    polls_before = len(slow_sim.sim.requests)

    shown = await last_update(followed)
    assert shown.phase == Phase.COMPLETED and len(shown.videos) == 2
    assert all(p.is_relative_to(b.media_dir) and p.is_file() for p in shown.videos), "B saved them itself"
    record = await b.store.call(b.store.get, started.record.run_id)
    assert record.phase == Phase.COMPLETED and all(Path(f).is_relative_to(b.media_dir) for f in record.files)
    after = slow_sim.sim.requests[polls_before:]
    assert any(r.method == "GET" and r.path == f"/v1/tasks/{task_id}" for r in after), "B polled it by task id"
    assert [r for r in slow_sim.sim.requests if r.method == "POST"] == slow_sim.sim.submissions()
    assert len(slow_sim.sim.submissions()) == 1, "taking over never sends again"
