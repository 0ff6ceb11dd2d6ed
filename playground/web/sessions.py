"""Gradio's per-session state: made cheaply, and let go of once nothing needs it.

Gradio 6.31 builds a ``SessionState`` for every session hash it meets (``StateHolder.__getitem__``): a config
of every component of the page, about 1 MB and 0.3 s of CPU on the event loop for this page's 700-odd blocks.
It never drops one except past ``state_session_capacity`` (10,000 sessions, so ~10 GB): when a tab closes it
marks the session closed and, an hour later, deletes its ``gr.State`` values, but keeps the rest. Every
``gradio_client.Client`` is a session too, so a few scripts calling the API grow the server for ever.

:func:`forget_idle_sessions` drops a session that could be rebuilt exactly as it is (no ``gr.State`` value,
no component of its own: what a new session would get) once it has been unused for ``idle_seconds``, and a
closed session (its tab gone) once unused for ``closed_seconds``, Gradio's own time for a closed session's state.
A session that comes back afterwards gets a fresh state, as a new one would.

:func:`lean_session_state` makes building one cheap in the first place. The config of every block
(``SessionState.config_values``) serves only Gradio's deep links; Gradio also builds a throwaway
``SessionState`` for every call that names no session (an MCP tool call, a plain HTTP ``/run/<api>``), so
the cost readout asked that way took 0.3-1.5 s of the event loop per call, and every run streaming meanwhile
waited. Made on demand, a block's config is built when the session first uses that block (or a deep link
asks for all of them), as Gradio would have had it.
"""

from __future__ import annotations

import asyncio
import datetime
import logging
from typing import Any

import gradio as gr
from gradio import state_holder

log = logging.getLogger(__name__)

#: A session with nothing of its own, unused this long, is dropped (it is rebuilt on its next call).
IDLE_SECONDS = 60.0
#: A closed session (its page's heartbeat ended) keeps what it has for this long, as Gradio keeps its state.
CLOSED_SECONDS = 3600.0


class ConfigOnDemand(dict):
    """``SessionState.config_values`` whose entries are built when first used, in Gradio's order when listed."""

    def __init__(self, session: Any, keys: list[int]) -> None:
        super().__init__()
        self._session = session
        self._order = keys
        self._pending = set(keys)

    def _build(self, key: int) -> None:
        if key in self._pending:
            self._pending.discard(key)
            config = self._session.blocks_config
            super().__setitem__(key, config.config_for_block(key, [], config.blocks[key]))

    def _build_all(self) -> None:
        if not self._pending:
            return
        built = dict(super().items())
        super().clear()
        for key in self._order:
            self._build(key)
            if key in built:
                super().__setitem__(key, built.pop(key))
        for key, value in built.items():  # set later, for a block the session added
            super().__setitem__(key, value)

    def __contains__(self, key: object) -> bool:
        return key in self._pending or super().__contains__(key)

    def __getitem__(self, key: int) -> Any:
        self._build(key)
        return super().__getitem__(key)

    def get(self, key: int, default: Any = None) -> Any:
        self._build(key)
        return super().get(key, default)

    def __setitem__(self, key: int, value: Any) -> None:
        self._pending.discard(key)
        super().__setitem__(key, value)

    def __delitem__(self, key: int) -> None:
        self._pending.discard(key)
        if super().__contains__(key):
            super().__delitem__(key)

    def __len__(self) -> int:
        return super().__len__() + len(self._pending)

    def __iter__(self) -> Any:
        self._build_all()
        return super().__iter__()

    def keys(self) -> Any:
        self._build_all()
        return super().keys()

    def values(self) -> Any:
        self._build_all()
        return super().values()

    def items(self) -> Any:
        self._build_all()
        return super().items()


_GRADIO_INIT = state_holder.SessionState.__init__


def _lean_init(self: Any, blocks: gr.Blocks) -> None:
    """Gradio 6.31's ``SessionState.__init__``, with the config of each block left until it is used."""
    _GRADIO_INIT(self, _NoBlocks(blocks))
    self.config_values = ConfigOnDemand(self, [k for k in self.blocks_config.blocks if k in blocks.blocks])


class _NoBlocks:
    """What Gradio's ``SessionState.__init__`` reads of the Blocks, with no block to build a config for."""

    def __init__(self, blocks: gr.Blocks) -> None:
        self.default_config = blocks.default_config
        self.blocks: dict[int, Any] = {}


def lean_session_state() -> None:
    """Build Gradio's session states with :class:`ConfigOnDemand` (once per process; idempotent)."""
    state_holder.SessionState.__init__ = _lean_init  # type: ignore[method-assign]


def _pristine(session: Any, default: Any) -> bool:
    """Whether ``session`` holds nothing a freshly built one would not: no state value, no component of its own."""
    if session.state_data:
        return False
    own, shared = session.blocks_config, default
    if len(own.blocks) != len(shared.blocks) or len(own.fns) != len(shared.fns):
        return False
    return all(own.blocks.get(key) is block for key, block in shared.blocks.items())


def forget_idle_sessions(
    blocks: gr.Blocks, idle_seconds: float = IDLE_SECONDS, closed_seconds: float = CLOSED_SECONDS
) -> int:
    """Drop the sessions nothing needs any more (see the module's doc); how many."""
    holder = getattr(blocks, "state_holder", None)
    default = getattr(blocks, "default_config", None)
    if holder is None or default is None:
        return 0
    now = datetime.datetime.now()
    dropped = 0
    with holder.lock:
        for session_id, session in list(holder.session_data.items()):
            used = holder.time_last_used.get(session_id)
            idle = (now - used).total_seconds() if used is not None else float("inf")
            if (session.is_closed and idle >= closed_seconds) or (idle >= idle_seconds and _pristine(session, default)):
                del holder.session_data[session_id]
                holder.time_last_used.pop(session_id, None)
                dropped += 1
    return dropped


async def keep_sessions_lean(blocks: gr.Blocks, every: float = 30.0) -> None:
    """Run :func:`forget_idle_sessions` every ``every`` seconds, until cancelled (the app's lifespan)."""
    while True:
        await asyncio.sleep(every)
        try:
            dropped = forget_idle_sessions(blocks)
        except Exception:  # Gradio's internals moved: keep serving, say so once
            log.warning("could not drop idle Gradio sessions", exc_info=True)
            return
        if dropped:
            log.debug("dropped %d idle Gradio session(s)", dropped)
