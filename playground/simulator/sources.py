"""Fetching what a task refers to, as the real provider would: reference images and remix clips.

A remix source is a video; its last frame becomes the first frame of the continuation, which is
what "continuation based on an existing clip" looks like in a simulated render.
"""

from __future__ import annotations

import io

import httpx

from ..tls import shared_tls


class ReferenceUnavailable(Exception):
    """The provider could not download an input URL; the task fails with this message."""


async def fetch_reference(url: str, timeout: float = 15.0) -> bytes:
    try:
        async with httpx.AsyncClient(timeout=timeout, follow_redirects=True, verify=shared_tls()) as http:
            response = await http.get(url)
    except httpx.HTTPError as exc:
        raise ReferenceUnavailable(f"could not download {url}: {type(exc).__name__}") from exc
    if response.status_code != 200:
        raise ReferenceUnavailable(f"could not download {url}: HTTP {response.status_code}")
    kind = response.headers.get("content-type", "")
    if kind.startswith("video/") or response.content[4:8] == b"ftyp":
        return last_frame_png(response.content)
    return response.content


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
