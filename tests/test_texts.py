"""What the app says while it runs: every template has its Chinese, with the same holes."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

import playground.app  # noqa: F401  (imports every module, so every template is declared)
from playground.texts import TEMPLATES, Lang, Template, lang_of, placeholders, say, text
from playground.texts.zh_cn import PARTS, ZH_CN

CJK = re.compile(r"[\u4e00-\u9fff]")


def test_every_template_has_chinese_with_the_same_holes() -> None:
    missing = sorted(set(TEMPLATES) - set(ZH_CN))
    assert not missing, f"no Chinese for {missing}"
    orphans = sorted(set(ZH_CN) - set(TEMPLATES))
    assert not orphans, f"Chinese for templates nobody declares: {orphans}"
    for key, zh in ZH_CN.items():
        assert placeholders(zh) == TEMPLATES[key].fields, key
        assert CJK.search(zh), f"{key}: {zh!r} reads as no Chinese"


def test_no_key_is_translated_twice() -> None:
    seen: dict[str, str] = {}
    for part, entries in PARTS.items():
        for key in entries:
            assert key not in seen, f"{key} in both {seen[key]} and {part}"
            seen[key] = part


@pytest.fixture
def done() -> Iterator[Template]:
    yield text("test.done", "Done: {count} video(s).")
    del TEMPLATES["test.done"]  # not one of the app's: the catalog test must not see it


def test_a_message_is_its_english_and_says_itself_in_chinese(done: Template) -> None:
    message = done(count=2)
    assert message == "Done: 2 video(s)." and isinstance(message, str)
    assert say(message, Lang.EN) == "Done: 2 video(s)."
    assert say("a provider's own words", Lang.ZH_CN) == "a provider's own words"
    with pytest.raises(KeyError):
        done()
    with pytest.raises(ValueError):
        text("test.done", "Other English")


@pytest.mark.parametrize(
    ("header", "lang"),
    [
        ("zh-CN,zh;q=0.9,en;q=0.8", Lang.ZH_CN),
        ("en-US,en;q=0.9", Lang.EN),
        ("fr-FR, zh;q=0.5", Lang.ZH_CN),
        ("zh-TW,zh;q=0.9", Lang.ZH_CN),
        ("zh-TW", Lang.EN),
        ("zh-CN;q=0, en", Lang.EN),
        ("", Lang.EN),
        (None, Lang.EN),
        ("not a header ;;;", Lang.EN),
    ],
)
def test_the_language_of_a_request(header: str | None, lang: Lang) -> None:
    assert lang_of(header) is lang
