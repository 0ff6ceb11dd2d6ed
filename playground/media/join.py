"""Joining MP4 clips into one video (issue 18, the storyboard): copied when they match, re-encoded when not.

Clips that Veo (or the simulator) made with the same settings share codec, size and pixel format, so
their packets can simply be copied one clip after another, each shifted by the running length so far:
no frame is decoded, the join takes about as long as reading the files, and the picture is untouched.
Anything else (another size, another codec, audio in some clips only) is decoded and re-encoded to
H.264 yuv420p + AAC, fitted into the first clip's frame. Either way packets and frames stream through
one at a time, so memory stays flat however long the clips are.

The result is written to a temporary file beside ``dest`` and renamed on success: a failed join
leaves nothing behind, and nobody ever sees half a video under the final name.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

__all__ = ["JoinFailed", "JoinResult", "join_clips"]

#: What a re-encoded join falls back to when the first clip does not say (no audio, no frame rate).
DEFAULT_SAMPLE_RATE = 48000
DEFAULT_FPS = Fraction(24)
#: Silence is fed to the AAC encoder in blocks of its own frame size.
AUDIO_BLOCK = 1024

_Input = av.container.InputContainer
_Output = av.container.OutputContainer


class JoinFailed(Exception):
    """The clips cannot be joined; ``message`` says which clip and why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class JoinResult:
    path: Path
    duration_s: float
    #: True when the packets were copied as they are; False when the clips had to be re-encoded.
    copied: bool
    clips: int


# -- what each clip holds -----------------------------------------------------------------------


@dataclass(frozen=True)
class _Video:
    codec: str
    width: int
    height: int
    pix_fmt: str | None
    time_base: Fraction | None
    rate: Fraction | None
    # The MP4 keeps one set of H.264 parameter sets (avcC) for the whole stream: clips whose
    # parameter sets differ would decode wrongly after the cut, so they must match too.
    extradata: bytes = field(repr=False)

    def copyable_after(self, first: _Video) -> bool:
        same = (self.codec, self.width, self.height, self.pix_fmt, self.extradata) == (
            first.codec,
            first.width,
            first.height,
            first.pix_fmt,
            first.extradata,
        )
        return same and _rescalable(self, first)


@dataclass(frozen=True)
class _Audio:
    codec: str
    sample_rate: int
    channels: int
    extradata: bytes = field(repr=False)  # AAC's AudioSpecificConfig, likewise one for the stream


@dataclass(frozen=True)
class _Clip:
    path: Path
    video: _Video
    audio: _Audio | None


def _rescalable(clip: _Video, first: _Video) -> bool:
    """Copied packets are retimed into the first clip's time base; a frame must still span a tick."""
    if not clip.time_base or not first.time_base:
        return False
    return clip.rate is None or 1 / clip.rate >= first.time_base


def _can_copy(clips: list[_Clip]) -> bool:
    first = clips[0]
    if not all(c.video.copyable_after(first.video) for c in clips):
        return False
    audio = {c.audio for c in clips}
    # One audio format everywhere, or none at all: a clip without sound cannot be copied next to
    # clips with sound, because the silence it needs has to be encoded.
    return len(audio) == 1


@contextmanager
def _opened(path: Path) -> Iterator[_Input]:
    """The clip opened for reading; anything FFmpeg cannot read becomes a :class:`JoinFailed`."""
    try:
        container = av.open(str(path))
    except (av.error.FFmpegError, OSError) as err:
        raise JoinFailed(f"{path.name} cannot be read as a video: {err}") from err
    with container:
        try:
            yield container
        except av.error.FFmpegError as err:
            raise JoinFailed(f"joining stopped at {path.name}: {err}") from err


def _probe(path: Path) -> _Clip:
    with _opened(path) as container:
        if not container.streams.video:
            raise JoinFailed(f"{path.name} has no video stream")
        video = container.streams.video[0]
        vcc = video.codec_context
        info = _Video(
            codec=vcc.name,
            width=vcc.width,
            height=vcc.height,
            pix_fmt=vcc.pix_fmt,
            time_base=video.time_base,
            rate=video.average_rate or video.guessed_rate,
            extradata=bytes(vcc.extradata or b""),
        )
        audio = None
        if container.streams.audio:
            acc = container.streams.audio[0].codec_context
            audio = _Audio(acc.name, acc.sample_rate, acc.layout.nb_channels, bytes(acc.extradata or b""))
    return _Clip(path, info, audio)


def _streams(container: _Input) -> list[av.stream.Stream]:
    """The streams joined: the first video and the first audio; subtitles, data and extra tracks are left out."""
    return [container.streams.video[0], *container.streams.audio[:1]]


def _origin(streams: list[av.stream.Stream]) -> Fraction:
    """Where the clip starts, in seconds: a clip cut from a longer stream need not start at zero."""
    starts = [Fraction(s.start_time) * s.time_base for s in streams if s.start_time is not None and s.time_base]
    return min(starts, default=Fraction(0))


def _check_complete(path: Path, stream: av.stream.Stream, packets: int) -> None:
    # A cut-off MP4 whose index sits at the front demuxes without an error and simply ends early;
    # only the index's frame count shows that part of the clip is missing.
    if stream.frames and packets < stream.frames:
        raise JoinFailed(f"{path.name} is truncated: {packets} of {stream.frames} frames are there")


# -- stream copy --------------------------------------------------------------------------------


def _ticks(value: int, source: Fraction, target: Fraction) -> int:
    return round(Fraction(value) * source / target)


class _Remux:
    """Copies each clip's packets into the output, shifted so the clips follow one another."""

    def __init__(self, output: _Output) -> None:
        self.output = output
        self.targets: list[av.stream.Stream] = []
        self.last_dts: list[int | None] = []
        self.end = Fraction(0)  # seconds: where the next clip starts

    def add(self, clip: _Clip, later: bool) -> None:
        with _opened(clip.path) as container:
            sources = _streams(container)
            if not self.targets:
                self._open_output(sources)
            shifts = [round((self.end - _origin(sources)) / t.time_base) for t in self.targets]
            counts = [0] * len(sources)
            for packet in container.demux(*sources):
                if packet.dts is None:  # the demuxer's end-of-stream marker carries no data
                    continue
                index = sources.index(packet.stream)
                counts[index] += 1
                if later and index and _is_priming(packet):
                    continue
                self._place(packet, index, shifts[index])
                self.output.mux(packet)
            _check_complete(clip.path, sources[0], counts[0])

    def _open_output(self, sources: list[av.stream.Stream]) -> None:
        self.targets = [self.output.add_stream_from_template(s) for s in sources]
        self.last_dts = [None] * len(sources)
        # Writing the header settles each stream's time base, which packets are retimed into.
        self.output.start_encoding()

    def _place(self, packet: av.Packet, index: int, shift: int) -> None:
        target, source_base = self.targets[index], packet.time_base
        base = target.time_base
        dts = _ticks(packet.dts, source_base, base) + shift
        pts = dts if packet.pts is None else _ticks(packet.pts, source_base, base) + shift
        last = self.last_dts[index]
        if last is not None and dts <= last:
            # Clips whose decoders start with different delays can meet one tick out of order;
            # the muxer refuses any dts that does not increase, so nudge it just past the last.
            dts = last + 1
            pts = max(pts, dts)
        self.last_dts[index] = dts
        duration = _ticks(packet.duration or 0, source_base, base)
        packet.pts, packet.dts, packet.duration = pts, dts, duration
        packet.time_base, packet.stream = base, target
        self.end = max(self.end, Fraction(pts + duration) * base)


def _is_priming(packet: av.Packet) -> bool:
    """AAC's encoder-delay packet, before the clip's start: the source's edit list hides it, but after
    a cut it would overlap the previous clip's last packets and run the timestamps backwards."""
    return packet.pts is not None and packet.pts + (packet.duration or 0) <= (packet.stream.start_time or 0)


def _remux(clips: list[_Clip], path: Path) -> None:
    with _written(path) as output:
        remux = _Remux(output)
        for number, clip in enumerate(clips):
            remux.add(clip, later=number > 0)


@contextmanager
def _written(path: Path) -> Iterator[_Output]:
    # faststart puts the index first, so a browser can start playing the joined video at once.
    with av.open(str(path), mode="w", format="mp4", options={"movflags": "+faststart"}) as output:
        yield output


# -- re-encoding --------------------------------------------------------------------------------


class _Encode:
    """Decodes each clip and encodes it again into one H.264 (+ AAC) stream, frame by frame."""

    def __init__(self, output: _Output, clips: list[_Clip]) -> None:
        first = clips[0].video
        self.output = output
        self.width, self.height = first.width, first.height
        self.rate = first.rate or DEFAULT_FPS
        self.video = _video_stream(output, self.width, self.height, self.rate)
        with_audio = [c.audio for c in clips if c.audio is not None]
        self.sample_rate = with_audio[0].sample_rate if with_audio else DEFAULT_SAMPLE_RATE
        self.audio = _audio_stream(output, self.sample_rate) if with_audio else None
        self.offset = Fraction(0)  # seconds: where the current clip starts
        self.last_pts: int | None = None
        self.samples = 0  # audio samples written so far

    def add(self, clip: _Clip) -> None:
        with _opened(clip.path) as container:
            sources = _streams(container)
            audio_start = self.samples
            video_end = self._decode(clip.path, container, sources)
            self.offset += max(video_end, Fraction(self.samples - audio_start, self.sample_rate))
            self._pad_audio()

    def _decode(self, path: Path, container: _Input, sources: list[av.stream.Stream]) -> Fraction:
        """Encodes every frame of one clip; gives where its picture ends, in seconds from its start."""
        video_in, origin = sources[0], _origin(sources)
        fitter = _Fitter(video_in, self.width, self.height)
        resampler = av.AudioResampler(format="fltp", layout="stereo", rate=self.sample_rate)
        video_end, packets = Fraction(0), 0
        for packet in container.demux(*sources):
            if packet.stream is video_in and packet.dts is not None:
                packets += 1
            # The end-of-stream packets are decoded too: they flush the frames still inside.
            for frame in packet.decode():
                if isinstance(frame, av.VideoFrame):
                    video_end = max(video_end, self._add_frame(fitter.fit(frame), frame, video_in, origin))
                elif isinstance(frame, av.AudioFrame) and self.audio is not None:
                    self._add_sound(resampler.resample(frame))
        if self.audio is not None:
            self._add_sound(resampler.resample(None))  # what the resampler still holds
        _check_complete(path, video_in, packets)
        return video_end

    def finish(self) -> None:
        self.output.mux(self.video.encode(None))
        if self.audio is not None:
            self.output.mux(self.audio.encode(None))

    def _add_frame(
        self, fitted: av.VideoFrame, decoded: av.VideoFrame, source: av.stream.Stream, origin: Fraction
    ) -> Fraction:
        """Encodes one frame at its own time in the joined video; gives where it ends in the clip."""
        at = Fraction(decoded.pts) * decoded.time_base - origin if decoded.pts is not None else Fraction(0)
        period = 1 / (source.average_rate or self.rate)
        pts = round((self.offset + at) * self.rate)
        if self.last_pts is not None and pts <= self.last_pts:
            return at + period  # a faster clip's extra frame lands on a tick already shown: dropped
        self.last_pts = fitted.pts = pts
        # In the encoder's time base: the stream's own may change once the muxer writes the header.
        fitted.time_base = 1 / self.rate
        self.output.mux(self.video.encode(fitted))
        return at + period

    def _add_sound(self, frames: list[av.AudioFrame]) -> None:
        assert self.audio is not None
        for frame in frames:
            # Sound is laid end to end from the clip's start: its own timestamps may begin before
            # zero (encoder delay) and would only open a gap or an overlap at the cut.
            frame.pts, frame.time_base = self.samples, Fraction(1, self.sample_rate)
            self.samples += frame.samples
            self.output.mux(self.audio.encode(frame))

    def _pad_audio(self) -> None:
        """Silence up to the end of the clip: for clips without sound, and sound shorter than the picture."""
        if self.audio is None:
            return
        until = round(self.offset * self.sample_rate)
        while self.samples < until:
            count = min(AUDIO_BLOCK, until - self.samples)
            frame = av.AudioFrame.from_ndarray(np.zeros((2, count), np.float32), format="fltp", layout="stereo")
            frame.sample_rate = self.sample_rate
            self._add_sound([frame])


class _Fitter:
    """Scales a clip's frames into the joined video's frame, keeping their shape (black bars if needed)."""

    def __init__(self, source: av.stream.Stream, width: int, height: int) -> None:
        self.graph = av.filter.Graph()
        nodes = [
            self.graph.add_buffer(template=source),
            self.graph.add("scale", f"{width}:{height}:force_original_aspect_ratio=decrease:force_divisible_by=2"),
            self.graph.add("pad", f"{width}:{height}:(ow-iw)/2:(oh-ih)/2:black"),
            self.graph.add("setsar", "1"),
            self.graph.add("format", "yuv420p"),
            self.graph.add("buffersink"),
        ]
        self.graph.link_nodes(*nodes).configure()

    def fit(self, frame: av.VideoFrame) -> av.VideoFrame:
        self.graph.push(frame)
        fitted = self.graph.pull()
        assert isinstance(fitted, av.VideoFrame)
        return fitted


def _video_stream(output: _Output, width: int, height: int, rate: Fraction) -> av.stream.Stream:
    stream = output.add_stream(
        "libx264",
        rate=rate,
        # veryfast keeps the encoder's look-ahead (frames it holds) short; a keyframe every two
        # seconds keeps seeking in the player snappy.
        options={"preset": "veryfast", "crf": "20", "g": str(max(1, round(rate * 2)))},
    )
    stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
    stream.time_base = 1 / rate
    return stream


def _audio_stream(output: _Output, sample_rate: int) -> av.stream.Stream:
    stream = output.add_stream("aac", rate=sample_rate, options={"b": "160k"})
    stream.layout, stream.format = "stereo", "fltp"
    stream.time_base = Fraction(1, sample_rate)
    return stream


def _reencode(clips: list[_Clip], path: Path) -> None:
    with _written(path) as output:
        encode = _Encode(output, clips)
        for clip in clips:
            encode.add(clip)
        encode.finish()


# -- the join -----------------------------------------------------------------------------------


def join_clips(sources: Sequence[Path], dest: Path) -> JoinResult:
    """Join ``sources`` in order into the MP4 ``dest``: copied if they match, else re-encoded.

    Raises :class:`JoinFailed` when there is no clip or one cannot be read; ``dest`` is then untouched.
    """
    paths = [Path(s) for s in sources]
    if not paths:
        raise JoinFailed("there are no clips to join")
    clips = [_probe(p) for p in paths]
    copied = _can_copy(clips)
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part.mp4", dir=dest.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        (_remux if copied else _reencode)(clips, tmp)
        duration = _duration(tmp)
        tmp.chmod(0o644)  # mkstemp makes the file private to its owner; a finished video is not
        os.replace(tmp, dest)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return JoinResult(path=dest, duration_s=duration, copied=copied, clips=len(clips))


def _duration(path: Path) -> float:
    """The joined file's length as a player sees it, read back from what was written."""
    with _opened(path) as container:
        if container.duration is not None:
            return container.duration / av.time_base
        video = container.streams.video[0]
        return float((video.duration or 0) * (video.time_base or 0))
