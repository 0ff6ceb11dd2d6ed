"""Provider callbacks: a route served beside Gradio that wakes the run waiting on a task.

When the app has a public base URL, each run opens a :class:`CallbackTicket`: an unguessable token
in the ``callback_url`` it submits, and an event its :meth:`Task.wait <playground.wave.client.Task.wait>`
listens on. The contract documents no signature on callbacks, so a callback is only a hint: it
wakes the wait, which confirms with ``GET /v1/tasks/{id}`` before anything is shown. Its body is
read only far enough to compare a task id, never kept, trusted or displayed. Polling goes on
meanwhile, so a callback that never arrives costs nothing but speed.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import secrets
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import fastapi
from fastapi import Request, Response
from starlette.requests import ClientDisconnect

#: A task's JSON is a few kilobytes; anything far larger is not worth reading.
MAX_BODY_BYTES = 64 * 1024
#: A sender that trickles its body gets no more of our time than this.
BODY_TIMEOUT = 5.0


@dataclass
class CallbackTicket:
    """One run's way to be woken. The token is the only secret: it is the whole credential."""

    token: str = field(repr=False)
    url: str = field(repr=False)
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    task_id: str | None = None
    #: The loop the waiting run lives on; the route may run on another thread's loop.
    loop: asyncio.AbstractEventLoop | None = field(default=None, repr=False)

    def ring(self) -> None:
        """Set ``wake`` from whichever thread the callback arrived on."""
        loop = self.loop
        try:
            current = asyncio.get_running_loop()
        except RuntimeError:
            current = None
        if loop is None or loop is current or loop.is_closed():
            self.wake.set()
        else:
            loop.call_soon_threadsafe(self.wake.set)


def token_hash(token: str) -> str:
    """What the history keeps of a route's token: enough to find its run, useless as a credential."""
    return hashlib.sha256(token.encode()).hexdigest()


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


class CallbackHub:
    """The open tickets of one app, and the route that rings them. Holds no key and no result."""

    def __init__(
        self,
        public_base_url: str,
        *,
        prefix: str = "/hooks/wave",
        elsewhere: Callable[[str], Awaitable[bool]] | None = None,
    ) -> None:
        self.base = public_base_url.rstrip("/") + "/" + prefix.strip("/")
        #: Wakes a run another replica follows, by its token's hash; whether there is one.
        self.elsewhere = elsewhere
        self.prefix = "/" + prefix.strip("/")
        self._tickets: dict[str, CallbackTicket] = {}
        self._lock = threading.Lock()  # runs open and close tickets from Gradio's worker threads too

    def open(self) -> CallbackTicket:
        token = secrets.token_urlsafe(32)
        ticket = CallbackTicket(token=token, url=f"{self.base}/{token}", loop=_running_loop())
        with self._lock:
            self._tickets[token] = ticket
        return ticket

    def bind(self, ticket: CallbackTicket, task_id: str) -> None:
        """Name the task once submit has answered; from then on a callback must be about it."""
        ticket.task_id = task_id
        ticket.loop = ticket.loop or _running_loop()

    def close(self, ticket: CallbackTicket) -> None:
        with self._lock:
            self._tickets.pop(ticket.token, None)

    def owns(self, url: str) -> bool:
        """Whether ``url`` is one of this hub's callback URLs (to keep it out of what a visitor sees)."""
        return url.startswith(self.base + "/")

    @property
    def open_count(self) -> int:
        """Tickets not yet closed: a run that forgets ``close`` shows here."""
        with self._lock:
            return len(self._tickets)

    def _find(self, token: str) -> CallbackTicket | None:
        with self._lock:
            return self._tickets.get(token)

    def router(self) -> fastapi.APIRouter:
        router = fastapi.APIRouter()

        @router.post(self.prefix + "/{token}", include_in_schema=False)
        async def receive(token: str, request: Request) -> Response:
            ticket = self._find(token)
            if ticket is None:
                # Behind a balancer the callback may reach a replica that did not send the run.
                found = self.elsewhere is not None and len(token) <= 64 and await self.elsewhere(token_hash(token))
                return Response(status_code=202 if found else 404)
            # Unbound, it beat submit's answer: any post rings, and the wait will GET once it starts.
            if ticket.task_id is None or not _names_other_task(await _read_capped(request), ticket.task_id):
                ticket.ring()
            return Response(status_code=202)  # the same answer either way: nothing to learn from it

        return router


async def _read_capped(request: Request) -> bytes | None:
    """The body, or None when it is too large or too slow to be worth reading."""
    chunks: list[bytes] = []
    size = 0

    async def read() -> bytes | None:
        nonlocal size
        async for chunk in request.stream():
            size += len(chunk)
            if size > MAX_BODY_BYTES:
                return None
            chunks.append(chunk)
        return b"".join(chunks)

    try:
        return await asyncio.wait_for(read(), BODY_TIMEOUT)
    except (TimeoutError, ClientDisconnect, OSError):
        return None


def _names_other_task(body: bytes | None, task_id: str) -> bool:
    """True only when the body is readable JSON naming a different task: anything else is a hint."""
    if body is None:
        return False
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return False
    named = payload.get("task_id") if isinstance(payload, dict) else None
    return isinstance(named, str) and named != task_id


def with_callback(body: dict, ticket: CallbackTicket) -> dict:
    """The request with our callback URL, unless the visitor gave their own (theirs is kept)."""
    if body.get("callback_url"):
        return body
    return {**body, "callback_url": ticket.url}
