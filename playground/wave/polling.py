"""How often a task is polled, planned around the one forecast of when it ends.

:class:`FinishForecast` is the one ETA model: :meth:`Task.wait <playground.wave.Task.wait>` plans its
pauses with it, and the run shows its ``eta_seconds`` from the same forecast.
"""

from __future__ import annotations

from dataclasses import dataclass

from .state import TaskState


@dataclass
class FinishForecast:
    """When a task will probably end, in seconds since the wait began, from what the polls saw.

    A poll sees a new status or progress value some time after it changed, somewhere in the gap
    since the previous poll, so each change is dated to the middle of that gap. The rate between
    the first and the latest change of progress (or from the start of processing, with only one)
    extrapolates to 100 %. What the first observation already showed has no date (a resumed task
    may have been processing for minutes), so it only serves as the baseline. Until there is a
    rate, the forecast is what the policy expects.

    ``origin`` is the clock reading the elapsed times count from, set by the wait that feeds the
    forecast, so that whoever shares it can ask :meth:`seconds_left` at any moment.
    """

    expected_seconds: float
    origin: float | None = None
    processing_since: float | None = None
    first_mark: tuple[float, int] | None = None
    last_mark: tuple[float, int] | None = None
    _last_poll: float | None = None
    _status: str = ""
    _progress: int = 0

    def observe(self, state: TaskState, elapsed: float) -> None:
        first = self._last_poll is None
        changed_at = elapsed if self._last_poll is None else (self._last_poll + elapsed) / 2
        self._last_poll = elapsed
        if not first and state.status == "processing" and self._status != "processing":
            self.processing_since = changed_at
        if not first and state.status == "processing" and state.progress > self._progress:
            self.last_mark = (changed_at, state.progress)
            self.first_mark = self.first_mark or self.last_mark
        self._status, self._progress = state.status, max(self._progress, state.progress)

    def _rate(self) -> float | None:
        """Percent per second, when two dated points allow one."""
        if self.last_mark is None:
            return None
        when, progress = self.last_mark
        if self.first_mark is not None and self.first_mark != self.last_mark:
            since, base = self.first_mark
        elif self.processing_since is not None:
            since, base = self.processing_since, 0
        else:
            return None
        return (progress - base) / (when - since) if when > since else None

    @property
    def has_rate(self) -> bool:
        return self._rate() is not None

    def finish(self) -> float:
        rate = self._rate()
        if rate is None or self.last_mark is None:
            return self.expected_seconds
        when, progress = self.last_mark
        return when + (100 - progress) / rate

    def seconds_left(self, now: float) -> float | None:
        """Seconds from clock reading ``now`` to the forecast end, when there is one worth showing.

        None until progress gives a rate (the policy's guess is no estimate of this task) and once
        the forecast has passed (it was evidently wrong; the next change of progress corrects it).
        """
        if self.origin is None or not self.has_rate:
            return None
        left = self.finish() - (now - self.origin)
        return left if left > 0 else None


@dataclass(frozen=True)
class PollPolicy:
    """How often :meth:`Task.wait` asks, and for how long.

    The provider suggests every 2–5 s, which for a 90 s render is some 25 requests to learn one
    thing: when it ended. So the wait is planned around a forecast of the end
    (:class:`FinishForecast`): each pause covers ``approach`` of the way to the forecast, down to
    ``min_interval`` right at it; past the forecast the pauses grow by ``backoff`` of the time
    overdue, since the forecast was evidently wrong. Nothing waits longer than ``max_interval``.
    Until progress gives a rate the forecast is only ``expected_seconds``, so the distance is
    also capped by the time waited so far (a task much shorter than expected is still caught
    early) and the pauses keep to the provider's 2 s floor.
    """

    min_interval: float = 1.0
    max_interval: float = 10.0
    #: The shortest pause while the end cannot be forecast yet.
    early_interval: float = 2.0
    approach: float = 0.7
    backoff: float = 0.3
    #: How long a video usually takes, start to end, used until the task reports progress.
    expected_seconds: float = 90.0
    #: Past this the page says so and keeps the task id, instead of hanging.
    deadline: float = 20 * 60.0

    def forecast(self) -> FinishForecast:
        return FinishForecast(self.expected_seconds)

    def interval(self, forecast: FinishForecast, elapsed: float) -> float:
        ahead = forecast.finish() - elapsed
        if not forecast.has_rate:
            pause = max(self.early_interval, self.approach * min(abs(ahead), elapsed))
        elif ahead > 0:
            pause = max(self.min_interval, self.approach * ahead)
        else:
            pause = max(self.min_interval, self.backoff * -ahead)
        return min(self.max_interval, pause)
