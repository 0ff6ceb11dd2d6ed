"""The HTTP client that uploads, link checks and pasted-link fetches start from, and their time limits."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from .tls import shared_tls

USER_AGENT = f"veo-playground/1.0 (+https://github.com/; python-httpx/{httpx.__version__})"
DEFAULT_TIMEOUT_SECONDS = 30.0
VERIFY_TIMEOUT_SECONDS = 10.0

ClientFactory = Callable[[], httpx.AsyncClient]


def default_client(timeout: float) -> httpx.AsyncClient:
    """Looked up on this module at each call (``http_client.default_client``), so a test can stand in for it."""
    # Proxies from the environment apply, except to this machine (the simulator, a SelfHost check).
    direct = {f"all://{host}": httpx.AsyncHTTPTransport() for host in ("127.0.0.1", "localhost", "[::1]")}
    return httpx.AsyncClient(
        headers={"User-Agent": USER_AGENT},
        timeout=httpx.Timeout(timeout),
        follow_redirects=False,
        mounts=direct,
        verify=shared_tls(),
    )
