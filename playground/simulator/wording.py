"""Fitting the prompt's words into the frame: cleaning, wrapping to a width, and cutting with an ellipsis."""

from __future__ import annotations

import unicodedata

from PIL import ImageFont

ELLIPSIS = "…"


def clean(text: str) -> str:
    """One line of printable text: controls, surrogates and unassigned code points break layout."""
    kept = (" " if ch.isspace() else ch for ch in text if ch.isspace() or unicodedata.category(ch)[0] != "C")
    return " ".join("".join(kept).split())


def wrap(text: str, font: ImageFont.FreeTypeFont, max_width: int, max_lines: int) -> list[str]:
    """Greedy word wrap by pixel width; what does not fit in ``max_lines`` ends in an ellipsis."""
    lines: list[str] = []
    for word in text.split(" "):
        for piece in _split_long(word, font, max_width):
            candidate = f"{lines[-1]} {piece}" if lines else piece
            if lines and font.getlength(candidate) <= max_width:
                lines[-1] = candidate
            elif len(lines) == max_lines:
                return _with_ellipsis(lines, font, max_width)
            else:
                lines.append(piece)
    return lines or [""]


def _split_long(word: str, font: ImageFont.FreeTypeFont, max_width: int) -> list[str]:
    """Break a word wider than a line (a URL, unspaced CJK) into pieces that each fit."""
    if font.getlength(word) <= max_width:
        return [word]
    pieces, current = [], ""
    for char in word:
        if current and font.getlength(current + char) > max_width:
            pieces.append(current)
            current = ""
        current += char
    return pieces + [current] if current else pieces


def _with_ellipsis(lines: list[str], font: ImageFont.FreeTypeFont, max_width: int) -> list[str]:
    last = lines[-1]
    while last and font.getlength(last + ELLIPSIS) > max_width:
        last = last[:-1]
    return lines[:-1] + [last.rstrip() + ELLIPSIS]


# -- reference images -----------------------------------------------------------------------------
