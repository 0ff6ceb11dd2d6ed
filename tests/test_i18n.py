"""The page in English and Simplified Chinese, chosen by the browser's language.

Built: every fixed text of the tabs goes through a translation key and every value handlers see
stays as it was. In Chromium with a ``zh-CN`` locale every tab renders in Chinese with none of the
translated English left; with ``en-US`` the page reads in English.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import gradio as gr
import pytest
from gradio.components.api_component import Api
from gradio.i18n import I18nData
from playwright.sync_api import Browser, Page, expect

from playground import veo
from playground.runs import REMIX_FROM_RUN, REMIX_FROM_TASK, REMIX_FROM_URL
from playground.texts import Lang, say
from playground.web.i18n import EN, I18N, ZH_CN, ZH_CN_LOCALE, model_key
from playground.web.tab import build_form as _build_form
from playground.web.view import model_info

from .conftest import RunningApp, opened_page

#: Names the provider and the API use; a translation keeps them as they are written.
LATIN_TERMS = (
    "Veo",
    "VEO",
    "Wave",
    "Vertex AI",
    "API",
    "JSON",
    "curl",
    "$WAVE_API_KEY",
    "POST",
    "pad",
    "crop",
    "raw",
    "JPG",
    "PNG",
    "WEBP",
    "Quality",
    "Fast",
    "Lite",
    "Playground",
)
#: Placeholders that are the shape of a value, the same in every language.
VALUE_PLACEHOLDERS = {"https://…", "task-wave…", "https://…/clip.mp4", "https://your-server/hook"}
#: Fixed texts a handler may replace while the page runs (none now: relabels use the same keys).
RUNTIME_TEXT_KEYS: set[str] = set()
CJK = re.compile(r"[\u4e00-\u9fff]")


def test_both_languages_have_every_text_and_chinese_reads_as_chinese() -> None:
    assert set(ZH_CN) == set(EN)
    for key, text in ZH_CN.items():
        assert CJK.search(text), key
        for term in LATIN_TERMS:
            if re.search(rf"(?<![\w$]){re.escape(term)}(?!\w)", EN[key]):
                assert term in text, f"{key}: {term!r} should stay as written"
    assert set(I18N.translations_dict) == {"en", ZH_CN_LOCALE}


def _is_key(value) -> bool:
    return isinstance(value, I18nData) or (isinstance(value, str) and value.startswith("__i18n__"))


@pytest.mark.parametrize("action", veo.ACTIONS)
def test_every_fixed_text_of_a_tab_goes_through_a_key(action: str) -> None:
    with gr.Blocks() as blocks:
        form = _build_form(action, "Where your image goes: a host. In demo mode images stay on this machine.")
    for component in blocks.blocks.values():
        where = f"{type(component).__name__} {getattr(component, 'elem_id', None)}"
        for attr in ("label", "info"):
            value = getattr(component, attr, None)
            assert value is None or _is_key(value), f"{where}.{attr} = {value!r}"
        placeholder = getattr(component, "placeholder", None)
        assert placeholder is None or _is_key(placeholder) or placeholder in VALUE_PLACEHOLDERS, where
        for label, value in getattr(component, "choices", None) or []:
            # A choice shown as its own value (4, 1080p, pad, allow_adult) is not English to translate.
            assert _is_key(label) or label == str(value), f"{where} choice {label!r}"
    if action == "remix":  # handlers compare these values: only their labels are translated
        assert [value for _, value in form.remix_from.choices] == [REMIX_FROM_RUN, REMIX_FROM_TASK, REMIX_FROM_URL]
        assert form.remix_from.value == REMIX_FROM_RUN
    assert [value for _, value in form.model.choices] == [m.id for m in veo.models_for_action(action)]


def _inside(block) -> Iterator:
    for child in getattr(block, "children", None) or []:
        yield child
        yield from _inside(child)


def test_the_whole_page_has_no_fixed_english_left(app: RunningApp) -> None:
    blocks = app.playground.blocks.blocks.values()
    model_notes = {model_info(m.id) for m in veo.MODELS}  # handlers rewrite it on every model change
    for block in blocks:
        if isinstance(block, Api):  # Api: gr.api endpoints, never shown
            continue
        where = f"{type(block).__name__} {getattr(block, 'elem_id', None)}"
        for attr in ("label", "info"):
            value = getattr(block, attr, None)
            assert value is None or _is_key(value), f"{where}.{attr} = {value!r}"
        if isinstance(block, gr.Button):
            assert _is_key(block.value), where
        if isinstance(block, gr.Markdown) and block.value:
            assert _is_key(block.value) or block.value in model_notes, f"{where}: {block.value!r}"


# -- in Chromium ---------------------------------------------------------------------------------


@pytest.fixture
def zh_page(browser: Browser, app: RunningApp) -> Iterator[Page]:
    with opened_page(browser, app.url, "zh-CN") as page:
        yield page


@pytest.fixture
def en_page(browser: Browser, app: RunningApp) -> Iterator[Page]:
    with opened_page(browser, app.url, "en-US") as page:
        yield page


#: Every visible text node and placeholder of the page, trimmed: what a visitor reads.
_VISIBLE_TEXTS = """() => {
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const box = node.parentElement;
    if (box && box.getClientRects().length && node.textContent.trim()) out.push(node.textContent.trim());
  }
  for (const el of document.querySelectorAll('[placeholder]')) {
    if (el.getClientRects().length) out.push(el.getAttribute('placeholder'));
  }
  return out;
}"""


def _english_left(page: Page) -> set[str]:
    english = {text for key, text in EN.items() if key not in RUNTIME_TEXT_KEYS and key != "header"}
    english.add(EN["header"].split("\n", 1)[1])  # the header's sentence, as Markdown renders it
    return english & set(page.evaluate(_VISIBLE_TEXTS))


def _open_accordions(page: Page, action: str) -> None:
    for key in ("advanced", "request_box"):
        page.locator("[role=tabpanel]:visible").get_by_text(ZH_CN[key], exact=True).click()


def test_the_chinese_page_renders_every_tab_in_chinese(zh_page: Page) -> None:
    page = zh_page
    expect(page.get_by_text(ZH_CN["header"].split("\n", 1)[1])).to_be_visible()
    page.get_by_text(ZH_CN["key_box"], exact=True).click()
    expect(page.locator("#api-key input")).to_have_attribute("placeholder", ZH_CN["key_placeholder"])
    for action in veo.ACTIONS:
        page.get_by_role("tab", name=ZH_CN[f"tab_{action}"]).click()
        expect(page.locator(f"#{action}-cost h3")).to_be_visible()
        expect(page.locator(f"#{action}-run")).to_have_text(ZH_CN["run"])
        expect(page.locator(f"#{action}-cancel")).to_have_text(ZH_CN["cancel"])
        expect(page.get_by_text(ZH_CN[f"intro_{action}"])).to_be_visible()
        expect(page.locator(f"#{action}-model input")).to_have_value(ZH_CN[model_key(veo.DEFAULT_MODEL)])
        expect(page.locator(f"#{action}-prompt textarea")).to_have_attribute("placeholder", ZH_CN["prompt_placeholder"])
        expect(page.locator(f"#{action}-duration")).to_contain_text(ZH_CN["duration"])
        _open_accordions(page, action)
        expect(page.locator(f"#{action}-curl")).to_contain_text(ZH_CN["curl"])
        assert _english_left(page) == set(), action
    page.get_by_role("tab", name=ZH_CN["tab_history"]).click()
    expect(page.locator("#tab-history")).to_be_visible()


def test_translated_choices_still_send_their_values(zh_page: Page) -> None:
    page = zh_page
    page.get_by_role("tab", name=ZH_CN["tab_remix"]).click()
    # The handler that shows the task id box compares the radio's value with REMIX_FROM_TASK.
    page.locator("#remix-from label").filter(has_text=ZH_CN["remix_from_task"]).click()
    expect(page.locator("input[placeholder='task-wave…'], textarea[placeholder='task-wave…']")).to_be_visible()
    expect(page.locator("#remix-source-run")).to_be_hidden()
    page.locator("#remix-model input").click()
    page.get_by_role("option", name=ZH_CN[model_key("veo3.1-lite")]).click()
    # The handler got the model id, and said why the duration is locked in the visitor's language.
    locked = veo.capabilities("veo3.1-lite", "remix", None, None, None).duration.why
    expect(page.locator("#remix-duration")).to_contain_text(say(locked, Lang.ZH_CN))


def test_the_english_page_stays_english(en_page: Page) -> None:
    page = en_page
    for action in veo.ACTIONS:
        expect(page.get_by_role("tab", name=EN[f"tab_{action}"])).to_be_visible()
    expect(page.get_by_role("tab", name=EN["tab_history"])).to_be_visible()
    expect(page.locator("#generate-run")).to_have_text(EN["run"])
    expect(page.locator("#generate-model input")).to_have_value(EN[model_key(veo.DEFAULT_MODEL)])
    expect(page.get_by_text(EN["intro_generate"])).to_be_visible()
    assert not any(CJK.search(text) for text in page.evaluate(_VISIBLE_TEXTS))
