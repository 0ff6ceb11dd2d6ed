"""The whole app the way a public Space runs it without a server key, for the hardening suites.

A visitor who types a key reaches "the real service", here a simulator of its own on 127.0.0.1 (so its
request log shows exactly what left the app); a visitor without a key gets demo mode on the app's
embedded simulator. No image host is configured, so nothing is ever uploaded off this machine.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

from playground.app import Playground, create_playground
from playground.settings import Settings
from playground.simulator import Simulator, SimulatorConfig, SimulatorServer


@dataclass
class VisitorApp:
    url: str
    playground: Playground
    service: SimulatorServer

    @property
    def sim(self) -> Simulator:
        """The service a visitor's key reaches."""
        return self.service.sim

    @property
    def demo_sim(self) -> Simulator:
        """The embedded simulator of demo mode."""
        assert self.playground.simulator is not None
        return self.playground.simulator.sim

    def endpoint(self, name: str) -> Any:
        """The function behind a named API endpoint, to call it without the HTTP round trip."""
        return next(f.fn for f in self.playground.blocks.fns.values() if f.api_name == name)


@contextmanager
def visitor_app(folder: Path) -> Iterator[VisitorApp]:
    config = SimulatorConfig(queue_seconds=0.05, processing_seconds=0.2, progress_steps=2)
    with SimulatorServer.start_new(folder / "service", config) as service:
        settings = Settings(
            base_url=service.base_url, data_dir=folder / "app", sim_queue_seconds=0.05, sim_processing_seconds=0.2
        )
        # "loopback" names a host this app does not configure: no image ever leaves the machine.
        playground = create_playground(settings, env={"UPLOAD_HOSTS": "loopback"})
        _, url, _ = playground.launch(prevent_thread_lock=True, quiet=True)
        try:
            yield VisitorApp(url.rstrip("/"), playground, service)
        finally:
            playground.close()
