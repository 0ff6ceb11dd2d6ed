"""Where a visitor's requests go and with which key: chosen per request, and again for a run after a restart."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import httpx

from ..settings import Settings
from ..wave import WaveClient
from .phases import Mode

if TYPE_CHECKING:
    from .record import RunRecord


def key_fingerprint(api_key: str) -> str:
    """Identifies a key in the history without keeping it."""
    return hashlib.sha256(api_key.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Connection:
    """Where one visitor's requests go and with which key. Built per request, never stored globally."""

    mode: Mode
    base_url: str
    api_key: str = field(repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "mode", Mode(self.mode))  # a plain "demo" is read as Mode.DEMO

    def client(self, settings: Settings) -> WaveClient:
        timeout = httpx.Timeout(settings.request_timeout, connect=10.0)
        # The server's key is redacted too: a visitor's run must never see it, even echoed back.
        return WaveClient(self.api_key, self.base_url, timeout=timeout, also_redact=(settings.api_key,))

    @property
    def simulated(self) -> bool:
        return self.mode.simulated


def choose_connection(
    settings: Settings, simulator_url: str | None, visitor_key: str | None, identity: str
) -> Connection:
    """The server's key wins; else the visitor's own; else the embedded simulator.

    In demo mode each visitor gets their own simulator identity (``identity`` is the owner id,
    stable across refreshes), so visitors never see each other's tasks there either.
    """
    visitor_key = (visitor_key or "").strip()
    if settings.demo or (not settings.api_key and not visitor_key):
        if not simulator_url:
            raise RuntimeError("demo mode needs the embedded simulator")
        return Connection(Mode.DEMO, simulator_url, f"demo-{identity}")
    if settings.api_key:
        return Connection(Mode.SERVER_KEY, settings.base_url, settings.api_key)
    return Connection(Mode.VISITOR_KEY, settings.base_url, visitor_key)


def outsider_connection(
    settings: Settings, simulator_url: str | None, visitor_key: str | None, identity: str
) -> Connection:
    """For a visitor the allow-list leaves out: their own key if they typed one, else the simulator."""
    visitor_key = (visitor_key or "").strip()
    if visitor_key:
        return Connection(Mode.VISITOR_KEY, settings.base_url, visitor_key)
    if not simulator_url:
        raise RuntimeError("an allow-list needs the embedded simulator for everyone else")
    return Connection(Mode.DEMO, simulator_url, f"demo-{identity}")


def connection_for_record(settings: Settings, record: RunRecord) -> Connection | None:
    """The connection an unfinished run resumes on after a restart, if the server holds its key.

    Only the server's own key, and only while it is still the key the run was sent with: a visitor's
    key is never stored, and the embedded simulator starts empty (see :meth:`RunService.resume_after_restart`).
    """
    if (
        record.mode == Mode.SERVER_KEY
        and settings.api_key
        and key_fingerprint(settings.api_key) == record.key_fingerprint
    ):
        return Connection(Mode.SERVER_KEY, settings.base_url, settings.api_key)
    return None
