"""Run an ASGI app on 127.0.0.1 in a background thread: the simulator, and test doubles.

A port of 0 lets the OS choose a free one, so nothing here hard-codes a port.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import uvicorn


class ServerThread:
    def __init__(self, app: Any, host: str = "127.0.0.1", port: int = 0) -> None:
        self._config = uvicorn.Config(
            app, host=host, port=port, log_level="warning", lifespan="on", access_log=False, timeout_graceful_shutdown=1
        )
        self._server = uvicorn.Server(self._config)
        self._thread = threading.Thread(target=self._run, name=f"loopback-{id(self):x}", daemon=True)
        self._started = threading.Event()
        self.loop: asyncio.AbstractEventLoop | None = None
        self.host = host
        self.port = port

    def _run(self) -> None:
        self.loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self.loop)
        self.loop.run_until_complete(self._serve())

    async def _serve(self) -> None:
        await self._server.serve()

    def start(self, timeout: float = 15.0) -> ServerThread:
        self._thread.start()
        for _ in range(int(timeout * 100)):
            if self._server.started:
                break
            if not self._thread.is_alive():
                raise RuntimeError("the loopback server stopped while starting")
            threading.Event().wait(0.01)
        else:
            raise RuntimeError("the loopback server did not start in time")
        sockets = [s for srv in self._server.servers for s in srv.sockets]
        self.port = sockets[0].getsockname()[1]
        return self

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)

    def __enter__(self) -> ServerThread:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
