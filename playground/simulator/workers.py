"""Rendering in worker processes, so the process serving the page never waits on a render.

In demo mode the page and the simulator share one process. A render in a thread there held the
interpreter lock long enough to delay every click's answer by hundreds of milliseconds while a
few tasks finished at once. The workers are plain child processes (``python -m`` this module,
at low priority) fed over their pipes; not :mod:`multiprocessing`'s, whose spawned children
first re-run the main script (``app.py`` imports all of Gradio) before doing any work.

Started on the first render, not at import; shared by every simulator of the process; a worker
that dies is replaced by the next render.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import os
import pickle
import queue
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any, BinaryIO

#: A render spec's key naming a clip the result opens with (a remix without ``raw``): the worker renders the
#: rest of the spec, then joins the two (:func:`playground.media.join_clips`), so joining too stays off the
#: page's process.
PREPEND_CLIP = "prepend_clip"


class RenderFailed(RuntimeError):
    """The worker could not render; the message is the worker's own error."""


def _child_environment() -> dict[str, str]:
    """The parent's environment, with the folder holding ``playground`` first on the import path: ``python -m``
    finds this module from the working directory, which is not the checkout when ``app.py`` is started by path."""
    checkout = str(Path(__file__).resolve().parents[2])
    paths = [checkout, *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    return {**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONPATH": os.pathsep.join(paths)}


class _Worker:
    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", __name__],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=_child_environment(),
        )

    def render(self, path: Path, spec: dict[str, Any]) -> None:
        assert self.process.stdin is not None and self.process.stdout is not None
        pickle.dump((str(path), spec), self.process.stdin)
        self.process.stdin.flush()
        ok, message = pickle.load(self.process.stdout)
        if not ok:
            raise RenderFailed(message)

    def close(self) -> None:
        for pipe in (self.process.stdin, self.process.stdout):
            try:
                if pipe:
                    pipe.close()  # the worker ends at the end of its input
            except OSError:
                pass  # it is gone already, with what was left unsent
        try:
            self.process.wait(2)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


class RenderPool:
    """At most ``size`` workers; a caller blocks (in a thread) until one is free."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._idle: queue.SimpleQueue[_Worker] = queue.SimpleQueue()
        self._all: list[_Worker] = []
        self._lock = threading.Lock()

    def render(self, path: Path, spec: dict[str, Any]) -> None:
        for attempt in (1, 2):  # a worker found dead rendered nothing: another may try at once
            worker = self._take()
            try:
                worker.render(path, spec)
            except RenderFailed:
                self._idle.put(worker)
                raise
            except (OSError, EOFError, pickle.UnpicklingError) as exc:
                self._drop(worker)
                if attempt == 2:
                    raise RenderFailed(f"the render worker stopped ({type(exc).__name__})") from exc
                continue
            self._idle.put(worker)
            return

    def _take(self) -> _Worker:
        with self._lock:
            if self._idle.empty() and len(self._all) < self.size:
                worker = _Worker()
                self._all.append(worker)
                return worker
        return self._idle.get()

    def _drop(self, worker: _Worker) -> None:
        with self._lock:
            self._all.remove(worker)
        worker.close()

    def close(self) -> None:
        with self._lock:
            workers, self._all = self._all, []
        for worker in workers:
            worker.close()


@functools.lru_cache(maxsize=1)
def pool() -> RenderPool:
    """The process's pool: one worker per core, so several tasks finishing at once stay quick."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:
        cores = os.cpu_count() or 2
    shared = RenderPool(max(1, cores))
    atexit.register(shared.close)
    return shared


def _job(dest: Path, spec: dict[str, Any]) -> None:
    """Render ``spec`` at ``dest``; with :data:`PREPEND_CLIP`, that clip followed by the render."""
    from .render import RenderSpec, render_video

    spec = dict(spec)
    clip = spec.pop(PREPEND_CLIP, None)
    if clip is None:
        render_video(dest, RenderSpec(**spec))
        return
    from ..media import join_clips  # the app's own joiner: a stream copy where the two clips allow it

    extension = dest.with_name(f".{dest.name}.extension.mp4")
    try:
        render_video(extension, RenderSpec(**spec))
        join_clips([Path(clip), extension], dest)
    finally:
        extension.unlink(missing_ok=True)


def _serve(requests: BinaryIO, replies: BinaryIO) -> None:
    while True:
        try:
            path, spec = pickle.load(requests)
        except EOFError:
            return
        try:
            _job(Path(path), spec)
            reply: tuple[bool, str] = (True, "")
        except Exception as exc:  # reported to the task, which fails with it
            reply = (False, f"{type(exc).__name__}: {exc}")
        pickle.dump(reply, replies)
        replies.flush()


def main() -> None:
    with contextlib.suppress(OSError):
        os.nice(10)  # the page's server always comes first
    replies = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # a stray print must not corrupt the replies
    _serve(sys.stdin.buffer, replies)


if __name__ == "__main__":
    main()
