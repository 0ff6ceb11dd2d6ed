"""The simulator's remix honours ``raw``, over real loopback HTTP: without it the result is the source clip
followed by the extension (one MP4), with it only the extension, which opens on the source's last frame.

Two ways to join are covered: the packets copied when the clips match (a clip this simulator made), and the
source re-encoded first when they do not (a source without sound under an extension with sound, and, through
``media.join_clips`` directly, a source of another size and aspect).
"""

from __future__ import annotations

import asyncio
import hashlib
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import av
import httpx
import numpy as np
import pytest

from playground.media import join_clips
from playground.simulator import SimulatorConfig, SimulatorServer
from playground.simulator.render import RenderSpec, render_video
from playground.veo import FormValues, build_request
from playground.wave import PollPolicy, RetryPolicy, WaveClient

from .conftest import TEST_KEY

FPS = 24
FRAME = 1 / FPS
FAST_POLL = PollPolicy(min_interval=0.05, max_interval=0.1, expected_seconds=1.0, deadline=30)
#: Mean RGB of two frames that show the same picture (after at most one more H.264 encode) differ by less.
SAME_PICTURE = 6.0


@dataclass(frozen=True)
class Clip:
    """What a test needs of a downloaded MP4, decoded frame by frame."""

    data: bytes
    duration: float  # the video stream's, in seconds
    end: float  # the last frame's time plus one frame
    frames: int
    size: tuple[int, int]
    audio: bool
    first: np.ndarray  # mean RGB of the first frame
    last: np.ndarray  # mean RGB of the last frame
    means: tuple[np.ndarray, ...]  # mean RGB of every frame
    packets: tuple[str, ...]  # a digest of every video packet, in order


def probe(data: bytes) -> Clip:
    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.video[0]
        duration = float(stream.duration * stream.time_base)
        packets = tuple(hashlib.sha256(bytes(p)).hexdigest()[:16] for p in container.demux(stream) if p.size)
    with av.open(io.BytesIO(data)) as container:
        means, last_time = [], 0.0
        for frame in container.decode(video=0):
            # A small copy is plenty for a mean colour, and keeps decoding the clips quick.
            means.append(frame.to_ndarray(format="rgb24", width=160, height=90).reshape(-1, 3).mean(axis=0))
            last_time = float(frame.time)
            size = (frame.width, frame.height)
        audio = bool(container.streams.audio)
    return Clip(data, duration, last_time + FRAME, len(means), size, audio, means[0], means[-1], tuple(means), packets)


def close(a: np.ndarray, b: np.ndarray) -> bool:
    return float(np.abs(a - b).max()) < SAME_PICTURE


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimulatorServer]:
    config = SimulatorConfig(queue_seconds=0.1, processing_seconds=0.3, progress_steps=2)
    with SimulatorServer.start_new(tmp_path_factory.mktemp("sim"), config) as sim:
        yield sim


async def run(server: SimulatorServer, **form) -> tuple[str, Clip]:
    """Submit, wait, download the one video: (task id, the clip)."""
    form.setdefault("duration", 4)
    form.setdefault("resolution", "720p")
    built = build_request(FormValues(**form))
    assert built.ok, built.message()
    async with WaveClient(TEST_KEY, server.base_url, retry=RetryPolicy(base_delay=0.01, max_delay=0.05)) as client:
        task = await client.submit(built.body)
        final = [s async for s in task.wait(FAST_POLL)][-1]
    assert final.status == "completed", final
    (url,) = final.video_urls()
    async with httpx.AsyncClient() as http:
        response = await http.get(url)
    response.raise_for_status()
    return task.id, probe(response.content)


async def remixes(server: SimulatorServer, source: str, **form) -> dict[bool, tuple[str, Clip]]:
    """The same remix with ``raw`` false and true, run at once: {raw: (task id, clip)}."""
    both = [
        run(server, action="remix", prompt="The tide comes in", first_frame_image=source, raw=raw, **form)
        for raw in (False, True)
    ]
    done = await asyncio.gather(*both)
    return {False: done[0], True: done[1]}


def source_url(server: SimulatorServer, task_id: str) -> str:
    return f"{server.base_url}/files/{task_id}/sample-1.mp4"


def leftovers(server: SimulatorServer, task_id: str) -> list[str]:
    """Files of the task besides its result: the source copy, the bare extension, half-written parts."""
    return sorted(p.name for p in (server.sim.media_dir / task_id).iterdir() if p.name != "sample-1.mp4")


async def test_remix_without_raw_is_the_source_then_the_extension_and_with_raw_the_extension_alone(server) -> None:
    source_id, source = await run(server, prompt="A red kite over green hills", generate_audio=True)
    assert source.duration == pytest.approx(4, abs=FRAME) and source.audio
    results = await remixes(server, source_url(server, source_id), generate_audio=True)

    joined_id, joined = results[False]
    assert joined.duration == pytest.approx(8, abs=2 * FRAME)
    assert joined.end == pytest.approx(8, abs=2 * FRAME) and joined.frames == pytest.approx(8 * FPS, abs=2)
    assert joined.size == source.size and joined.audio
    # Same streams, so the source's packets went in unchanged: its pictures exactly, its first frame first.
    assert joined.packets[: len(source.packets)] == source.packets
    assert close(joined.first, source.first)
    # Where the source ends the extension begins, on the source's last frame.
    assert close(joined.means[source.frames], source.last)

    raw_id, extension = results[True]
    assert extension.duration == pytest.approx(4, abs=2 * FRAME)
    assert extension.end == pytest.approx(4, abs=2 * FRAME)
    assert close(extension.first, source.last) and not close(extension.first, source.first)
    assert leftovers(server, joined_id) == [] and leftovers(server, raw_id) == []


async def test_a_source_the_extension_cannot_follow_unchanged_is_reencoded_to_its_format(server) -> None:
    """A silent source under an extension with sound: the source part is re-encoded, with silence."""
    source_id, source = await run(server, prompt="A lighthouse in fog at night", generate_audio=False)
    assert not source.audio
    results = await remixes(server, source_url(server, source_id), generate_audio=True)

    joined_id, joined = results[False]
    assert joined.duration == pytest.approx(8, abs=2 * FRAME) and joined.end == pytest.approx(8, abs=2 * FRAME)
    assert joined.audio and joined.size == source.size
    assert joined.packets[: len(source.packets)] != source.packets  # re-encoded, not copied
    assert close(joined.first, source.first)
    assert close(joined.means[source.frames], source.last)
    _, extension = results[True]
    assert extension.duration == pytest.approx(4, abs=2 * FRAME) and extension.audio
    assert leftovers(server, joined_id) == []


def test_a_source_of_another_size_is_joined_at_the_source_frame(tmp_path: Path) -> None:
    """A 9:16 source before a 16:9 extension: re-encoded, the extension fitted into the source's frame on black."""
    spec = RenderSpec(prompt="A tall waterfall", duration=4, aspect_ratio="9:16", audio=False)
    render_video(tmp_path / "tall.mp4", spec)
    render_video(
        tmp_path / "wide.mp4", RenderSpec(prompt="The river below", duration=4, aspect_ratio="16:9", audio=True)
    )
    info = join_clips([tmp_path / "tall.mp4", tmp_path / "wide.mp4"], tmp_path / "joined.mp4")
    assert not info.copied and info.duration_s == pytest.approx(8, abs=2 * FRAME)
    joined = probe((tmp_path / "joined.mp4").read_bytes())
    assert joined.size == probe((tmp_path / "tall.mp4").read_bytes()).size and joined.audio
    assert joined.duration == pytest.approx(8, abs=2 * FRAME)
    with av.open(str(tmp_path / "joined.mp4")) as container:
        *_, last = container.decode(video=0)
    frame = last.to_ndarray(format="rgb24")
    assert frame[:40].max() < 40 and frame[frame.shape[0] // 2].mean() > 40  # black above, the wide picture inside
    assert sorted(p.name for p in tmp_path.iterdir()) == ["joined.mp4", "tall.mp4", "wide.mp4"]
