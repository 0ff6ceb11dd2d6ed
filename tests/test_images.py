"""Checks and preparation of reference images; every fixture is made here with Pillow."""

from __future__ import annotations

import io
import struct
import warnings
import zlib

import numpy as np
import pytest
from PIL import Image, ImageFile

from playground.media import (
    MAX_BYTES,
    ImageRejected,
    PreparedImage,
    check_against,
    compare_frames,
    images,
    prepare_image,
    preview_resize,
)


def encode(image: Image.Image, fmt: str, **options) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def decode(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_with_header(width: int, height: int) -> bytes:
    """A few dozen bytes whose header claims width×height: decoding it would be the attack."""
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", ihdr)
        + png_chunk(b"IDAT", zlib.compress(b"\0"))
        + png_chunk(b"IEND", b"")
    )


def two_colour(size: tuple[int, int] = (40, 20)) -> Image.Image:
    """Left half red, right half blue: shows which way a picture was turned."""
    image = Image.new("RGB", size, (255, 0, 0))
    image.paste((0, 0, 255), (size[0] // 2, 0, size[0], size[1]))
    return image


def close(pixel, expected, tolerance: int = 12) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(pixel, expected, strict=False))


# --------------------------------------------------------------------------- accepted as they are


def test_plain_jpeg_png_webp_pass_through_byte_for_byte():
    picture = Image.new("RGB", (1280, 720), (10, 120, 200))
    for fmt, mime in (("JPEG", "image/jpeg"), ("PNG", "image/png"), ("WEBP", "image/webp")):
        data = encode(picture, fmt)
        prepared = prepare_image(data, f"x.{fmt.lower()}")
        assert prepared.data == data
        assert (prepared.format, prepared.mime, prepared.width, prepared.height) == (fmt, mime, 1280, 720)
        assert prepared.converted_from is None and prepared.warnings == ()
    assert prepared.extension == "webp"
    assert "data=" not in repr(prepared)  # megabytes of bytes must stay out of logs


def test_sha256_is_of_the_uploaded_bytes():
    import hashlib

    data = encode(Image.new("RGB", (800, 800)), "PNG")
    assert prepare_image(data).sha256 == hashlib.sha256(data).hexdigest()


# --------------------------------------------------------------------------- fixed before upload


def test_exif_orientation_6_is_turned_upright():
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to display"
    icc = b"fake-icc-is-kept-as-is"
    data = encode(two_colour(), "JPEG", exif=exif.tobytes(), quality=95, icc_profile=icc)
    prepared = prepare_image(data, "IMG_0001.JPG")
    assert prepared.data != data and prepared.format == "JPEG"
    assert (prepared.width, prepared.height) == (20, 40)
    upright = decode(prepared.data)
    assert upright.size == (20, 40)
    assert close(upright.getpixel((10, 3)), (255, 0, 0))  # left edge went to the top
    assert close(upright.getpixel((10, 36)), (0, 0, 255))
    assert upright.getexif().get(0x0112, 1) == 1
    assert upright.info.get("icc_profile") == icc
    assert prepared.adjustments and "upright" in prepared.adjustments[0]


def test_16_bit_png_becomes_8_bit_with_values_scaled_not_clipped():
    ramp = np.arange(64 * 64, dtype=np.uint16).reshape(64, 64) * 16
    source = Image.fromarray(ramp)
    assert source.mode == "I;16"
    data = encode(source, "PNG")
    assert data[24] == 16
    prepared = prepare_image(data)
    assert prepared.format == "PNG" and prepared.converted_from == "16-bit PNG"
    assert prepared.data[24] == 8
    result = np.asarray(decode(prepared.data))
    assert result.dtype == np.uint8
    assert result[63, 63] == ramp[63, 63] >> 8 and result[32, 0] == ramp[32, 0] >> 8


def test_16_bit_rgb_png_found_by_its_header_too():
    rows = b"".join(b"\0" + np.full((8, 3), [65535, 32768, 0], dtype=">u2").tobytes() for _ in range(8))
    data = (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", struct.pack(">IIBBBBB", 8, 8, 16, 2, 0, 0, 0))
        + png_chunk(b"IDAT", zlib.compress(rows))
        + png_chunk(b"IEND", b"")
    )
    prepared = prepare_image(data)
    assert prepared.converted_from == "16-bit PNG" and prepared.data[24] == 8
    assert close(decode(prepared.data).getpixel((0, 0)), (255, 128, 0), 1)


def test_cmyk_jpeg_becomes_rgb_jpeg():
    data = encode(Image.new("CMYK", (64, 64), (0, 255, 255, 0)), "JPEG")
    prepared = prepare_image(data)
    assert prepared.format == "JPEG" and prepared.converted_from == "CMYK JPEG"
    result = decode(prepared.data)
    assert result.mode == "RGB"
    assert close(result.getpixel((5, 5)), (255, 0, 0))


def test_animated_gif_first_frame_as_png():
    frames = [Image.new("RGB", (32, 24), colour) for colour in ((255, 0, 0), (0, 255, 0), (0, 0, 255))]
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    prepared = prepare_image(out.getvalue(), "party.gif")
    assert prepared.format == "PNG" and prepared.mime == "image/png" and prepared.extension == "png"
    assert prepared.converted_from == "GIF"
    result = decode(prepared.data)
    assert not getattr(result, "is_animated", False)
    assert close(result.convert("RGB").getpixel((5, 5)), (255, 0, 0), 0)


def test_bmp_becomes_png():
    prepared = prepare_image(encode(Image.new("RGB", (30, 30), (1, 2, 3)), "BMP"))
    assert (prepared.format, prepared.converted_from) == ("PNG", "BMP")


# --------------------------------------------------------------------------- refused


@pytest.mark.parametrize(
    "width,height",
    [
        (30000, 30000),  # Pillow's own hard limit (DecompressionBombError at open)
        (10000, 10000),  # Pillow only warns here; the warning must become a refusal
        (10000, 6000),  # under Pillow's limits, over ours (50 MP), caught from the header
    ],
)
def test_decompression_bombs_refused_without_touching_globals(width, height):
    bomb = png_with_header(width, height)
    assert len(bomb) < 100
    limit_before = Image.MAX_IMAGE_PIXELS
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing may leak out as a warning either
        with pytest.raises(ImageRejected) as refused:
            prepare_image(bomb, "huge.png")
    assert "pixels" in refused.value.message
    assert limit_before == Image.MAX_IMAGE_PIXELS


def test_truncated_jpeg_refused_even_if_someone_enabled_truncated_loading():
    noise = Image.fromarray(np.random.default_rng(1).integers(0, 255, (256, 256, 3), dtype=np.uint8))
    data = encode(noise, "JPEG", quality=90)
    previous = ImageFile.LOAD_TRUNCATED_IMAGES
    ImageFile.LOAD_TRUNCATED_IMAGES = True  # other code in the process may have done this
    try:
        with pytest.raises(ImageRejected) as refused:
            prepare_image(data[: len(data) * 6 // 10], "photo.jpg")
        assert ImageFile.LOAD_TRUNCATED_IMAGES is True  # and we put it back
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = previous
    assert "damaged or incomplete" in refused.value.message


def test_text_file_named_png_refused():
    with pytest.raises(ImageRejected) as refused:
        prepare_image(b"this is not a picture\n" * 20, "cat.png")
    assert "text, not an image" in refused.value.message and ".png" in refused.value.message


def test_heic_gets_a_helpful_message():
    fake_heic = b"\0\0\0\x18ftypheic\0\0\0\0mif1heic" + b"\0" * 100
    with pytest.raises(ImageRejected) as refused:
        prepare_image(fake_heic, "IMG_0002.HEIC")
    assert "HEIC" in refused.value.message and "JPEG" in refused.value.message


def test_empty_input_refused():
    with pytest.raises(ImageRejected) as refused:
        prepare_image(b"", "empty.jpg")
    assert refused.value.message == "The file is empty."


def _jpeg_of_size(size: int) -> bytes:
    # Decoders stop at the end-of-image marker, so trailing bytes make a big file that decodes fast.
    small = encode(Image.new("RGB", (1280, 720), (90, 90, 90)), "JPEG")
    return small + b"\0" * (size - len(small))


def test_size_limit_is_20_mib_after_preparation():
    assert MAX_BYTES == 20 * 1024 * 1024
    under = _jpeg_of_size(MAX_BYTES - 100_000)
    assert len(prepare_image(under).data) == len(under)
    with pytest.raises(ImageRejected) as refused:
        prepare_image(_jpeg_of_size(MAX_BYTES + 100_000))
    assert "20 MB" in refused.value.message


# --------------------------------------------------------------------------- warnings


def prepared_of(width: int, height: int) -> PreparedImage:
    return prepare_image(encode(Image.new("RGB", (width, height), (40, 80, 120)), "PNG"))


def test_small_image_warns():
    prepared = prepared_of(640, 360)
    assert any("640×360" in w and "720" in w for w in prepared.warnings)
    assert prepared_of(1280, 720).warnings == ()


def test_aspect_mismatch_warns_with_what_pad_and_crop_do():
    four_three = prepared_of(960, 720)
    (warning,) = check_against(four_three, "16:9")
    assert warning.startswith("The image is 4:3 but the video will be 16:9")
    assert "'pad' adds borders on the left and right" in warning and "'crop' cuts the top and bottom" in warning
    (tall,) = check_against(prepared_of(1280, 720), "9:16")
    assert "16:9" in tall and "cuts the left and right" in tall
    assert check_against(prepared_of(1280, 720), "16:9") == []
    assert check_against(prepared_of(1080, 1920), "9:16") == []


def test_first_and_last_frame_mismatch_warns():
    wide, square = prepared_of(1280, 720), prepared_of(720, 720)
    assert "16:9" in compare_frames(wide, square)[0] and "1:1" in compare_frames(wide, square)[0]
    (sizes,) = compare_frames(wide, prepared_of(1920, 1080))
    assert "1280×720" in sizes and "1920×1080" in sizes
    assert compare_frames(wide, prepared_of(1280, 720)) == []


def test_transparency_warns():
    rgba = Image.new("RGBA", (800, 800), (0, 0, 0, 0))
    assert any("transparent" in w for w in prepare_image(encode(rgba, "PNG")).warnings)


def test_gps_location_warns():
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (48.0, 51.0, 24.0)}
    data = encode(Image.new("RGB", (1280, 720)), "JPEG", exif=exif.tobytes())
    assert any("GPS" in w for w in prepare_image(data).warnings)


# --------------------------------------------------------------------------- previews


def bands() -> bytes:
    """4:3 picture: red top quarter, green middle, blue bottom quarter."""
    image = Image.new("RGB", (800, 600), (0, 255, 0))
    image.paste((255, 0, 0), (0, 0, 800, 150))
    image.paste((0, 0, 255), (0, 450, 800, 600))
    return encode(image, "PNG")


@pytest.mark.parametrize("aspect,size", [("16:9", (480, 270)), ("9:16", (270, 480))])
@pytest.mark.parametrize("mode", ["pad", "crop"])
def test_previews_have_the_target_aspect(aspect, size, mode):
    preview = preview_resize(bands(), aspect, mode)
    assert preview.size == size and preview.mode == "RGB"


def test_crop_preview_cuts_top_and_bottom_pad_keeps_them():
    prepared = prepare_image(bands())
    crop = preview_resize(prepared, "16:9", "crop")
    pad = preview_resize(prepared, "16:9", "pad")
    # Crop keeps the middle 75 %: the red band shrinks from 25 % of the height to 1/6.
    assert close(crop.getpixel((240, 2)), (255, 0, 0)) and close(crop.getpixel((240, 60)), (0, 255, 0))
    # Pad keeps the whole frame (360×270 in the middle) and repeats the edges sideways.
    assert close(pad.getpixel((240, 30)), (255, 0, 0)) and close(pad.getpixel((240, 260)), (0, 0, 255))
    assert close(pad.getpixel((2, 30)), (255, 0, 0)) and close(pad.getpixel((2, 135)), (0, 255, 0))


def test_preview_rejects_unknown_mode():
    with pytest.raises(ValueError):
        preview_resize(bands(), "16:9", "stretch")


def test_module_keeps_no_state_between_calls():
    assert not images._DECODE_LOCK.locked()
