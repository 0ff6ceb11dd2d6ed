"""The simulator's fake result videos must be real MP4s that a browser plays and the tests can decode."""

from __future__ import annotations

import io
import struct
from dataclasses import replace
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

from playground.simulator import picture, render, wording
from playground.simulator.render import RenderInfo, RenderSpec, render_size, render_video

PROMPT = "A corgi surfing a wave at golden hour, cinematic, slow motion, spray catching the light"
BASE = RenderSpec(
    prompt=PROMPT,
    duration=4,
    aspect_ratio="16:9",
    audio=False,
    model="veo3.1-fast-official",
    resolution="1080p",
    sample_count=2,
)


def _png(colour: tuple[int, int, int], size: tuple[int, int] = (320, 180)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, format="PNG")
    return out.getvalue()


def _frames(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as container:
        return [frame.to_ndarray(format="rgb24") for frame in container.decode(video=0)]


def _top_level_boxes(path: Path) -> list[str]:
    data, names, offset = path.read_bytes(), [], 0
    while offset + 8 <= len(data):
        size, name = struct.unpack(">I4s", data[offset : offset + 8])
        if size == 1:  # 64-bit size follows the type
            size = struct.unpack(">Q", data[offset + 8 : offset + 16])[0]
        names.append(name.decode("latin-1"))
        if size == 0:  # box runs to the end of the file
            break
        offset += size
    return names


def _mostly(frame: np.ndarray, channel: int) -> bool:
    mean = frame.reshape(-1, 3).mean(axis=0)
    others = [mean[c] for c in range(3) if c != channel]
    return mean[channel] > 200 and max(others) < 60


@pytest.fixture(scope="module")
def with_audio(tmp_path_factory: pytest.TempPathFactory) -> dict[int, tuple[Path, RenderInfo]]:
    folder = tmp_path_factory.mktemp("audio")
    return {
        d: (folder / f"{d}.mp4", render_video(folder / f"{d}.mp4", replace(BASE, duration=d, audio=True)))
        for d in (4, 6, 8)
    }


def test_render_size_is_even_and_small() -> None:
    assert render_size("16:9") == (640, 360)
    assert render_size("9:16") == (360, 640)
    with pytest.raises(ValueError):
        render_size("4:3")


@pytest.mark.parametrize("duration", [4, 6, 8])
def test_video_stream_is_browser_playable_h264_of_exact_length(with_audio, duration: int) -> None:
    path, info = with_audio[duration]
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        frames = sum(1 for _ in container.decode(video=0))
        assert stream.codec_context.name == "h264"
        assert stream.codec_context.profile in {"Constrained Baseline", "Baseline", "Main", "High"}
        assert stream.format.name == "yuv420p"
        assert stream.average_rate == 24
        assert (stream.width, stream.height) == render_size("16:9")
        assert float(stream.duration * stream.time_base) == pytest.approx(duration, abs=0.1)
        assert container.duration / 1_000_000 == pytest.approx(duration, abs=0.1)
    assert frames == duration * 24
    assert info == RenderInfo(
        width=640,
        height=360,
        fps=24,
        frames=duration * 24,
        duration=float(duration),
        has_audio=True,
        bytes=path.stat().st_size,
    )


@pytest.mark.parametrize("duration", [4, 6, 8])
def test_audio_track_is_aac_of_same_length_and_audible(with_audio, duration: int) -> None:
    path, _ = with_audio[duration]
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        assert stream.codec_context.name == "aac"
        assert stream.rate in (44100, 48000)
        assert float(stream.duration * stream.time_base) == pytest.approx(duration, abs=0.1)
        samples = np.concatenate([f.to_ndarray().reshape(-1) for f in container.decode(audio=0)])
    assert samples.size / stream.rate / stream.channels == pytest.approx(duration, abs=0.1)
    assert float(np.sqrt(np.mean(samples.astype(np.float64) ** 2))) > 0.02


def test_portrait_without_audio(tmp_path: Path) -> None:
    path = tmp_path / "portrait.mp4"
    info = render_video(path, replace(BASE, aspect_ratio="9:16"))
    with av.open(str(path)) as container:
        assert not container.streams.audio
        video = container.streams.video[0]
        assert (video.width, video.height) == render_size("9:16") == (info.width, info.height)
    assert not info.has_audio


def test_file_is_fast_start_mp4_written_atomically(with_audio) -> None:
    path, _ = with_audio[4]
    assert path.read_bytes()[4:8] == b"ftyp"
    boxes = _top_level_boxes(path)
    assert boxes[0] == "ftyp"
    assert boxes.index("moov") < boxes.index("mdat")
    assert sorted(p.name for p in path.parent.iterdir()) == ["4.mp4", "6.mp4", "8.mp4"]  # no temp files left
    assert path.stat().st_mode & 0o777 == 0o644  # readable by a web server, unlike mkstemp's 0o600


def test_invalid_spec_is_refused(tmp_path: Path) -> None:
    for bad in (replace(BASE, duration=0), replace(BASE, aspect_ratio="1:1"), replace(BASE, fps=0)):
        with pytest.raises(ValueError):
            render_video(tmp_path / "bad.mp4", bad)
    assert list(tmp_path.iterdir()) == []


def test_samples_of_one_prompt_differ(tmp_path: Path) -> None:
    first, second = tmp_path / "1.mp4", tmp_path / "2.mp4"
    render_video(first, replace(BASE, sample_index=0))
    render_video(second, replace(BASE, sample_index=1))
    a, b = _frames(first)[48], _frames(second)[48]
    assert np.abs(a.astype(int) - b.astype(int)).mean() > 10


def test_picture_moves_over_time(tmp_path: Path) -> None:
    path = tmp_path / "v.mp4"
    render_video(path, BASE)
    frames = _frames(path)
    assert np.abs(frames[0].astype(int) - frames[-1].astype(int)).mean() > 5


def test_reference_images_are_first_and_last_frames(tmp_path: Path) -> None:
    path = tmp_path / "flf.mp4"
    render_video(path, replace(BASE, reference_images=(_png((255, 0, 0)), _png((0, 0, 255)))))
    frames = _frames(path)
    assert _mostly(frames[0], channel=0)
    assert _mostly(frames[-1], channel=2)
    middle = frames[len(frames) // 2]
    assert not _mostly(middle, channel=0) and not _mostly(middle, channel=2)


def test_reference_of_other_shape_is_letterboxed_and_exif_rotated(tmp_path: Path) -> None:
    # Top half red, bottom half blue, stored upside down with EXIF "rotate 180" (orientation 3).
    image = Image.new("RGB", (200, 200), (0, 0, 255))
    image.paste((255, 0, 0), (0, 100, 200, 200))
    exif = Image.Exif()
    exif[0x0112] = 3
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif, quality=95)
    path = tmp_path / "i2v.mp4"
    render_video(path, replace(BASE, aspect_ratio="9:16", reference_images=(out.getvalue(),)))
    first = _frames(path)[0]
    centre_x = first.shape[1] // 2
    assert _mostly(first[250:310, centre_x - 40 : centre_x + 40], channel=0)  # upper half of the image
    assert _mostly(first[330:390, centre_x - 40 : centre_x + 40], channel=2)  # lower half


def test_unreadable_reference_is_skipped(tmp_path: Path) -> None:
    path = tmp_path / "corrupt.mp4"
    blue = _png((0, 0, 255))
    info = render_video(path, replace(BASE, reference_images=(b"\x89PNG not really", blue)))
    frames = _frames(path)
    assert info.frames == len(frames) == 96
    assert not _mostly(frames[0], channel=0) and not _mostly(frames[0], channel=2)
    assert _mostly(frames[-1], channel=2)  # the readable last frame still ends the clip


@pytest.mark.parametrize(
    "prompt",
    [
        "",
        "word " * 2000,
        "x" * 5000,
        "emoji 🐶🌊✨ RTL שלום مرحبا CJK 東京の夜景 combining é\u0301\u0302 zwj 👩\u200d👩\u200d👧 "
        "tab\tnew\nline \x00\x1b lone surrogate \ud800 private \ue000",
    ],
    ids=["empty", "many-words", "one-huge-word", "unicode-and-controls"],
)
def test_awkward_prompts_render(tmp_path: Path, prompt: str) -> None:
    path = tmp_path / "p.mp4"
    info = render_video(path, replace(BASE, prompt=prompt, model=""))
    assert info.frames == 96 and path.stat().st_size == info.bytes > 0


def test_long_prompt_is_truncated_with_ellipsis() -> None:
    font = picture._font(640, 360, 0.06)
    lines = wording.wrap("word " * 2000, font, 500, 4)
    assert len(lines) == 4 and lines[-1].endswith("…")
    assert all(font.getlength(line) <= 500 for line in lines)


def test_failed_render_leaves_nothing_behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object) -> None:
        raise RuntimeError("encoder exploded")

    monkeypatch.setattr(render, "_encode", broken)
    with pytest.raises(RuntimeError):
        render_video(tmp_path / "x.mp4", BASE)
    assert list(tmp_path.iterdir()) == []
