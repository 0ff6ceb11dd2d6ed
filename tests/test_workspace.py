"""The workspace a person trying prompts sees: two panes on a laptop, one column on a phone, the
keyboard shortcut and recent prompts. In Chromium against the demo app."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from .conftest import RunningApp, opened_page
from .test_browser import DOCS

pytestmark = pytest.mark.browser

LAPTOP, PHONE = (1440, 900), (390, 844)


def box(page: Page, selector: str) -> dict[str, float]:
    found = page.locator(selector).bounding_box()
    assert found is not None, f"{selector} is not on the page"
    return found


def on_first_screen(page: Page, selector: str) -> bool:
    b = box(page, selector)
    width, height = page.viewport_size["width"], page.viewport_size["height"]  # type: ignore[index]
    return b["y"] >= 0 and b["x"] >= 0 and b["y"] + b["height"] <= height and b["x"] + b["width"] <= width


def finished(page: Page, action: str = "generate") -> None:
    expect(page.locator(f"#{action}-status #run-status")).to_have_attribute("data-phase", "completed", timeout=60_000)


def test_on_a_laptop_the_prompt_price_button_and_video_share_the_first_screen_and_stay_put(
    browser: Browser, app: RunningApp
) -> None:
    with opened_page(browser, app.url, viewport=LAPTOP) as page:
        page.fill("#generate-prompt textarea", "a paper boat on a rain gutter")
        # The readout drops its "Before you run" list once the prompt is in: measure after that.
        expect(page.locator("#generate-cost")).not_to_contain_text("Before you run", timeout=15_000)
        before = box(page, "#generate-video-1")
        page.locator("#generate-run").click()
        # While it runs (a busy machine may poll past the short queue straight to processing).
        running = re.compile("^(queued|processing)$")
        expect(page.locator("#generate-status #run-status")).to_have_attribute("data-phase", running, timeout=30_000)
        during = box(page, "#generate-video-1")
        finished(page)
        expect(page.locator("#generate-video-1 video")).to_be_visible()
        after = box(page, "#generate-video-1")
        assert abs(during["y"] - before["y"]) <= 2 and abs(after["y"] - before["y"]) <= 2, (before, during, after)
        assert page.evaluate("window.scrollY") == 0, "pressing Generate scrolled the page"
        for part in ("#generate-prompt", "#generate-cost h3", "#generate-run", "#generate-video-1"):
            assert on_first_screen(page, part), f"{part} is below the first screen: {box(page, part)}"
        prompt, video = box(page, "#generate-prompt"), box(page, "#generate-video-1")
        assert video["x"] >= prompt["x"] + prompt["width"], "the video is not to the right of the form"
        if DOCS:
            page.screenshot(path=str(DOCS / "workspace.png"))


def test_on_a_phone_the_panes_stack_and_nothing_is_wider_than_the_screen(browser: Browser, app: RunningApp) -> None:
    with opened_page(browser, app.url, viewport=PHONE) as page:
        prompt, cost = box(page, "#generate-prompt"), box(page, "#generate-cost")
        assert cost["y"] > prompt["y"] + prompt["height"], "the result pane should come under the form"
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE[0]
        page.fill("#generate-prompt textarea", "a snail crossing a leaf")
        expect(page.locator("#generate-cost")).not_to_contain_text("Before you run", timeout=15_000)
        run = box(page, "#generate-run")
        assert run["x"] >= 0 and run["x"] + run["width"] <= PHONE[0], "Generate must be reachable on a phone"


def test_ctrl_enter_runs_with_the_buttons_checks_and_recent_prompts_are_one_click_away(
    browser: Browser, app: RunningApp
) -> None:
    with opened_page(browser, app.url, viewport=LAPTOP) as page:
        expect(page.locator("#generate-recent")).to_be_hidden()  # a new visitor has none yet
        status = page.locator("#generate-status #run-status")
        prompt = page.locator("#generate-prompt textarea")
        prompt.fill("   ")
        prompt.press("Control+Enter")
        expect(status).to_have_attribute("data-phase", "invalid", timeout=30_000)
        expect(status).to_contain_text("nothing was sent")
        prompt.fill("a red kite over a hill")
        prompt.press("Control+Enter")
        finished(page)
        assert prompt.input_value() == "a red kite over a hill", "the shortcut must not add a new line"
        page.wait_for_timeout(300)  # the next run starts from an idle tab
        prompt.fill("a blue kite over the sea")
        page.locator("#generate-run").click()
        expect(status).not_to_have_attribute("data-phase", "completed")  # the second run, not the first
        finished(page)
        page.get_by_role("tab", name="Image → Video").click()
        recent = page.locator("#image2video-recent")
        expect(recent).to_be_visible(timeout=15_000)
        recent.locator("input").click()
        options = page.get_by_role("option")
        expect(options.first).to_have_attribute("aria-label", "a blue kite over the sea")  # newest first
        page.get_by_role("option", name="a red kite over a hill").click()
        expect(page.locator("#image2video-prompt textarea")).to_have_value("a red kite over a hill")
