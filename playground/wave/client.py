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
import datetime
import email.utils
import math
import random
import re
import time
from dataclasses import dataclass, field
from typing import Any, AsyncIterator, Awaitable, Callable

import httpx

from . import errors
from .redact import Redactor
from .state import TaskState
from ..net.tls import shared_tls

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


@dataclass
class FinishForecast:
    """When a task will probably end, in seconds since the wait began, from what the polls saw.

    A poll sees a new status or progress value some time after it changed, somewhere in the gap
    since the previous poll, so each change is dated to the middle of that gap. The rate between
    the first and the latest change of progress (or from the start of processing, with only one)
    extrapolates to 100 %. What the first observation already showed has no date (a resumed task
    may have been processing for minutes), so it only serves as the baseline. Until there is a
    rate, the forecast is what the policy expects.
    """

    expected_seconds: float
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


def _retry_after_seconds(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:  # the other form the header allows: an HTTP date
            parsed = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None  # junk: fall back to our own backoff rather than fail the call
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=datetime.timezone.utc)  # HTTP dates are GMT
        seconds = parsed.timestamp() - time.time()
    return max(0.0, seconds) if math.isfinite(seconds) else None


def _error_from_response(response: httpx.Response, redactor: Redactor,
                         task_id: str | None = None) -> errors.WaveError:
    """The typed error for a refusal; all the provider's words in it are redacted (it may echo the key)."""
    message, code = "", None
    try:
        payload = redactor.value(response.json())
        err = payload.get("error") if isinstance(payload, dict) else None
        if isinstance(err, dict):
            message = str(err.get("message") or "")
            code = None if err.get("code") is None else str(err["code"])
        elif isinstance(err, str):
            message = err
    except ValueError:
        message = redactor.text(response.reason_phrase or "")
    return errors.error_for_status(response.status_code, message, code,
                                   retry_after=_retry_after_seconds(response), task_id=task_id)


_TASK_ID = re.compile(r'"task_id"\s*:\s*"([A-Za-z0-9_.:-]{1,128})"')


def _salvage_task_id(text: str) -> str | None:
    """The task id from an answer cut short or wrapped in junk, when it made it through."""
    match = _TASK_ID.search(text)
    return match.group(1) if match else None


def _parse_task(response: httpx.Response, redactor: Redactor, task_id: str | None = None) -> TaskState:
    """The task as answered, redacted before pydantic sees it, so no field, extra or error text keeps a key."""
    try:
        payload = redactor.value(response.json())
        return TaskState.model_validate(payload)
    except ValueError as exc:  # JSONDecodeError and pydantic's ValidationError are both ValueErrors
        # Redacted before cutting: a cut through the middle of a key would no longer match.
        reason = redactor.text(str(exc))[:200]
        raise errors.UnexpectedResponse(f"unreadable task JSON: {reason}", task_id=task_id) from None


class WaveClient:
    """One visitor's connection to the Wave API. Holds that visitor's key and nothing global.

    Everything the provider answers is redacted of ``api_key`` and of ``also_redact`` (the server's
    own key, when a visitor's key is in use) before it leaves this class.
    """

    def __init__(self, api_key: str, base_url: str = DEFAULT_BASE_URL, *,
                 timeout: httpx.Timeout = DEFAULT_TIMEOUT, transport: httpx.AsyncBaseTransport | None = None,
                 retry: RetryPolicy = RetryPolicy(),
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
                 also_redact: tuple[str | None, ...] = ()) -> None:
        if not api_key:
            raise ValueError("an API key is required")
        self.base_url = base_url.rstrip("/")
        self._redactor = Redactor.of(api_key, *also_redact)
        self.retry = retry
        self._sleep = sleep
        # A line break in a header would inject headers, a non-ASCII one fails to encode: such a key
        # never goes into a header, and every call says so instead of sending anything.
        self._key_usable = all(33 <= ord(c) <= 126 for c in api_key)
        headers = {"User-Agent": "veo-playground/1.0"}
        if self._key_usable:
            headers["Authorization"] = f"Bearer {api_key}"
        self._http = httpx.AsyncClient(base_url=self.base_url, timeout=timeout, transport=transport, headers=headers,
                                       verify=shared_tls())

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
        request = self._build("POST", "/v1/tasks", body)
        attempt = 0
        while True:
            try:
                response = await self._http.send(request)
            except (httpx.LocalProtocolError, httpx.UnsupportedProtocol) as exc:
                raise errors.RequestNotSent(type(exc).__name__) from exc
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
                error = _error_from_response(response, self._redactor)
                raise errors.SubmitUncertain(error.detail or f"HTTP {response.status_code}",
                                             body=body, status=response.status_code)
            if response.status_code >= 400:
                raise _error_from_response(response, self._redactor)
            return await self._accepted(response, body)

    async def _accepted(self, response: httpx.Response, body: dict[str, Any]) -> "Task":
        """The task a 2xx submission answered. The service took the request, so an unreadable
        answer must not read as "nothing happened": the id is looked for in what did arrive and
        the task fetched, and without an id the submission is reported as uncertain."""
        try:
            return Task(self, _parse_task(response, self._redactor))
        except errors.UnexpectedResponse as exc:
            task_id = _salvage_task_id(self._redactor.text(response.text))
            if task_id is None:
                raise errors.SubmitUncertain(exc.detail, body=body, status=response.status_code) from exc
        try:
            return await self.get(task_id)
        except errors.WaveError as exc:
            raise errors.SubmitUncertain(f"task {task_id} was created but cannot be read: {exc.detail}",
                                         body=body, task_id=task_id) from exc

    async def get(self, task_id: str) -> "Task":
        response = await self._request_with_retry("GET", f"/v1/tasks/{task_id}", task_id)
        return Task(self, _parse_task(response, self._redactor, task_id))

    async def cancel(self, task_id: str) -> "Task":
        """Cancel a queued task; the service refunds it. A started task cannot be cancelled."""
        try:
            response = await self._request_with_retry("POST", f"/v1/tasks/{task_id}/cancel", task_id)
        except (errors.InvalidRequest, errors.RequestRefused) as exc:
            if exc.status not in (400, 409):  # the service's answers to cancelling a started task
                raise
            raise errors.CancelRefused(exc.detail, status=exc.status, code=exc.code, task_id=task_id) from exc
        return Task(self, _parse_task(response, self._redactor, task_id))

    async def sync(self, body: dict[str, Any], timeout: float = 60.0) -> "Task":
        """``POST /v1/tasks/sync``: the finished task, or (past its timeout) a pending one to wait on."""
        http_timeout = httpx.Timeout(timeout + 30.0, connect=10.0)
        request = self._build("POST", "/v1/tasks/sync", {**body, "timeout": timeout}, timeout=http_timeout)
        try:
            response = await self._http.send(request)
        except (httpx.LocalProtocolError, httpx.UnsupportedProtocol) as exc:
            raise errors.RequestNotSent(type(exc).__name__) from exc
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            raise errors.ConnectionFailed(type(exc).__name__) from exc
        except httpx.TransportError as exc:
            raise errors.SubmitUncertain(type(exc).__name__, body=body) from exc
        if response.status_code >= 500:
            raise errors.SubmitUncertain(f"HTTP {response.status_code}", body=body, status=response.status_code)
        if response.status_code >= 400:
            raise _error_from_response(response, self._redactor)
        return Task(self, _parse_task(response, self._redactor))

    # -- plumbing ----------------------------------------------------------------------------

    def _build(self, method: str, path: str, body: dict[str, Any] | None = None, **kwargs: Any) -> httpx.Request:
        """The request, or why it cannot be sent: before anything touches the network."""
        if not self._key_usable:
            raise errors.UnusableKey()
        try:
            return self._http.build_request(method, path, json=body, **kwargs)
        except UnicodeEncodeError as exc:
            raise errors.RequestNotSent("the text has a broken character (an unpaired surrogate)") from exc
        except (TypeError, ValueError) as exc:  # e.g. NaN, which JSON cannot carry
            raise errors.RequestNotSent(f"the request cannot be written as JSON: {str(exc)[:120]}") from exc

    def _delay_for(self, response: httpx.Response, attempt: int) -> float:
        retry_after = _retry_after_seconds(response)
        if retry_after is not None:
            return min(retry_after, self.retry.max_retry_after)
        return self.retry.backoff(attempt)

    async def _request_with_retry(self, method: str, path: str, task_id: str) -> httpx.Response:
        """A call that is safe to repeat: transport errors, 429 and 5xx are retried with backoff."""
        request = self._build(method, path)
        for attempt in range(self.retry.attempts):
            try:
                response = await self._http.send(request)
            except (httpx.LocalProtocolError, httpx.UnsupportedProtocol) as exc:
                raise errors.RequestNotSent(type(exc).__name__, task_id=task_id) from exc
            except httpx.TransportError as exc:
                error: errors.WaveError = errors.ConnectionFailed(type(exc).__name__, task_id=task_id)
                delay = self.retry.backoff(attempt)
            else:
                if response.status_code < 400:
                    return response
                error = _error_from_response(response, self._redactor, task_id)
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
                   clock: Callable[[], float] = time.monotonic,
                   pause: Pause | None = None) -> AsyncIterator[TaskState]:
        """Yield the task's state on every change until it ends; raise if it fails.

        ``wake`` lets a callback cut the current pause short; the state is still confirmed with
        GET at once, because callbacks are unsigned. A wake that proves early (the task has not
        ended) makes the next ``policy.min_interval`` deaf to wakes, so a flood of posts cannot
        turn into a flood of GETs. Past ``policy.deadline`` raises :class:`PollTimeout` carrying
        the task id, so the page can offer to resume. ``clock`` and ``pause`` let tests run the
        schedule in virtual time.
        """
        pause = pause or pause_until_woken
        started = clock()
        forecast = policy.forecast()
        forecast.observe(self.state, 0.0)
        seen = self.state.fingerprint()
        deaf = 0.0
        yield self.state
        while not self.state.is_terminal:
            elapsed = clock() - started
            if elapsed >= policy.deadline:
                raise errors.PollTimeout(f"still {self.state.status} after {int(elapsed)} s", task_id=self.id)
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
        except asyncio.TimeoutError:
            return False
    wake.clear()
    return True
