"""History, resume and isolation as a visitor meets them in Chromium, in demo mode.

A refresh mid-task resumes by itself; two browsers never see each other's runs; a past run can be
played, copied back into its form, and remixed by its task id.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from .conftest import RunningApp, opened_page
from .test_browser import DOCS, choose, run_and_wait

pytestmark = pytest.mark.browser


@pytest.fixture
def visitor(browser: Browser, app: RunningApp) -> Iterator[Page]:
    with opened_page(browser, app.url) as page:
        yield page


def open_history(page: Page) -> None:
    page.get_by_role("tab", name="History").click()
    expect(page.locator("#history-refresh")).to_be_visible()


def test_a_refresh_mid_task_resumes_and_finishes_in_place(visitor: Page, app: RunningApp, slow_tasks) -> None:
    sent_before = len(app.sim.submissions())
    visitor.fill("#generate-prompt textarea", "A hot air balloon drifting over a canyon")
    choose(visitor, "generate-duration", "4")
    visitor.locator("#generate-run").click()
    status = visitor.locator("#generate-status #run-status")
    task_code = status.locator(".task-id code")
    expect(task_code).to_contain_text("task-wave", timeout=30_000)
    task_id = task_code.inner_text()
    expect(status).to_have_attribute("data-phase", "processing", timeout=30_000)

    visitor.reload()
    expect(visitor.locator("#generate-status .task-id code")).to_have_text(task_id, timeout=30_000)
    expect(visitor.locator("#generate-status #run-status")).to_have_attribute("data-phase", "completed", timeout=60_000)
    expect(visitor.locator("#generate-video-1 video")).to_have_count(1, timeout=15_000)
    assert len(app.sim.submissions()) == sent_before + 1, "a refresh must not submit the task again"

    visitor.reload()  # once it has been shown, the finished run is not replayed on every load
    expect(visitor.locator("#generate-cost h3")).to_be_visible(timeout=30_000)
    visitor.wait_for_timeout(2_000)  # time for a wrongly replayed run to show up
    expect(visitor.locator("#generate-status")).to_contain_text("Ready.")


def test_two_browsers_never_see_each_others_runs(browser: Browser, app: RunningApp) -> None:
    with opened_page(browser, app.url) as alice, opened_page(browser, app.url) as bob:
        alice.fill("#generate-prompt textarea", "Alice's lighthouse at dawn")
        choose(alice, "generate-duration", "4")
        run_and_wait(alice, "generate")
        task_id = alice.locator("#generate-status .task-id code").inner_text()
        open_history(alice)
        expect(alice.locator("#history-gallery")).to_contain_text("completed", timeout=15_000)

        open_history(bob)
        expect(bob.locator("#history-empty")).to_contain_text("No runs yet", timeout=15_000)
        expect(bob.locator("#history-gallery")).not_to_contain_text("completed")
        # Knowing the id is not enough: a task another browser started stays theirs.
        bob.fill("#history-resume-id textarea", task_id)
        bob.locator("#history-resume").click()
        expect(bob.locator("#history-status #run-status")).to_have_attribute("data-phase", "error", timeout=15_000)
        expect(bob.locator("#history-status")).to_contain_text("belongs to another visitor")
        expect(bob.locator("#history-video video")).to_have_count(0)


def test_a_past_run_plays_copies_back_and_remixes_by_task_id(visitor: Page, app: RunningApp) -> None:
    prompt = "A paper crane unfolding itself on a wooden desk"
    visitor.fill("#generate-prompt textarea", prompt)
    choose(visitor, "generate-duration", "6")
    run_and_wait(visitor, "generate")
    task_id = visitor.locator("#generate-status .task-id code").inner_text()
    visitor.fill("#generate-prompt textarea", "something else entirely")

    open_history(visitor)
    visitor.locator("#history-gallery .thumbnail-item").first.click()
    expect(visitor.locator("#history-details")).to_contain_text(task_id, timeout=15_000)
    expect(visitor.locator("#history-details")).to_contain_text(prompt)
    expect(visitor.locator("#history-video video")).to_have_count(1, timeout=15_000)
    if DOCS is not None:
        visitor.screenshot(path=str(DOCS / "history.png"), full_page=True)

    visitor.locator("#history-copy").click()
    expect(visitor.locator("#generate-prompt textarea")).to_have_value(prompt, timeout=15_000)
    expect(visitor.locator("#generate-duration input[value='6']")).to_be_checked()

    open_history(visitor)
    visitor.locator("#history-gallery .thumbnail-item").first.click()
    expect(visitor.locator("#history-details")).to_contain_text(task_id, timeout=15_000)
    visitor.locator("#history-remix").click()
    expect(visitor.locator("#remix-cost h3")).to_be_visible(timeout=15_000)
    expect(visitor.locator("#remix-source-task textarea")).to_have_value(task_id)
    visitor.fill("#remix-prompt textarea", "The crane flies out of the window")
    sent_before = len(app.sim.submissions())
    run_and_wait(visitor, "remix")
    body = app.sim.submissions()[sent_before].body
    assert body["action"] == "remix" and task_id in body["first_frame_image"]
