"""Poster frames for the History tab: a small still of each saved video."""

from __future__ import annotations

from pathlib import Path

POSTER_WIDTH = 320
#: Seconds into the clip: the first frames are often a fade from black.
POSTER_AT = 1.0


def make_poster(video: Path) -> Path:
    """Write ``poster.jpg`` beside ``video`` from the frame near :data:`POSTER_AT` and return its path."""
    import av  # heavy, and only needed once a video is saved

    chosen = None
    with av.open(str(video)) as container:
        stream = container.streams.video[0]
        for frame in container.decode(stream):
            chosen = frame
            if frame.time is not None and frame.time >= POSTER_AT:
                break
    if chosen is None:
        raise ValueError(f"{video.name} has no video frames")
    image = chosen.to_image()
    image.thumbnail((POSTER_WIDTH, POSTER_WIDTH))
    dest = video.with_name("poster.jpg")
    image.save(dest, format="JPEG", quality=85)
    return dest


_CARD_COLOURS = {
    "completed": "#2d7a4b",
    "failed": "#b3261e",
    "error": "#b3261e",
    "uncertain": "#b3261e",
    "cancelled": "#6b7280",
    "timeout": "#a16207",
}


def status_card(phase: str, folder: Path) -> Path:
    """A plain tile for runs with no video to show (failed, running, cancelled), made once per phase."""
    from PIL import Image, ImageDraw

    dest = folder / f"card-{phase}.png"
    if dest.exists():
        return dest
    folder.mkdir(parents=True, exist_ok=True)
    image = Image.new("RGB", (POSTER_WIDTH, POSTER_WIDTH * 9 // 16), _CARD_COLOURS.get(phase, "#1d4ed8"))
    draw = ImageDraw.Draw(image)
    draw.text((16, image.height // 2 - 12), phase.upper(), fill="white", font_size=24)
    partial = dest.with_suffix(".part")
    image.save(partial, format="PNG")
    partial.replace(dest)  # two pages asking at once never see half a file
    return dest
