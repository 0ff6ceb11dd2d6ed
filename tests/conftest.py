"""Shared fixtures: a real simulator on 127.0.0.1 with fast timings, and a client for it."""

from __future__ import annotations

import os

# Gradio reports launches to its own servers unless told not to; tests never reach the internet.
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from playground.app import Playground, create_playground
from playground.settings import Settings
from playground.simulator import SimulatorConfig, SimulatorServer
from playground.wave import RetryPolicy, WaveClient

TEST_KEY = "sk-test-0123456789"
#: Debian's Chromium (tests/install.sh installs it); Playwright cannot download its own browser here.
CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `bash tests/install.sh` first")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@contextmanager
def opened_page(
    browser: Browser, url: str, locale: str = "en-US", viewport: tuple[int, int] = (1280, 1100)
) -> Iterator[Page]:
    """The app in a fresh browser context (a new visitor), once its price readout shows."""
    context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]}, locale=locale)
    try:
        page = context.new_page()
        page.goto(url)
        expect(page.locator("#generate-cost h3")).to_be_visible(timeout=30_000)
        yield page
    finally:
        context.close()


@pytest.fixture
def sim(tmp_path: Path) -> Iterator[SimulatorServer]:
    config = SimulatorConfig(queue_seconds=0.2, processing_seconds=0.6, progress_steps=3)
    with SimulatorServer.start_new(tmp_path / "sim", config) as server:
        yield server


@pytest.fixture
def slow_sim(tmp_path: Path) -> Iterator[SimulatorServer]:
    """A task takes 6.5 s: long enough to kill an app in the middle of one."""
    config = SimulatorConfig(queue_seconds=0.5, processing_seconds=6.0, progress_steps=6)
    with SimulatorServer.start_new(tmp_path / "sim", config) as server:
        yield server


@pytest.fixture
async def client(sim: SimulatorServer) -> AsyncIterator[WaveClient]:
    async with WaveClient(TEST_KEY, sim.base_url, retry=RetryPolicy(base_delay=0.01, max_delay=0.05)) as c:
        yield c


@dataclass
class RunningApp:
    url: str
    playground: Playground

    @property
    def sim(self):  # the embedded simulator, to steer timings and read its request log
        return self.playground.simulator.sim


@pytest.fixture(scope="session")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:
    """The whole app in demo mode, launched the way `python app.py` launches it, on a free port."""
    settings = Settings(
        demo=True,
        sim_queue_seconds=0.5,
        sim_processing_seconds=2.0,
        data_dir=tmp_path_factory.mktemp("playground-data"),
    )
    playground = create_playground(settings, env={})
    _, url, _ = playground.launch(prevent_thread_lock=True, quiet=True)
    try:
        yield RunningApp(url.rstrip("/"), playground)
    finally:
        playground.close()


@pytest.fixture
def slow_tasks(app: RunningApp) -> Iterator[None]:
    """The demo app's tasks render for 6 s: long enough to see them processing, or refresh in the middle,
    however busy the machine (its usual 2 s can pass between two polls)."""
    config = app.sim.config
    before = config.processing_seconds
    config.processing_seconds = 6.0
    yield
    config.processing_seconds = before


@pytest.fixture
def page(browser: Browser, app: RunningApp) -> Iterator[Page]:
    with opened_page(browser, app.url) as opened:
        yield opened
