"""Rendering the simulator's result videos: real, browser-playable MP4 files made offline.

A simulated task must hand back something the page can play, so the demo looks like the real
service without calling it. Every video is obviously synthetic (a moving gradient, the prompt,
a "SIMULATED" caption) yet honours what the request controls: length, aspect, audio, sample
count, and the first/last frame images of image-to-video.

Speed matters because the simulator renders while the user waits. So the picture is rendered at
a small fixed size whatever resolution was requested, every static layer (text, fitted reference
images) is drawn once with Pillow, and frames are composited straight in the encoder's YUV 4:2:0
layout with a few numpy operations, which skips a colour conversion of every frame.

This module writes the file (the encoder, the soundtrack); ``picture.py`` makes the frames.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from .picture import RenderSpec, Scene, digest

__all__ = ["RenderInfo", "RenderSpec", "add_audio_stream", "add_video_stream", "render_size", "render_video"]

AUDIO_RATE = 48000
#: The AAC encoder consumes blocks of this many samples.
AUDIO_BLOCK = 1024


@dataclass(frozen=True)
class RenderInfo:
    """What was actually written, which by design is smaller than what was requested."""

    width: int
    height: int
    fps: int
    frames: int
    duration: float
    has_audio: bool
    bytes: int


def render_size(aspect_ratio: str) -> tuple[int, int]:
    """Pixel size actually rendered: far below 720p/1080p so a render takes about a second."""
    if aspect_ratio == "16:9":
        return 640, 360
    if aspect_ratio == "9:16":
        return 360, 640
    raise ValueError(f"unsupported aspect ratio {aspect_ratio!r}; expected '16:9' or '9:16'")


def render_video(dest: Path, spec: RenderSpec) -> RenderInfo:
    """Write ``spec`` as an MP4 at ``dest``, atomically: readers never see a half-written file."""
    _validate(spec)
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    width, height = render_size(spec.aspect_ratio)
    frames = spec.duration * spec.fps
    fd, tmp_name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part.mp4", dir=dest.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        scene = Scene.build(spec, width, height)
        audio = _soundtrack(spec) if spec.audio else None
        _encode(tmp, spec.fps, scene.frames(frames), audio, width, height)
        tmp.chmod(0o644)  # mkstemp creates the file private to its owner; a finished video is not
        os.replace(tmp, dest)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return RenderInfo(
        width=width,
        height=height,
        fps=spec.fps,
        frames=frames,
        duration=frames / spec.fps,
        has_audio=audio is not None,
        bytes=dest.stat().st_size,
    )


def _validate(spec: RenderSpec) -> None:
    if spec.duration <= 0:
        raise ValueError(f"duration must be positive, got {spec.duration}")
    if not 0 < spec.fps < 100:  # the timecode shows the frame number in two digits
        raise ValueError(f"fps must be between 1 and 99, got {spec.fps}")
    render_size(spec.aspect_ratio)


# -- encoding ---------------------------------------------------------------------------------


def _encode(
    path: Path, fps: int, frames: Iterator[np.ndarray], audio: np.ndarray | None, width: int, height: int
) -> None:
    # faststart moves the index in front of the media so a browser can start before the download ends.
    with av.open(str(path), mode="w", format="mp4", options={"movflags": "+faststart"}) as container:
        video = add_video_stream(container, fps, width, height)
        sound = _AudioFeed(container, audio) if audio is not None else None
        for index, yuv in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(yuv, format="yuv420p")
            frame.pts = index
            container.mux(video.encode(frame))
            if sound is not None:
                # Interleaving audio with video keeps both near each other in the file, so a
                # browser streaming it does not need the whole video before the first sound.
                sound.mux_until((index + 1) * AUDIO_RATE // fps)
        container.mux(video.encode(None))
        if sound is not None:
            sound.finish()


def add_video_stream(
    container: av.container.OutputContainer, fps: int, width: int, height: int
) -> av.video.stream.VideoStream:
    """The H.264 stream every result video has (so a remix's source and extension usually join by stream copy)."""
    stream = container.add_stream(
        "libx264",
        rate=fps,
        options={
            # ultrafast encodes 2-3x quicker than veryfast; the price, a file twice as big, is
            # irrelevant for a few seconds of 360p served from the same machine.
            "preset": "ultrafast",
            "crf": "23",
            # Never above Main (ultrafast in fact yields Constrained Baseline): every browser plays both.
            "profile": "main",
            # A keyframe every two seconds keeps seeking in the player snappy.
            "g": str(fps * 2),
            "x264-params": "colorprim=bt709:transfer=bt709:colormatrix=bt709",
        },
    )
    stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
    stream.time_base = Fraction(1, fps)
    return stream


def add_audio_stream(container: av.container.OutputContainer) -> av.audio.stream.AudioStream:
    """The AAC stream of a video with sound: stereo at ``AUDIO_RATE``, fed blocks of ``AUDIO_BLOCK`` samples."""
    # The "fast" coder sounds the same on a synthetic chord and costs far less than the default.
    stream = container.add_stream("aac", rate=AUDIO_RATE, options={"b": "128k", "aac_coder": "fast"})
    stream.layout, stream.format = "stereo", "fltp"
    stream.time_base = Fraction(1, AUDIO_RATE)
    return stream


class _AudioFeed:
    """Encodes a prepared soundtrack block by block, as far as the video has got."""

    def __init__(self, container: av.container.OutputContainer, samples: np.ndarray) -> None:
        self._container = container
        self._samples = samples
        self._position = 0
        self._stream = add_audio_stream(container)

    def mux_until(self, sample: int) -> None:
        while self._position < min(sample, self._samples.shape[1]):
            block = np.ascontiguousarray(self._samples[:, self._position : self._position + AUDIO_BLOCK])
            frame = av.AudioFrame.from_ndarray(block, format="fltp", layout="stereo")
            frame.sample_rate, frame.pts = AUDIO_RATE, self._position
            frame.time_base = Fraction(1, AUDIO_RATE)
            self._container.mux(self._stream.encode(frame))
            self._position += block.shape[1]

    def finish(self) -> None:
        self.mux_until(self._samples.shape[1])
        self._container.mux(self._stream.encode(None))


# -- sound ------------------------------------------------------------------------------------


def _soundtrack(spec: RenderSpec) -> np.ndarray:
    """A soft major chord under a slow bell arpeggio: audibly "audio on", never harsh."""
    seed = digest(spec.prompt, spec.sample_index)
    count = spec.duration * AUDIO_RATE
    t = np.arange(count, dtype=np.float32) / AUDIO_RATE
    # A comfortable register (G3..D4) whatever the hash picks.
    root = 196.0 * 2 ** ((seed[8] % 8) / 12)
    chord = [root * 2 ** (step / 12) for step in (0, 4, 7, 12, 14)]
    out = _pad(t, chord) + _bells(count, chord, seed)
    out *= _envelope(count, spec.duration)
    peak = float(np.max(np.abs(out))) or 1.0
    return (out * (0.3 / peak)).astype(np.float32)


def _pad(t: np.ndarray, chord: list[float]) -> np.ndarray:
    out = np.zeros((2, t.size), dtype=np.float32)
    for voice, freq in enumerate(chord):
        pan = voice / (len(chord) - 1)
        # A slow tremolo per voice keeps the held chord from sounding like a test tone.
        wobble = 0.8 + 0.2 * np.sin(2 * np.pi * (0.15 + 0.05 * voice) * t + voice)
        tone = np.sin(2 * np.pi * freq * t) * wobble / (1 + voice * 0.3)
        out[0] += tone * (1 - 0.6 * pan)
        out[1] += tone * (0.4 + 0.6 * pan)
    return out


def _bells(count: int, chord: list[float], seed: bytes) -> np.ndarray:
    out = np.zeros((2, count), dtype=np.float32)
    step, ring = AUDIO_RATE // 2, int(AUDIO_RATE * 1.2)
    decay = np.exp(-np.arange(ring, dtype=np.float32) / (AUDIO_RATE * 0.25))
    for n, start in enumerate(range(0, count, step)):
        freq = 2 * chord[(n + seed[9]) % len(chord)]
        length = min(ring, count - start)
        note = np.sin(2 * np.pi * freq * np.arange(length, dtype=np.float32) / AUDIO_RATE) * decay[:length]
        side = n % 2
        out[side, start : start + length] += 0.5 * note
        out[1 - side, start : start + length] += 0.3 * note
    return out


def _envelope(count: int, duration: int) -> np.ndarray:
    """Raised-cosine fade in and out, so the clip neither clicks at the start nor stops dead."""
    env = np.ones(count, dtype=np.float32)
    attack = int(AUDIO_RATE * min(0.6, duration / 4))
    release = int(AUDIO_RATE * min(1.5, duration / 3))
    env[:attack] = 0.5 - 0.5 * np.cos(np.linspace(0, np.pi, attack, dtype=np.float32))
    env[count - release :] *= 0.5 + 0.5 * np.cos(np.linspace(0, np.pi, release, dtype=np.float32))
    return env
