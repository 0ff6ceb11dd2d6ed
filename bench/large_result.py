"""The ``large-result`` section: peak RSS growth while :func:`runs.download_results` streams a
large result (200 MB by default) to disk."""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path

from playground.runs import engine as runs
from playground.simulator import SimulatorConfig, SimulatorServer
from playground.wave import PollPolicy, WaveClient

from .completion import BENCH_KEY, request_body
from .report import Figure, RssWatch, note


async def _download_large(tmp: Path, size: int) -> tuple[RssWatch, float, int]:
    config = SimulatorConfig(queue_seconds=0.1, processing_seconds=0.2, progress_steps=2, result_bytes=size)
    with SimulatorServer.start_new(tmp / "sim", config) as server:
        async with WaveClient(BENCH_KEY, server.base_url) as client:
            task = await client.submit(request_body("bench: one very large result"))
            async for _ in task.wait(PollPolicy(min_interval=0.05, early_interval=0.05, expected_seconds=0.3)):
                pass
        urls = task.state.video_urls()
        with RssWatch() as rss:
            started = time.monotonic()
            paths = await runs.download_results(urls, tmp / "media")
            seconds = time.monotonic() - started
    return rss, seconds, paths[0].stat().st_size


def large_result(megabytes: int) -> list[Figure]:
    with tempfile.TemporaryDirectory(prefix="bench-large-") as tmp:
        rss, seconds, size = asyncio.run(_download_large(Path(tmp), megabytes * 1024 * 1024))
    note(f"downloaded {size / 2**20:.0f} MB in {seconds:.1f} s; RSS {rss.before:.0f} -> peak {rss.peak:.0f} MB")
    return [
        Figure(
            "large-result",
            f"size saved to disk (asked {megabytes} MB)",
            size / 2**20,
            "MB",
            float(megabytes),
            at_least=True,
        ),
        Figure("large-result", "peak RSS growth while downloading", rss.growth, "MB", 30.0),
        Figure("large-result", "download time", seconds, "s"),
    ]
