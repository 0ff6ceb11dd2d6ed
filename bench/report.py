"""The benchmark's report: a figure beside its target, the table they print as, and the memory
readings (RSS) several sections take."""

from __future__ import annotations

import gc
import math
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

#: The repository: the benchmark launches its ``app.py`` and puts it on a child's ``PYTHONPATH``.
REPO = Path(__file__).resolve().parents[1]


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
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows]
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

    def __enter__(self) -> RssWatch:
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
