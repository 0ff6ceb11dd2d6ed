"""Ownership and secrets on a shared server, as a curious second visitor tries them.

One question decides whether a visitor may use a task, a run or a result link (``playground/ownership.py``):
the page's Remix by task id, Remix from a run of the page's list, a simulator result link through the API
and History's Resume all ask it. And the secret that signs identities never reaches a page.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from gradio_client import Client
from playwright.sync_api import Browser, expect

from playground.app import Playground, create_playground
from playground.runs import (
    Connection,
    Identities,
    Ownership,
    Refused,
    RunRecord,
    RunStore,
    browser_state_secret,
    load_secret,
    run_reference,
)
from playground.settings import Settings
from playground.simulator import SimulatorConfig, SimulatorServer

from .conftest import RunningApp, opened_page
from .test_browser import choose

SERVER_KEY = "sk-server-shared-0123456789"
SECRET = "operator-secret-for-the-isolation-suite"


class ServerKeyApp:
    def __init__(self, url: str, playground: Playground, service: SimulatorServer) -> None:
        self.url, self.playground, self.service = url, playground, service


@pytest.fixture(scope="module")
def shared_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerKeyApp]:
    """A team server: everyone runs on the operator's key (a simulator stands in for the provider)."""
    folder = tmp_path_factory.mktemp("shared")
    config = SimulatorConfig(queue_seconds=0.3, processing_seconds=1.0, progress_steps=2)
    with SimulatorServer.start_new(folder / "service", config) as service:
        # All these visitors share loopback: the per-network run rate (tested in test_visitors) is off.
        settings = Settings(api_key=SERVER_KEY, base_url=service.base_url, data_dir=folder / "app", runs_per_minute=0)
        playground = create_playground(settings, env={"PLAYGROUND_SECRET": SECRET, "UPLOAD_HOSTS": "loopback"})
        _, url, _ = playground.launch(prevent_thread_lock=True, quiet=True)
        try:
            yield ServerKeyApp(url.rstrip("/"), playground, service)
        finally:
            playground.close()


def run_to_end(page, action: str) -> None:
    """Press Generate and wait for the video (on a live key the page polls too seldom to catch each phase)."""
    page.locator(f"#{action}-run").click()
    expect(page.locator(f"#{action}-status #run-status")).to_have_attribute("data-phase", "completed", timeout=60_000)
    expect(page.locator(f"#{action}-video-1 video")).to_have_count(1, timeout=15_000)


# -- one visitor's task is not another's remix source ---------------------------------------------


async def test_a_run_reference_opens_only_its_owners_runs(tmp_path: Path) -> None:
    store = RunStore(tmp_path / "h.sqlite3")
    ownership = Ownership(store)
    alice = RunRecord(
        owner="alice",
        mode="server-key",
        key_fingerprint="k",
        action="generate",
        model="m",
        request={},
        phase="completed",
        task_id="task-a",
        urls=["https://cdn.example/a.mp4"],
    )
    store.add(alice)
    assert await ownership.run_video("alice", run_reference(alice.run_id, 0)) == "https://cdn.example/a.mp4"
    for owner, reference in (
        ("bob", run_reference(alice.run_id, 0)),
        ("alice", run_reference(alice.run_id, 1)),
        ("alice", "made-up/0"),
        ("alice", alice.run_id),
        ("bob", "https://cdn.example/a.mp4"),
    ):
        assert isinstance(await ownership.run_video(owner, reference), Refused), (owner, reference)
    shared = Connection("server-key", "https://api.example", SERVER_KEY)
    assert isinstance(await ownership.task("bob", shared, "task-a"), Refused)
    assert (await ownership.task("alice", shared, "task-a")).record.run_id == alice.run_id
    assert (await ownership.task("bob", shared, "task-unknown")).record is None  # nobody here made it
    # On a visitor's own key the provider decides: a teammate with the same key sees the same tasks.
    assert not isinstance(await ownership.task("bob", Connection("visitor-key", "x", "k2"), "task-a"), Refused)


def test_a_demo_result_link_remixes_only_for_its_owner(app: RunningApp) -> None:
    alice, bob = Client(app.url, verbose=False), Client(app.url, verbose=False)
    _, task = alice.predict("A red fox running through fresh snow", api_name="/generate", duration=4)
    link = task["result"]["videos"][0]["url"][0]
    sent = len(app.sim.submissions())
    with pytest.raises(Exception, match="belongs to another visitor"):
        bob.predict("Bob steals the fox", link, api_name="/remix", duration=4)
    assert len(app.sim.submissions()) == sent
    _, remixed = alice.predict("The fox keeps running", link, api_name="/remix", duration=4)
    assert remixed["status"] == "completed"
    assert app.sim.submissions()[-1].body["first_frame_image"] == link


# -- the signing secret is never published ----------------------------------------------------------


def _mint_v1(secret: str) -> str:
    """A token as the earlier versions signed it: with the very secret their pages published."""
    nonce = "minted-by-someone-who-read-the-page"
    return f"v1.{nonce}.{hmac.new(secret.encode(), nonce.encode(), hashlib.sha256).hexdigest()[:32]}"


def test_the_page_never_carries_the_signing_secret(shared_app: ServerKeyApp) -> None:
    config = httpx.get(f"{shared_app.url}/config", timeout=30).text
    page = httpx.get(f"{shared_app.url}/", timeout=30).text
    published = browser_state_secret(SECRET)
    assert published in config, "BrowserState's own secret is what the page gets"
    for text in (config, page):
        assert SECRET not in text
    identities = shared_app.playground.context.identities
    assert SECRET not in repr(identities)
    # Whatever the page publishes, it signs nothing: tokens minted with it, or the old way, are refused.
    assert not identities.valid(_mint_v1(SECRET))
    assert not identities.valid(_mint_v1(published))
    assert not Identities(published).valid(identities.issue())
    assert identities.valid(identities.issue())


def test_the_secret_file_of_the_published_era_is_replaced(tmp_path: Path) -> None:
    old = tmp_path / "identity-secret"
    old.write_text("published-long-ago")
    secret = load_secret(tmp_path)
    assert secret != "published-long-ago" and not old.exists()
    assert load_secret(tmp_path) == secret  # stable across restarts
    assert not Identities(secret).valid(_mint_v1("published-long-ago"))


# -- in the page (last: the sync browser holds an event loop for the rest of the module) ----------------


@pytest.mark.browser
def test_remix_by_another_visitors_task_id_is_refused_and_sends_nothing(
    browser: Browser, shared_app: ServerKeyApp
) -> None:
    sim = shared_app.service.sim
    with opened_page(browser, shared_app.url) as alice, opened_page(browser, shared_app.url) as bob:
        alice.fill("#generate-prompt textarea", "Alice's lighthouse at dawn")
        choose(alice, "generate-duration", "4")
        run_to_end(alice, "generate")
        task_id = alice.locator("#generate-status .task-id code").inner_text()
        alice_url = sim.media_url(sim.tasks[task_id], 0)
        sent = len(sim.submissions())

        bob.get_by_role("tab", name="Remix").click()
        expect(bob.locator("#remix-cost h3")).to_be_visible(timeout=15_000)
        choose(bob, "remix-from", "A task id")
        bob.fill("#remix-source-task textarea", task_id)
        bob.fill("#remix-prompt textarea", "Bob continues Alice's video")
        bob.locator("#remix-run").click()
        expect(bob.locator("#remix-status")).to_contain_text("belongs to another visitor", timeout=15_000)
        bob.wait_for_timeout(1_000)  # time for a wrongly sent run to reach the service
        assert len(sim.submissions()) == sent, "nothing may be sent on another visitor's task"
        assert alice_url not in bob.content(), "Bob's page (its request JSON included) never shows Alice's link"

        # Alice herself may remix it, by the same id.
        alice.get_by_role("tab", name="Remix").click()
        choose(alice, "remix-from", "A task id")
        alice.fill("#remix-source-task textarea", task_id)
        alice.fill("#remix-prompt textarea", "The lighthouse beam sweeps the sea")
        run_to_end(alice, "remix")
        assert sim.submissions()[-1].body["first_frame_image"] == alice_url
