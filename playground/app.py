"""Assembling the app: settings, the simulator when needed, image hosting, the page, the queue."""

from __future__ import annotations

import asyncio
import contextlib
import faulthandler
import logging
import os
import signal
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import gradio as gr
from fastapi import APIRouter, FastAPI

from .net import Bucket, TemporaryFileStore, UploadChain, hosts_from_env, parse_media_url, self_host_router
from .runs import (
    CallbackHub,
    Database,
    FrameResolver,
    Identities,
    MediaFiles,
    MediaLinks,
    Ownership,
    RunService,
    RunStore,
    browser_state_secret,
    derived_key,
    load_secret,
)
from .settings import Settings
from .simulator import SimulatorConfig, SimulatorServer
from .web import CSS, HEAD, I18N, build_app, keep_sessions_lean, lean_session_state

log = logging.getLogger("playground")
#: A value for uvicorn's trusted-proxy list that no peer address can match.
_TRUST_NO_PEER = "no-peer-is-trusted-by-uvicorn"


@dataclass
class Playground:
    """A built app and what it owns; ``close`` stops both the page and the simulator."""

    blocks: gr.Blocks
    #: The run service the page, the API and History share.
    context: RunService
    simulator: SimulatorServer | None
    #: Served beside Gradio: temporary image links, callback hooks, signed media links.
    routers: list[APIRouter] = field(default_factory=list)

    def launch(self, **kwargs: Any) -> Any:
        # The media folder is deliberately not in ``allowed_paths``: /gradio_api/file=<path> would serve it
        # to anyone, for ever; videos and posters go out through signed, expiring links (media_links).
        # Each streaming run holds one of Gradio's worker slots for its whole length; with the
        # default 40 the 41st run (and every Cancel) would wait for a run to end.
        kwargs.setdefault("max_threads", 512)
        kwargs.setdefault("i18n", I18N)  # English or Simplified Chinese, as the browser asks
        kwargs.setdefault("app_kwargs", {})["lifespan"] = self._lifespan
        # uvicorn believes X-Forwarded-For from loopback by default, so a visitor on this machine (or
        # behind a local proxy nobody configured) could pick the address caps count them under. The
        # playground reads the real peer and decides itself, from PLAYGROUND_TRUSTED_PROXIES.
        if os.environ.get("FORWARDED_ALLOW_IPS", "") not in ("", _TRUST_NO_PEER):
            log.warning("FORWARDED_ALLOW_IPS is ignored: set PLAYGROUND_TRUSTED_PROXIES instead")
        os.environ["FORWARDED_ALLOW_IPS"] = _TRUST_NO_PEER
        kwargs.setdefault("mcp_server", self.context.settings.mcp)
        return self.blocks.launch(css=CSS, head=HEAD, **kwargs)

    @contextlib.asynccontextmanager
    async def _lifespan(self, app: FastAPI) -> AsyncIterator[None]:
        # Runs on the server's own event loop: routes join Gradio's app before the first request,
        # and resumed runs are driven on the loop the page's handlers use.
        for router in self.routers:
            app.include_router(router)
        resumed = await self.context.resume_after_restart()
        if resumed:
            log.info("resumed %d unfinished run(s) from the history", resumed)
        sessions = asyncio.create_task(keep_sessions_lean(self.blocks))
        yield
        sessions.cancel()
        await self.context.keeper.close()
        await self.context.boards.close()
        await self.context.tracker.close()

    def close(self) -> None:
        self.blocks.close()
        if self.simulator is not None:
            self.simulator.stop()


def create_playground(settings: Settings | None = None, env: dict[str, str] | None = None) -> Playground:
    env = dict(os.environ if env is None else env)
    settings = settings or Settings.from_env(env)
    media_dir = settings.media_dir
    media_dir.mkdir(parents=True, exist_ok=True)
    simulator = None
    # With an allow-list, everyone not on it gets demo mode beside the server's key.
    if settings.demo_mode or settings.server_key_restricted:
        config = SimulatorConfig(
            queue_seconds=settings.sim_queue_seconds,
            processing_seconds=settings.sim_processing_seconds,
            loopback_own_origin_only=True,
        )  # loopback here is the shared server itself
        simulator = SimulatorServer.start_new(settings.data_dir / "simulator", config)
        log.info("demo mode: embedded simulator at %s", simulator.base_url)
    routers: list[APIRouter] = []
    temporary_files = TemporaryFileStore()
    if settings.public_base_url:
        routers.append(self_host_router(temporary_files))
    live_hosts = hosts_from_env(env, public_base_url=settings.public_base_url, store=temporary_files)
    live_chain = UploadChain(live_hosts) if live_hosts else None
    callbacks = None
    if settings.public_base_url:
        callbacks = CallbackHub(settings.public_base_url)
        routers.append(callbacks.router())
    sim_url = simulator.base_url if simulator else None
    secret = load_secret(settings.data_dir, env.get("PLAYGROUND_SECRET", ""))
    store = RunStore(Database(settings.database_url))
    bucket_config = parse_media_url(settings.media_url, env)
    media = MediaFiles(media_dir, Bucket(bucket_config) if bucket_config else None)
    media_links = MediaLinks(derived_key(secret, "media-links"), store, media, settings.media_link_hours)
    routers.append(media_links.router())
    context = RunService(
        settings=settings,
        simulator_url=sim_url,
        media_dir=media_dir,
        frames=FrameResolver(settings, live_chain, sim_url, Ownership(store)),
        store=store,
        identities=Identities(secret),
        browser_secret=browser_state_secret(secret),
        callbacks=callbacks,
        media_links=media_links,
        media=media,
    )
    assert context.shares is not None
    routers.append(context.shares.router())
    # Gradio builds a session state (a config of every block: 0.3 s, 1 MB) for every visitor, every API
    # client and every call that names no session; built on demand instead (see web.sessions).
    lean_session_state()
    blocks = build_app(context)
    # Runs are async and mostly wait on the provider, so they need no small concurrency cap;
    # the queue's size is the bound that protects the server.
    blocks.queue(default_concurrency_limit=None, max_size=512)
    return Playground(blocks, context, simulator, routers)


#: How long a stopping server waits for open streams (a page following a run, an API call waiting for its
#: video) before it cuts them and lets go of its runs; the runs go on, followed by the next replica to look.
#: Gradio gives the whole close 5 s.
SHUTDOWN_GRACE_SECONDS = 2


def _cut_at_shutdown(record: logging.LogRecord) -> bool:
    """uvicorn logs the streams it cuts at the end of the grace as errors with tracebacks: one line each says it."""
    cut = record.exc_info[1] if record.exc_info else None
    if isinstance(cut, asyncio.CancelledError) and "graceful shutdown" in str(cut):
        record.msg, record.args, record.exc_info = "a stream still open at shutdown was closed", (), None
    elif not str(record.msg).startswith("Cancel %s running task(s), timeout graceful shutdown"):
        return True
    record.levelno, record.levelname = logging.INFO, "INFO"
    return True


#: After the server has closed, how long the process may take to end before it shows what holds it and ends.
EXIT_GRACE_SECONDS = 8


def launch() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per poll drowns what matters
    # Orchestrators (Kubernetes, a Space, `docker stop` without STOPSIGNAL) stop a replica with SIGTERM,
    # which would end Python on the spot: stop as on Ctrl+C instead, so the runs' leases are let go at
    # once and another replica takes them over without waiting for them to run out. SIGINT is set too:
    # a process started in the background by a script inherits it ignored, and would not stop on it.
    for stop in (signal.SIGINT, signal.SIGTERM):
        signal.signal(stop, signal.default_int_handler)
    logging.getLogger("uvicorn.error").addFilter(_cut_at_shutdown)
    playground = create_playground()
    try:
        playground.launch(prevent_thread_lock=True)
        # Left at uvicorn's default, the close would wait for every open stream, past Gradio's 5 s, and
        # the process would end without the app's own shutdown (runs cancelled, leases let go).
        playground.blocks.server.config.timeout_graceful_shutdown = SHUTDOWN_GRACE_SECONDS
        playground.blocks.block_thread()  # until SIGINT or SIGTERM; Gradio closes the server then
    except KeyboardInterrupt:
        # The signal came while Gradio was still checking its own start: close the same way.
        log.info("stopped while starting: closing")
        playground.close()
    # Stopping never hangs silently: anything still holding the process is printed, and it ends.
    faulthandler.dump_traceback_later(EXIT_GRACE_SECONDS, exit=True)
