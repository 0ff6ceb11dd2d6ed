"""The picture of a simulated result video: every frame, composited straight in YUV 4:2:0.

Every static layer (text, fitted reference images) is drawn once per video with Pillow and kept as
ready-to-blend planes; a frame is then the sliding background plus those layers, the timecode and
the progress bar, made with a few numpy operations, which skips a colour conversion of every frame.
``render.py`` encodes the frames this module yields.
"""

from __future__ import annotations

import colorsys
import hashlib
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.lib.stride_tricks import as_strided
from PIL import Image, ImageDraw, ImageEnhance, ImageFilter, ImageFont, ImageOps

from .wording import clean, wrap

__all__ = ["RenderSpec", "Scene", "digest"]

#: Longer prompts cannot fit on screen anyway; capping early keeps text layout cheap.
MAX_PROMPT_CHARS = 600
#: Seconds for the gradient to travel one full colour cycle.
GRADIENT_PERIOD = 12.0
TIMECODE_CHARS = "0123456789:./ "
#: BT.709, the matrix the stream is tagged with, so browsers show the colours we computed.
_RGB_TO_YUV = np.array([[0.2126, 0.7152, 0.0722], [-0.1146, -0.3854, 0.5], [0.5, -0.4542, -0.0458]], dtype=np.float32)
_WHITE = (255, 255, 255)

_Planes = list[np.ndarray]
"""One frame as [Y, U, V] uint16 planes, chroma at half size; uint16 leaves headroom for blending."""


@dataclass(frozen=True)
class RenderSpec:
    """What to render; mirrors the parts of a generation request that change the result."""

    prompt: str
    duration: int
    aspect_ratio: str
    audio: bool
    model: str = ""
    resolution: str = "1080p"
    sample_index: int = 0
    sample_count: int = 1
    reference_images: tuple[bytes, ...] = ()
    fps: int = 24


# -- colour -----------------------------------------------------------------------------------


def digest(prompt: str, sample_index: int) -> bytes:
    """Seed bytes of one sample: its colours and its soundtrack are picked from them."""
    return hashlib.sha256(f"{sample_index}\x00{prompt}".encode("utf-8", "replace")).digest()


def _colours(spec: RenderSpec) -> list[tuple[int, int, int]]:
    base = hashlib.sha256(spec.prompt.encode("utf-8", "replace")).digest()
    seed = digest(spec.prompt, spec.sample_index)
    # The golden-ratio step guarantees that samples of one prompt get clearly different hues.
    hue = (base[0] / 256 + spec.sample_index * 0.381966) % 1.0
    offsets = (0.0, 0.12 + seed[1] / 256 * 0.18, -(0.1 + seed[2] / 256 * 0.15))
    # Moderate brightness so white text stays readable on every colour.
    return [
        _hsv(hue + off, 0.55 + seed[3 + i] / 256 * 0.25, 0.42 + seed[6 + i] / 256 * 0.22)
        for i, off in enumerate(offsets)
    ]


def _hsv(h: float, s: float, v: float) -> tuple[int, int, int]:
    r, g, b = colorsys.hsv_to_rgb(h % 1.0, s, v)
    return round(r * 255), round(g * 255), round(b * 255)


def _light(colour: tuple[int, int, int]) -> tuple[int, int, int]:
    h, s, _ = colorsys.rgb_to_hsv(*(c / 255 for c in colour))
    return _hsv(h, s * 0.6, 1.0)


def _to_yuv(rgb: np.ndarray) -> np.ndarray:
    """RGB (..., 3) to limited-range BT.709 YUV (..., 3) as float32."""
    yuv = np.asarray(rgb, dtype=np.float32) @ _RGB_TO_YUV.T / 255
    return yuv * np.array([219, 224, 224], np.float32) + np.array([16, 128, 128], np.float32)


def _half(plane: np.ndarray) -> np.ndarray:
    """Average 2x2 blocks: 4:2:0 stores colour at half the width and height."""
    h, w = plane.shape
    return plane.reshape(h // 2, 2, w // 2, 2).mean(axis=(1, 3))


def _image_planes(rgb: np.ndarray) -> _Planes:
    yuv = _to_yuv(rgb)
    return [np.round(p).astype(np.uint16) for p in (yuv[..., 0], _half(yuv[..., 1]), _half(yuv[..., 2]))]


# -- picture ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _PlaneBlend:
    """Part of a pre-rendered layer for one plane, stored ready for an integer "over" blend."""

    plane: int
    y: int
    x: int
    inverse_alpha: np.ndarray  # uint16, 256 - alpha (alpha out of 256)
    premultiplied: np.ndarray  # uint16, value * alpha

    def apply(self, planes: _Planes) -> None:
        h, w = self.inverse_alpha.shape
        region = planes[self.plane][self.y : self.y + h, self.x : self.x + w]
        # value*alpha + under*(256-alpha) stays below 256*256, so uint16 cannot overflow.
        region[:] = (region * self.inverse_alpha + self.premultiplied) >> 8


def _blends(y: int, x: int, alpha: np.ndarray, rgb: np.ndarray) -> list[_PlaneBlend]:
    """Split an RGBA layer at even (y, x) with even size into Y, U and V blends."""
    weight = alpha.astype(np.float32) * (256 / 255)
    yuv = _to_yuv(rgb)
    parts = [_PlaneBlend(0, y, x, _u16(256 - weight), _u16(yuv[..., 0] * weight))]
    chroma_weight = _half(weight)
    for plane in (1, 2):
        parts.append(
            _PlaneBlend(plane, y // 2, x // 2, _u16(256 - chroma_weight), _u16(_half(yuv[..., plane] * weight)))
        )
    return parts


def _layer_blends(layer: Image.Image) -> list[_PlaneBlend]:
    box = layer.getbbox()
    if box is None:
        return []
    # Chroma is subsampled 2x2, so the crop must start and end on even pixels.
    left, top = box[0] & ~1, box[1] & ~1
    right, bottom = min(layer.width, (box[2] + 1) & ~1), min(layer.height, (box[3] + 1) & ~1)
    rgba = np.asarray(layer.crop((left, top, right, bottom)))
    return _blends(top, left, rgba[..., 3], rgba[..., :3])


def _u16(values: np.ndarray) -> np.ndarray:
    return np.round(values).astype(np.uint16)


def _even(value: float) -> int:
    return int(round(value / 2)) * 2


@dataclass(frozen=True)
class _Background:
    """A diagonal gradient that slides over time, read as strided views of one colour strip.

    Colour depends only on ``x + y``, so every row is the row above shifted by one pixel: a 2-D
    view with both strides equal to one element gives each frame without computing anything.
    """

    strips: tuple[np.ndarray, np.ndarray, np.ndarray]  # Y at full resolution, U and V at half
    step: int  # pixels the gradient moves per frame; even, so chroma moves in whole pixels
    vignette: np.ndarray  # Y scale out of 256
    vignette_bias: np.ndarray  # keeps darkened pixels at video black (16) rather than below it

    @classmethod
    def build(cls, colours: list[tuple[int, int, int]], width: int, height: int, fps: int, frames: int) -> _Background:
        cycle = (width + height) / 0.6  # the screen always shows 60% of the cycle: several colours
        step = max(2, _even(cycle / (GRADIENT_PERIOD * fps)))
        positions = np.arange(width + height + step * frames + 2, dtype=np.float32) / cycle
        yuv = _to_yuv(_cyclic_blend(colours, positions))
        strips = (_u16(yuv[:, 0]), _u16(yuv[::2, 1]), _u16(yuv[::2, 2]))
        y, x = np.mgrid[0:height, 0:width].astype(np.float32)
        scale = _u16(256 * (1 - 0.7 * ((x / width - 0.5) ** 2 + (y / height - 0.5) ** 2)))
        return cls(strips=strips, step=step, vignette=scale, vignette_bias=16 * (256 - scale))

    def planes(self, index: int) -> _Planes:
        height, width = self.vignette.shape
        out = []
        for plane, strip in enumerate(self.strips):
            sub = 2 if plane else 1
            start = strip[index * self.step // sub :]
            out.append(
                as_strided(
                    start,
                    shape=(height // sub, width // sub),
                    strides=(start.strides[0], start.strides[0]),
                    writeable=False,
                )
            )
        return [(out[0] * self.vignette + self.vignette_bias) >> 8, out[1].copy(), out[2].copy()]


def _cyclic_blend(colours: list[tuple[int, int, int]], positions: np.ndarray) -> np.ndarray:
    """Smoothly blend through the colours and back to the first, once per unit of position."""
    anchors = np.array(colours + colours[:1], dtype=np.float32)
    scaled = (positions % 1.0) * len(colours)
    left = scaled.astype(np.intp)
    mix = (0.5 - 0.5 * np.cos(np.pi * (scaled - left)))[:, None]
    return anchors[left] * (1 - mix) + anchors[left + 1] * mix


@dataclass(frozen=True)
class _Layout:
    margin: int
    bar_y: int
    bar_height: int
    timecode_box: tuple[int, int, int, int]  # the dark pill behind the timecode
    timecode_x: int
    timecode_y: int

    @classmethod
    def build(cls, width: int, height: int, timecode_size: tuple[int, int]) -> _Layout:
        # Everything a frame draws directly starts on even pixels, to line up with the chroma grid.
        margin = _even(min(width, height) * 0.05)
        bar_height = max(4, _even(min(width, height) * 0.012))
        glyph_h, text_w = timecode_size
        pad = max(4, _even(glyph_h / 3))
        right = width - margin
        return cls(
            margin=margin,
            bar_y=height - margin - bar_height,
            bar_height=bar_height,
            timecode_box=(right - text_w - 2 * pad, margin, right, margin + glyph_h + 2 * pad),
            timecode_x=right - text_w - pad,
            timecode_y=margin + pad,
        )


@dataclass(frozen=True)
class Scene:
    """Everything a frame is made of, prepared once per video."""

    width: int
    height: int
    fps: int
    background: _Background
    overlays: tuple[_PlaneBlend, ...]
    glyphs: dict[str, np.ndarray]
    accent: tuple[int, int, int]  # Y, U, V of the progress bar
    layout: _Layout
    first_image: _Planes | None
    last_image: _Planes | None

    @classmethod
    def build(cls, spec: RenderSpec, width: int, height: int) -> Scene:
        glyphs = _glyph_atlas(_font(width, height, 0.04))
        layout = _Layout.build(width, height, _timecode_mask(glyphs, 0, 1, spec.fps).shape)
        colours = _colours(spec)
        # Positional: an unreadable first image must not promote the last-frame image to first.
        refs = spec.reference_images
        first = _load_reference(refs[0], width, height) if refs else None
        last = _load_reference(refs[1], width, height) if len(refs) > 1 else None
        accent_y, accent_u, accent_v = (int(round(c)) for c in _to_yuv(np.array(_light(colours[1]), np.float32)))
        return cls(
            width=width,
            height=height,
            fps=spec.fps,
            background=_Background.build(colours, width, height, spec.fps, spec.duration * spec.fps),
            overlays=tuple(_static_overlays(spec, width, height, layout)),
            glyphs=glyphs,
            accent=(accent_y, accent_u, accent_v),
            layout=layout,
            first_image=first,
            last_image=last,
        )

    def frames(self, count: int) -> Iterator[np.ndarray]:
        for index in range(count):
            yield self.frame(index, count)

    def frame(self, index: int, count: int) -> np.ndarray:
        """Frame ``index`` of ``count`` as a (height * 3/2, width) uint8 yuv420p array."""
        planes = self.background.planes(index)
        for part in (*self.overlays, *self._timecode_blends(index, count)):
            part.apply(planes)
        self._draw_progress(planes, (index + 1) / count)
        planes = self._with_references(planes, index, count)
        return np.concatenate([p.ravel() for p in planes]).astype(np.uint8).reshape(-1, self.width)

    def _draw_progress(self, planes: _Planes, fraction: float) -> None:
        lay = self.layout
        end = lay.margin + _even((self.width - 2 * lay.margin) * fraction)
        for plane, value in enumerate(self.accent):
            sub = 2 if plane else 1
            rows = slice(lay.bar_y // sub, (lay.bar_y + lay.bar_height) // sub)
            planes[plane][rows, lay.margin // sub : end // sub] = value

    def _timecode_blends(self, index: int, count: int) -> list[_PlaneBlend]:
        mask = _timecode_mask(self.glyphs, index, count, self.fps)
        white = np.broadcast_to(np.array(_WHITE, np.float32), mask.shape + (3,))
        return _blends(self.layout.timecode_y, self.layout.timecode_x, mask, white)

    def _with_references(self, planes: _Planes, index: int, count: int) -> _Planes:
        for image, weight in (
            (self.first_image, _fade_weight(index, count, self.fps)),
            (self.last_image, _fade_weight(count - 1 - index, count, self.fps)),
        ):
            if image is not None and weight:
                planes = [(ref * weight + p * (256 - weight)) >> 8 for ref, p in zip(image, planes, strict=True)]
        return planes


def _timecode_mask(glyphs: dict[str, np.ndarray], index: int, count: int, fps: int) -> np.ndarray:
    return np.concatenate([glyphs[c] for c in _timecode(index, count, fps)], axis=1)


def _timecode(index: int, count: int, fps: int) -> str:
    seconds, sub = divmod(index, fps)
    total = -(-count // fps)
    return f"{seconds // 60:02d}:{seconds % 60:02d}.{sub:02d} / {total // 60:02d}:{total % 60:02d}"


def _fade_weight(frames_from_edge: int, count: int, fps: int) -> int:
    """How much (out of 256) a reference image shows: all of it at its end of the clip, then a fade."""
    hold = min(round(0.4 * fps), count // 8)
    fade = max(1, min(fps, count // 4))
    progress = (frames_from_edge - hold) / fade
    if progress <= 0:
        return 256
    if progress >= 1:
        return 0
    return int(round(256 * (0.5 + 0.5 * np.cos(np.pi * progress))))


# -- text layers --------------------------------------------------------------------------------


#: Fonts with Chinese, Japanese and Korean glyphs (Debian's fonts-noto-cjk, macOS), for prompts
#: Pillow's own font would draw as empty boxes; the first one found is used.
_CJK_FONTS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/System/Library/Fonts/PingFang.ttc",
)


def _needs_cjk(text: str) -> bool:
    return any("\u2e80" <= char <= "\ufaff" or "\uac00" <= char <= "\ud7af" for char in text)


def _font(width: int, height: int, share: float, text: str = "") -> ImageFont.FreeTypeFont:
    size = max(8, round(min(width, height) * share))
    if _needs_cjk(text):
        for path in _CJK_FONTS:
            if Path(path).is_file():
                return ImageFont.truetype(path, size)
    font = ImageFont.load_default(size=size)
    if not isinstance(font, ImageFont.FreeTypeFont):  # only a Pillow built without FreeType
        raise RuntimeError("Pillow lacks FreeType support, which the simulator needs to draw text")
    return font


def _static_overlays(spec: RenderSpec, width: int, height: int, layout: _Layout) -> list[_PlaneBlend]:
    caption_font = _font(width, height, 0.036)
    caption = wrap(_caption_text(spec, width, height), caption_font, width - 2 * layout.margin, 2)
    caption_top = layout.bar_y - layout.margin // 2 - len(caption) * _line_height(caption_font)
    layers = (
        _caption_layer(caption, width, height, layout, caption_font, caption_top),
        _timecode_panel(width, height, layout.timecode_box),
        _bar_track(width, height, layout),
        _prompt_layer(
            spec.prompt,
            width,
            height,
            _font(width, height, 0.06, spec.prompt),
            top=layout.timecode_box[3] + layout.margin,
            bottom=caption_top - layout.margin,
        ),
    )
    return [part for layer in layers for part in _layer_blends(layer)]


def _caption_text(spec: RenderSpec, width: int, height: int) -> str:
    parts = [
        "SIMULATED",
        clean(spec.model),
        clean(spec.resolution),
        f"sample {spec.sample_index + 1}/{max(spec.sample_count, spec.sample_index + 1)}",
        f"rendered {width}x{height}",
    ]
    return " · ".join(p for p in parts if p)


def _blank(width: int, height: int) -> Image.Image:
    return Image.new("RGBA", (width, height), (0, 0, 0, 0))


def _caption_layer(
    lines: list[str], width: int, height: int, layout: _Layout, font: ImageFont.FreeTypeFont, top: int
) -> Image.Image:
    layer = _blank(width, height)
    draw = ImageDraw.Draw(layer)
    for n, line in enumerate(lines):
        y = top + n * _line_height(font)
        # A one-pixel shadow keeps the caption legible over the brightest gradient colours.
        draw.text((layout.margin + 1, y + 1), line, font=font, fill=(0, 0, 0, 150))
        draw.text((layout.margin, y), line, font=font, fill=(255, 255, 255, 230))
    return layer


def _timecode_panel(width: int, height: int, box: tuple[int, int, int, int]) -> Image.Image:
    layer = _blank(width, height)
    ImageDraw.Draw(layer).rounded_rectangle(box, radius=(box[3] - box[1]) // 2, fill=(0, 0, 0, 120))
    return layer


def _bar_track(width: int, height: int, layout: _Layout) -> Image.Image:
    layer = _blank(width, height)
    box = (layout.margin, layout.bar_y, width - layout.margin - 1, layout.bar_y + layout.bar_height - 1)
    ImageDraw.Draw(layer).rectangle(box, fill=(255, 255, 255, 70))
    return layer


def _prompt_layer(
    prompt: str, width: int, height: int, font: ImageFont.FreeTypeFont, top: int, bottom: int
) -> Image.Image:
    layer = _blank(width, height)
    line_h = _line_height(font)
    pad = line_h // 2
    max_lines = max(1, min(8, (bottom - top - 2 * pad) // line_h))
    text = clean(prompt)[:MAX_PROMPT_CHARS] or "(empty prompt)"
    lines = wrap(text, font, int(width * 0.84) - 2 * pad, max_lines)
    text_w = max(int(font.getlength(line)) for line in lines)
    y0 = top + (bottom - top - len(lines) * line_h) // 2
    x0 = (width - text_w) // 2
    draw = ImageDraw.Draw(layer)
    draw.rounded_rectangle(
        (x0 - pad, y0 - pad, x0 + text_w + pad, y0 + len(lines) * line_h + pad), radius=pad, fill=(0, 0, 0, 110)
    )
    for n, line in enumerate(lines):
        draw.text(
            ((width - int(font.getlength(line))) // 2, y0 + n * line_h), line, font=font, fill=(255, 255, 255, 245)
        )
    return layer


def _line_height(font: ImageFont.FreeTypeFont) -> int:
    return round(font.size * 1.3)


def _glyph_atlas(font: ImageFont.FreeTypeFont) -> dict[str, np.ndarray]:
    """Alpha masks per timecode character, so drawing a timecode is a concatenation.

    All digits share one width so the timecode never jitters or changes length as it counts.
    """
    digit_w = _even(max(font.getlength(c) for c in "0123456789") + 1)
    cell_h = _even(_line_height(font))
    atlas = {}
    for char in TIMECODE_CHARS:
        cell_w = digit_w if char.isdigit() else max(2, _even(font.getlength(char) + 1))
        cell = Image.new("L", (cell_w, cell_h), 0)
        x = (cell_w - font.getlength(char)) / 2
        ImageDraw.Draw(cell).text((x, (cell_h - font.size) // 2), char, font=font, fill=255)
        atlas[char] = np.asarray(cell)
    return atlas


def _load_reference(data: bytes, width: int, height: int) -> _Planes | None:
    """The image fitted to the frame, as planes; None when the bytes are not a usable image."""
    try:
        with Image.open(io.BytesIO(data)) as img:
            img.draft("RGB", (width * 2, height * 2))  # lets JPEG decode at reduced size: much faster
            rgb = ImageOps.exif_transpose(img).convert("RGB")
            rgb.load()
    except Exception:  # untrusted bytes: Pillow's decoders raise many unrelated error types
        return None
    if rgb.width == 0 or rgb.height == 0:
        return None
    return _image_planes(np.asarray(_fit(rgb, width, height)))


def _fit(img: Image.Image, width: int, height: int) -> Image.Image:
    """The whole image, letterboxed over a blurred, darkened copy of itself rather than flat bars."""
    backdrop = ImageOps.fit(img, (width, height), Image.Resampling.BILINEAR)
    backdrop = ImageEnhance.Brightness(backdrop.filter(ImageFilter.GaussianBlur(width / 30))).enhance(0.45)
    inner = ImageOps.contain(img, (width, height), Image.Resampling.LANCZOS)
    backdrop.paste(inner, ((width - inner.width) // 2, (height - inner.height) // 2))
    return backdrop
