"""The Compare tab in Chromium, in demo mode: a grid priced before it runs, run at once, resumed, and used.

The app here has an operator's price for the per-call ``veo3.1-lite`` (WAVE_PRICES), so a grid of three
models has a total; the two official tiers are priced from the seed table (per second, muted, 1080p).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from playground.app import create_playground
from playground.settings import Settings

from .conftest import RunningApp, opened_page
from .test_browser import DOCS

pytestmark = pytest.mark.browser

#: The seed table's per-second prices (muted, 1080p) for a 4 s clip, and the operator's per-call price.
QUALITY_4S, FAST_4S, LITE_CALL = 0.64, 0.32, 0.25


@pytest.fixture(scope="module")
def priced_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:
    settings = Settings(
        demo=True,
        sim_queue_seconds=0.6,
        sim_processing_seconds=1.8,
        operator_prices={"veo3.1-lite": LITE_CALL},
        data_dir=tmp_path_factory.mktemp("compare-data"),
    )
    playground = create_playground(settings, env={})
    _, url, _ = playground.launch(prevent_thread_lock=True, quiet=True)
    try:
        yield RunningApp(url.rstrip("/"), playground)
    finally:
        playground.close()


def open_compare(page: Page, label: str = "Compare") -> None:
    page.get_by_role("tab", name=label).click()
    expect(page.locator("#compare-cost h3")).to_be_visible(timeout=15_000)


def pick(page: Page, n: int, control: str, value: str) -> None:
    box = page.locator(f"#variant-{n}-{control} input")
    box.click()
    # The list of this dropdown, by its id: another dropdown's list may still be closing.
    options = page.locator(f"#{box.get_attribute('aria-controls')}")
    options.get_by_role("option", name=value, exact=True).click()
    expect(box).to_have_value(value)


def three_models(page: Page, prompt: str) -> None:
    page.fill("#compare-prompt textarea", prompt)
    pick(page, 1, "duration", "4")  # row 1: veo3.1-quality-official
    pick(page, 2, "duration", "4")  # row 2: veo3.1-fast-official
    page.locator("#compare-add").click()
    expect(page.locator("#variant-3")).to_be_visible()
    pick(page, 3, "model", "veo3.1-lite")


def wait_for_cells(page: Page, count: int) -> None:
    expect(page.locator("#compare-run-status")).to_have_attribute("data-phase", "completed", timeout=60_000)
    for n in range(1, count + 1):
        expect(page.locator(f"#cell-{n}-status .cell-status")).to_have_attribute("data-phase", "completed")
        page.wait_for_function(
            "(sel) => { const v = document.querySelector(sel); return v && v.readyState >= 1 && v.duration > 3; }",
            arg=f"#cell-{n}-video video",
            timeout=15_000,
        )


def test_a_three_model_grid_is_priced_first_runs_at_once_plays_and_fills_a_tab(
    browser: Browser, priced_app: RunningApp
) -> None:
    sim = priced_app.sim
    with opened_page(browser, priced_app.url, viewport=(1440, 900)) as page:
        open_compare(page)
        three_models(page, "a paper boat on a rain puddle")
        cost = page.locator("#compare-cost")
        total = round(QUALITY_4S + FAST_4S + LITE_CALL, 2)
        expect(cost).to_contain_text(f"${total:.2f} for 3 video(s)")
        for label, price in (("veo3.1-quality-official", QUALITY_4S), ("veo3.1-fast-official", FAST_4S)):
            expect(cost.locator("tr", has_text=label)).to_contain_text(f"${price:.2f}")
        expect(cost.locator("tr", has_text="veo3.1-lite")).to_contain_text(f"${LITE_CALL:.2f}")
        before = len(sim.submissions())
        page.locator("#compare-run").click()
        wait_for_cells(page, 3)
        sent = sim.submissions()[before:]
        assert sorted(s.body["model"] for s in sent) == sorted(
            ["veo3.1-quality-official", "veo3.1-fast-official", "veo3.1-lite"]
        )
        expect(page.locator("#compare-run-status")).to_contain_text("3 of 3 cells finished")
        for n in (1, 2, 3):  # each one really plays
            assert page.evaluate(
                "async (sel) => { const v = document.querySelector(sel); v.muted = true; await v.play();"
                " await new Promise(r => setTimeout(r, 400)); return v.currentTime > 0; }",
                f"#cell-{n}-video video",
            )
        if DOCS is not None:
            page.screenshot(path=str(DOCS / "compare.png"), full_page=True)
        page.locator("#cell-2-use").click()  # the fast one, at 4 s, back in Text → Video
        expect(page.locator("#generate-prompt textarea")).to_have_value("a paper boat on a rain puddle")
        expect(page.locator("#generate-model input")).to_have_value(re.compile(r"Veo 3\.1 Fast \(official\)"))
        expect(page.locator("#generate-duration input[value='4']")).to_be_checked()
        page.get_by_role("tab", name="History").click()
        expect(page.locator("#history-gallery")).to_contain_text("cell 3", timeout=15_000)


def test_an_invalid_variant_is_named_and_nothing_is_sent(browser: Browser, priced_app: RunningApp) -> None:
    sim = priced_app.sim
    with opened_page(browser, priced_app.url) as page:
        open_compare(page)
        page.fill("#compare-prompt textarea", "a kite")
        pick(page, 2, "model", "veo-3.1")
        page.fill("#variant-2-seed input", "-5")
        page.locator("#variant-2-seed input").blur()
        expect(page.locator("#compare-cost")).to_contain_text("Variant 2 (", timeout=10_000)
        before = len(sim.submissions())
        page.locator("#compare-run").click()
        status = page.locator("#compare-run-status")
        expect(status).to_have_attribute("data-phase", "invalid", timeout=10_000)
        expect(status).to_contain_text("Variant 2")
        page.wait_for_timeout(500)
        assert len(sim.submissions()) == before, "a grid with one invalid cell sends nothing"


def test_a_grid_resumes_after_a_refresh(browser: Browser, priced_app: RunningApp) -> None:
    # Long enough that the grid is still running when the page comes back: a grid that ended meanwhile has
    # nothing left to resume (it is in History), and a busy machine could otherwise finish it during the reload.
    priced_app.sim.config.processing_seconds = 8.0
    try:
        _resume_after_refresh(browser, priced_app)
    finally:
        priced_app.sim.config.processing_seconds = 1.8


def _resume_after_refresh(browser: Browser, priced_app: RunningApp) -> None:
    with opened_page(browser, priced_app.url) as page:
        open_compare(page)
        page.fill("#compare-prompt textarea", "a lantern drifting down a river")
        page.locator("#compare-run").click()
        expect(page.locator("#cell-2-status .task-id")).to_contain_text("task-wave", timeout=15_000)
        page.reload()
        expect(page.locator("#generate-cost h3")).to_be_visible(timeout=30_000)
        open_compare(page)
        wait_for_cells(page, 2)
        expect(page.locator("#generate-status")).not_to_contain_text("task-wave")  # not resumed as a tab's run


def test_the_grid_reads_in_chinese(browser: Browser, priced_app: RunningApp) -> None:
    with opened_page(browser, priced_app.url, locale="zh-CN", viewport=(1440, 900)) as page:
        open_compare(page, "对比")
        three_models(page, "雨中的纸船")
        cost = page.locator("#compare-cost")
        expect(cost).to_contain_text("$1.21，共 3 个视频")
        expect(page.locator("#compare-run")).to_have_text("全部运行")
        for english in ("for 3 video(s)", "Run all", "Variant 1", "Add a variant", "Quick variants"):
            expect(page.locator("#tab-compare")).not_to_contain_text(english)
        if DOCS is not None:
            page.screenshot(path=str(DOCS / "compare-zh.png"), full_page=True)


def test_cancel_all_stops_every_queued_cell_and_shows_the_refund(browser: Browser, priced_app: RunningApp) -> None:
    priced_app.sim.config.queue_seconds = 30
    try:
        with opened_page(browser, priced_app.url) as page:
            open_compare(page)
            page.fill("#compare-prompt textarea", "a slow tide over black sand")
            page.locator("#compare-run").click()
            for n in (1, 2):
                expect(page.locator(f"#cell-{n}-status .cell-status")).to_have_attribute(
                    "data-phase", "queued", timeout=15_000
                )
            page.locator("#compare-cancel").click()
            for n, refund in ((1, "$1.28"), (2, "$0.64")):  # 8 s at 1080p muted, from the seed table
                cell = page.locator(f"#cell-{n}-status .cell-status")
                expect(cell).to_have_attribute("data-phase", "cancelled", timeout=15_000)
                expect(cell).to_contain_text(f"Refunded {refund}")
            expect(page.locator("#compare-run-status")).to_contain_text("2 of 2 cells finished · 0 completed")
            expect(page.locator("#compare-run")).to_be_enabled()
    finally:
        priced_app.sim.config.queue_seconds = 0.6
