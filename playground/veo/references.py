"""The two list parameters read from outside: ``image_urls`` and ``callback_events``.

A page box holds links as text, one a line; an API caller may send a JSON list, a JSON text of one
(what a caller who quotes every argument sends), or plain text: links separated by white space, event
names by commas. Each reader returns a list (``None`` for "not given") or raises
:class:`~.reading.Unreadable` naming the field, so nothing is guessed or dropped; which values a model
takes, and how many, is the rules' job (:mod:`.rules`).
"""

from __future__ import annotations

import json
import re
from typing import Any

from ..texts import text
from .reading import MAX_CHOICE_CHARS, Unreadable, described
from .rules import Problem

#: A link never holds white space unescaped (it may hold commas); event names hold neither.
_BETWEEN_LINKS = re.compile(r"\s+")
_BETWEEN_EVENTS = re.compile(r"[\s,]+")

NOT_A_LIST_OF_IMAGES = text(
    "veo.references.not_a_list_of_images",
    "{name} must be a list of image URLs or uploaded files (handle_file), or a JSON text of such a list; got {got}",
)
NOT_A_LIST_OF_EVENTS = text(
    "veo.references.not_a_list_of_events",
    "{name} must be a list of event names or a comma-separated text of them; got {got}",
)
NOT_JSON = text("veo.references.not_json", "{name} starts like a JSON list but is not valid JSON")


def split_urls(value: str) -> list[str]:
    """The links in a text, one a line (spaces separate them too; commas may be part of a link)."""
    return _split(value, _BETWEEN_LINKS)


def _split(value: str, between: re.Pattern[str]) -> list[str]:
    return [part for part in between.split(value.strip()) if part]


def _as_list(name: str, value: Any, between: re.Pattern[str]) -> list[Any] | None:
    """``value`` as a list: None, "" and [] are "not given"; a text starting with ``[`` is read as JSON,
    any other text is split where ``between`` matches."""
    if value is None or value == "" or value == []:
        return None
    if isinstance(value, str) and value.lstrip().startswith("["):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            raise Unreadable(Problem(name, NOT_JSON(name=name))) from None
    if isinstance(value, str):
        return _split(value, between) or None
    if isinstance(value, (list, tuple)):
        return list(value) or None
    return [value]  # refused by the caller with what it is


def read_image_urls(name: str, value: Any) -> list[str | dict] | None:
    """Reference images from an API caller: links (text) and uploads (``handle_file``'s dicts), in order.

    Whether an upload really is one of this call's is the endpoint's check; whether a link is one the
    provider can fetch, and how many a model takes, is the rules'.
    """
    items = _as_list(name, value, _BETWEEN_LINKS)
    if items is not None and not all(isinstance(item, (str, dict)) for item in items):
        raise Unreadable(Problem(name, NOT_A_LIST_OF_IMAGES(name=name, got=described(value))))
    return [item.strip() if isinstance(item, str) else item for item in items] if items else None


def read_callback_events(name: str, value: Any) -> list[str] | None:
    """Event names from a list, a JSON text of one or a comma-separated text; unknown names are the rules'."""
    items = _as_list(name, value, _BETWEEN_EVENTS)
    # Every event is a short name; a long text is refused without being repeated back in a message.
    if items is not None and not all(isinstance(item, str) and len(item) <= MAX_CHOICE_CHARS for item in items):
        raise Unreadable(Problem(name, NOT_A_LIST_OF_EVENTS(name=name, got=described(value))))
    events = [item.strip() for item in items or [] if item.strip()]
    return list(dict.fromkeys(events)) or None
