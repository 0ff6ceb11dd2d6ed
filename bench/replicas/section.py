"""The section itself: the batches, the takeover, and their figures."""

from __future__ import annotations

import re
import tempfile
import threading
import time
from collections import Counter
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

from ..report import Figure, note, percentile
from .agents import EstimateTimer, start_runs
from .batch import Batch
from .cluster import Cluster, Replica, RssSampler, render_once, replica_env, start_up
from .plan import (
    BUCKET,
    CONCURRENT_TASK,
    IDLE_ESTIMATE_SECONDS,
    IDLE_SECONDS,
    RSS_EVERY,
    SECTION,
    SHORT_TASK,
    START_CALL_SECONDS,
    TAKEOVER_TASK,
    TERMINAL,
    ReplicaPlan,
    load_average,
    mb_each,
    span,
)

# -- the section ----------------------------------------------------------------------------------


@dataclass
class Readings:
    before: dict[str, float] = field(default_factory=dict)
    after_first: dict[str, float] = field(default_factory=dict)
    after_all: dict[str, float] = field(default_factory=dict)
    after_idle: dict[str, float] = field(default_factory=dict)
    peak: dict[str, float] = field(default_factory=dict)
    runs: int = 0
    #: Both replicas' CPU seconds (their own and their children's) per run, over the batches.
    cpu_per_run: float = 0.0
    #: Every batch's runs: seconds from the provider finishing the task to the run reading completed.
    lags: list[float] = field(default_factory=list)

    @staticmethod
    def now(replicas: list[Replica]) -> dict[str, float]:
        return {r.name: mb for r in replicas if (mb := r.rss()) is not None}


def replicas(plan: ReplicaPlan) -> list[Figure]:
    from tests.servers import start_postgres, start_s3, stop_postgres, stop_s3

    began = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="bench-replicas-") as tmp, ExitStack() as stack:
        root = Path(tmp)
        try:
            postgres = start_postgres()
            stack.callback(stop_postgres, postgres)
            s3 = start_s3()
            stack.callback(stop_s3, s3)
        except BaseException as exc:  # pytest.fail's Failed is a BaseException
            if isinstance(exc, KeyboardInterrupt | SystemExit):
                raise
            note(f"replicas: the PostgreSQL or S3 server did not start: {exc}")
            return [Figure(SECTION, "PostgreSQL and S3 servers started", None, limit=1.0, at_least=True)]
        with postgres.connect() as conn:
            conn.execute('CREATE DATABASE "bench"')
        database_url = f"{postgres.url}/bench"
        s3.client().create_bucket(Bucket=BUCKET)

        from playground.simulator import SimulatorConfig, SimulatorServer
        from tests.processes import free_port

        config = SimulatorConfig(queue_seconds=SHORT_TASK[0], processing_seconds=SHORT_TASK[1], progress_steps=4)
        sim = stack.enter_context(SimulatorServer.start_new(root / "sim", config))
        render_once(sim.sim)
        replicas_ = []
        for name in ("a", "b"):
            port = free_port()
            env = replica_env(name, port, root / name, sim.base_url, database_url, s3)
            replica = Replica(name, port, root / name, env)
            replicas_.append(replica)
            stack.callback(replica.stop)
            replica.start()
        failed_starts = sum(start_up(replica) for replica in replicas_)
        note(f"replicas: two replicas up in {time.monotonic() - began:.1f} s (load average {load_average()})")
        cluster = Cluster(root, sim, database_url, replicas_)
        stack.callback(cluster.db.dispose)
        note(f"replicas: their folders and logs are in {root} until the section ends")
        figures = measure(cluster, plan)
        figures.append(Figure(SECTION, "replica starts that failed (then started again)", float(failed_starts)))
        lines, errors = log_findings(replicas_)
        for line in lines:
            note(line)
        figures.append(Figure(SECTION, "ERROR lines and tracebacks in the replicas' logs", float(errors)))
        figures.append(Figure(SECTION, "whole section", time.monotonic() - began, "s"))
        return figures


def measure(cluster: Cluster, plan: ReplicaPlan) -> list[Figure]:
    a, b = cluster.replicas
    readings = Readings()
    time.sleep(2.0)  # past start-up's last allocations
    readings.before = Readings.now(cluster.replicas)
    cpu_before = {r.name: r.cpu_seconds() for r in cluster.replicas}
    idle_timer = EstimateTimer([r.url for r in cluster.replicas])
    with idle_timer:  # the same readout with nothing running: what the machine alone costs it
        time.sleep(IDLE_ESTIMATE_SECONDS)
    concurrent: Batch | None = None
    batch = Batch([])
    timer = EstimateTimer([r.url for r in cluster.replicas])
    sizes = plan.batches()
    with RssSampler(cluster.replicas):
        for index, size in enumerate(sizes):
            if index == 1:
                # Tasks that outlast starting them all, so the batch is concurrent at the provider and in
                # the replicas: from how long the first batch's starts took, scaled up to this batch.
                first_starts = max((s["seconds"] for s in batch.starts), default=0.0)
                processing = min(300.0, max(CONCURRENT_TASK[1], 2 * first_starts * size / max(1, sizes[0])))
                cluster.timing(CONCURRENT_TASK[0], processing)
                note(f"replicas: the concurrent batch's tasks take {CONCURRENT_TASK[0]:g} + {processing:.0f} s")
                with timer:
                    batch = cluster.batch(cluster.jobs(size))
                concurrent = batch
            else:
                cluster.timing(*SHORT_TASK)
                batch = cluster.batch(cluster.jobs(size))
            readings.runs += size
            readings.lags += batch.lags
            starts = [s["seconds"] for s in batch.starts]
            note(
                f"replicas: batch {index + 1} of {len(sizes)}: {size} runs in {batch.seconds:.1f} s "
                f"(starts p50 {percentile(starts, 0.5) or 0:.1f} s, max {max(starts, default=0):.1f} s; "
                f"provider done to completed p95 {percentile(batch.lags, 0.95) or 0:.1f} s), "
                f"the provider finished its tasks {batch.provider_span(batch.began_at)} s in; "
                f"{batch.completed} completed, {batch.lost} lost, {batch.provider_unfinished} not finished by the "
                f"provider, phases {dict(batch.phases())}, "
                f"RSS {mb_each(Readings.now(cluster.replicas))}, load {load_average()}"
                + (" (timed out)" if batch.timed_out else "")
            )
            for error in batch.start_errors()[:3]:
                note(f"replicas:   start error: {error}")
            if index == 0:
                readings.after_first = Readings.now(cluster.replicas)
        readings.after_all = Readings.now(cluster.replicas)
        cpu = {r.name: (r.cpu_seconds() or 0.0) - (cpu_before[r.name] or 0.0) for r in cluster.replicas}
        time.sleep(IDLE_SECONDS)
        readings.after_idle = Readings.now(cluster.replicas)
    readings.peak = {r.name: r.peak for r in cluster.replicas}
    readings.cpu_per_run = sum(cpu.values()) / max(1, readings.runs)
    note(f"replicas: CPU over the {readings.runs} runs: " + ", ".join(f"{n} {v:.0f} s" for n, v in cpu.items()))

    lapsed = taken_from_the_living(cluster.replicas)

    cluster.timing(*TAKEOVER_TASK)
    takeover = take_over(cluster, plan.takeover, a, b)

    figures = concurrent_figures(concurrent, plan) if concurrent else []
    figures += estimate_figures(timer, idle_timer)
    figures.append(Figure(SECTION, "runs a replica took over while both were up (a lease ran out)", float(lapsed)))
    figures += takeover
    figures += rss_figures(readings, plan)
    return figures


_TOOK = re.compile(r"follows (\d+) run\(s\) nobody followed")


def taken_from_the_living(replicas_: list[Replica]) -> int:
    """Runs one replica took over from another that was alive: its lease ran out, it did not renew in time."""
    taken = 0
    for replica in replicas_:
        log = replica.log()
        taken += sum(int(n) for n in _TOOK.findall(log))
        if gave_up := log.count("is followed by another replica now"):
            note(f"replicas: replica {replica.name} lost {gave_up} lease(s) to the other while alive")
    return taken


def take_over(cluster: Cluster, count: int, a: Replica, b: Replica) -> list[Figure]:
    """``count`` runs started on A; A SIGKILLed once the provider has them all; B finishes them."""
    jobs = cluster.jobs(count, on=[a])
    batch = Batch([prompt for _, prompt in jobs])
    since = time.time() - 1.0
    batch.starts = start_runs(jobs, timeout=START_CALL_SECONDS)
    a.kill()
    killed_wall, killed = time.time(), time.monotonic()
    wanted = set(batch.prompts)
    cluster.read(batch, since, wanted)
    unfinished_at_kill = sum(not any(r["phase"] in TERMINAL for r in batch.runs.get(p, ())) for p in batch.prompts)
    # When B claimed each run's lease, watched beside the settling.
    claimed: dict[str, float] = {}
    stop = threading.Event()

    def watch() -> None:
        while not stop.wait(0.25):
            try:
                for name, holder in cluster.leases().items():
                    if holder == b.name and name not in claimed:
                        claimed[name] = time.monotonic() - killed
            except Exception:  # the watch is a detail; the settling decides the figures
                continue

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        cluster.settle(batch, since, killed)
    finally:
        stop.set()
        watcher.join()
    batch.seconds = time.monotonic() - killed
    runs = [r for rows in batch.runs.values() for r in rows]
    done_after = [r["updated_at"] - killed_wall for r in runs if r["phase"] == "completed"]
    by_b = sum(b.ran(r["files_json"]) for r in runs if r["phase"] == "completed")
    ours = {f"run:{r['run_id']}" for r in runs}
    claims = [s for name, s in claimed.items() if name in ours]
    provider_done = [
        t.completed_at - killed_wall for ts in batch.tasks.values() for t in ts if t.completed_at is not None
    ]
    note(
        f"replicas: takeover: {count} runs on A, {unfinished_at_kill} unfinished at the SIGKILL; B claimed "
        f"{len(claims)} leases {span(claims)} s after it, the provider finished them {span(provider_done)} s "
        f"after it, B completed {by_b} of them {span(done_after)} s after it; phases {dict(batch.phases())}"
    )
    for error in batch.start_errors()[:3]:
        note(f"replicas:   start error: {error}")
    section = SECTION
    return [
        Figure(
            section,
            f"takeover: SIGKILL of A to B completing all {count} of its runs",
            max(done_after) if len(done_after) == count else None,
            "s",
            30.0,
        ),
        Figure(section, "takeover: runs unfinished at the SIGKILL", float(unfinished_at_kill), "", float(count), True),
        Figure(section, "takeover: SIGKILL to B's last lease claim", max(claims) if claims else None, "s"),
        Figure(section, "takeover: runs completed by B", float(by_b), "", float(count), at_least=True),
        Figure(section, "takeover: runs lost", float(batch.lost), "", 0.0),
        Figure(section, "takeover: provider not done by the timeout", float(batch.provider_unfinished)),
        Figure(section, "takeover: submissions minus distinct runs", float(batch.extra_submissions), "", 0.0),
        Figure(section, "takeover: tasks with two runs", float(batch.doubled_tasks), "", 0.0),
    ]


def concurrent_figures(batch: Batch, plan: ReplicaPlan) -> list[Figure]:
    n = len(batch.prompts)
    lags = batch.lags
    starts = [s["seconds"] for s in batch.starts]
    section = SECTION
    note(
        f"replicas: {n} concurrent runs: {batch.completed} completed, phases {dict(batch.phases())}, peak "
        f"{batch.peak_in_flight} at the provider at once; start_video p50 {percentile(starts, 0.5) or 0:.2f} s, "
        f"p95 {percentile(starts, 0.95) or 0:.2f} s; completion lag p50 {percentile(lags, 0.5) or 0:.2f} s"
    )
    return [
        Figure(section, f"{n} concurrent runs on two replicas: completed", float(batch.completed), "", float(n), True),
        Figure(section, "concurrent: lost", float(batch.lost), "", 0.0),
        Figure(section, "concurrent: provider not done by the timeout", float(batch.provider_unfinished)),
        Figure(section, "concurrent: submissions minus distinct runs", float(batch.extra_submissions), "", 0.0),
        Figure(section, "concurrent: tasks with two runs", float(batch.doubled_tasks), "", 0.0),
        Figure(section, "concurrent: wall time, first start to last completed", batch.seconds, "s"),
        Figure(section, "concurrent: most tasks at the provider at once", float(batch.peak_in_flight)),
        Figure(section, "concurrent: start_video round trip p95", percentile(starts, 0.95), "s"),
        Figure(section, "concurrent: provider finished to run completed p95", percentile(lags, 0.95), "s"),
    ]


def estimate_figures(timer: EstimateTimer, idle: EstimateTimer) -> list[Figure]:
    everything = timer.all_ms
    section = SECTION
    if timer.errors:
        note(f"replicas: {len(timer.errors)} cost readout calls failed, e.g. {timer.errors[:3]}")
    figures = [
        Figure(
            section,
            f"cost readout /estimate p95 during them ({len(everything)} calls)",
            percentile(everything, 0.95),
            "ms",
            100.0,
        ),
        Figure(section, "cost readout /estimate p50", percentile(everything, 0.5), "ms"),
        Figure(
            section,
            f"cost readout /estimate p95 before any run ({len(idle.all_ms)} calls)",
            percentile(idle.all_ms, 0.95),
            "ms",
        ),
    ]
    for name, (url, values) in zip("ab", timer.samples.items(), strict=False):
        p50, most = percentile(values, 0.5) or 0, max(values, default=0)
        note(f"replicas: /estimate on {name} ({url}): p50 {p50:.1f} ms, max {most:.0f} ms, n={len(values)}")
        figures.append(Figure(section, f"cost readout /estimate p95 on replica {name}", percentile(values, 0.95), "ms"))
    figures.append(Figure(section, "cost readout calls failed", float(len(timer.errors)), "", 0.0))
    return figures


def rss_figures(readings: Readings, plan: ReplicaPlan) -> list[Figure]:
    section = SECTION
    figures = [
        Figure(section, f"CPU seconds per run, both replicas, over {readings.runs}", readings.cpu_per_run, "s"),
        Figure(
            section,
            f"provider finished to run completed p95, all {len(readings.lags)} runs",
            percentile(readings.lags, 0.95),
            "s",
        ),
        Figure(section, "provider finished to run completed, slowest", max(readings.lags, default=None), "s"),
    ]
    for name in ("a", "b"):
        first = readings.after_first.get(name)
        last, idle = readings.after_all.get(name), readings.after_idle.get(name)
        figures += [
            Figure(section, f"replica {name} RSS before any run", readings.before.get(name), "MB"),
            Figure(section, f"replica {name} RSS after the first {plan.first} runs", first, "MB"),
            Figure(section, f"replica {name} RSS peak (every {RSS_EVERY:g} s)", readings.peak.get(name), "MB"),
            Figure(section, f"replica {name} RSS after {readings.runs} runs", last, "MB"),
            Figure(section, f"replica {name} RSS after {IDLE_SECONDS:g} s idle", idle, "MB"),
            Figure(
                section,
                f"replica {name} RSS after {readings.runs} / after {plan.first}",
                last / first if first and last else None,
                "",
                1.2,
            ),
            Figure(
                section,
                f"replica {name} RSS after idle / after {plan.first}",
                idle / first if first and idle else None,
                "",
                1.2,
            ),
        ]
    return figures


# -- what the replicas' logs say --------------------------------------------------------------------

_NOISE = re.compile(r"\b(task-wave\w+|[0-9a-f]{8,}|\d+(\.\d+)?)\b")


def log_findings(replicas_: list[Replica]) -> tuple[list[str], int]:
    """Each replica's ERROR and WARNING lines and tracebacks, counted, the distinct ones shown once;
    and how many ERROR lines and tracebacks there were."""
    lines, errors = [], 0
    for replica in replicas_:
        text = replica.log()
        levels = Counter()
        kinds: Counter[str] = Counter()
        for line in text.splitlines():
            for level in ("ERROR", "WARNING", "CRITICAL"):
                if f" {level} " in line:
                    levels[level] += 1
                    kinds[_NOISE.sub("#", line.split(f" {level} ", 1)[1])[:160]] += 1
        tracebacks = text.count("Traceback (most recent call last)")
        errors += levels["ERROR"] + levels["CRITICAL"] + tracebacks
        lines.append(
            f"replicas: replica {replica.name} log: {dict(levels) or 'no'} warnings/errors, {tracebacks} tracebacks, "
            f"{len(text.splitlines())} lines ({replica.log_path.name})"
        )
        lines += [f"replicas:   {n} x {kind}" for kind, n in kinds.most_common(8)]
        if tracebacks:
            last = text.rsplit("Traceback (most recent call last)", 1)[1]
            lines.append("replicas:   last traceback: " + " | ".join(last.strip().splitlines()[-4:])[:400])
    return lines, errors
