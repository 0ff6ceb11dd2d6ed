"""The servers and the two replicas: starting them, their memory and CPU, and what the database and the
simulator say of the runs."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from tests.processes import die_with_parent

from ..report import REPO, note, status_mb
from .agents import start_runs
from .batch import Batch
from .plan import (
    BATCH_TIMEOUT,
    BUCKET,
    FINISHED_AT_PROVIDER,
    GRACE_SECONDS,
    RSS_EVERY,
    SECRET,
    START_CALL_SECONDS,
    START_SECONDS,
    TERMINAL,
)

# -- the replicas -----------------------------------------------------------------------------------


@dataclass
class Replica:
    name: str
    port: int
    data: Path
    env: dict[str, str] = field(repr=False)
    process: subprocess.Popen[bytes] | None = None
    peak: float = 0.0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.data.parent / f"{self.name}.log"

    def start(self) -> None:
        with self.log_path.open("ab") as log:  # a file, not a pipe nobody reads: a full pipe blocks the app
            self.process = subprocess.Popen(
                [sys.executable, "app.py"],
                cwd=REPO,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                preexec_fn=die_with_parent,  # a benchmark killed from outside leaves no replica behind
            )

    def wait_up(self, timeout: float = START_SECONDS) -> None:
        deadline = time.monotonic() + timeout
        with httpx.Client(trust_env=False, timeout=10) as http:
            while time.monotonic() < deadline:
                if self.process is None or self.process.poll() is not None:
                    raise RuntimeError(f"replica {self.name} exited early:\n{self.log()[-3000:]}")
                try:
                    if http.get(f"{self.url}/").status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                time.sleep(0.3)
        raise RuntimeError(f"replica {self.name} did not answer within {timeout:.0f} s:\n{self.log()[-3000:]}")

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def rss(self) -> float | None:
        if not self.alive:
            return None
        try:
            return status_mb("VmRSS", self.process.pid)
        except (OSError, KeyError):  # it exited between the check and the read
            return None

    def cpu_seconds(self) -> float | None:
        """User and system CPU of the replica and the children it waited for (/proc/<pid>/stat)."""
        if not self.alive:
            return None
        try:
            fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        return sum(int(x) for x in fields[11:15]) / os.sysconf("SC_CLK_TCK")  # utime stime cutime cstime

    def kill(self) -> None:
        if self.alive:
            self.process.send_signal(signal.SIGKILL)  # no shutdown hooks: as a crash or an eviction
        if self.process is not None:
            self.process.wait(10)

    def stop(self) -> None:
        if not self.alive:
            return
        self.process.terminate()
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            self.kill()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def ran(self, files_json: str | None) -> bool:
        """Whether a run's saved files are in this replica's folder (it followed the run to the end)."""
        files = json.loads(files_json or "[]")
        return bool(files) and Path(files[0]).is_relative_to(self.data)


def start_up(replica: Replica, attempts: int = 3) -> int:
    """Wait for a started replica to answer, starting it again if it died on the way; how many starts failed.

    Under load Gradio's own start-up check (a HEAD of its page, 3 s, not retried on a timeout) can make
    ``launch()`` give up with "When localhost is not accessible..."; the log keeps each attempt.
    """
    for attempt in range(attempts):
        try:
            replica.wait_up()
            return attempt
        except RuntimeError as exc:
            if replica.alive or attempt == attempts - 1:
                raise
            last = str(exc).strip().splitlines()[-1][:200]
            note(f"replicas: replica {replica.name} exited while starting ({last}); starting it again")
            replica.start()
    return attempts


def replica_env(name: str, port: int, data: Path, sim_url: str, database_url: str, s3: Any) -> dict[str, str]:
    """``python app.py`` on the server's key, as an operator starts each replica of a deployment."""
    from tests.conftest import TEST_KEY
    from tests.servers import REGION

    own = ("WAVE_", "SPACE_", "PUBLIC_BASE", "HF_", "PLAYGROUND_", "S3_", "GRADIO_", "SIM_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(own)}
    env.update(
        WAVE_API_KEY=TEST_KEY,
        WAVE_BASE_URL=sim_url,
        PUBLIC_BASE_URL="none",
        PLAYGROUND_DATA_DIR=str(data),
        PLAYGROUND_DATABASE_URL=database_url,
        PLAYGROUND_MEDIA_URL=f"s3://{BUCKET}/media",
        PLAYGROUND_SECRET=SECRET,
        PLAYGROUND_REPLICA_ID=name,
        PLAYGROUND_RUNS_PER_MINUTE="0",  # else 6 runs a minute per visitor, and every agent here is one
        S3_ENDPOINT=s3.endpoint,
        S3_REGION=REGION,
        S3_ACCESS_KEY_ID=s3.access_key_id,
        S3_SECRET_ACCESS_KEY=s3.secret_access_key,
        GRADIO_SERVER_NAME="127.0.0.1",
        GRADIO_SERVER_PORT=str(port),
        GRADIO_ANALYTICS_ENABLED="False",
        PYTHONUNBUFFERED="1",  # the log shows what happened up to a kill
    )
    return env


class RssSampler:
    """Each live replica's RSS every :data:`RSS_EVERY` seconds, kept as its peak."""

    def __init__(self, replicas: list[Replica]) -> None:
        self.replicas = replicas
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while True:
            for replica in self.replicas:
                if (mb := replica.rss()) is not None:
                    replica.peak = max(replica.peak, mb)
            if self._stop.wait(RSS_EVERY):
                return

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def render_once(sim: Any) -> None:
    """The simulator renders its first task's clip and hands every later task a copy of it.

    It renders each result on this machine's cores (about 0.6 CPU seconds a clip): with 200 tasks
    finishing together on a shared two-core machine the renders queued for minutes (p50 10 min after
    submission in a first attempt), and the provider, not the replicas, decided when runs finished.
    The replicas still download, keep and upload a real MP4 for every run.
    """
    real = sim._render
    first: list[Path] = []
    lock = asyncio.Lock()

    async def render(task: Any) -> list[Path]:
        async with lock:
            if not first:
                first.extend(await real(task))
                return list(first)
        folder = sim.media_dir / task.id
        folder.mkdir(parents=True, exist_ok=True)
        paths = [folder / f"sample-{index + 1}.mp4" for index in range(task.resolved.samples)]
        for path in paths:
            await asyncio.to_thread(shutil.copyfile, first[0], path)
        return paths

    sim._render = render


class Cluster:
    """The servers, the replicas and what the benchmark reads of them."""

    def __init__(self, root: Path, sim: Any, database_url: str, replicas: list[Replica]) -> None:
        from playground.runs.database import Database

        self.root, self.sim, self.replicas = root, sim, replicas
        self.db = Database(database_url)
        self._batches = 0

    def rows(self, since: float) -> list[dict[str, Any]]:
        from playground.runs.database import rows

        with self.db.connect() as db:
            found = rows(
                db,
                "SELECT run_id, task_id, phase, request_json, files_json, updated_at, created_at FROM runs "
                "WHERE created_at >= :since",
                {"since": since},
            )
        return [dict(r) for r in found]

    def leases(self) -> dict[str, str]:
        from playground.runs.database import rows

        with self.db.connect() as db:
            return {r["name"]: r["holder"] for r in rows(db, "SELECT name, holder FROM leases")}

    def sim_tasks(self) -> list[Any]:
        while True:  # the simulator's thread adds tasks as we read
            try:
                return list(self.sim.sim.tasks.values())
            except RuntimeError:
                time.sleep(0.01)

    def timing(self, queue_seconds: float, processing_seconds: float) -> None:
        config = self.sim.config
        config.queue_seconds, config.processing_seconds = queue_seconds, processing_seconds

    def batch(self, jobs: list[tuple[str, str]]) -> Batch:
        """Start ``jobs`` (replica url, prompt) at once, and wait until every run has settled."""
        since = time.time() - 1.0
        began = time.monotonic()
        batch = Batch([prompt for _, prompt in jobs])
        batch.starts = start_runs(jobs, timeout=START_CALL_SECONDS)
        self.settle(batch, since, began)
        batch.seconds = time.monotonic() - began
        return batch

    def settle(self, batch: Batch, since: float, began: float, grace: float = GRACE_SECONDS) -> None:
        """Wait until every run of ``batch`` is finished, or the provider finished its task ``grace`` ago."""
        wanted = set(batch.prompts)
        while True:
            self.read(batch, since, wanted)
            tasks = [t for ts in batch.tasks.values() for t in ts]
            provider_done = all(t.status in FINISHED_AT_PROVIDER for t in tasks)
            settled = all(
                rows and all(r["phase"] in TERMINAL for r in rows) for p in wanted for rows in [batch.runs.get(p)]
            )
            if provider_done and settled:
                return
            last = max((t.completed_at or 0.0 for t in tasks), default=0.0)
            if (provider_done and last and time.time() > last + grace) or time.monotonic() > began + BATCH_TIMEOUT:
                batch.timed_out = True
                return
            time.sleep(0.5)

    def read(self, batch: Batch, since: float, wanted: set[str]) -> None:
        runs: dict[str, list[dict[str, Any]]] = {}
        for row in self.rows(since):
            prompt = json.loads(row["request_json"] or "{}").get("prompt")
            if prompt in wanted:
                runs.setdefault(prompt, []).append(row)
        tasks: dict[str, list[Any]] = {}
        for task in self.sim_tasks():
            if (prompt := task.body.get("prompt")) in wanted:
                tasks.setdefault(prompt, []).append(task)
        batch.runs, batch.tasks = runs, tasks
        batch.submissions = Counter(
            r.body.get("prompt") for r in self.sim.sim.submissions() if r.body and r.body.get("prompt") in wanted
        )

    def jobs(self, count: int, on: list[Replica] | None = None) -> list[tuple[str, str]]:
        """``count`` runs, spread over ``on`` (every live replica) in turn, each with a prompt of its own."""
        self._batches += 1
        targets = on or [r for r in self.replicas if r.alive]
        return [
            (targets[i % len(targets)].url, f"bench replicas {self._batches}-{i}: a lighthouse in a storm")
            for i in range(count)
        ]
