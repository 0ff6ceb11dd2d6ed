"""Two replicas on one PostgreSQL database and one S3 bucket: a replica's death loses nothing.

Each replica is ``python app.py`` in its own process with its own data folder, as behind a load
balancer; the provider is the simulator in this process (it outlives the replicas, like the real
one). A run is started on replica A through the agent tools, A is SIGKILLed, and replica B takes the
run over: it polls the task (never submitting it again), saves its video to the bucket, and serves
it, fetching it back from the bucket once its own copy is gone. A started again shows the same
visitor the same run.
"""

from __future__ import annotations

import asyncio
import json
import signal
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client

from playground.runs import Database, RunStore
from playground.runs.leases import LEASE_SECONDS, RENEW_EVERY

from .processes import free_port
from .test_restart import start_app, wait_for, wait_until_up

if TYPE_CHECKING:
    from playground.simulator import SimulatorServer

    from .servers import S3Bucket

pytest_plugins = ("tests.servers",)
pytestmark = pytest.mark.slow


def replica_env(database_url: str, s3: S3Bucket) -> dict[str, str]:
    return {
        "PLAYGROUND_DATABASE_URL": database_url,
        "PLAYGROUND_MEDIA_URL": f"s3://{s3.bucket}/media",
        "S3_ENDPOINT": s3.endpoint,
        "S3_REGION": s3.region,
        "S3_ACCESS_KEY_ID": s3.access_key_id,
        "S3_SECRET_ACCESS_KEY": s3.secret_access_key,
        "PLAYGROUND_SECRET": "the secret every replica shares",
    }


async def _tool(port: int, name: str, **arguments: Any) -> dict[str, Any]:
    async with (
        httpx.AsyncClient(timeout=httpx.Timeout(30, read=60)) as http,
        streamable_http_client(f"http://127.0.0.1:{port}/gradio_api/mcp/", http_client=http) as (read, write, _),
        ClientSession(read, write) as session,
    ):
        await session.initialize()
        result = await session.call_tool(name, arguments)
    text = "".join(getattr(part, "text", "") for part in result.content)
    assert not result.isError, text
    return json.loads(text)


def tool(port: int, name: str, **arguments: Any) -> dict[str, Any]:
    return asyncio.run(_tool(port, name, **arguments))


# Three app starts and a lease that must run out (15 s) before the takeover: on a busy machine more than
# the suite's 120 s, though it takes about 35 s on an idle one.
@pytest.mark.timeout(300)
def test_a_run_of_a_killed_replica_is_finished_by_the_other(
    slow_sim: SimulatorServer, postgres_url: str, s3_bucket: S3Bucket, tmp_path: Path
) -> None:
    env = replica_env(postgres_url, s3_bucket)
    ports = {"a": free_port(), "b": free_port()}
    replicas = {
        name: start_app(tmp_path / name, slow_sim.base_url, port, wait=False, **env) for name, port in ports.items()
    }
    store = RunStore(Database(postgres_url))
    try:
        for name, replica in replicas.items():
            wait_until_up(replica, ports[name])
        started = tool(
            ports["a"], "start_video", prompt="a paper boat in the rain", model="veo3.1-fast-official", duration=4
        )
        task_id = started["task_id"]
        (record,) = store.runs_of_task(task_id)
        replicas["a"].send_signal(signal.SIGKILL)  # no shutdown hooks: as a crash or an eviction
        replicas["a"].wait(10)
        killed = time.monotonic()
        done = wait_for(
            lambda: (r := store.get(record.run_id)) and r.phase == "completed" and r,
            LEASE_SECONDS + 2 * RENEW_EVERY + 20,
            "replica B to finish replica A's run",
        )
        taken_over_in = time.monotonic() - killed
        assert Path(done.files[0]).is_relative_to(tmp_path / "b"), "B saved it"

        objects = {o["Key"] for o in s3_bucket.client().list_objects_v2(Bucket=s3_bucket.bucket)["Contents"]}
        video_key = "media/" + Path(done.files[0]).relative_to(tmp_path / "b" / "media").as_posix()
        assert video_key in objects and any(key.endswith(".jpg") for key in objects), objects

        report = tool(ports["b"], "get_video", task_id=task_id)
        assert (report["status"], report["finished"]) == ("completed", True)
        Path(done.files[0]).unlink()  # B's own copy is gone: the bucket's is served
        served = httpx.get(report["video_urls"][0], timeout=30)
        assert served.status_code == 200 and served.content[4:8] == b"ftyp"

        replicas["a"] = start_app(tmp_path / "a", slow_sim.base_url, ports["a"], **env)
        again = tool(ports["a"], "get_video", task_id=task_id)
        assert (again["status"], again["price_usd"]) == (report["status"], report["price_usd"])
        assert httpx.get(again["video_urls"][0], timeout=30).content[4:8] == b"ftyp", "A serves it from the bucket"
    finally:
        for replica in replicas.values():
            replica.terminate()
            replica.wait(10)
    assert len(slow_sim.sim.submissions()) == 1, "taking a run over never submits it again"
    assert taken_over_in <= 30, f"taken over in {taken_over_in:.1f} s"
    assert [r.run_id for r in store.runs_of_task(task_id)] == [record.run_id], "one run, not one per replica"
