"""Reading values that arrive from outside (API callers, page controls) into the types the rules judge.

JSON through ``gr.api`` carries whatever the caller sent: ``"false"`` is a non-empty string, which
Python's ``bool`` reads as true (and the run is priced at the audio rate); ``0`` and ``[]`` would read
as "not given"; a list as a model id crashes a dictionary lookup. Each reader here returns the value
in its proper type or raises :class:`Unreadable` naming the field, so nothing is guessed, changed or sent.

Accepted spellings:

* flags: JSON ``true``/``false``, and the exact words ``"true"``/``"false"`` in any letter case
  (what a caller who quotes every argument means). Nothing else: not ``0``/``1``, ``"no"``,
  ``"false "`` or null.
* whole numbers: as :func:`playground.veo.values.as_whole_number` reads them (``8``, ``8.0``, ``"8"``);
  fractions, words, infinities and true/false are refused, never rounded.
* choices: text of at most :data:`MAX_CHOICE_CHARS` characters; which texts a model offers is the
  rules' job. Empty text or null means "not given".
* text: a string, or null for "not given".
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..texts import Template, text
from .rules import Problem
from .values import as_whole_number

#: Every offered choice is a short name ("720p", "allow_adult", "veo3.1-fast-official"); a longer
#: text is refused without being repeated back in a message.
MAX_CHOICE_CHARS = 64
_FLAG_WORDS = {"true": True, "false": False}

# What was sent, in words (JSON's own words, null, true and false, stay as written).
A_LONG_TEXT = text("veo.reading.a_long_text", "a text of {length} characters")
A_LONG_NUMBER = text("veo.reading.a_long_number", "a number of {length} digits")
A_LIST = text("veo.reading.a_list", "a list")
AN_OBJECT = text("veo.reading.an_object", "an object")
A_VALUE_OF_TYPE = text("veo.reading.a_value_of_type", "a value of type {kind}")
# Why a value cannot be read as its field's type; ``{got}`` is what was sent, in the words above.
NOT_A_FLAG = text("veo.reading.not_a_flag", "{name} must be true or false; got {got}")
NOT_A_NUMBER = text("veo.reading.not_a_number", "{name} must be a whole number; got {got}")
NOT_ONE_OF = text("veo.reading.not_one_of", "{name} must be one of {names}; got {got}")
NOT_ONE_OF_TEXT = text("veo.reading.not_one_of_text", "{name} must be one of {names}, given as text; got {got}")
NOT_A_NAME = text("veo.reading.not_a_name", "{name} must be a name; got {got}")
NOT_A_NAME_TEXT = text("veo.reading.not_a_name_text", "{name} must be a name, given as text; got {got}")
NOT_TEXT = text("veo.reading.not_text", "{name} must be text; got {got}")
#: The problems of one call, in one sentence: each further one joins the ones before it.
AND_ALSO = text("veo.reading.and_also", "{before}; {problem}")


class Unreadable(ValueError):
    """A value that cannot be read as its field's type; ``bad`` holds the sentence a caller reads."""

    def __init__(self, bad: Problem) -> None:
        super().__init__(bad.message)
        self.bad = bad


def described(value: Any) -> str:
    """What was sent, in words, short enough for a message (a long text is not echoed)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return repr(value) if len(value) <= 40 else A_LONG_TEXT(length=len(value))
    if isinstance(value, (int, float)):
        number = repr(value)
        return number if len(number) <= 40 else A_LONG_NUMBER(length=len(number))
    if isinstance(value, (list, tuple)):
        return A_LIST()
    if isinstance(value, dict):
        return AN_OBJECT()
    return A_VALUE_OF_TYPE(kind=type(value).__name__)


def read_flag(name: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in _FLAG_WORDS:
        return _FLAG_WORDS[value.lower()]
    raise Unreadable(Problem(name, NOT_A_FLAG(name=name, got=described(value))))


def as_flag(value: Any) -> Any:
    """A page control's value as a flag where it is one, else unchanged for the rules to refuse."""
    try:
        return read_flag("flag", value)
    except Unreadable:
        return value


def read_whole_number(name: str, value: Any) -> int | None:
    number = as_whole_number(value)
    if number is None or (isinstance(number, int) and not isinstance(number, bool)):
        return number
    raise Unreadable(Problem(name, NOT_A_NUMBER(name=name, got=described(value))))


def read_choice(name: str, value: Any, offered: Iterable[str] = ()) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, str) and len(value) <= MAX_CHOICE_CHARS:
        return value
    names, got = ", ".join(dict.fromkeys(offered)), described(value)
    if isinstance(value, str):  # a text too long to be any name
        wording = NOT_ONE_OF(name=name, names=names, got=got) if names else NOT_A_NAME(name=name, got=got)
    else:
        wording = NOT_ONE_OF_TEXT(name=name, names=names, got=got) if names else NOT_A_NAME_TEXT(name=name, got=got)
    raise Unreadable(Problem(name, wording))


def read_text(name: str, value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    raise Unreadable(Problem(name, NOT_TEXT(name=name, got=described(value))))


def read_objects(
    raw: Any, read: Reader, name: str, not_a_list: Template, not_an_object: Template
) -> Iterator[tuple[int, Mapping[str, Any]]]:
    """``raw`` (a list of objects, or a JSON text of one) as (number from 1, object), in order; what is not an
    object is refused under ``name`` with ``not_an_object(n=, got=)`` as it is met, anything else with
    ``not_a_list(got=)``."""
    if isinstance(raw, str):
        try:
            raw = json.loads(raw) if raw.strip() else []
        except json.JSONDecodeError:
            read.refuse(name, not_a_list(got=described(raw)))
            return
    if not isinstance(raw, list):
        read.refuse(name, not_a_list(got=described(raw)))
        return
    for n, item in enumerate(raw, start=1):
        if isinstance(item, Mapping):
            yield n, item
        else:
            read.refuse(name, not_an_object(n=n, got=described(item)))


@dataclass
class Reader:
    """Reads one call's arguments, collecting every unreadable one so a caller fixes them all at once.

    A reader that fails returns a neutral stand-in (``None``, ``""``); :attr:`problems` says the call
    must be refused before any of it is used.
    """

    problems: list[Problem] = field(default_factory=list)

    def flag(self, name: str, value: Any) -> bool | None:
        return self._read(read_flag, name, value)

    def whole_number(self, name: str, value: Any) -> int | None:
        return self._read(read_whole_number, name, value)

    def choice(self, name: str, value: Any, offered: Iterable[str] = ()) -> str | None:
        return self._read(lambda n, v: read_choice(n, v, offered), name, value)

    def text(self, name: str, value: Any) -> str:
        return self._read(read_text, name, value) or ""

    def using(self, reader: Callable[[str, Any], Any], name: str, value: Any) -> Any:
        """Read with a reader of another module (:func:`~.references.read_image_urls` and the like)."""
        return self._read(reader, name, value)

    def refuse(self, name: str, message: str) -> None:
        """Record a value some other rule found unreadable (an upload that is not one)."""
        self.problems.append(Problem(name, message))

    def message(self) -> str:
        said = ""
        for problem in self.problems:
            said = AND_ALSO(before=said, problem=problem.message) if said else problem.message
        return said

    def _read(self, reader: Callable[[str, Any], Any], name: str, value: Any) -> Any:
        try:
            return reader(name, value)
        except Unreadable as exc:
            self.problems.append(exc.bad)
            return None
