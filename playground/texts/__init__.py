"""What the app says while it runs, in the visitor's language.

The page's fixed text is translated in the browser (``web/i18n.py``). Everything built in Python
while it runs (status, price readout, refusals, rule messages, errors, History's cards) is a
:class:`Message`: English text that remembers the :class:`Template` it came from and its
parameters, so callers that only want a string keep working, and :func:`say` renders it in the
visitor's language by its key, never by matching the English. A template is declared once, where
the fact it states is owned (a rule, a budget, a phase); the Chinese lives in :mod:`.zh_cn`.

Every layer may import this package; it imports nothing of ours.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Lang(StrEnum):
    """The languages the page is written in; the values are the locales Gradio uses."""

    EN = "en"
    ZH_CN = "zh-CN"


#: Every template declared so far, by key; a test holds the Chinese catalog to exactly these.
TEMPLATES: dict[str, Template] = {}


@dataclass(frozen=True)
class Template:
    """One sentence with ``{named}`` holes; calling it fills them and gives a :class:`Message`."""

    key: str
    en: str

    def __call__(self, **params: Any) -> Message:
        return Message(self, params)

    @property
    def fields(self) -> frozenset[str]:
        return placeholders(self.en)


def text(key: str, en: str) -> Template:
    """Declare a template once, at import; the same key with other English is a mistake."""
    known = TEMPLATES.get(key)
    if known is not None and known.en != en:
        raise ValueError(f"text key {key!r} declared twice with different English")
    TEMPLATES[key] = template = Template(key, en)
    return template


class Message(str):
    """English text (it *is* the ``str``) that can be said again in another language."""

    template: Template
    params: Mapping[str, Any]

    def __new__(cls, template: Template, params: Mapping[str, Any]) -> Message:
        missing = template.fields - params.keys()
        if missing:
            raise KeyError(f"text {template.key!r} needs {sorted(missing)}")
        self = super().__new__(cls, template.en.format(**params))
        self.template = template
        self.params = dict(params)
        return self

    def __reduce__(self):  # pickled (Gradio caches, multiprocessing) as the English it reads as
        return (str, (str(self),))


def say(message: str, lang: Lang | str | None) -> str:
    """``message`` in ``lang``; a plain ``str`` (a provider's words, a file name) is shown as written."""
    if not isinstance(message, Message) or lang in (None, Lang.EN, "en"):
        return str(message)
    from .zh_cn import ZH_CN  # the catalog imports nothing back

    translated = ZH_CN.get(message.template.key) if Lang(lang) is Lang.ZH_CN else None
    if translated is None:
        return str(message)
    return translated.format(**{k: say(v, lang) if isinstance(v, str) else v for k, v in message.params.items()})


#: Marks a parameter that is itself a message in :func:`message_data`.
_NESTED = "$text"


def message_data(message: str) -> dict[str, Any] | None:
    """What a stored message needs to be said again later: its key and parameters (JSON-ready)."""
    if not isinstance(message, Message):
        return None
    params = {k: message_data(v) or v if isinstance(v, Message) else v for k, v in message.params.items()}
    return {_NESTED: message.template.key, "params": params}


def message_from_data(data: Any, written: str) -> str:
    """The message :func:`message_data` described, or ``written`` when its template is gone or changed."""
    if not isinstance(data, dict) or not isinstance(data.get("params"), dict):
        return written
    template = TEMPLATES.get(data.get(_NESTED))
    if template is None:
        return written
    params = {k: message_from_data(v, "") if _is_nested(v) else v for k, v in data["params"].items()}
    try:
        message = template(**params)
    except (KeyError, IndexError, ValueError, TypeError):
        return written
    return message if not written or str(message) == written else written


def _is_nested(value: Any) -> bool:
    return isinstance(value, dict) and _NESTED in value


def placeholders(template: str) -> frozenset[str]:
    return frozenset(name.split(".")[0].split("[")[0] for _, name, _, _ in string.Formatter().parse(template) if name)


_TAG = re.compile(r"\s*([A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*|\*)\s*(?:;\s*q\s*=\s*([0-9.]+))?\s*")
#: Chinese written in traditional characters is not what the page is translated into.
_TRADITIONAL = ("zh-tw", "zh-hk", "zh-mo", "zh-hant")


def lang_of(accept_language: str | None) -> Lang:
    """The page language for a request's ``Accept-Language``: the visitor's first choice we write in."""
    choices: list[tuple[float, int, str]] = []
    for order, part in enumerate((accept_language or "").split(",")):
        found = _TAG.fullmatch(part)
        if not found:
            continue
        try:
            weight = float(found.group(2)) if found.group(2) else 1.0
        except ValueError:
            continue
        if weight > 0:
            choices.append((-weight, order, found.group(1).lower()))
    for _, _, tag in sorted(choices):
        if tag == "en" or tag.startswith("en-"):
            return Lang.EN
        if (tag == "zh" or tag.startswith("zh-")) and not tag.startswith(_TRADITIONAL):
            return Lang.ZH_CN
    return Lang.EN


__all__ = [
    "TEMPLATES",
    "Lang",
    "Message",
    "Template",
    "lang_of",
    "message_data",
    "message_from_data",
    "placeholders",
    "say",
    "text",
]
