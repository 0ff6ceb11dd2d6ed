"""The embedded simulator's loopback upload endpoint, used in demo mode."""

from __future__ import annotations

from ...texts import text
from ..http_client import DEFAULT_TIMEOUT_SECONDS
from .base import PostFileHost


class SimulatorHost(PostFileHost):
    """The embedded simulator's loopback upload host (``POST {base}/uploads``): demo images stay local."""

    name = text("net.hosts.simulator", "the demo simulator on this machine")()
    lifetime = text("net.hosts.until_app_stops", "until the app stops")()
    public = False

    def __init__(self, base_url: str, *, timeout: float = DEFAULT_TIMEOUT_SECONDS) -> None:
        super().__init__(f"{base_url.rstrip('/')}/uploads", timeout=timeout)
