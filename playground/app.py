"""Assembling the app: settings, the simulator when needed, image hosting, the page, the queue."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import Any

import gradio as gr

from . import hosting
from .frames import FrameResolver
from .handlers import AppContext
from .settings import Settings
from .simulator import SimulatorConfig, SimulatorServer
from .ui import build_app
from .view import CSS

log = logging.getLogger("playground")


@dataclass
class Playground:
    """A built app and what it owns; ``close`` stops both the page and the simulator."""

    blocks: gr.Blocks
    context: AppContext
    simulator: SimulatorServer | None

    def launch(self, **kwargs: Any) -> Any:
        kwargs.setdefault("allowed_paths", [str(self.context.media_dir.resolve())])
        return self.blocks.launch(css=CSS, **kwargs)

    def close(self) -> None:
        self.blocks.close()
        if self.simulator is not None:
            self.simulator.stop()


def create_playground(settings: Settings | None = None, env: dict[str, str] | None = None) -> Playground:
    settings = settings or Settings.from_env(env)
    media_dir = settings.data_dir / "media"
    media_dir.mkdir(parents=True, exist_ok=True)
    simulator = None
    if settings.demo_mode:
        config = SimulatorConfig(queue_seconds=settings.sim_queue_seconds,
                                 processing_seconds=settings.sim_processing_seconds)
        simulator = SimulatorServer.start_new(settings.data_dir / "simulator", config)
        log.info("demo mode: embedded simulator at %s", simulator.base_url)
    live_hosts = hosting.hosts_from_env(os.environ if env is None else env, public_base_url=None, store=None)
    live_chain = hosting.UploadChain(live_hosts) if live_hosts else None
    sim_url = simulator.base_url if simulator else None
    context = AppContext(settings=settings, simulator_url=sim_url, media_dir=media_dir,
                         frames=FrameResolver(settings, live_chain, sim_url))
    blocks = build_app(context)
    # Runs are async and mostly wait on the provider, so they need no small concurrency cap;
    # the queue's size is the bound that protects the server.
    blocks.queue(default_concurrency_limit=None, max_size=512)
    return Playground(blocks, context, simulator)


def launch() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per poll drowns what matters
    playground = create_playground()
    playground.launch()
