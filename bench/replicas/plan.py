"""The replicas section's plan: how many runs, how long their tasks take, and the limits it waits by."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

SECTION = "replicas"
MODEL = "veo3.1-fast-official"
#: Simulated (queue, processing) seconds: short, so 1,000 runs take minutes.
SHORT_TASK = (0.5, 2.0)
#: The concurrent batch's tasks: at least this long, and longer when starting them all takes longer
#: (see :func:`measure`), so that all of them overlap.
CONCURRENT_TASK = (1.0, 20.0)
#: The takeover's tasks are still rendering when replica A is killed.
TAKEOVER_TASK = (0.5, 8.0)
#: A run not completed this long after the provider finished its task is lost. Generous: a run that
#: is only late is not lost (how late runs are is a figure of its own).
GRACE_SECONDS = 300.0
#: No batch waits longer than this for its runs (starting them included). The simulator renders every
#: result in this machine's cores, so on a loaded machine its tasks themselves may finish late.
BATCH_TIMEOUT = 1800.0
RSS_EVERY = 0.5
ESTIMATE_EVERY = 0.05
IDLE_SECONDS = 20.0
#: How long the cost readout is timed before any run, as the baseline the machine gives.
IDLE_ESTIMATE_SECONDS = 10.0
START_SECONDS = 240.0
#: How long one start_video call may take before the agent gives up on it (the run may still start).
START_CALL_SECONDS = 300.0
SECRET = "the secret the benchmark's replicas share"
BUCKET = "bench-replicas"
TERMINAL = {"completed", "failed", "cancelled", "timeout", "uncertain", "error"}
FINISHED_AT_PROVIDER = {"completed", "failed", "cancelled"}


@dataclass(frozen=True)
class ReplicaPlan:
    concurrent: int = 200
    total: int = 1000
    first: int = 50
    takeover: int = 20

    def batches(self) -> list[int]:
        """The first ``first`` runs, the concurrent batch, then the rest in batches of the same size."""
        sizes = [self.first, self.concurrent]
        left = self.total - sum(sizes)
        while left > 0:
            sizes.append(min(self.concurrent, left))
            left -= sizes[-1]
        return sizes


def span(values: list[float]) -> str:
    return f"{min(values):.1f}-{max(values):.1f}" if values else "n/a"


def mb_each(values: dict[str, float]) -> str:
    return ", ".join(f"{name} {mb:.0f} MB" for name, mb in values.items())


def load_average() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"
