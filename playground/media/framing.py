"""How a picture fits the video: its aspect ratio against the chosen one, two frames against each other,
and a preview of what pad or crop will do.

Split from :mod:`.images` (which decodes and normalises) because these answer a different question: not
"can this file be used" but "how will it look in a 16:9 or 9:16 video".
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageOps

from ..texts import text
from .images import PreparedImage, decode_image

ASPECT_TOLERANCE = 0.01
_COMMON_RATIOS = (
    "1:1",
    "5:4",
    "4:5",
    "4:3",
    "3:4",
    "3:2",
    "2:3",
    "16:10",
    "10:16",
    "16:9",
    "9:16",
    "2:1",
    "1:2",
    "20:9",
    "9:20",
    "21:9",
    "9:21",
)


def _parse_ratio(aspect_ratio: str) -> float:
    try:
        w, h = (float(part) for part in aspect_ratio.split(":"))
        return w / h
    except (ValueError, ZeroDivisionError):
        raise ValueError(f"not an aspect ratio like '16:9': {aspect_ratio!r}") from None


def ratio_name(width: int, height: int) -> str:
    """'4:3' for 1024×768; the plain size when no common ratio is close."""
    ratio = width / height
    best = min(_COMMON_RATIOS, key=lambda name: abs(_parse_ratio(name) / ratio - 1))
    return best if abs(_parse_ratio(best) / ratio - 1) <= 0.015 else f"{width}×{height}"


def _differs(a: float, b: float) -> bool:
    return abs(a / b - 1) > ASPECT_TOLERANCE


# What pad and crop do to an image narrower or wider than the video; ``{lost}`` is a percentage.
NARROWER = text(
    "media.framing.narrower",
    "The image is {shape} but the video will be {aspect}: 'pad' adds borders on the left and right, 'crop' cuts the "
    "top and bottom ({lost} of the picture).",
)
WIDER = text(
    "media.framing.wider",
    "The image is {shape} but the video will be {aspect}: 'pad' adds borders at the top and bottom, 'crop' cuts the "
    "left and right sides ({lost} of the picture).",
)
FRAMES_DIFFER = text(
    "media.framing.frames_differ",
    "The first frame is {first_shape} ({first}) but the last frame is {last_shape} ({last}); they are fitted "
    "differently, so the picture may shift or jump during the video.",
)
FRAME_SIZES_DIFFER = text(
    "media.framing.frame_sizes_differ",
    "The first frame is {first} and the last frame is {last}: same shape, different sizes, so one of them is scaled "
    "and may look softer.",
)


def check_against(prepared: PreparedImage, aspect_ratio: str) -> list[str]:
    """Warn when the image's shape differs from the video's and say what pad / crop will do."""
    image_ratio = prepared.width / prepared.height
    target = _parse_ratio(aspect_ratio)
    if not _differs(image_ratio, target):
        return []
    lost = 1 - min(image_ratio, target) / max(image_ratio, target)
    wording = NARROWER if image_ratio < target else WIDER
    return [wording(shape=ratio_name(prepared.width, prepared.height), aspect=aspect_ratio, lost=f"{lost:.0%}")]


def compare_frames(first: PreparedImage, last: PreparedImage) -> list[str]:
    """Warn when first and last frame differ in shape or size (the video may jump)."""
    a = f"{first.width}×{first.height}"
    b = f"{last.width}×{last.height}"
    if _differs(first.width / first.height, last.width / last.height):
        first_shape, last_shape = ratio_name(first.width, first.height), ratio_name(last.width, last.height)
        return [FRAMES_DIFFER(first_shape=first_shape, first=a, last_shape=last_shape, last=b)]
    if (first.width, first.height) != (last.width, last.height):
        return [FRAME_SIZES_DIFFER(first=a, last=b)]
    return []


# --------------------------------------------------------------------------- previews


def _target_size(aspect_ratio: str, max_side: int) -> tuple[int, int]:
    ratio = _parse_ratio(aspect_ratio)
    if ratio >= 1:
        return max_side, max(1, round(max_side / ratio))
    return max(1, round(max_side * ratio)), max_side


def _flatten(image: Image.Image) -> Image.Image:
    rgba = ImageOps.exif_transpose(image).convert("RGBA")
    background = Image.new("RGBA", rgba.size, (128, 128, 128, 255))  # neutral, like a checkerboard's mean
    return Image.alpha_composite(background, rgba).convert("RGB")


def preview_resize(
    prepared_or_bytes: PreparedImage | bytes, aspect_ratio: str, mode: str, max_side: int = 480
) -> Image.Image:
    """Show what the provider's resize_mode does to the frame, at most ``max_side`` pixels.

    "crop" is a centre crop to the video's shape. "pad" keeps the whole frame and fills the
    rest by repeating the outermost pixels (edge padding), which is how the provider documents
    its padding; the smeared bars make the added area obvious.
    """
    if mode not in ("pad", "crop"):
        raise ValueError(f"resize mode must be 'pad' or 'crop', not {mode!r}")
    data = prepared_or_bytes.data if isinstance(prepared_or_bytes, PreparedImage) else prepared_or_bytes
    size = _target_size(aspect_ratio, max_side)
    image = _flatten(decode_image(data, draft=(size[0] * 2, size[1] * 2)))
    if mode == "crop":
        return ImageOps.fit(image, size, Image.Resampling.LANCZOS, centering=(0.5, 0.5))
    inner = ImageOps.contain(image, size, Image.Resampling.LANCZOS)
    left, top = (size[0] - inner.width) // 2, (size[1] - inner.height) // 2
    pixels = np.pad(
        np.asarray(inner),
        ((top, size[1] - inner.height - top), (left, size[0] - inner.width - left), (0, 0)),
        mode="edge",
    )
    return Image.fromarray(pixels)
