"""Draws the example frames the image tabs offer (``playground/examples.py``), next to this file.

The pictures are made here rather than downloaded so the examples carry no third-party image and
no remote URL: ``python playground/web/example_frames/make_examples.py`` rewrites them. 1280×720 (16:9, the short
side at the recommended 720 px), JPEG, a few tens of kilobytes each.
"""

from __future__ import annotations

import math
import random
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter

HERE = Path(__file__).resolve().parent
SIZE = (1280, 720)
Colour = tuple[int, int, int]


def _sky(top: Colour, bottom: Colour, size: tuple[int, int] = SIZE) -> Image.Image:
    width, height = size
    image = Image.new("RGB", size)
    draw = ImageDraw.Draw(image)
    for y in range(height):
        k = y / (height - 1)
        draw.line([(0, y), (width, y)], fill=tuple(round(a + (b - a) * k) for a, b in zip(top, bottom, strict=False)))
    return image


def _hills(draw: ImageDraw.ImageDraw, base: int, colour: Colour, amplitude: float, phase: float) -> None:
    width, height = SIZE
    points = [
        (x, base - amplitude * math.sin(x / 190 + phase) - amplitude / 2 * math.sin(x / 73 + phase * 2))
        for x in range(0, width + 20, 20)
    ]
    draw.polygon([(0, height), *points, (width, height)], fill=colour)


def lighthouse() -> Image.Image:
    image = _sky((32, 40, 84), (238, 146, 96))
    draw = ImageDraw.Draw(image)
    draw.ellipse((880, 330, 1000, 450), fill=(255, 214, 150))  # the low sun
    draw.rectangle((0, 470, 1280, 720), fill=(30, 58, 92))  # sea
    for y in range(480, 720, 18):
        draw.line([(0, y), (1280, y)], fill=(46, 82, 120), width=2)
    draw.polygon([(180, 720), (260, 520), (420, 500), (560, 560), (640, 720)], fill=(48, 44, 48))  # rocks
    draw.polygon([(330, 520), (352, 260), (408, 260), (430, 520)], fill=(242, 240, 232))  # tower
    for top in (300, 380, 460):
        draw.polygon(
            [
                (350 - (top - 260) * 0.03, top),
                (410 + (top - 260) * 0.03, top),
                (412 + (top - 260) * 0.03, top + 36),
                (348 - (top - 260) * 0.03, top + 36),
            ],
            fill=(200, 40, 44),
        )
    draw.rectangle((346, 226, 414, 262), fill=(255, 236, 160))  # lamp room
    draw.polygon([(340, 226), (380, 196), (420, 226)], fill=(60, 40, 40))
    draw.polygon([(414, 236), (1280, 150), (1280, 300)], fill=(255, 244, 200))  # beam
    return image.filter(ImageFilter.SMOOTH)


def balloon() -> Image.Image:
    image = _sky((96, 160, 230), (210, 232, 250))
    draw = ImageDraw.Draw(image)
    _hills(draw, 560, (120, 170, 90), 40, 0.0)
    _hills(draw, 640, (80, 138, 70), 30, 1.7)
    draw.ellipse((560, 120, 760, 360), fill=(226, 60, 60))
    for i, colour in enumerate(((250, 200, 60), (60, 120, 210))):
        draw.chord((600 + i * 40, 120, 720 - i * 40, 360), 0, 360, fill=colour)
    draw.line([(610, 330), (640, 420)], fill=(90, 70, 50), width=3)
    draw.line([(710, 330), (680, 420)], fill=(90, 70, 50), width=3)
    draw.rectangle((636, 420, 684, 460), fill=(150, 100, 50))  # basket
    for x, y in ((180, 140), (1040, 90), (900, 200)):
        draw.ellipse((x, y, x + 160, y + 50), fill=(250, 250, 252))
    return image.filter(ImageFilter.SMOOTH)


def valley(dawn: bool) -> Image.Image:
    """The same valley at sunrise and at night: the first and the last frame of a day."""
    if dawn:
        image, sun, glow = _sky((70, 90, 150), (250, 190, 130)), (180, 430, 300, 550), (255, 220, 160)
        near, far = (70, 110, 60), (110, 130, 110)
    else:
        image, sun, glow = _sky((8, 12, 40), (40, 40, 90)), (1000, 90, 1080, 170), (236, 236, 220)
        near, far = (16, 30, 24), (30, 40, 50)
    draw = ImageDraw.Draw(image)
    if not dawn:
        stars = random.Random(7)  # the same sky on every run
        for _ in range(90):
            x, y = stars.randrange(1280), stars.randrange(420)
            draw.ellipse((x, y, x + 3, y + 3), fill=(240, 240, 255))
    draw.ellipse(sun, fill=glow)
    _hills(draw, 520, far, 60, 0.6)
    _hills(draw, 620, near, 40, 2.3)
    draw.rectangle((600, 560, 660, 610), fill=(180, 90, 60) if dawn else (60, 40, 40))  # a cabin
    draw.polygon([(590, 560), (630, 525), (670, 560)], fill=(110, 50, 40) if dawn else (30, 20, 20))
    if not dawn:
        draw.rectangle((620, 575, 640, 592), fill=(255, 210, 110))  # its lit window
    return image.filter(ImageFilter.SMOOTH)


def flower(open_: bool) -> Image.Image:
    """A red flower as a closed bud and in full bloom: the first and the last frame of it opening."""
    image = _sky((246, 236, 224), (214, 226, 206))
    draw = ImageDraw.Draw(image)
    draw.line([(640, 720), (640, 380)], fill=(70, 130, 60), width=14)
    draw.ellipse((520, 520, 640, 570), fill=(90, 150, 70))  # leaf
    petal = (214, 48, 86)
    if open_:
        for angle in (-50, -20, 20, 50):
            x = 640 + 150 * math.sin(math.radians(angle))
            draw.ellipse((x - 70, 180 + abs(angle), x + 70, 400), fill=petal)
        draw.ellipse((590, 250, 690, 380), fill=(240, 200, 70))
    else:
        draw.ellipse((590, 240, 690, 400), fill=petal)
        draw.polygon([(600, 300), (640, 220), (680, 300)], fill=(190, 36, 72))
    return image.filter(ImageFilter.SMOOTH)


FRAMES = {
    "lighthouse.jpg": lighthouse,
    "balloon.jpg": balloon,
    "valley_dawn.jpg": lambda: valley(dawn=True),
    "valley_night.jpg": lambda: valley(dawn=False),
    "flower_bud.jpg": lambda: flower(open_=False),
    "flower_bloom.jpg": lambda: flower(open_=True),
}


def main() -> None:
    for name, draw in FRAMES.items():
        path = HERE / name
        draw().save(path, "JPEG", quality=85, optimize=True)
        print(f"{path.relative_to(HERE.parent.parent)}: {path.stat().st_size // 1024} KB")


if __name__ == "__main__":
    main()
