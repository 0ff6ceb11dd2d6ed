"""Sign in with Hugging Face, in Chromium, against ``python app.py`` processes on loopback.

Outside a Space Gradio signs a visitor in as the machine's own Hugging Face user (asked of the hub
once at start-up), so each app here is started with ``HF_ENDPOINT`` at a fake hub on 127.0.0.1 and
one user's token: "alice's server" and "bob's server" share one data folder and secret, as replicas
of one deployment would, and a third server allows only carol. The browser goes through Gradio's
real login routes and session cookie; nothing reaches the internet.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from playwright.sync_api import Browser, Page, expect

from playground.runs import Account, AccountKind, RunStore
from playground.simulator import SimulatorConfig, SimulatorServer

from .conftest import opened_page
from .fake_hub import HubUser, fake_hub
from .processes import free_port
from .test_browser import choose
from .test_restart import start_app, wait_until_up

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ALICE, BOB = HubUser("alice", "hf_alice_token"), HubUser("bob", "hf_bob_token")


@dataclass
class Servers:
    alice: str
    bob: str
    carol_only: str
    sim: SimulatorServer
    store: RunStore


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    root = tmp_path_factory.mktemp("signin")
    shared = root / "shared"
    config = SimulatorConfig(queue_seconds=0.5, processing_seconds=1.5, progress_steps=3)
    with fake_hub(ALICE, BOB) as hub, SimulatorServer.start_new(root / "sim", config) as sim:
        common = {
            "HF_ENDPOINT": hub.url,
            "PLAYGROUND_SIGN_IN": "1",
            "PLAYGROUND_SECRET": "one deployment, two servers",
            "PLAYGROUND_BUDGET_PER_USER_USD": "0.5",  # one $0.32 run each, not two
            "PLAYGROUND_BUDGET_PER_VISITOR_USD": "5",
            "SIM_QUEUE_SECONDS": "0.3",  # the demo runs of visitors off the list
            "SIM_PROCESSING_SECONDS": "1.5",
        }
        plan = {
            "alice": (shared, {"HF_TOKEN": ALICE.token}),
            "bob": (shared, {"HF_TOKEN": BOB.token}),
            "carol_only": (root / "carol", {"HF_TOKEN": ALICE.token, "PLAYGROUND_ALLOWED_USERS": "carol"}),
        }
        ports = {name: free_port() for name in plan}
        procs: dict[str, subprocess.Popen] = {}
        try:
            for name, (data, env) in plan.items():
                procs[name] = start_app(data, sim.base_url, ports[name], wait=False, **common, **env)
            for name, proc in procs.items():
                wait_until_up(proc, ports[name])
            urls = {name: f"http://127.0.0.1:{port}/" for name, port in ports.items()}
            yield Servers(urls["alice"], urls["bob"], urls["carol_only"], sim, RunStore(shared / "history.sqlite3"))
        finally:
            for proc in procs.values():
                proc.terminate()
            for proc in procs.values():
                proc.wait(10)


def sign_in(page: Page, name: str) -> None:
    page.locator("#sign-in").click()
    expect(page.locator("#mode-banner")).to_contain_text(f"Signed in as @{name}", timeout=30_000)
    expect(page.locator("#generate-cost h3")).to_be_visible(timeout=30_000)


def run(page: Page, prompt: str) -> str:
    """Start a 4 s generate run; the phase it ends in (``invalid`` when refused before sending)."""
    page.fill("#generate-prompt textarea", prompt)
    choose(page, "generate-duration", "4")
    page.locator("#generate-run").click()
    status = page.locator("#generate-status #run-status")
    expect(status).to_have_attribute("data-phase", re.compile("^(completed|error|invalid)$"), timeout=60_000)
    return status.get_attribute("data-phase") or ""


def history_of(page: Page) -> Page:
    page.get_by_role("tab", name="History").click()
    expect(page.locator("#history-refresh")).to_be_visible()
    return page


def owner_of(name: str) -> str:
    # Outside a Space Gradio's stand-in sign-in gives every user the same ``sub``.
    return Account(AccountKind.HUGGING_FACE, name, "11111111111111111111111").owner


def test_runs_before_sign_in_join_the_account_and_follow_it_to_another_browser(
    browser: Browser, servers: Servers
) -> None:
    with opened_page(browser, servers.alice) as first:
        assert run(first, "a heron at dawn, before signing in") == "completed"
        sign_in(first, "alice")
        expect(first.locator("#account-note")).to_contain_text("1 run(s) this browser made before you signed in")
        expect(history_of(first).locator("#history-gallery")).to_contain_text("completed", timeout=15_000)
    (record,) = servers.store.history(owner_of("alice"))
    assert record.request["prompt"] == "a heron at dawn, before signing in"
    with opened_page(browser, servers.alice) as second:  # another laptop: nothing of alice's until she signs in
        expect(history_of(second).locator("#history-empty")).to_contain_text("No runs yet", timeout=15_000)
        sign_in(second, "alice")
        expect(history_of(second).locator("#history-gallery")).to_contain_text("completed", timeout=15_000)


def test_two_users_have_their_own_history_and_allowance(browser: Browser, servers: Servers) -> None:
    with opened_page(browser, servers.alice) as alice:
        sign_in(alice, "alice")
        phases = [run(alice, f"alice's kite {n}") for n in range(2)]
        assert "invalid" in phases, "alice's $0.50 allowance holds one $0.32 run, not two"
        expect(alice.locator("#generate-status")).to_contain_text("of your $0.50 allowance")
    with opened_page(browser, servers.bob) as bob:
        sign_in(bob, "bob")
        expect(history_of(bob).locator("#history-empty")).to_contain_text("No runs yet", timeout=15_000)
        bob.get_by_role("tab", name="Text → Video").click()
        assert run(bob, "bob's kite") == "completed", "bob's allowance is his own"
    assert [r.request["prompt"] for r in servers.store.history(owner_of("bob"))] == ["bob's kite"]
    assert "bob's kite" not in [r.request["prompt"] for r in servers.store.history(owner_of("alice"))]


def test_a_signed_in_outsider_is_told_why_and_runs_in_demo_mode(browser: Browser, servers: Servers) -> None:
    with opened_page(browser, servers.carol_only) as page:
        expect(page.locator("#mode-banner")).to_contain_text("sign in with Hugging Face as an allowed user")
        sign_in(page, "alice")
        banner = page.locator("#mode-banner")
        expect(banner).to_contain_text("@alice is not on this server's list")
        expect(banner).to_contain_text("Demo mode")
        page.get_by_role("button", name="Wave API key").click()  # their own key is still welcome
        expect(page.locator("#api-key")).to_be_visible()
        sent_before = len(servers.sim.sim.submissions())
        assert run(page, "a kite in demo mode") == "completed"
    assert len(servers.sim.sim.submissions()) == sent_before, "the server's key was not used"
