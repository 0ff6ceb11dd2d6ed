"""Two visitors at once in Chromium, each with their own key, on a Space that has no key of its own.

The service sees every request carrying its own visitor's key; neither page ever shows the other's
task, and no page, stored value or log line shows either key.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from playground.simulator import key_fingerprint

from .test_browser import choose
from .test_secrets import CANARY, Scan, logs_at_debug
from .visitor_app import VisitorApp, visitor_app

pytestmark = pytest.mark.browser
TASK_ID = re.compile(r"task-wave[0-9a-f]+")


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[VisitorApp]:
    with visitor_app(tmp_path_factory.mktemp("browser-secrets")) as running:
        running.service.config.valid_keys = set()
        yield running


def visit(browser: Browser, live: VisitorApp, key: str, prompt: str) -> tuple[BrowserContext, Page]:
    """A visitor opens the page, types their key and a prompt; the banner says runs use their key."""
    live.sim.config.valid_keys.add(key)
    context = browser.new_context(viewport={"width": 1280, "height": 1100})
    page = context.new_page()
    page.goto(live.url)
    expect(page.locator("#generate-cost h3")).to_be_visible(timeout=30_000)
    page.get_by_text("Wave API key", exact=True).click()
    page.fill("#api-key input", key)
    expect(page.locator("#mode-banner")).to_contain_text("your", timeout=10_000)
    page.fill("#generate-prompt textarea", prompt)
    choose(page, "generate-duration", "4")
    return context, page


def finished_task(page: Page) -> str:
    status = page.locator("#generate-status #run-status")
    expect(status).to_have_attribute("data-phase", "completed", timeout=60_000)
    return status.locator(".task-id code").inner_text()


def everything_shown(page: Page) -> str:
    """The page with its request/curl panel open and the history tab visited, plus what it stores."""
    page.get_by_text("Request JSON and curl").first.click()
    expect(page.locator("#generate-curl")).to_contain_text("WAVE_API_KEY", timeout=10_000)
    shown = page.content()
    page.get_by_role("tab", name="History").click()
    expect(page.locator("#history-refresh")).to_be_visible()
    page.locator("#history-refresh").click()
    page.wait_for_timeout(1_500)
    shown += page.content()
    shown += page.evaluate("() => JSON.stringify({...localStorage}) + JSON.stringify({...sessionStorage})")
    shown += "\n".join(c["value"] for c in page.context.cookies())
    return shown


def test_two_visitors_with_their_own_keys_stay_apart(
    browser: Browser, live: VisitorApp, capfd: pytest.CaptureFixture, request: pytest.FixtureRequest
) -> None:
    keys = {"alice": f"sk-{CANARY}-alice", "bob": f"sk-{CANARY}-bob"}
    prompts = {"alice": "Alice's lighthouse at dawn", "bob": "Bob's submarine at dusk"}
    with logs_at_debug() as logs:
        visitors = {name: visit(browser, live, keys[name], prompts[name]) for name in keys}
        try:
            for _, page in visitors.values():  # both runs are in flight at the same time
                page.locator("#generate-run").click()
            tasks = {name: finished_task(page) for name, (_, page) in visitors.items()}
            shown = {name: everything_shown(page) for name, (_, page) in visitors.items()}
        finally:
            for context, _ in visitors.values():
                context.close()
    out, err = capfd.readouterr()

    owner_of = {tasks[n]: key_fingerprint(keys[n]) for n in keys} | {prompts[n]: key_fingerprint(keys[n]) for n in keys}
    checked = [
        (
            r.key,
            next((owner_of[t] for t in tasks.values() if t in r.path), None)
            or owner_of.get((r.body or {}).get("prompt")),
        )
        for r in live.sim.requests
    ]
    wrong_key = [sent for sent, owner in checked if sent != owner]
    cross = {name: set(TASK_ID.findall(shown[name])) - {tasks[name]} for name in keys}
    scan = Scan(keys=set(keys.values()))
    for name in keys:
        scan.add(f"{name}'s page", shown[name])
    scan.add("log records", "\n".join(logs.lines))
    scan.add("stdout", out)
    scan.add("stderr", err)
    leaks = scan.leaks()
    with request.config.pluginmanager.getplugin("capturemanager").global_and_fixture_disabled():
        print("\n\nTwo browsers, two keys: figures")
        print(f"  {'requests checked for their own key:':38} {len(checked)}, on the wrong key: {len(wrong_key)}")
        print(f"  {'tasks shown on the other page:':38} {sum(len(c) for c in cross.values())}")
        print(f"  {'leaks found (pages, storage, logs):':38} {len(leaks)}")

    assert len(checked) >= 4 and not wrong_key, "a request went out on another visitor's key"
    assert sorted(r.body["prompt"] for r in live.sim.submissions() if r.body) == sorted(prompts.values())
    for name, other in (("alice", "bob"), ("bob", "alice")):
        assert tasks[name] in shown[name], f"{name}'s own task is not on their page"
        assert not cross[name], f"{name}'s page shows {other}'s task"
        assert prompts[other] not in shown[name], f"{name}'s page shows {other}'s prompt"
    assert not leaks, leaks
