"""The Storyboard tab in Chromium, in demo mode: priced and timed first, made shot by shot, played as one video."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from .conftest import RunningApp
from .test_browser import DOCS

pytestmark = pytest.mark.browser

SHOTS = ("a paper boat sets off on a puddle", "it drifts under a fallen leaf", "it reaches the drain")


def open_storyboard(page: Page, label: str = "Storyboard") -> None:
    page.get_by_role("tab", name=label).click()
    expect(page.locator("#board-cost h3")).to_be_visible(timeout=15_000)


def pick(page: Page, elem: str, value: str) -> None:
    box = page.locator(f"#{elem} input")
    box.click()
    page.locator(f"#{box.get_attribute('aria-controls')}").get_by_role("option", name=value, exact=True).click()
    expect(box).to_have_value(value)


def test_a_three_shot_board_is_priced_first_and_plays_as_one_video(page: Page, app: RunningApp) -> None:
    open_storyboard(page)
    page.locator("#board-add").click()
    expect(page.locator("#shot-3")).to_be_visible()
    for n, prompt in enumerate(SHOTS, start=1):
        page.fill(f"#shot-{n}-prompt textarea", prompt)
    pick(page, "shot-1-duration", "4")
    pick(page, "shot-3-duration", "6")
    cost = page.locator("#board-cost")
    # veo3.1-fast-official at 1080p, muted: $0.08/s from the seed table; 4 + 8 + 6 s.
    expect(cost).to_contain_text("$1.44 for 18 s in 3 shots")
    before = len(app.sim.submissions())
    page.locator("#board-run").click()
    status = page.locator("#board-run-status")
    expect(status).to_have_attribute("data-phase", "completed", timeout=90_000)
    sent = [s.body for s in app.sim.submissions()[before:]]
    assert [b["prompt"] for b in sent] == list(SHOTS) and [b["action"] for b in sent] == ["generate", "remix", "remix"]
    length = page.wait_for_function(
        "() => { const v = document.querySelector('#board-video video');"
        " return v && v.readyState >= 1 && v.duration; }",
        timeout=15_000,
    ).json_value()
    assert abs(length - 18) < 0.1, "the joined video is as long as its shots"
    assert page.evaluate(
        "async () => { const v = document.querySelector('#board-video video'); v.muted = true; await v.play();"
        " await new Promise(r => setTimeout(r, 400)); return v.currentTime > 0; }"
    )
    expect(status.locator("li a")).to_have_count(3)  # each shot's own clip
    if DOCS is not None:
        page.screenshot(path=str(DOCS / "storyboard.png"), full_page=True)
    page.get_by_role("tab", name="History").click()
    gallery = page.locator("#history-gallery")
    for n in (1, 2, 3):
        expect(gallery).to_contain_text(f"shot {n}", timeout=15_000)
    # Shot 2 made again, and shot 3 after it: priced on the button, followed in the Storyboard tab.
    gallery.locator("button").filter(has_text="shot 2").first.click()
    rerun = page.locator("#history-board-rerun")
    expect(rerun).to_have_text("Make shot 2 and the shots after it again: $1.12", timeout=10_000)
    before = len(app.sim.submissions())
    rerun.click()
    expect(page.locator("#board-run-status")).to_have_attribute("data-phase", "running", timeout=15_000)
    expect(page.locator("#board-run-status")).to_have_attribute("data-phase", "completed", timeout=90_000)
    assert [s.body["prompt"] for s in app.sim.submissions()[before:]] == list(SHOTS[1:])


def test_the_board_reads_in_chinese(browser, app: RunningApp) -> None:
    from .conftest import opened_page

    with opened_page(browser, app.url, locale="zh-CN", viewport=(1440, 900)) as page:
        open_storyboard(page, "故事板")
        page.fill("#shot-1-prompt textarea", "纸船在水坑里出发")
        page.fill("#shot-2-prompt textarea", "它漂过一片落叶")
        expect(page.locator("#board-cost")).to_contain_text("$1.28，共 16 秒、2 个镜头")
        expect(page.locator("#board-run")).to_have_text("制作故事板")
        for english in ("Make the board", "Add a shot", "Shot 1", "for 16 s"):
            expect(page.locator("#tab-storyboard")).not_to_contain_text(english)
        if DOCS is not None:
            page.screenshot(path=str(DOCS / "storyboard-zh.png"), full_page=True)


def test_a_board_is_followed_again_after_a_refresh(page: Page, app: RunningApp) -> None:
    open_storyboard(page)
    page.fill("#shot-1-prompt textarea", "a lantern is lit")
    page.fill("#shot-2-prompt textarea", "it floats away")
    pick(page, "shot-1-duration", "4")
    pick(page, "shot-2-duration", "4")
    page.locator("#board-run").click()
    expect(page.locator("#board-run-status")).to_have_attribute("data-phase", "running", timeout=15_000)
    page.reload()
    expect(page.locator("#generate-cost h3")).to_be_visible(timeout=30_000)
    expect(page.locator("#generate-status")).not_to_contain_text("task-wave")  # not resumed as a tab's run
    open_storyboard(page)
    expect(page.locator("#board-run-status")).to_have_attribute("data-phase", "completed", timeout=60_000)
    page.wait_for_function(
        "() => { const v = document.querySelector('#board-video video'); return v && v.readyState >= 1 &&"
        " Math.abs(v.duration - 8) < 0.1; }",
        timeout=15_000,
    )
