"""The ``join`` section: :func:`media.join_clips` on ten 8 s 1080p clips, timed, with the join's peak RSS
growth beside the clips' total size (issue 18's target: no full decode into memory).

The clips are rendered once into a temporary folder by the simulator's renderer at a true 1920×1080
(it normally renders far smaller, see ``render_size``). Each join runs in a fresh Python process, so
the peak memory measured is the join's own, not left over from rendering. Two joins are measured:
the ten matching clips (stream copy, the case the issue is about; and the first clip alone, to show
the peak does not grow with the clips), and the same ten with the last one at the simulator's usual
640×360, which forces the frame-by-frame re-encode.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from unittest import mock

from playground.simulator import render
from playground.simulator.render import RenderSpec, render_video

from .report import REPO, Figure, note

CLIPS = 10
SECONDS = 8
SIZE = (1920, 1080)
EXPECTED = CLIPS * SECONDS
#: Two frames at the renderer's 24 fps, in ms: how far the joined length may be from the sum.
FRAMES_2 = 2000 / 24
#: One decoded 1080p yuv420p frame, in MB: nine more clips may not cost even that much more memory.
FRAME_MB = SIZE[0] * SIZE[1] * 1.5 / 2**20

#: Run in the fresh process: imports first, so the baseline holds them, then the join alone under RssWatch.
_CHILD = """
import json, sys, time
from pathlib import Path
from bench.report import RssWatch
from playground.media import join_clips
sources, dest = [Path(p) for p in sys.argv[1:-1]], Path(sys.argv[-1])
with RssWatch() as rss:
    started = time.monotonic()
    result = join_clips(sources, dest)
    seconds = time.monotonic() - started
print(json.dumps({"seconds": seconds, "before": rss.before, "peak": rss.peak, "growth": rss.growth,
                  "duration": result.duration_s, "copied": result.copied, "bytes": dest.stat().st_size}))
"""


@dataclass(frozen=True)
class Measured:
    seconds: float
    growth_mb: float
    duration_s: float
    copied: bool
    output_mb: float


def _render_clips(folder: Path) -> tuple[list[Path], Path]:
    """Ten 8 s clips with sound at 1080p, and one more at the renderer's own size."""
    clips = []
    # The renderer draws at a small fixed size by design (it renders while a user waits); the benchmark
    # wants real 1080p packet sizes, so it asks the same renderer for 1920×1080.
    with mock.patch.object(render, "render_size", lambda _aspect: SIZE):
        for n in range(CLIPS):
            spec = RenderSpec(
                prompt=f"bench: storyboard shot {n + 1}", duration=SECONDS, aspect_ratio="16:9", audio=True
            )
            info = render_video(folder / f"shot{n + 1:02}.mp4", spec)
            clips.append(folder / f"shot{n + 1:02}.mp4")
    note(f"rendered {CLIPS} clips of {info.duration:g} s at {info.width}x{info.height}, {info.fps} fps, with audio")
    odd = folder / "odd.mp4"
    render_video(odd, RenderSpec(prompt="bench: the odd one out", duration=SECONDS, aspect_ratio="16:9", audio=True))
    return clips, odd


def _measure(sources: list[Path], dest: Path) -> Measured:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, *map(str, sources), str(dest)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=400,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"the join process failed:\n{done.stderr[-2000:]}")
    got = json.loads(done.stdout.strip().splitlines()[-1])
    return Measured(got["seconds"], got["growth"], got["duration"], got["copied"], got["bytes"] / 2**20)


def join() -> list[Figure]:
    with tempfile.TemporaryDirectory(prefix="bench-join-") as tmp:
        folder = Path(tmp)
        clips, odd = _render_clips(folder)
        input_mb = sum(p.stat().st_size for p in clips) / 2**20
        copy = _measure(clips, folder / "copied.mp4")
        one = _measure(clips[:1], folder / "one.mp4")
        mixed = _measure([*clips[:-1], odd], folder / "re-encoded.mp4")
    note(
        f"copy: {input_mb:.1f} MB in, {copy.output_mb:.1f} MB out in {copy.seconds:.2f} s, peak RSS "
        f"+{copy.growth_mb:.1f} MB (+{one.growth_mb:.1f} MB for one clip), copied: {'yes' if copy.copied else 'no'}"
    )
    note(f"re-encode: {mixed.seconds:.1f} s, peak RSS +{mixed.growth_mb:.1f} MB, copied: {mixed.copied}")
    return [*_copy_figures(copy, one, input_mb), *_reencode_figures(mixed)]


def _copy_figures(copy: Measured, one: Measured, input_mb: float) -> list[Figure]:
    return [
        Figure("join", f"time to join {CLIPS} x {SECONDS} s 1080p clips (copy)", copy.seconds, "s"),
        Figure("join", "peak RSS growth during the join", copy.growth_mb, "MB"),
        # The target, "no full decode into memory": the join holds less than the files it
        # reads (decoded, their frames would be 6 GB), and nothing that grows with the clips.
        Figure(
            "join", f"peak RSS growth / total input ({input_mb:.0f} MB)", 100 * copy.growth_mb / input_mb, "%", 100.0
        ),
        Figure("join", f"peak for {CLIPS} clips minus for 1", copy.growth_mb - one.growth_mb, "MB", FRAME_MB),
        Figure("join", "output duration", copy.duration_s, "s"),
        Figure("join", f"output duration off the clips' sum ({EXPECTED} s)", _off_ms(copy), "ms", FRAMES_2),
        Figure("join", "copied without re-encoding (1 = yes)", float(copy.copied), "", 1.0, at_least=True),
    ]


def _reencode_figures(mixed: Measured) -> list[Figure]:
    return [
        Figure("join", "re-encode (last clip 640x360): time", mixed.seconds, "s"),
        Figure("join", "re-encode: peak RSS growth", mixed.growth_mb, "MB"),
        Figure("join", "re-encode: output duration off the sum", _off_ms(mixed), "ms", FRAMES_2),
        Figure("join", "re-encode: copied (0 = no, re-encoded)", float(mixed.copied), "", 0.0),
    ]


def _off_ms(measured: Measured) -> float:
    return abs(measured.duration_s - EXPECTED) * 1000
