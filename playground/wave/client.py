"""Async client for the Wave task API: the calls, over one send path.

Shaped like httpx and replicate-python: the client takes base URL, key, timeouts and an optional
transport (so tests point it at the simulator on loopback with no branch in the code), and
answers :class:`~playground.wave.task.Task` objects that carry the verbs acting on a task.

Every call goes through :meth:`WaveClient._send`: retry (:mod:`.retry`) under it, transport
failures mapped to typed errors in one place (:func:`.wire.map_transport_errors`) around it. Paid
work is never lost or doubled: reads (GET, cancel) retry transient failures with capped, jittered
backoff; a submission is retried only when the service provably did not take it (connection
refused, 429), and an ambiguous failure raises :class:`SubmitUncertain`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from ..net.tls import shared_tls
from ..texts import text
from . import errors
from .redact import Redactor
from .retry import RESEND, Resend, RetryingSender, RetryPolicy
from .task import Task
from .wire import error_from_response, map_transport_errors, parse_task, salvage_task_id

DEFAULT_BASE_URL = "https://www.qingbo.dev"
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
_DEFAULT_RETRY = RetryPolicy()

# Why a request never left, or what became of one that did: the details of the errors raised here.
BROKEN_CHARACTER = text("wave.client.broken_character", "the text has a broken character (an unpaired surrogate)")
NOT_JSON = text("wave.client.not_json", "the request cannot be written as JSON: {reason}")
CREATED_UNREADABLE = text("wave.client.created_unreadable", "task {task_id} was created but cannot be read: {detail}")


class WaveClient:
    """One visitor's connection to the Wave API. Holds that visitor's key and nothing global.

    Everything the provider answers is redacted of ``api_key`` and of ``also_redact`` (the server's
    own key, when a visitor's key is in use) before it leaves this class.
    """

    def __init__(
        self,
        api_key: str,
        base_url: str = DEFAULT_BASE_URL,
        *,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        transport: httpx.AsyncBaseTransport | None = None,
        retry: RetryPolicy = _DEFAULT_RETRY,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        also_redact: tuple[str | None, ...] = (),
    ) -> None:
        if not api_key:
            raise ValueError("an API key is required")
        self.base_url = base_url.rstrip("/")
        self._redactor = Redactor.of(api_key, *also_redact)
        # A line break in a header would inject headers, a non-ASCII one fails to encode: such a key
        # never goes into a header, and every call says so instead of sending anything.
        self._key_usable = all(33 <= ord(c) <= 126 for c in api_key)
        headers = {"User-Agent": "veo-playground/1.0"}
        if self._key_usable:
            headers["Authorization"] = f"Bearer {api_key}"
        self._http = httpx.AsyncClient(
            base_url=self.base_url, timeout=timeout, transport=transport, headers=headers, verify=shared_tls()
        )
        self._sender = RetryingSender(self._http.send, retry, sleep)

    async def __aenter__(self) -> WaveClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    def __repr__(self) -> str:  # never show the key
        return f"WaveClient(base_url={self.base_url!r})"

    @property
    def retry(self) -> RetryPolicy:
        return self._sender.policy

    # -- calls -------------------------------------------------------------------------------

    async def submit(self, body: dict[str, Any]) -> Task:
        """``POST /v1/tasks``. Retried only where the service provably took nothing."""
        response = await self._send(self._build("POST", "/v1/tasks", body), submission=body)
        if response.status_code >= 500:
            # The service may have created the task before failing: never submit again blindly.
            error = error_from_response(response, self._redactor)
            raise errors.SubmitUncertain(
                error.detail or f"HTTP {response.status_code}", body=body, status=response.status_code
            )
        if response.status_code >= 400:
            raise error_from_response(response, self._redactor)
        return await self._accepted(response, body)

    async def _accepted(self, response: httpx.Response, body: dict[str, Any]) -> Task:
        """The task a 2xx submission answered. The service took the request, so an unreadable
        answer must not read as "nothing happened": the id is looked for in what did arrive and
        the task fetched, and without an id the submission is reported as uncertain."""
        try:
            return Task(self, parse_task(response, self._redactor))
        except errors.UnexpectedResponse as exc:
            task_id = salvage_task_id(self._redactor.text(response.text))
            if task_id is None:
                raise errors.SubmitUncertain(exc.detail, body=body, status=response.status_code) from exc
        try:
            return await self.get(task_id)
        except errors.WaveError as exc:
            raise errors.SubmitUncertain(
                CREATED_UNREADABLE(task_id=task_id, detail=exc.detail), body=body, task_id=task_id
            ) from exc

    async def get(self, task_id: str) -> Task:
        response = await self._read(self._build("GET", f"/v1/tasks/{task_id}"), task_id)
        return Task(self, parse_task(response, self._redactor, task_id))

    async def cancel(self, task_id: str) -> Task:
        """Cancel a queued task; the service refunds it. A started task cannot be cancelled.

        A POST, yet retried like a read (transport errors, 429, 5xx): cancelling a task twice
        cancels it once, so the request is marked :attr:`Resend.IDEMPOTENT`.
        """
        request = self._build("POST", f"/v1/tasks/{task_id}/cancel", resend=Resend.IDEMPOTENT)
        try:
            response = await self._read(request, task_id)
        except (errors.InvalidRequest, errors.RequestRefused) as exc:
            if exc.status not in (400, 409):  # the service's answers to cancelling a started task
                raise
            raise errors.CancelRefused(exc.detail, status=exc.status, code=exc.code, task_id=task_id) from exc
        return Task(self, parse_task(response, self._redactor, task_id))

    async def sync(self, body: dict[str, Any], timeout: float = 60.0) -> Task:
        """``POST /v1/tasks/sync``: the finished task, or (past its timeout) a pending one to wait on.

        Sent once (:attr:`Resend.ONCE`), whatever happens: this call has never been repeated.
        """
        http_timeout = httpx.Timeout(timeout + 30.0, connect=10.0)
        request = self._build(
            "POST", "/v1/tasks/sync", {**body, "timeout": timeout}, resend=Resend.ONCE, timeout=http_timeout
        )
        response = await self._send(request, submission=body)
        if response.status_code >= 500:
            raise errors.SubmitUncertain(f"HTTP {response.status_code}", body=body, status=response.status_code)
        if response.status_code >= 400:
            raise error_from_response(response, self._redactor)
        return Task(self, parse_task(response, self._redactor))

    # -- the send path -----------------------------------------------------------------------

    def _build(
        self, method: str, path: str, body: dict[str, Any] | None = None, *, resend: Resend | None = None, **kwargs: Any
    ) -> httpx.Request:
        """The request, or why it cannot be sent: before anything touches the network."""
        if not self._key_usable:
            raise errors.UnusableKey()
        if resend is not None:
            kwargs["extensions"] = {RESEND: resend.value}
        try:
            return self._http.build_request(method, path, json=body, **kwargs)
        except UnicodeEncodeError as exc:
            raise errors.RequestNotSent(BROKEN_CHARACTER()) from exc
        except (TypeError, ValueError) as exc:  # e.g. NaN, which JSON cannot carry
            raise errors.RequestNotSent(NOT_JSON(reason=str(exc)[:120])) from exc

    async def _send(
        self, request: httpx.Request, *, task_id: str | None = None, submission: dict[str, Any] | None = None
    ) -> httpx.Response:
        """Every call's one way out: retried as the request allows, transport failures typed.

        The answer comes back whatever its status; ``submission`` is the body of a call that
        creates a task, which makes a failure after connecting :class:`SubmitUncertain`.
        """
        with map_transport_errors(task_id=task_id, submission=submission):
            return await self._sender.send(request)

    async def _read(self, request: httpx.Request, task_id: str) -> httpx.Response:
        """A call about a known task: its answer, or the typed refusal once the retries are spent."""
        response = await self._send(request, task_id=task_id)
        if response.status_code >= 400:
            raise error_from_response(response, self._redactor, task_id)
        return response
