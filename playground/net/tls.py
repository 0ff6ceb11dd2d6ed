"""One TLS context for every HTTP client of the process.

httpx builds a fresh context for each client unless given one, and building one loads the whole
CA bundle: about 1 MB and 20-100 ms of CPU on the event loop. A run made two clients (the API
client, the download), so with 50 runs at once the page's own answers queued behind those loads.
A context is safe to share between clients, threads and event loops.
"""

from __future__ import annotations

import functools
import ssl

import certifi


@functools.lru_cache(maxsize=1)
def shared_tls() -> ssl.SSLContext:
    """What httpx would build by default (certifi's CA bundle), built once."""
    return ssl.create_default_context(cafile=certifi.where())
