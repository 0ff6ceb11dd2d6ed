"""Faults below the routes: what a flaky network or a broken proxy does to an answer.

A route can only answer; it cannot drop the connection without a word, cut a body short or send it
a trickle at a time. This layer sits between uvicorn and the FastAPI app, takes the route's next
fault when it is one of :data:`~.engine.WIRE_KINDS`, and does it to the real answer (or instead of
it). A drop is a TCP reset on uvicorn's own transport, so the client sees exactly what it would see
on the internet: no status, no body, ``ECONNRESET``.
"""

from __future__ import annotations

import asyncio
import json
import re
import socket
import struct
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI

from .engine import Fault, Route, Simulator, key_fingerprint

Message = dict[str, Any]
Send = Callable[[Message], Awaitable[None]]
Receive = Callable[[], Awaitable[Message]]
App = Callable[[dict, Receive, Send], Awaitable[None]]

_ROUTES: tuple[tuple[str, re.Pattern[str], Route], ...] = (
    ("POST", re.compile(r"/v1/tasks/sync"), "sync"),
    ("POST", re.compile(r"/v1/tasks/[^/]+/cancel"), "cancel"),
    ("POST", re.compile(r"/v1/tasks/?"), "submit"),
    ("GET", re.compile(r"/v1/tasks/[^/]+"), "get"),
    ("GET", re.compile(r"/files/[^/]+/[^/]+"), "media"),
    ("POST", re.compile(r"/uploads"), "upload"),
)


def route_of(method: str, path: str) -> Route | None:
    for verb, pattern, route in _ROUTES:
        if method == verb and pattern.fullmatch(path):
            return route
    return None


class WireFaultsAPI(FastAPI):
    """The simulator's FastAPI app, reached through :func:`serve` so wire faults can happen."""

    def __init__(self, sim: Simulator, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.simulator = sim

    async def __call__(self, scope: dict, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        await serve(self.simulator, super().__call__, scope, receive, send)


async def serve(sim: Simulator, app: App, scope: dict, receive: Receive, send: Send) -> None:
    route = route_of(scope["method"], scope["path"])
    fault = sim.faults.take_wire(route, _owner(sim, route, scope)) if route else None
    if fault is None:
        await app(scope, receive, send)
        return
    if fault.delay and fault.kind != "trickle":
        await asyncio.sleep(fault.delay)
    if fault.kind == "reset":
        await (
            _reset_after_work(app, scope, receive, send)
            if fault.after_work
            else _reset_unanswered(sim, scope, receive, send)
        )
    elif fault.kind == "gone":
        await _gone(sim, scope, receive, send)
    elif fault.kind == "trickle":
        await app(scope, receive, _trickling(send, fault))
    else:
        await _rewritten(app, scope, receive, send, fault)


def _bearer(scope: dict) -> str:
    for name, value in scope["headers"]:
        if name.lower() == b"authorization":
            scheme, _, key = value.decode("latin-1").partition(" ")
            return key.strip() if scheme.lower() == "bearer" else ""
    return ""


def _owner(sim: Simulator, route: Route, scope: dict) -> str | None:
    """Whose request this is, as the routes will see it: the key, or for a file its task's owner."""
    if route == "media":
        return sim.owner_of(scope["path"].split("/")[2])
    key = _bearer(scope)
    return key_fingerprint(key) if key else None


# --------------------------------------------------------------------------- dropping the connection


def _transport(send: Send) -> asyncio.Transport:
    """uvicorn's transport for this request: its ``send`` is a method of the request cycle."""
    transport = getattr(getattr(send, "__self__", None), "transport", None)
    if transport is None:
        raise RuntimeError("dropping a connection needs the simulator to run under uvicorn")
    return transport


def _client_gone(send: Send) -> bool:
    return bool(getattr(getattr(send, "__self__", None), "disconnected", False))


async def _drop(send: Send) -> None:
    """Close with a TCP reset (SO_LINGER 0), the way a crashed proxy or a NAT timeout looks."""
    transport = _transport(send)
    sock = transport.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()
    await asyncio.sleep(0)  # let uvicorn see the connection is gone before the app returns


async def _record(sim: Simulator, scope: dict, receive: Receive) -> str:
    """Log a request the routes never see, as they would have (the log proves what was sent)."""
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    try:
        payload = json.loads(body) if body else None
    except ValueError:
        payload = None
    key = _bearer(scope)
    owner = key_fingerprint(key) if key else ""
    sim.record(scope["method"], scope["path"], owner, payload if isinstance(payload, dict) else None)
    return owner


async def _reset_unanswered(sim: Simulator, scope: dict, receive: Receive, send: Send) -> None:
    await _record(sim, scope, receive)
    await _drop(send)


async def _reset_after_work(app: App, scope: dict, receive: Receive, send: Send) -> None:
    dropped = False

    async def drop_instead(message: Message) -> None:
        nonlocal dropped
        if not dropped:
            dropped = True
            await _drop(send)

    await app(scope, receive, drop_instead)


# --------------------------------------------------------------------------- answers that lie


async def _gone(sim: Simulator, scope: dict, receive: Receive, send: Send) -> None:
    """404 in the service's own words, as if it had lost the task (or the file)."""
    await _record(sim, scope, receive)
    name = scope["path"].rstrip("/").rsplit("/", 1)[-1]
    message, code = (
        (f"Task {name} not found", "task_not_found")
        if scope["path"].startswith("/v1/")
        else ("No such file", "not_found")
    )
    body = json.dumps({"error": {"message": message, "code": code}}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 404,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def _rewritten(app: App, scope: dict, receive: Receive, send: Send, fault: Fault) -> None:
    """Run the real route, then send its answer changed: cut, or with an odd status value."""
    start: Message = {}
    chunks: list[bytes] = []

    async def hold(message: Message) -> None:
        if message["type"] == "http.response.start":
            start.update(message)
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, hold)
    body = b"".join(chunks)
    headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
    if fault.kind == "cut":
        # The real length is announced, half arrives, then the connection drops.
        await send({**start, "headers": headers + [(b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body[: len(body) // 2], "more_body": True})
        await _drop(send)
        return
    if fault.kind == "truncate":
        body = body[: len(body) // 2]
    elif fault.kind == "odd_status":
        body = _with_status(body, fault.status_value)
    await send({**start, "headers": headers + [(b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


def _with_status(body: bytes, status: str) -> bytes:
    try:
        data = json.loads(body)
    except ValueError:
        return body
    if isinstance(data, dict) and "status" in data:
        data["status"] = status
    return json.dumps(data).encode()


def _trickling(send: Send, fault: Fault) -> Send:
    """Pass the answer on ``chunk_bytes`` at a time, ``delay`` apart, until the client gives up."""
    step = max(1, fault.chunk_bytes)

    async def slow(message: Message) -> None:
        if message["type"] != "http.response.body":
            await send(message)
            return
        body, more = message.get("body", b""), message.get("more_body", False)
        for offset in range(0, max(len(body), 1), step):
            last = offset + step >= len(body)
            if _client_gone(send):
                return
            await send(
                {"type": "http.response.body", "body": body[offset : offset + step], "more_body": more or not last}
            )
            if more or not last:
                await _pause_unless_gone(send, fault.delay)

    return slow


async def _pause_unless_gone(send: Send, seconds: float) -> None:
    """Sleep, but stop as soon as the client hangs up, so a stalled answer does not outlive it."""
    loop = asyncio.get_running_loop()
    end = loop.time() + seconds
    while not _client_gone(send) and (left := end - loop.time()) > 0:
        await asyncio.sleep(min(left, 0.05))
