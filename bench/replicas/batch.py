"""One batch of runs, and what became of it."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from .plan import FINISHED_AT_PROVIDER, span

# -- one batch of runs, and what became of it -----------------------------------------------------


@dataclass
class Batch:
    prompts: list[str]
    starts: list[dict[str, Any]] = field(default_factory=list)
    #: prompt -> its runs' rows (run_id, task_id, phase, updated_at, files_json)
    runs: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    #: prompt -> the provider's tasks of it
    tasks: dict[str, list[Any]] = field(default_factory=dict)
    submissions: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0
    timed_out: bool = False
    #: When it began (time.time()), to place the provider's finishing in it.
    began_at: float = field(default_factory=time.time)

    @property
    def completed(self) -> int:
        return sum(any(r["phase"] == "completed" for r in self.runs.get(p, ())) for p in self.prompts)

    def _done(self, prompt: str) -> bool:
        return any(r["phase"] == "completed" for r in self.runs.get(prompt, ()))

    def _at_provider(self, prompt: str) -> bool:
        """Whether the provider had this prompt's task and had not finished it when the batch stopped waiting."""
        tasks = self.tasks.get(prompt, ())
        return bool(tasks) and all(t.status not in FINISHED_AT_PROVIDER for t in tasks)

    @property
    def lost(self) -> int:
        """Runs not completed although the provider finished their task (or that never reached it)."""
        return sum(not self._done(p) and not self._at_provider(p) for p in self.prompts)

    @property
    def provider_unfinished(self) -> int:
        """Runs not completed because the provider itself had not finished their task by the timeout."""
        return sum(not self._done(p) and self._at_provider(p) for p in self.prompts)

    def provider_span(self, began: float) -> str:
        """When the provider finished this batch's tasks, in seconds after ``began`` (time.time())."""
        return span([t.completed_at - began for ts in self.tasks.values() for t in ts if t.completed_at])

    @property
    def extra_submissions(self) -> int:
        """Submissions beyond one per run: provider submissions minus distinct runs, prompt by prompt."""
        return sum(max(0, self.submissions[p] - len(self.runs.get(p, ()))) for p in self.prompts)

    @property
    def doubled_tasks(self) -> int:
        """Tasks two runs (or more) claim, and starts that made two runs."""
        per_task = Counter(r["task_id"] for rows in self.runs.values() for r in rows if r["task_id"])
        return sum(n > 1 for n in per_task.values()) + sum(len(self.runs.get(p, ())) > 1 for p in self.prompts)

    @property
    def lags(self) -> list[float]:
        """Seconds from the provider finishing a task to its run reading completed in the database."""
        finished = {t.id: t.completed_at for ts in self.tasks.values() for t in ts if t.completed_at}
        return [
            r["updated_at"] - finished[r["task_id"]]
            for rows in self.runs.values()
            for r in rows
            if r["phase"] == "completed" and r["task_id"] in finished
        ]

    @property
    def peak_in_flight(self) -> int:
        """The most of this batch's tasks the provider held unfinished at one moment."""
        events = []
        for task in (t for ts in self.tasks.values() for t in ts):
            events += [(task.created_at, 1), (task.completed_at or float("inf"), -1)]
        peak = level = 0
        for _, step in sorted(events):
            level += step
            peak = max(peak, level)
        return peak

    def start_errors(self) -> list[str]:
        return [s["error"] for s in self.starts if s["error"]]

    def phases(self) -> Counter[str]:
        return Counter(rows[-1]["phase"] if rows else "no run" for p in self.prompts for rows in [self.runs.get(p, [])])
