"""An embedded simulator of the Wave task API: a real HTTP server on 127.0.0.1.

Demo mode runs the app against it, and the tests use it instead of the real service::

    with SimulatorServer.start_new(tmp_path) as sim:
        client = WaveClient("any-key", sim.base_url)
"""

from __future__ import annotations

from pathlib import Path

from ..net import ServerThread
from .engine import Faults, Simulator, SimulatorConfig, key_fingerprint


class SimulatorServer:
    """The simulator and the loopback server it runs on."""

    def __init__(self, media_dir: Path, config: SimulatorConfig | None = None) -> None:
        from .http import create_app

        self.sim = Simulator(media_dir, config)
        self._server = ServerThread(create_app(self.sim))

    @classmethod
    def start_new(cls, media_dir: Path, config: SimulatorConfig | None = None) -> SimulatorServer:
        return cls(media_dir, config).start()

    def start(self) -> SimulatorServer:
        self._server.start()
        self.sim.public_url = self._server.base_url
        return self

    def stop(self) -> None:
        self._server.stop()

    @property
    def base_url(self) -> str:
        return self._server.base_url

    @property
    def config(self) -> SimulatorConfig:
        return self.sim.config

    @property
    def faults(self) -> Faults:
        return self.sim.faults

    def __enter__(self) -> SimulatorServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


__all__ = ["Simulator", "SimulatorConfig", "SimulatorServer", "key_fingerprint"]
