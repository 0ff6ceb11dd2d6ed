"""Retry as a layer of its own, under every call: paid work is never lost, and never doubled.

Modelled on replicate-python's ``RetryTransport``: a request is repeated on a transient failure
with capped, jittered backoff (or the service's ``Retry-After``, capped too), and which failures
count depends on whether the request is safe to repeat. The retryable methods leave POST out: a
POST is re-sent only where the service provably did not take it (no connection was made; 429).

The layer wraps the client's ``send`` rather than its transport: a transport handed to
``httpx.AsyncClient`` turns off the proxies httpx reads from the environment, and wrapping
``send`` leaves whatever transport (and proxy) httpx chose as it is.
"""

from __future__ import annotations

import enum
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx

from .wire import NO_CONNECTION, may_resend_after, retry_after_seconds

#: Methods the HTTP standard makes idempotent: sending them twice does what sending once does.
RETRYABLE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"})
_TRANSIENT_STATUSES = frozenset({429, 500, 502, 503, 504})
#: A 429 is the one answer that proves the service took nothing: it refused before doing any work.
_UNTAKEN_STATUSES = frozenset({429})
#: The request extension a call sets to say how it may be repeated, when its method does not.
RESEND = "playground.resend"


class Resend(enum.Enum):
    """When a request may be sent again after a failure."""

    #: After any failure but one where nothing could be sent, and on 429 and 5xx: the call can be
    #: repeated. The default for the retryable methods; a POST that is harmless twice (cancelling
    #: a task twice cancels it once) carries it in the :data:`RESEND` extension.
    IDEMPOTENT = "idempotent"
    #: Only where the service provably took nothing (no connection made; 429). The default for POST.
    UNTAKEN = "untaken"
    #: Never: sent once, whatever happens (``POST /v1/tasks/sync``, which this client never repeated).
    ONCE = "once"

    @classmethod
    def of(cls, request: httpx.Request) -> Resend:
        marked = request.extensions.get(RESEND)
        if marked is not None:
            return cls(marked)
        return cls.IDEMPOTENT if request.method in RETRYABLE_METHODS else cls.UNTAKEN

    def after_failure(self, exc: httpx.TransportError) -> bool:
        if self is Resend.IDEMPOTENT:
            return may_resend_after(exc)
        return self is Resend.UNTAKEN and isinstance(exc, NO_CONNECTION)

    def after_status(self, status: int) -> bool:
        if self is Resend.IDEMPOTENT:
            return status in _TRANSIENT_STATUSES
        return self is Resend.UNTAKEN and status in _UNTAKEN_STATUSES


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

    def delay_for(self, response: httpx.Response, attempt: int) -> float:
        """The service's Retry-After within our cap, else our own backoff."""
        retry_after = retry_after_seconds(response)
        if retry_after is not None:
            return min(retry_after, self.max_retry_after)
        return self.backoff(attempt)


Send = Callable[[httpx.Request], Awaitable[httpx.Response]]


class RetryingSender:
    """``send`` repeated as :class:`Resend` allows, at most ``policy.attempts`` times in all.

    The last attempt's outcome is passed on as it came: its exception raised, or its response
    returned (a 429 or 5xx included), for the caller to turn into a typed error.
    """

    def __init__(self, send: Send, policy: RetryPolicy, sleep: Callable[[float], Awaitable[None]]) -> None:
        self._send = send
        self.policy = policy
        self._sleep = sleep

    async def send(self, request: httpx.Request) -> httpx.Response:
        resend = Resend.of(request)
        attempt = 0
        while True:
            last = attempt + 1 >= self.policy.attempts
            try:
                response = await self._send(request)
            except httpx.TransportError as exc:
                if last or not resend.after_failure(exc):
                    raise
                delay = self.policy.backoff(attempt)
            else:
                if last or not resend.after_status(response.status_code):
                    return response
                delay = self.policy.delay_for(response, attempt)
            await self._sleep(delay)
            attempt += 1
