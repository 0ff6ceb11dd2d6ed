"""Everything a run says, in the visitor's language: status, progress, price readout, refusals, History.

The view functions say each Message of the lower layers, and their own sentences, in the ``Lang``
they are given; in a zh-CN Chromium a finished run, a refused one and a cancelled one leave none of
the English run text on the page. A visitor without Accept-Language (``gradio_client``) reads English.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from playground import veo
from playground.runs import Mode, Phase, RunRecord, RunUpdate
from playground.texts import TEMPLATES, Lang, say
from playground.web.examples import EXAMPLES, example_labels
from playground.web.history import caption, details
from playground.web.i18n import ZH_CN, model_key
from playground.web.view import (
    SessionSpend,
    cost_readout,
    estimate_form,
    mode_banner,
    model_info,
    problems_panel,
    run_sample_label,
    status_panel,
)

from .conftest import RunningApp, opened_page
from .test_browser import DOCS
from .test_workspace import box, on_first_screen

ZH = Lang.ZH_CN
CJK = re.compile(r"[\u4e00-\u9fff]")
#: The templates whose words a run shows: the page's own, the run's phases and results, the budget,
#: the catalog's prices, nudges, rule refusals and model names.
RUN_TEXT_KEYS = ("web.", "runs.engine.", "runs.phases.", "runs.budget.", "veo.prices.", "veo.capabilities.")
RUN_TEXT_KEYS += ("veo.rules.", "veo.models.")
#: A Chinese prompt, so the prompt History quotes back is not English the page left behind.
PROMPT = "夕阳下，一只金毛犬在海滩上奔跑，电影感光影"


def _english_phrases() -> set[str]:
    """The literal English of every run template, cut at its holes and markup: what must not be left.

    A fragment counts when it has two English words, or is one word of four letters or more
    ("Queued", "Done"); names kept as written in Chinese too (``WAVE_PRICES``) are not English to find.
    """
    phrases: set[str] = set()
    for key, template in TEMPLATES.items():
        if not key.startswith(RUN_TEXT_KEYS):
            continue
        for literal, *_ in string.Formatter().parse(template.en):
            for piece in re.split(r"<[^>]+>|\*\*|`|\s·\s|[:;]\s", literal):
                piece = piece.strip(" .:;,()~·—-*_=×\n")
                if "_" in piece:
                    continue
                if len(re.findall(r"[A-Za-z]{2,}", piece)) >= 2 or re.fullmatch(r"[A-Za-z]{4,}", piece):
                    phrases.add(piece)
    return phrases


ENGLISH = _english_phrases()


def english_left(texts: list[str]) -> set[str]:
    joined = re.sub(r"https?://\S+", " ", "\n".join(texts))  # an example address is not prose
    return {p for p in ENGLISH if re.search(rf"(?<![A-Za-z_]){re.escape(p)}(?![A-Za-z_])", joined)}


def test_the_phrase_list_holds_the_issues_examples() -> None:
    for phrase in ("Done", "Queued", "Processing", "Task id", "Last run cost", "This session", "nothing is charged"):
        assert phrase in ENGLISH, phrase
    assert "Before you run" in ENGLISH and "published price" in ENGLISH


# -- the view functions ----------------------------------------------------------------------------


def _chinese(text: str) -> str:
    """``text`` (Markdown or HTML) reads as Chinese: what the tags hold, not their attributes."""
    assert CJK.search(text), text
    left = english_left([re.sub(r"<[^>]+>", " ", text)])
    assert not left, f"English left: {left} in {text!r}"
    return text


def test_the_price_readout_reads_in_chinese() -> None:
    form = veo.FormValues(
        model="veo3.1-fast-official", action="generate", prompt="x", resolution="1080p", duration=8, sample_count=2
    )
    est, problems = estimate_form(form, {})
    spend = SessionSpend().add(0.64).add(None)
    text = _chinese(cost_readout(est, problems, spend, simulated=True, lang=ZH))
    assert "$1.28" in text and "$0.64" in text  # amounts stay as written
    english = cost_readout(est, problems, spend, simulated=True)
    assert "This session: $0.64 over 2 runs (1 without a set price)." in english
    assert "1080p muted · published price" in english and not CJK.search(english)


def test_a_price_not_set_and_a_form_to_fix_read_in_chinese() -> None:
    unpriced = veo.FormValues(model="veo3.1-lite", action="generate", prompt="x", resolution="720p", duration=8)
    est, problems = estimate_form(unpriced, {})
    _chinese(cost_readout(est, problems, SessionSpend(), simulated=False, lang=ZH))
    broken = veo.FormValues(model="veo3.1-fast-official", action="generate", prompt="", duration=5)
    est, problems = estimate_form(broken, {})
    _chinese(cost_readout(est, problems, SessionSpend().add(0.32), simulated=True, lang=ZH))


def test_the_status_panel_says_progress_eta_and_task_id_in_chinese() -> None:
    update = RunUpdate(
        Phase.PROCESSING,
        TEMPLATES["runs.engine.processing"](progress=40),
        task_id="task-wave-1",
        progress=40,
        queued_seconds=2,
        processing_seconds=72,
        eta_seconds=30,
    )
    text = _chinese(status_panel(update, lang=ZH))
    assert "排队 2 秒 · 处理 1 分 12 秒 · 预计还需约 30 秒" in text and "task-wave-1" in text
    english = status_panel(update)
    assert "Queued 2 s · Processing 1 min 12 s · ETA ~30 s" in english and "Task id: <code>" in english
    _chinese(status_panel(RunUpdate(Phase.TIMEOUT, "", task_id="task-wave-2"), lang=ZH))
    _chinese(status_panel(None, lang=ZH))


def test_a_refusal_lists_the_fields_as_written_and_the_reasons_in_chinese() -> None:
    problems = veo.check(veo.FormValues(model="veo-3.1", action="generate", prompt="", seed=-5))
    text = _chinese(problems_panel(problems, ZH))
    assert "<b>prompt</b>" in text and "<b>seed</b>" in text  # API field names stay


def test_the_banner_and_model_notes_read_in_chinese() -> None:
    _chinese(mode_banner(None, None, ZH))
    for model in veo.MODELS:
        _chinese(model_info(model.id, ZH))
    assert model_info("veo3.1-lite").startswith("**Veo 3.1 Lite (reverse-engineered)**")


def test_history_cards_and_details_read_in_chinese() -> None:
    record = RunRecord(
        owner="o",
        mode=Mode.SERVER_KEY,
        key_fingerprint="k",
        action="image2video",
        model="veo3.1-fast-official",
        request={"prompt": PROMPT, "duration": 8, "resolution": "1080p"},
        estimated_cost=0.64,
        phase=Phase.COMPLETED,
        task_id="task-wave-9",
        charged=False,
        queued_seconds=3,
        processing_seconds=40,
        urls=["https://cdn.example/a.mp4"],
        expires_at=0,
    )
    text = _chinese(caption(record, ZH))
    assert "8 秒" in text and "$0.64" in text and "veo3.1-fast-official" in text
    _chinese(details(record, lang=ZH))
    assert caption(record).startswith("✓ completed · Image → Video · $0.64 (not charged)")
    demo = RunRecord(owner="o", mode=Mode.DEMO, key_fingerprint="", action="generate", model="veo-3.1", request={})
    _chinese(details(demo, lang=ZH))


def test_example_labels_and_remix_sources_read_in_chinese() -> None:
    for action in EXAMPLES:
        for label in example_labels(action, ZH):
            _chinese(label)
    assert example_labels("generate", Lang.EN) == [e.label for e in EXAMPLES["generate"]]
    _chinese(run_sample_label("generate", "task-wave-1", 0, ZH))


# -- in Chromium -----------------------------------------------------------------------------------

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


def assert_no_english_run_text(page: Page, *, allowed: set[str] = frozenset()) -> None:
    texts = page.evaluate(_VISIBLE_TEXTS)
    left = english_left(texts) - allowed
    print([t for t in texts if any(p in t for p in left)])
    assert not left, f"English run text left on the zh-CN page: {sorted(left)}"


@pytest.fixture
def zh_page(browser: Browser, app: RunningApp) -> Iterator[Page]:
    with opened_page(browser, app.url, "zh-CN", viewport=(1440, 900)) as page:
        yield page


def _status(page: Page, action: str = "generate"):
    return page.locator(f"#{action}-status #run-status")


@pytest.mark.browser
def test_a_finished_run_and_its_history_read_in_chinese(zh_page: Page, app: RunningApp, slow_tasks: None) -> None:
    page = zh_page
    # Texts built once with the page are said again in Chinese when it loads.
    expect(page.locator("#generate-examples")).to_contain_text(say(EXAMPLES["generate"][0].title, ZH))
    page.fill("#generate-prompt textarea", PROMPT)
    choose_duration = page.locator("#generate-duration label").filter(has_text="4").first
    choose_duration.click()
    expect(page.locator("#generate-cost h3")).to_have_text("$0.32")
    assert_no_english_run_text(page)
    page.locator("#generate-run").click()
    status = _status(page)
    expect(status).to_have_attribute("data-phase", "processing", timeout=30_000)
    expect(status.locator(".timing")).to_contain_text("排队")
    assert_no_english_run_text(page)
    expect(status).to_have_attribute("data-phase", "completed", timeout=60_000)
    expect(page.locator("#generate-video-1 video")).to_have_count(1, timeout=15_000)
    expect(page.locator("#generate-cost")).to_contain_text("上次运行花费 $0.32")
    assert CJK.search(status.inner_text()) and CJK.search(page.locator("#generate-cost").inner_text())
    assert_no_english_run_text(page)
    # The Chinese workspace keeps the prompt, price, button and video on the first screen too.
    assert page.evaluate("window.scrollY") == 0
    for part in ("#generate-prompt", "#generate-cost h3", "#generate-run", "#generate-video-1"):
        assert on_first_screen(page, part), f"{part} is below the first screen: {box(page, part)}"
    if DOCS:
        page.screenshot(path=str(DOCS / "workspace-zh.png"))

    page.get_by_role("tab", name=ZH_CN["tab_history"]).click()
    gallery = page.locator("#history-gallery")
    expect(gallery).to_contain_text(say(Phase.COMPLETED.label, ZH), timeout=15_000)
    assert_no_english_run_text(page)
    gallery.locator(".thumbnail-item").first.click()
    details_box = page.locator("#history-details")
    expect(details_box).to_contain_text("任务 ID", timeout=15_000)
    # The history keeps a run's result sentence by its key, so it is said again in Chinese.
    expect(details_box).to_contain_text(say(TEMPLATES["runs.engine.done"](count=1), ZH))
    assert_no_english_run_text(page)
    page.screenshot(path="/tmp/t2-zh-history.png")


@pytest.mark.browser
def test_a_refusal_reads_in_chinese_and_sends_nothing(zh_page: Page, app: RunningApp) -> None:
    page = zh_page
    before = len(app.sim.submissions())
    page.locator("#generate-model input").click()
    page.get_by_role("option", name=ZH_CN[model_key("veo-3.1")]).click()
    page.get_by_text(ZH_CN["advanced"]).first.click()
    page.fill("#generate-prompt textarea", PROMPT)
    page.locator("#generate-seed input").fill("-5")
    page.locator("#generate-seed input").press("Tab")
    expect(page.locator("#generate-cost")).to_contain_text(say(TEMPLATES["web.view.before_you_run"](), ZH))
    page.locator("#generate-run").click()
    status = _status(page)
    expect(status).to_have_attribute("data-phase", "invalid")
    expect(status).to_contain_text("没有发送任何内容")
    expect(status.locator("li b")).to_have_text("seed")  # the field as the API names it
    assert CJK.search(status.locator("li").inner_text())
    assert_no_english_run_text(page)
    assert len(app.sim.submissions()) == before


@pytest.mark.browser
def test_a_cancelled_run_reads_in_chinese(zh_page: Page, app: RunningApp) -> None:
    page = zh_page
    app.sim.config.queue_seconds = 30
    try:
        page.fill("#generate-prompt textarea", PROMPT)
        page.locator("#generate-run").click()
        status = _status(page)
        expect(status).to_have_attribute("data-phase", "queued", timeout=15_000)
        expect(status.locator(".task-id")).to_contain_text("任务 ID")
        assert_no_english_run_text(page)
        page.locator("#generate-cancel").click()
        expect(status).to_have_attribute("data-phase", "cancelled", timeout=15_000)
        expect(status).to_contain_text("已取消")
        expect(page.locator(".toast-body")).to_contain_text("已取消", timeout=10_000)  # the cancel's own notice
        assert_no_english_run_text(page)
    finally:
        app.sim.config.queue_seconds = 0.5
    page.get_by_role("tab", name=ZH_CN["tab_history"]).click()
    expect(page.locator("#history-gallery")).to_contain_text(say(Phase.CANCELLED.label, ZH), timeout=15_000)
    assert_no_english_run_text(page)


def test_no_accept_language_reads_english() -> None:
    from playground.web.session import language

    class _Request:
        headers: dict[str, str] = {}

    assert language(None) is Lang.EN and language(_Request()) is Lang.EN  # gradio_client sends none
