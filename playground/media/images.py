"""Checks reference images (first frame / last frame) and prepares them before hosting.

The provider fetches the image from a public URL and accepts JPG, PNG and WEBP up to 20 MB.
People drop phone photos, screenshots and huge PNGs; a video generated from a sideways,
colour-broken or unreadable image is paid for anyway, so everything is checked here, before
anything is uploaded or submitted.

Policy:
* JPEG, PNG and WEBP pass through byte for byte unless something must be fixed: an EXIF
  orientation (re-encoded upright in the same format, ICC profile kept), a CMYK JPEG
  (-> RGB JPEG, quality 95) or a 16-bit PNG (-> 8-bit PNG).
* Every other format Pillow reads (GIF first frame, BMP, TIFF, ICO, AVIF, ...) becomes PNG
  (or JPEG quality 95 when the PNG would be over the limit and the image has no transparency).
* ``MAX_BYTES`` is 20 MiB (20 * 1024 * 1024 = 20,971,520 bytes), measured after preparation.
* Memory is bounded before anything is decoded, from the header: at most ``MAX_PIXELS`` (50 MP) and
  ``MAX_DECODED_BYTES`` (160 MiB) of pixel data, counted as width × height × bands × bytes per band
  (the larger of the file's sample depth and Pillow's). A PNG of one flat colour compresses about
  1000:1, so a few hundred KB on disk can claim hundreds of MB; Veo uses at most 4K (3840×2160, 66 MB
  even as 16-bit RGBA), and every 8-bit RGB photo within 50 MP (150 MB) still fits.
* A PNG's text and colour profile can be zlib-compressed too: at most ``MAX_METADATA_BYTES`` (4 MiB)
  of text in all, and no compressed chunk over Pillow's own 1 MiB cap, measured by inflating only up
  to the limit before Pillow reads them.
"""

from __future__ import annotations

import hashlib
import io
import struct
import threading
import warnings
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from PIL import Image, ImageCms, ImageFile, ImageMode, ImageOps, PngImagePlugin

from ..texts import text

MIB = 1024 * 1024
MAX_BYTES = 20 * MIB
#: Refused before decoding: nothing this large can become a <= 20 MB upload cheaply.
MAX_INPUT_BYTES = 5 * MAX_BYTES
#: Our own decompression-bomb limit, well under Pillow's global default (~89 MP).
MAX_PIXELS = 50_000_000
#: Pixel data an image may decode to (see the module notes); checked from the header.
MAX_DECODED_BYTES = 160 * MIB
#: Text (tEXt, zTXt, iTXt, eXIf) a PNG may carry in all, after inflating; XMP and EXIF are far smaller.
MAX_METADATA_BYTES = 4 * MIB
RECOMMENDED_SHORT_SIDE = 720

_MIME = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
_EXTENSION = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
_ORIENTATION_TAG = 0x0112
_GPS_TAG = 0x8825

# Pillow's truncation switch and warning filters are process-wide; the lock keeps our
# temporary changes from interleaving with each other (and caps memory to one decode at a time).
_DECODE_LOCK = threading.Lock()


class ImageRejected(Exception):
    """The image cannot be used; ``message`` is one sentence for a non-technical person."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class PreparedImage:
    data: bytes = field(repr=False)  # megabytes in a log line help nobody
    format: str
    mime: str
    width: int
    height: int
    sha256: str
    converted_from: str | None = None
    warnings: tuple[str, ...] = ()
    #: What was changed while keeping the format, e.g. "turned upright ...", for the page.
    adjustments: tuple[str, ...] = ()

    @property
    def extension(self) -> str:
        return _EXTENSION[self.format]

    @property
    def size_text(self) -> str:
        return f"{self.width}×{self.height} {self.format}, {_megabytes(len(self.data))}"


def _megabytes(size: int) -> str:
    # Same unit as the limit (MiB), so "20.1 MB" is never shown as being under "20 MB".
    return f"{size / (1024 * 1024):.1f} MB"


# --------------------------------------------------------------------------- decoding


@contextmanager
def _strict_decoding() -> Iterator[None]:
    """Refuse truncated data and turn bomb warnings into errors, for this decode only."""
    with _DECODE_LOCK, warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        previous = ImageFile.LOAD_TRUNCATED_IMAGES
        ImageFile.LOAD_TRUNCATED_IMAGES = False
        try:
            yield
        finally:
            ImageFile.LOAD_TRUNCATED_IMAGES = previous


TOO_MANY_PIXELS = text(
    "media.images.too_many_pixels",
    "The image is {width}×{height} pixels ({megapixels} megapixels), more than the {limit} megapixel limit; "
    "please make it smaller and try again.",
)
TOO_MUCH_PIXEL_DATA = text(
    "media.images.too_much_pixel_data",
    "The image is {width}×{height} pixels and would take {size} of pixel data once decoded, more than the {limit} MB "
    "limit; please save it smaller (Veo uses at most 3840×2160) and try again.",
)
PROFILE_TOO_BIG = text(
    "media.images.profile_too_big",
    "The image's embedded colour profile is larger than {limit} MB once unpacked, far more than any real profile; "
    "export it again with a standard profile (such as sRGB).",
)
METADATA_TOO_BIG = text(
    "media.images.metadata_too_big",
    "The image carries more than {limit} MB of embedded text (metadata); export it again without metadata and try "
    "again.",
)


def _too_many_pixels(width: int, height: int) -> ImageRejected:
    megapixels = f"{width * height / 1e6:.0f}"
    return ImageRejected(
        TOO_MANY_PIXELS(width=width, height=height, megapixels=megapixels, limit=MAX_PIXELS // 1_000_000)
    )


#: Samples per pixel of each PNG colour type (grey, RGB, palette, grey + alpha, RGBA).
_PNG_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}


def _decoded_bytes(width: int, height: int, mode: str, data: bytes) -> int:
    """Pixel data the image decodes to: width × height × bands × bytes per band, as Pillow holds it
    or, for a PNG, as its header says the data inflates (16-bit RGBA inflates to 8 bytes a pixel
    although Pillow keeps 4), whichever is larger."""
    held = ImageMode.getmode(mode)
    in_memory = width * height * len(held.bands) * int(held.typestr[-1])  # typestr: "|u1", "<u2", "<i4"
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 25:
        bits = _png_bit_depth(data) * _PNG_CHANNELS.get(data[25], 4)
        return max(in_memory, height * ((width * bits + 7) // 8 + 1))  # each row: a filter byte, then samples
    return in_memory


def _too_much_pixel_data(width: int, height: int, mode: str, data: bytes) -> ImageRejected | None:
    size = _decoded_bytes(width, height, mode, data)
    if size <= MAX_DECODED_BYTES:
        return None
    return ImageRejected(
        TOO_MUCH_PIXEL_DATA(width=width, height=height, size=_megabytes(size), limit=MAX_DECODED_BYTES // MIB)
    )


def _inflated_size(compressed: bytes, cap: int) -> int:
    """How many bytes ``compressed`` inflates to, counting only up to ``cap + 1``: never more is held."""
    try:
        return len(zlib.decompressobj().decompress(compressed, cap + 1))
    except zlib.error:
        return 0  # Pillow skips broken compressed text; a broken profile fails the full decode


def _png_chunks(data: bytes) -> Iterator[tuple[bytes, bytes]]:
    pos = 8
    while pos + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        yield kind, data[pos + 8 : pos + 8 + length]
        if kind == b"IEND":
            return
        pos += 12 + length


def _png_metadata_problem(data: bytes) -> ImageRejected | None:
    """Refuse text or a colour profile that would inflate past the limits, before Pillow inflates it."""
    if not data.startswith(b"\x89PNG\r\n\x1a\n"):
        return None
    per_chunk = PngImagePlugin.MAX_TEXT_CHUNK  # Pillow's cap on one compressed chunk (1 MiB)
    text_bytes = 0
    for kind, body in _png_chunks(data):
        keyword, _, rest = body.partition(b"\x00")
        if kind == b"iCCP" and _inflated_size(rest[1:], per_chunk) > per_chunk:
            return ImageRejected(PROFILE_TOO_BIG(limit=per_chunk // MIB))
        if kind in (b"tEXt", b"eXIf"):
            text_bytes += len(body)
        elif kind == b"zTXt":
            text_bytes += _inflated_size(rest[1:], per_chunk)
        elif kind == b"iTXt" and rest[:1] == b"\x01":  # compressed international text
            text_bytes += _inflated_size(rest[2:].split(b"\x00", 2)[-1], per_chunk)
        elif kind == b"iTXt":
            text_bytes += len(rest)
        if text_bytes > MAX_METADATA_BYTES:
            return ImageRejected(METADATA_TOO_BIG(limit=MAX_METADATA_BYTES // MIB))
    return None


EMPTY_FILE = text("media.images.empty_file", "The file is empty.")
FILE_FAR_TOO_BIG = text(
    "media.images.file_far_too_big", "The file is {size}, far over the 20 MB limit; please use a smaller image."
)
PIXEL_BOMB = text(
    "media.images.pixel_bomb", "The image has far too many pixels to process safely (the limit is {limit} megapixels)."
)
DAMAGED = text(
    "media.images.damaged",
    "The image file is damaged or incomplete (it may not have finished downloading); please export or download it "
    "again.",
)


def decode_image(data: bytes, filename: str | None = None, draft: tuple[int, int] | None = None) -> Image.Image:
    """Open and fully decode, so damage shows up now rather than at the provider."""
    if not data:
        raise ImageRejected(EMPTY_FILE())
    if len(data) > MAX_INPUT_BYTES:
        raise ImageRejected(FILE_FAR_TOO_BIG(size=_megabytes(len(data))))
    metadata = _png_metadata_problem(data)
    if metadata:
        raise metadata
    with _strict_decoding():
        try:
            with Image.open(io.BytesIO(data)) as probe:
                width, height = probe.size
                if width * height > MAX_PIXELS:
                    raise _too_many_pixels(width, height)
                too_much = _too_much_pixel_data(width, height, probe.mode, data)
                if too_much:
                    raise too_much
                probe.verify()  # checks chunk CRCs (PNG) without decoding pixels
            image = Image.open(io.BytesIO(data))
            if draft:
                image.draft("RGB", draft)
            image.load()
        except ImageRejected:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise ImageRejected(PIXEL_BOMB(limit=MAX_PIXELS // 1_000_000)) from None
        except Image.UnidentifiedImageError:
            raise ImageRejected(_not_an_image(data, filename)) from None
        except Exception:  # Pillow raises OSError, SyntaxError, ValueError, EOFError, ...
            raise ImageRejected(DAMAGED()) from None
    return image


HEIC = text(
    "media.images.heic",
    "This is an HEIC photo (the iPhone default), which is not supported; export it as JPEG, or set the camera to "
    "'Most Compatible', and try again.",
)
A_VIDEO = text("media.images.a_video", "This looks like a video, not a still image; use a JPG, PNG or WEBP picture.")
A_PDF = text("media.images.a_pdf", "This is a PDF document, not an image; export the page as PNG or JPG.")
AN_SVG = text("media.images.an_svg", "SVG drawings are not supported; export it as PNG.")
A_TEXT = text("media.images.a_text", "This file is text, not an image; use a JPG, PNG or WEBP picture.")
A_TEXT_NAMED = text(
    "media.images.a_text_named",
    "This file is text, not an image, even though its name ends in .{extension}; use a JPG, PNG or WEBP picture.",
)
UNREADABLE = text(
    "media.images.unreadable", "This file is not a picture in a format we can read; use a JPG, PNG or WEBP image."
)
UNREADABLE_NAMED = text(
    "media.images.unreadable_named",
    "This file is not a picture in a format we can read, even though its name ends in .{extension}; use a JPG, PNG "
    "or WEBP image.",
)


def _not_an_image(data: bytes, filename: str | None) -> str:
    head = data[:64]
    extension = filename.rsplit(".", 1)[-1] if filename and "." in filename else None
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in (b"heic", b"heix", b"hevc", b"heim", b"heis", b"mif1", b"msf1"):
            return HEIC()
        return A_VIDEO()
    if head.startswith(b"%PDF"):
        return A_PDF()
    stripped = head.lstrip()
    if stripped.startswith((b"<svg", b"<?xml")) and b"<svg" in data[:4096]:
        return AN_SVG()
    try:
        data[:4096].decode("utf-8")
        return A_TEXT_NAMED(extension=extension) if extension is not None else A_TEXT()
    except UnicodeDecodeError:
        return UNREADABLE_NAMED(extension=extension) if extension is not None else UNREADABLE()


# --------------------------------------------------------------------------- preparation


def _orientation(image: Image.Image) -> int:
    try:
        return int(image.getexif().get(_ORIENTATION_TAG, 1) or 1)
    except Exception:  # malformed EXIF must not make a good picture unusable
        return 1


def _has_gps(image: Image.Image) -> bool:
    try:
        return bool(image.getexif().get(_GPS_TAG))
    except Exception:
        return False


def _png_bit_depth(data: bytes) -> int:
    # Pillow reports 16-bit RGB(A) PNGs as 8-bit modes, so read the IHDR byte itself.
    return data[24] if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 24 else 8


def _cmyk_to_rgb(image: Image.Image) -> Image.Image:
    icc = image.info.get("icc_profile")
    if icc:
        try:  # the embedded profile gives far truer colours than the naive formula
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            return ImageCms.profileToProfile(image, source, ImageCms.createProfile("sRGB"), outputMode="RGB")
        except Exception:
            pass
    return image.convert("RGB")


def _web_safe_mode(image: Image.Image) -> Image.Image:
    """Bring any Pillow mode to one every browser and the provider decode the same way."""
    mode = image.mode
    if mode in ("1", "L", "LA", "P", "RGB", "RGBA"):
        return image
    if mode.startswith("I"):
        # Pillow's convert("L") clips 16-bit values at 255 instead of scaling them down.
        wide = image.convert("I")
        if wide.getextrema()[1] > 255:
            wide = wide.point(lambda v: v * (1 / 256))
        return wide.convert("L")
    if mode == "CMYK":
        return _cmyk_to_rgb(image)
    if mode in ("PA", "La", "RGBa") or "A" in mode:
        return image.convert("RGBA")
    return image.convert("RGB")


def _has_alpha(image: Image.Image) -> bool:
    if image.mode in ("RGBA", "LA"):
        return image.getchannel("A").getextrema()[0] < 255
    return image.mode == "P" and "transparency" in image.info


def _encode(image: Image.Image, fmt: str, *, icc: bytes | None, lossless_webp: bool = False) -> bytes:
    out = io.BytesIO()
    extra = {"icc_profile": icc} if icc else {}
    if fmt == "JPEG":
        if image.mode not in ("L", "RGB"):
            image = image.convert("RGB")
        image.save(out, "JPEG", quality=95, **extra)
    elif fmt == "WEBP":
        image.save(out, "WEBP", quality=95, lossless=lossless_webp, **extra)
    else:
        image.save(out, "PNG", **extra)
    return out.getvalue()


SAVED_AS_JPEG = text("media.images.saved_as_jpeg", "Saved as JPEG because as PNG it would be over 20 MB.")
TURNED_UPRIGHT = text("media.images.turned_upright", "Turned upright using the photo's orientation tag.")
HAS_GPS = text("media.images.has_gps", "This photo contains GPS location data, which will be uploaded with it.")
OVER_LIMIT = text(
    "media.images.over_limit",
    "The image is {size}, over the 20 MB limit; save it as JPEG or make it smaller and try again.",
)
TRANSPARENT = text(
    "media.images.transparent", "The image has transparent areas; the provider may fill them with black or white."
)
SMALL = text(
    "media.images.small",
    "The image is only {width}×{height} pixels; at least {shortest} pixels on the shorter side is recommended, so the "
    "video may look soft.",
)


def _as_png_or_jpeg(image: Image.Image, icc: bytes | None) -> tuple[bytes, str, list[str]]:
    data = _encode(image, "PNG", icc=icc)
    if len(data) <= MAX_BYTES or _has_alpha(image):
        return data, "PNG", []
    # A photo saved as PNG easily passes 20 MB; high-quality JPEG is visually the same.
    return _encode(image, "JPEG", icc=icc), "JPEG", [SAVED_AS_JPEG()]


def _fix_reasons(image: Image.Image, fmt: str, data: bytes) -> tuple[str | None, list[str]]:
    """What has to change in a JPEG/PNG/WEBP: (converted_from label, adjustments)."""
    label = None
    if fmt in ("PNG", "WEBP") and getattr(image, "is_animated", False):  # MPO "frames" are extra JPEGs
        label = f"animated {fmt}"
    elif fmt == "JPEG" and image.mode == "CMYK":
        label = "CMYK JPEG"
    elif fmt == "PNG" and (_png_bit_depth(data) == 16 or image.mode.startswith("I")):
        label = "16-bit PNG"
    adjustments = []
    if _orientation(image) != 1:
        adjustments.append(TURNED_UPRIGHT())
    return label, adjustments


def _rebuild(
    image: Image.Image, fmt: str, data: bytes, label: str | None, adjustments: list[str]
) -> tuple[bytes, str, list[str]]:
    icc = image.info.get("icc_profile")
    upright = ImageOps.exif_transpose(image) if adjustments else image
    fixed = _web_safe_mode(upright)
    if fixed.mode != upright.mode and upright.mode == "CMYK":
        icc = None  # pixels are sRGB now; the CMYK profile would mislead viewers
    if label and label.startswith("animated"):
        # Still frames only: a provider may read an animated WEBP/PNG differently than a browser.
        return _as_png_or_jpeg(fixed, icc)
    return _encode(fixed, fmt, icc=icc, lossless_webp=data[12:16] == b"VP8L"), fmt, []


def _size_warnings(width: int, height: int) -> list[str]:
    if min(width, height) >= RECOMMENDED_SHORT_SIDE:
        return []
    return [SMALL(width=width, height=height, shortest=RECOMMENDED_SHORT_SIDE)]


def prepare_image(data: bytes, filename: str | None = None) -> PreparedImage:
    """Check ``data`` and return what will be uploaded; raises ImageRejected with a clear message."""
    image = decode_image(data, filename)
    fmt = "JPEG" if image.format == "MPO" else image.format  # MPO = phone JPEG with extra pictures
    notes: list[str] = []
    converted_from: str | None = None
    adjustments: list[str] = []
    if fmt in _MIME:
        converted_from, adjustments = _fix_reasons(image, fmt, data)
        out, out_fmt = data, fmt
        if converted_from or adjustments:
            out, out_fmt, notes = _rebuild(image, fmt, data, converted_from, adjustments)
        elif _has_gps(image):
            notes.append(HAS_GPS())
    else:
        converted_from = fmt or "unknown format"
        upright = ImageOps.exif_transpose(image)
        out, out_fmt, notes = _as_png_or_jpeg(_web_safe_mode(upright), image.info.get("icc_profile"))
    if len(out) > MAX_BYTES:
        raise ImageRejected(OVER_LIMIT(size=_megabytes(len(out))))
    width, height = _dimensions(out)
    if _has_alpha(image):
        notes.append(TRANSPARENT())
    return PreparedImage(
        data=out,
        format=out_fmt,
        mime=_MIME[out_fmt],
        width=width,
        height=height,
        sha256=hashlib.sha256(out).hexdigest(),
        converted_from=converted_from,
        warnings=tuple(notes + _size_warnings(width, height)),
        adjustments=tuple(adjustments),
    )


def _dimensions(data: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(data)) as image:
        return image.size


# --------------------------------------------------------------------------- aspect checks
