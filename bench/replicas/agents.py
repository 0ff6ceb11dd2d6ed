"""The agents that start runs and the cost readout's timer, each in a process of its own."""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import os
import queue
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx

from .plan import ESTIMATE_EVERY, MODEL

# -- the agents and the readout, each in a process of its own ----------------------------------------
# Not threads of this one: the simulator runs here, and the interpreter lock it holds would show up
# as time the app took.


def _start_runs(jobs: list[tuple[str, str]], duration: int, timeout: float, out: Any) -> None:
    out.put(asyncio.run(_start_all(jobs, duration, timeout)))


async def _start_all(jobs: list[tuple[str, str]], duration: int, timeout: float) -> list[dict[str, Any]]:
    """``start_video`` for every (replica url, prompt) at once, one MCP session per replica."""
    outcomes = [{"url": url, "prompt": prompt, "task_id": None, "error": None, "seconds": 0.0} for url, prompt in jobs]
    by_url: dict[str, list[dict[str, Any]]] = {}
    for outcome in outcomes:
        by_url.setdefault(outcome["url"], []).append(outcome)
    await asyncio.gather(*(_start_on(url, mine, duration, timeout) for url, mine in by_url.items()))
    return outcomes


async def _start_on(url: str, outcomes: list[dict[str, Any]], duration: int, timeout: float) -> None:
    from mcp import ClientSession
    from mcp.client.streamable_http import streamable_http_client

    async def one(session: ClientSession, outcome: dict[str, Any]) -> None:
        began = time.monotonic()
        arguments = {"prompt": outcome["prompt"], "model": MODEL, "duration": duration}
        try:
            result = await asyncio.wait_for(session.call_tool("start_video", arguments), timeout)
            text = "".join(getattr(part, "text", "") for part in result.content)
            if result.isError:
                outcome["error"] = text[:300]
            else:
                outcome["task_id"] = json.loads(text).get("task_id")
        except Exception as exc:  # counted and named, never hidden
            outcome["error"] = f"{type(exc).__name__}: {str(exc)[:300]}"
        outcome["seconds"] = time.monotonic() - began

    limits = httpx.Limits(max_connections=None, max_keepalive_connections=None)
    try:
        async with (
            httpx.AsyncClient(trust_env=False, timeout=httpx.Timeout(30, read=timeout), limits=limits) as http,
            streamable_http_client(f"{url}/gradio_api/mcp/", http_client=http) as (read, write, _),
            ClientSession(read, write) as session,
        ):
            await session.initialize()
            await asyncio.gather(*(one(session, outcome) for outcome in outcomes))
    except Exception as exc:  # the session itself failed: every start not answered yet says why
        for outcome in outcomes:
            if outcome["task_id"] is None and outcome["error"] is None:
                outcome["error"] = f"MCP session to {url}: {type(exc).__name__}: {str(exc)[:300]}"


def _sample_estimates(urls: list[str], stop: Any, every: float, out: Any) -> None:
    """Ask every replica for a price, round after round, until ``stop``; each call's milliseconds."""
    # With a session, as gradio_client and the page send (see load._time_readouts).
    payload = {"data": [MODEL, "generate", 8, "1080p", True, 2], "session_hash": f"bench-replicas-{os.getpid()}"}
    samples: dict[str, list[float]] = {url: [] for url in urls}
    errors: list[str] = []
    with httpx.Client(trust_env=False, timeout=10) as http:
        while not stop.wait(every):
            for url in urls:
                began = time.perf_counter()
                try:
                    status = http.post(f"{url}/gradio_api/run/estimate", json=payload).status_code
                except httpx.HTTPError as exc:
                    status = type(exc).__name__
                # A failed or timed-out call counts at what it took: leaving it out would flatter the p95.
                samples[url].append((time.perf_counter() - began) * 1000)
                if status != 200:
                    errors.append(f"{url}: {status}")
    out.put({"samples": samples, "errors": errors})


@contextmanager
def _child(target: Callable[..., None], *args: Any) -> Iterator[tuple[Any, Any]]:
    """``target(*args, out)`` in a fresh interpreter; yields (process, out queue); ends it afterwards."""
    context = multiprocessing.get_context("spawn")
    out = context.Queue()
    process = context.Process(target=target, args=(*args, out), daemon=True)
    process.start()
    try:
        yield process, out
    finally:
        process.join(10)
        if process.is_alive():
            process.kill()
            process.join(5)
        out.close()


def _answer(process: Any, out: Any, timeout: float) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        try:
            return out.get(timeout=1.0)
        except queue.Empty:
            if not process.is_alive():
                exited = process.exitcode
                raise RuntimeError(f"the benchmark's child process exited ({exited}) without an answer") from None
            if time.monotonic() > deadline:
                raise TimeoutError(f"no answer from the child process in {timeout:.0f} s") from None


def start_runs(jobs: list[tuple[str, str]], duration: int = 4, timeout: float = 120.0) -> list[dict[str, Any]]:
    with _child(_start_runs, jobs, duration, timeout) as (process, out):
        return _answer(process, out, timeout + 120)


class EstimateTimer:
    """The cost readout timed against every replica, in a process of its own, over a block."""

    def __init__(self, urls: list[str]) -> None:
        self.urls = urls
        self.samples: dict[str, list[float]] = {}
        self.errors: list[str] = []

    def __enter__(self) -> EstimateTimer:
        context = multiprocessing.get_context("spawn")
        self._stop = context.Event()
        self._child = _child(_sample_estimates, self.urls, self._stop, ESTIMATE_EVERY)
        self._process, self._out = self._child.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        try:
            found = _answer(self._process, self._out, 60)
            self.samples, self.errors = found["samples"], found["errors"]
        except (RuntimeError, TimeoutError) as error:
            self.errors.append(str(error))
        finally:
            self._child.__exit__(None, None, None)

    @property
    def all_ms(self) -> list[float]:
        return [ms for values in self.samples.values() for ms in values]
