"""Joining clips (issue 18): matching clips are copied packet for packet, others re-encoded, failures leave nothing."""

from __future__ import annotations

from pathlib import Path

import av
import pytest

from playground.media import JoinFailed, JoinResult, join_clips
from playground.simulator.render import RenderSpec, render_video

FPS = 24
#: "Within 2 frames" of the sum of the clips' lengths.
SLACK = 2 / FPS


def _render(folder: Path, name: str, aspect: str = "16:9", audio: bool = True) -> Path:
    path = folder / f"{name}.mp4"
    render_video(path, RenderSpec(prompt=f"join test {name}", duration=2, aspect_ratio=aspect, audio=audio, fps=FPS))
    return path


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("clips")
    return {
        **{f"wide{n}": _render(folder, f"wide{n}") for n in range(3)},
        "tall": _render(folder, "tall", aspect="9:16"),
        "silent": _render(folder, "silent", audio=False),
    }


def _frames(path: Path) -> int:
    with av.open(str(path)) as container:
        return sum(1 for _ in container.decode(video=0))


def _dts_increase(path: Path) -> bool:
    last: dict[int, int] = {}
    with av.open(str(path)) as container:
        for packet in container.demux():
            if packet.dts is None:
                continue
            if packet.stream.index in last and packet.dts <= last[packet.stream.index]:
                return False
            last[packet.stream.index] = packet.dts
    return True


def _leftovers(folder: Path, dest: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(f".{dest.name}."))


def test_matching_clips_are_copied_end_to_end(clips: dict[str, Path], tmp_path: Path) -> None:
    sources = [clips["wide0"], clips["wide1"], clips["wide2"]]
    dest = tmp_path / "joined.mp4"

    result = join_clips(sources, dest)

    assert result == JoinResult(path=dest, duration_s=result.duration_s, copied=True, clips=3)
    assert result.duration_s == pytest.approx(6.0, abs=SLACK)
    assert _frames(dest) == sum(_frames(s) for s in sources) == 3 * 2 * FPS
    assert _dts_increase(dest)
    with av.open(str(dest)) as container:
        assert container.duration / av.time_base == pytest.approx(result.duration_s)
        assert len(container.streams.audio) == 1
    assert not _leftovers(tmp_path, dest)


def test_clips_of_other_sizes_and_no_sound_are_re_encoded(clips: dict[str, Path], tmp_path: Path) -> None:
    sources = [clips["wide0"], clips["tall"], clips["silent"]]
    dest = tmp_path / "mixed.mp4"

    result = join_clips(sources, dest)

    assert not result.copied
    assert result.clips == 3
    assert result.duration_s == pytest.approx(6.0, abs=SLACK)
    assert _frames(dest) == 3 * 2 * FPS
    assert _dts_increase(dest)
    with av.open(str(dest)) as container:
        video = container.streams.video[0]
        # The first clip's frame, H.264 yuv420p, and sound throughout (silence where a clip had none).
        assert (video.codec_context.name, video.width, video.height) == ("h264", 640, 360)
        assert video.codec_context.pix_fmt == "yuv420p"
        audio = container.streams.audio[0]
        assert audio.codec_context.name == "aac"
        assert float(audio.duration * audio.time_base) == pytest.approx(6.0, abs=SLACK)


@pytest.mark.parametrize("damage", ["garbage", "truncated"])
def test_an_unreadable_clip_fails_and_leaves_no_file(clips: dict[str, Path], tmp_path: Path, damage: str) -> None:
    bad = tmp_path / f"{damage}.mp4"
    whole = clips["wide1"].read_bytes()
    bad.write_bytes(b"not a video at all " * 100 if damage == "garbage" else whole[: len(whole) // 2])
    dest = tmp_path / "joined.mp4"

    with pytest.raises(JoinFailed) as failed:
        join_clips([clips["wide0"], bad, clips["wide2"]], dest)

    assert bad.name in failed.value.message
    assert not dest.exists()
    assert not _leftovers(tmp_path, dest)


def test_a_failed_join_keeps_the_previous_file(clips: dict[str, Path], tmp_path: Path) -> None:
    dest = tmp_path / "joined.mp4"
    dest.write_bytes(b"the previous join")
    truncated = tmp_path / "cut.mp4"
    truncated.write_bytes(clips["wide1"].read_bytes()[:40_000])

    with pytest.raises(JoinFailed, match="truncated"):
        join_clips([clips["wide0"], truncated], dest)

    assert dest.read_bytes() == b"the previous join"


def test_no_clips_is_a_failure(tmp_path: Path) -> None:
    with pytest.raises(JoinFailed):
        join_clips([], tmp_path / "joined.mp4")
    assert not (tmp_path / "joined.mp4").exists()
