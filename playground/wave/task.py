"""A task and its lifecycle: reload, cancel, and waiting to its end on the polling plan.

A :class:`Task` holds the service's latest snapshot and the verbs that act on it, as
replicate-python's ``Prediction`` does; the calls themselves are :class:`WaveClient`'s.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol

from ..texts import text
from . import errors
from .polling import FinishForecast, PollPolicy
from .state import TaskState

_DEFAULT_POLL = PollPolicy()
#: Why a wait ended before the task did (``{status}`` is the service's own word: queued, processing).
STILL_RUNNING = text("wave.task.still_running", "still {status} after {seconds} s")


class TaskCalls(Protocol):
    """The calls a task's verbs need; :class:`~playground.wave.client.WaveClient` is the one there is.

    A protocol rather than the client's class, so this module and the client's do not import each other.
    """

    async def get(self, task_id: str) -> Task: ...

    async def cancel(self, task_id: str) -> Task: ...


@dataclass
class Task:
    """A task and what can be done with it. ``state`` is the latest snapshot from the service."""

    client: TaskCalls = field(repr=False)
    state: TaskState

    @property
    def id(self) -> str:
        return self.state.task_id

    @property
    def status(self) -> str:
        return self.state.status

    async def reload(self) -> Task:
        fresh = await self.client.get(self.id)
        self.state = fresh.state
        return self

    async def cancel(self) -> Task:
        cancelled = await self.client.cancel(self.id)
        self.state = cancelled.state
        return self

    async def wait(
        self,
        policy: PollPolicy = _DEFAULT_POLL,
        *,
        wake: asyncio.Event | None = None,
        clock: Callable[[], float] = time.monotonic,
        pause: Pause | None = None,
        forecast: FinishForecast | None = None,
    ) -> AsyncIterator[TaskState]:
        """Yield the task's state on every change until it ends; raise if it fails.

        ``wake`` lets a callback cut the current pause short; the state is still confirmed with
        GET at once, because callbacks are unsigned. A wake that proves early (the task has not
        ended) makes the next ``policy.min_interval`` deaf to wakes, so a flood of posts cannot
        turn into a flood of GETs. Past ``policy.deadline`` raises :class:`PollTimeout` carrying
        the task id, so the page can offer to resume. ``clock`` and ``pause`` let tests run the
        schedule in virtual time. A ``forecast`` passed in is the one this wait plans with, so the
        caller can show the same end (:meth:`FinishForecast.seconds_left`) as the polls aim at.
        """
        pause = pause or pause_until_woken
        started = clock()
        forecast = policy.forecast() if forecast is None else forecast
        forecast.origin = started
        forecast.observe(self.state, 0.0)
        seen = self.state.fingerprint()
        deaf = 0.0
        yield self.state
        while not self.state.is_terminal:
            elapsed = clock() - started
            if elapsed >= policy.deadline:
                raise errors.PollTimeout(STILL_RUNNING(status=self.state.status, seconds=int(elapsed)), task_id=self.id)
            seconds = min(policy.interval(forecast, elapsed), policy.deadline - elapsed)
            woken = await pause(seconds, wake, min(deaf, seconds))
            try:
                await self.reload()
            except errors.WaveError as exc:
                if not exc.transient:
                    raise
                continue  # the retries inside reload are spent; keep polling until the deadline
            forecast.observe(self.state, clock() - started)
            deaf = policy.min_interval if woken and not self.state.is_terminal else 0.0
            if self.state.fingerprint() != seen:
                seen = self.state.fingerprint()
                yield self.state
        if self.state.status == "failed":
            err = self.state.error
            raise errors.task_failure(err.message if err else "", err.code if err else None, self.id)


#: ``pause(seconds, wake, deaf)``: wait ``seconds`` or until ``wake`` is set (not during the first
#: ``deaf`` seconds); answer whether the wake ended it.
Pause = Callable[[float, "asyncio.Event | None", float], Awaitable[bool]]


async def pause_until_woken(seconds: float, wake: asyncio.Event | None, deaf: float = 0.0) -> bool:
    if wake is None:
        await asyncio.sleep(seconds)
        return False
    if deaf > 0:
        await asyncio.sleep(deaf)  # a wake set meanwhile stays set and ends the rest at once
    if not wake.is_set():
        try:
            await asyncio.wait_for(wake.wait(), timeout=max(0.0, seconds - deaf))
        except TimeoutError:
            return False
    wake.clear()
    return True
