"""Async client for the Wave task API, and a task object with its lifecycle.

Shaped like httpx and replicate-python: the client takes base URL, key, timeouts and an optional
transport (so tests point it at the simulator on loopback with no branch in the code); a
:class:`Task` holds the server's fields and the verbs that act on it (``reload``, ``wait``,
``cancel``).

Paid work is never lost or doubled: reads (GET, cancel) retry transient failures with capped,
jittered backoff; a submission is retried only when the service provably did not take it
(connection refused, 429), and an ambiguous failure raises :class:`SubmitUncertain`.
"""

from __future__ import annotations

import asyncio
import email.utils
import random
import time
from dataclasses import dataclass, field
from typing import Any, AsyncIterator, Awaitable, Callable

import httpx

from . import errors
from .task_model import TaskState

DEFAULT_BASE_URL = "https://www.qingbo.dev"
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
_RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 5
    base_delay: float = 0.5
    max_delay: float = 8.0
    #: Never wait longer than this for a Retry-After, whatever the service asks.
    max_retry_after: float = 60.0

    def backoff(self, attempt: int) -> float:
        """Full jitter: a random wait up to the capped exponential bound."""
        return random.uniform(0, min(self.max_delay, self.base_delay * 2**attempt))


@dataclass(frozen=True)
class PollPolicy:
    """How often :meth:`Task.wait` asks, and for how long.

    The provider suggests 2–5 s. Far from the expected finish there is no point asking often;
    near it a short interval shows the video the moment it exists.
    """

    min_interval: float = 1.0
    max_interval: float = 5.0
    #: How long a video usually takes to render, used until the task reports progress.
    expected_seconds: float = 90.0
    #: Past this the page says so and keeps the task id, instead of hanging.
    deadline: float = 20 * 60.0

    def interval(self, state: TaskState, elapsed: float) -> float:
        if state.status == "processing" and state.progress > 0:
            # progress gives a rate: estimate the remaining time and poll faster near the end
            remaining = elapsed * (100 - state.progress) / max(state.progress, 1)
        else:
            remaining = self.expected_seconds - elapsed
        return max(self.min_interval, min(self.max_interval, remaining / 3))


def _retry_after_seconds(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        parsed = email.utils.parsedate_to_datetime(value)
        return max(0.0, parsed.timestamp() - time.time()) if parsed else None


def _error_from_response(response: httpx.Response, task_id: str | None = None) -> errors.WaveError:
    message, code = "", None
    try:
        payload = response.json()
        err = payload.get("error") if isinstance(payload, dict) else None
        if isinstance(err, dict):
            message, code = str(err.get("message") or ""), err.get("code")
        elif isinstance(err, str):
            message = err
    except ValueError:
        message = response.reason_phrase or ""
    return errors.error_for_status(response.status_code, message, code,
                                   retry_after=_retry_after_seconds(response), task_id=task_id)


def _parse_task(response: httpx.Response, task_id: str | None = None) -> TaskState:
    try:
        payload = response.json()
        return TaskState.model_validate(payload)
    except ValueError as exc:  # JSONDecodeError and pydantic's ValidationError are both ValueErrors
        raise errors.UnexpectedResponse(f"unreadable task JSON: {str(exc)[:200]}", task_id=task_id) from exc


class WaveClient:
    """One visitor's connection to the Wave API. Holds that visitor's key and nothing global."""

    def __init__(self, api_key: str, base_url: str = DEFAULT_BASE_URL, *,
                 timeout: httpx.Timeout = DEFAULT_TIMEOUT, transport: httpx.AsyncBaseTransport | None = None,
                 retry: RetryPolicy = RetryPolicy(),
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        if not api_key:
            raise ValueError("an API key is required")
        self.base_url = base_url.rstrip("/")
        self.retry = retry
        self._sleep = sleep
        self._http = httpx.AsyncClient(
            base_url=self.base_url,
            timeout=timeout,
            transport=transport,
            headers={"Authorization": f"Bearer {api_key}", "User-Agent": "veo-playground/1.0"},
        )

    async def __aenter__(self) -> "WaveClient":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    def __repr__(self) -> str:  # never show the key
        return f"WaveClient(base_url={self.base_url!r})"

    # -- calls -------------------------------------------------------------------------------

    async def submit(self, body: dict[str, Any]) -> "Task":
        """``POST /v1/tasks``. Retried only where the service provably took nothing."""
        attempt = 0
        while True:
            try:
                response = await self._http.post("/v1/tasks", json=body)
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                # No connection was made, so no task exists: safe to try again.
                if attempt + 1 >= self.retry.attempts:
                    raise errors.ConnectionFailed(type(exc).__name__) from exc
                await self._sleep(self.retry.backoff(attempt))
                attempt += 1
                continue
            except httpx.TransportError as exc:
                raise errors.SubmitUncertain(type(exc).__name__, body=body) from exc
            if response.status_code == 429 and attempt + 1 < self.retry.attempts:
                await self._sleep(self._delay_for(response, attempt))
                attempt += 1
                continue
            if response.status_code >= 500:
                # The service may have created the task before failing: never submit again blindly.
                error = _error_from_response(response)
                raise errors.SubmitUncertain(error.detail or f"HTTP {response.status_code}",
                                             body=body, status=response.status_code)
            if response.status_code >= 400:
                raise _error_from_response(response)
            return Task(self, _parse_task(response))

    async def get(self, task_id: str) -> "Task":
        response = await self._request_with_retry("GET", f"/v1/tasks/{task_id}", task_id)
        return Task(self, _parse_task(response, task_id))

    async def cancel(self, task_id: str) -> "Task":
        """Cancel a queued task; the service refunds it. A started task cannot be cancelled."""
        try:
            response = await self._request_with_retry("POST", f"/v1/tasks/{task_id}/cancel", task_id)
        except errors.InvalidRequest as exc:  # the service's answer to cancelling a started task
            raise errors.CancelRefused(exc.detail, status=exc.status, code=exc.code, task_id=task_id) from exc
        return Task(self, _parse_task(response, task_id))

    async def sync(self, body: dict[str, Any], timeout: float = 60.0) -> "Task":
        """``POST /v1/tasks/sync``: the finished task, or (past its timeout) a pending one to wait on."""
        http_timeout = httpx.Timeout(timeout + 30.0, connect=10.0)
        try:
            response = await self._http.post("/v1/tasks/sync", json={**body, "timeout": timeout},
                                              timeout=http_timeout)
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            raise errors.ConnectionFailed(type(exc).__name__) from exc
        except httpx.TransportError as exc:
            raise errors.SubmitUncertain(type(exc).__name__, body=body) from exc
        if response.status_code >= 500:
            raise errors.SubmitUncertain(f"HTTP {response.status_code}", body=body, status=response.status_code)
        if response.status_code >= 400:
            raise _error_from_response(response)
        return Task(self, _parse_task(response))

    # -- plumbing ----------------------------------------------------------------------------

    def _delay_for(self, response: httpx.Response, attempt: int) -> float:
        retry_after = _retry_after_seconds(response)
        if retry_after is not None:
            return min(retry_after, self.retry.max_retry_after)
        return self.retry.backoff(attempt)

    async def _request_with_retry(self, method: str, path: str, task_id: str) -> httpx.Response:
        """A call that is safe to repeat: transport errors, 429 and 5xx are retried with backoff."""
        for attempt in range(self.retry.attempts):
            try:
                response = await self._http.request(method, path)
            except httpx.TransportError as exc:
                error: errors.WaveError = errors.ConnectionFailed(type(exc).__name__, task_id=task_id)
                delay = self.retry.backoff(attempt)
            else:
                if response.status_code < 400:
                    return response
                error = _error_from_response(response, task_id)
                if response.status_code not in _RETRY_STATUSES:
                    raise error
                delay = self._delay_for(response, attempt)
            if attempt + 1 < self.retry.attempts:
                await self._sleep(delay)
        raise error


@dataclass
class Task:
    """A task and what can be done with it. ``state`` is the latest snapshot from the service."""

    client: WaveClient = field(repr=False)
    state: TaskState

    @property
    def id(self) -> str:
        return self.state.task_id

    @property
    def status(self) -> str:
        return self.state.status

    async def reload(self) -> "Task":
        fresh = await self.client.get(self.id)
        self.state = fresh.state
        return self

    async def cancel(self) -> "Task":
        cancelled = await self.client.cancel(self.id)
        self.state = cancelled.state
        return self

    async def wait(self, policy: PollPolicy = PollPolicy(), *,
                   wake: asyncio.Event | None = None,
                   clock: Callable[[], float] = time.monotonic) -> AsyncIterator[TaskState]:
        """Yield the task's state on every change until it ends; raise if it fails.

        ``wake`` lets a callback cut the current pause short; the state is still confirmed with
        GET, because callbacks are unsigned. Past ``policy.deadline`` raises :class:`PollTimeout`
        carrying the task id, so the page can offer to resume.
        """
        started = clock()
        seen = self.state.fingerprint()
        yield self.state
        while not self.state.is_terminal:
            elapsed = clock() - started
            if elapsed >= policy.deadline:
                raise errors.PollTimeout(f"still {self.state.status} after {int(elapsed)} s", task_id=self.id)
            pause = min(policy.interval(self.state, elapsed), policy.deadline - elapsed)
            await _pause(pause, wake)
            try:
                await self.reload()
            except errors.WaveError as exc:
                if not exc.transient:
                    raise
                continue  # the retries inside reload are spent; keep polling until the deadline
            if self.state.fingerprint() != seen:
                seen = self.state.fingerprint()
                yield self.state
        if self.state.status == "failed":
            err = self.state.error
            raise errors.task_failure(err.message if err else "", err.code if err else None, self.id)


async def _pause(seconds: float, wake: asyncio.Event | None) -> None:
    if wake is None:
        await asyncio.sleep(seconds)
        return
    try:
        await asyncio.wait_for(wake.wait(), timeout=seconds)
    except asyncio.TimeoutError:
        pass
    wake.clear()
