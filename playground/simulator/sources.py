"""Fetching what a task refers to, as the real provider would: reference images and remix clips.

A remix source is a video; its last frame becomes the first frame of the continuation, which is
what "continuation based on an existing clip" looks like in a simulated render, and the clip itself
is kept, since a remix without ``raw`` answers the source followed by the extension
(:func:`playground.media.join_clips`).
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from ..media import ImageRejected
from ..net import fetch_pasted_url

#: The largest input fetched; a remix source is a whole clip, far larger than a reference image.
MAX_REFERENCE_BYTES = 256 * 1024 * 1024


class ReferenceUnavailable(Exception):
    """The provider could not download an input URL; the task fails with this message."""


@dataclass(frozen=True)
class Fetched:
    """An input as downloaded: the image a render uses (a video's last frame), and the video itself if it was one."""

    image: bytes
    clip: bytes | None = None


async def fetch_reference(
    url: str, *, allow_loopback: bool = True, loopback_only_to: str | None = None, timeout: float = 15.0
) -> bytes:
    """The image an input URL gives a render (for a video, its last frame); see :func:`fetch_input`."""
    fetched = await fetch_input(url, allow_loopback=allow_loopback, loopback_only_to=loopback_only_to, timeout=timeout)
    return fetched.image


async def fetch_input(
    url: str, *, allow_loopback: bool = True, loopback_only_to: str | None = None, timeout: float = 15.0
) -> Fetched:
    """Download an input as the real provider would, from outside: every hop must be public or loopback
    (this machine stands in for the internet; only the origin ``loopback_only_to`` when loopback is not
    allowed), never a private range or the metadata service, judged by the app's own classifier."""
    try:
        data = await fetch_pasted_url(
            url,
            allow_loopback=allow_loopback,
            loopback_only_to=loopback_only_to,
            max_bytes=MAX_REFERENCE_BYTES,
            timeout_seconds=timeout,
        )
    except ImageRejected as exc:
        raise ReferenceUnavailable(f"could not download {url}: {exc.message}") from exc
    return Fetched(last_frame_png(data), clip=data) if _is_video(data) else Fetched(data)


def _is_video(data: bytes) -> bool:
    """MP4/MOV (an ``ftyp`` box first) or WebM/Matroska (the EBML magic)."""
    return data[4:8] == b"ftyp" or data[:4] == b"\x1a\x45\xdf\xa3"


def last_frame_png(video: bytes) -> bytes:
    import av  # heavy; only remix needs it here

    last = None
    with av.open(io.BytesIO(video)) as container:
        for frame in container.decode(video=0):
            last = frame
    if last is None:
        raise ReferenceUnavailable("the remix source has no video frames")
    out = io.BytesIO()
    last.to_image().save(out, format="PNG")
    return out.getvalue()
