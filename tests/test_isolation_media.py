"""Finding 6 of issue 13: a visitor's videos and posters were served at ``/gradio_api/file=<absolute path>``
to anyone with the link, for ever, and the link showed the server's folder layout.

Now the page, History and the API hand out ``/media/v/<token>/<name>`` links: the token names the run, the
file and an expiry, signed by the server. These tests look at what a visitor's browser and a stranger's
plain HTTP client actually get.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from gradio_client import Client
from playwright.sync_api import Browser, Page, expect

from playground.app import Playground, create_playground
from playground.runs import MediaLinks, RunRecord
from playground.settings import Settings

from .conftest import RunningApp, opened_page
from .test_browser import choose, run_and_wait

LINK = "/media/v/"


def assert_names_no_server_path(link: str, playground: Playground) -> None:
    media_dir = str(playground.context.media_dir.resolve())
    for leak in (media_dir, str(playground.context.settings.data_dir), "/tmp", "gradio_api/file=", "sample-1.mp4/"):
        assert leak not in link, f"{link} reveals {leak!r}"
    assert LINK in link, f"{link} is not a signed media link"


def record_of(playground: Playground, task_id: str) -> RunRecord:
    (record,) = playground.context.store.runs_of_task(task_id)
    return record


def copies_in_gradio_cache(playground: Playground, original: Path, since: float) -> list[Path]:
    """Files Gradio put in its cache since then with the same bytes: it serves those at /gradio_api/file=/tmp/...."""
    wanted = hashlib.sha256(original.read_bytes()).digest()
    size = original.stat().st_size
    cache = Path(playground.blocks.GRADIO_CACHE)
    return [
        p
        for p in cache.rglob("*")
        if p.is_file()
        and p.stat().st_size == size
        and p.stat().st_mtime >= since
        and hashlib.sha256(p.read_bytes()).digest() == wanted
    ]


def wait_until_playable(page: Page, selector: str) -> None:
    expect(page.locator(selector)).to_have_count(1, timeout=15_000)
    page.wait_for_function(
        "(sel) => { const v = document.querySelector(sel); return v && v.readyState >= 1 && v.duration > 3; }",
        arg=selector,
        timeout=15_000,
    )


def open_history_and_play_newest(page: Page) -> tuple[str, str]:
    """The poster's and the History video's links, as the browser got them."""
    page.get_by_role("tab", name="History").click()
    gallery = page.locator("#history-gallery")
    expect(gallery).to_contain_text("completed", timeout=15_000)
    poster = gallery.locator("img").first.get_attribute("src") or ""
    gallery.locator(".thumbnail-item").first.click()
    wait_until_playable(page, "#history-video video")
    return poster, page.locator("#history-video video").get_attribute("src") or ""


# -- in the browser -------------------------------------------------------------------------------


@pytest.mark.browser
def test_a_visitors_links_name_no_server_path_and_strangers_get_no_file(browser: Browser, app: RunningApp) -> None:
    started = time.time() - 1
    with opened_page(browser, app.url) as alice:
        alice.fill("#generate-prompt textarea", f"Alice's private lighthouse at dawn {uuid.uuid4().hex[:8]}")
        choose(alice, "generate-duration", "4")
        run_and_wait(alice, "generate")
        task_id = alice.locator("#generate-status .task-id code").inner_text()
        page_video = alice.locator("#generate-video-1 video").get_attribute("src") or ""
        poster, history_video = open_history_and_play_newest(alice)
        download = alice.locator("#history-video a[download]")
        download_href = download.first.get_attribute("href") if download.count() else None

    links = [page_video, poster, history_video] + ([download_href] if download_href else [])
    for link in links:
        assert_names_no_server_path(link, app.playground)
    record = record_of(app.playground, task_id)
    video, poster_file = Path(record.files[0]), Path(record.poster or "")
    assert video.exists() and poster_file.exists()

    with httpx.Client(base_url=app.url, timeout=10) as stranger:  # no cookies, no page: only a guessed path
        for path in (video, poster_file, video.resolve()):
            answer = stranger.get(f"/gradio_api/file={path}")
            assert 400 <= answer.status_code < 500, f"{path} was served: {answer.status_code}"
    assert copies_in_gradio_cache(app.playground, video, started) == [], (
        "Gradio copied the video into its cache, where /gradio_api/file=/tmp/... serves it to anyone"
    )

    with httpx.Client(timeout=10) as own:
        answer = own.get(history_video)
        assert answer.status_code == 200 and answer.headers["content-type"] == "video/mp4"
        assert answer.content == video.read_bytes()
        assert own.get(poster).headers["content-type"] == "image/jpeg"


@pytest.mark.browser
def test_after_a_restart_history_still_plays_the_visitors_video(browser: Browser, tmp_path: Path) -> None:
    settings = Settings(demo=True, sim_queue_seconds=0.5, sim_processing_seconds=3.0, data_dir=tmp_path / "data")
    first = create_playground(settings, env={})
    _, url, _ = first.launch(prevent_thread_lock=True, quiet=True)
    try:
        with opened_page(browser, url) as visitor:
            visitor.fill("#generate-prompt textarea", "A kite over the dunes, before the restart")
            choose(visitor, "generate-duration", "4")
            run_and_wait(visitor, "generate")
            state = visitor.context.storage_state()  # the browser's identity lives in its localStorage
    finally:
        first.close()

    second = create_playground(settings, env={})
    _, url2, _ = second.launch(prevent_thread_lock=True, quiet=True)
    try:
        origin = "{0.scheme}://{0.netloc}".format(urlsplit(url2))
        for saved in state["origins"]:
            saved["origin"] = origin  # the same browser, now talking to the restarted server on its new port
        context = browser.new_context(viewport={"width": 1280, "height": 1100}, storage_state=state)
        try:
            page = context.new_page()
            page.goto(url2)
            expect(page.locator("#generate-cost h3")).to_be_visible(timeout=30_000)
            poster, video = open_history_and_play_newest(page)
        finally:
            context.close()
        for link in (poster, video):
            assert_names_no_server_path(link, second)
            assert link.startswith(origin)
        answer = httpx.get(video, timeout=10)
        assert answer.status_code == 200 and answer.headers["content-type"] == "video/mp4"
    finally:
        second.close()


# -- over plain HTTP ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def api_run(app: RunningApp) -> tuple[RunRecord, dict]:
    """One finished API run, and its first file as gradio_client receives it (not downloaded)."""
    client = Client(app.url, verbose=False, download_files=False)
    videos, task = client.predict("A snail crossing a garden path", api_name="/generate", duration=4)
    return record_of(app.playground, task["task_id"]), videos[0]


@pytest.fixture
def links(app: RunningApp) -> MediaLinks:
    return app.playground.context.media_links


@pytest.fixture
def http(app: RunningApp) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=app.url, timeout=10) as client:
        yield client


def test_api_results_are_signed_links_that_play_with_range_requests(app: RunningApp, api_run) -> None:
    record, file_data = api_run
    for value in (file_data.get("url") or "", file_data.get("path") or ""):
        assert_names_no_server_path(value, app.playground)
    answer = httpx.get(file_data["url"], timeout=10)
    assert answer.status_code == 200 and answer.headers["content-type"] == "video/mp4"
    assert answer.content == Path(record.files[0]).read_bytes()
    assert "private" in answer.headers["cache-control"] and answer.headers["x-content-type-options"] == "nosniff"
    part = httpx.get(file_data["url"], headers={"Range": "bytes=0-99"}, timeout=10)
    assert part.status_code == 206 and len(part.content) == 100 and part.content == answer.content[:100]
    assert part.headers["content-range"].startswith("bytes 0-99/")
    # gradio_client's ordinary download fetches the same link and gets the video.
    (downloaded, *_), _ = Client(app.url, verbose=False).predict("A snail, again", api_name="/generate", duration=4)
    assert Path(downloaded).read_bytes()[4:8] == b"ftyp"


def test_forged_expired_and_unknown_links_all_get_the_same_404(
    app: RunningApp, api_run, links: MediaLinks, http: httpx.Client
) -> None:
    record, _ = api_run
    good = links.path(record.run_id, "0")
    assert http.get(good).status_code == 200
    token, name = good[len(LINK) :].split("/")
    tampered_sig = token[:-1] + ("A" if token[-1] != "A" else "B")
    tampered_run = ("a" if token[0] != "a" else "b") + token[1:]
    lifetime = links.lifetime_seconds
    bad = {
        "tampered signature": f"{LINK}{tampered_sig}/{name}",
        "tampered run id": f"{LINK}{tampered_run}/{name}",
        "expired": links.path(record.run_id, "0", now=time.time() - lifetime - 3600),
        "unknown run": links.path(uuid.uuid4().hex, "0"),
        "no such sample": links.path(record.run_id, "3"),
        "another server's secret": MediaLinks(b"another secret", links.store, links.media_dir).path(record.run_id, "0"),
        "another file name": f"{LINK}{token}/history.sqlite3",
        "no token": f"{LINK}x/{name}",
        "path in the token": f"{LINK}..%2F..%2Fhistory.sqlite3/{name}",
    }
    answers = {why: http.get(path) for why, path in bad.items()}
    bodies = {answer.content for answer in answers.values()}
    for why, answer in answers.items():
        assert answer.status_code == 404, f"{why}: {answer.status_code}"
    assert len(bodies) == 1, "every refusal must look the same"
    assert links.path(record.run_id, "0", now=time.time() - lifetime + 600) != good  # still valid, re-signed


def test_posters_are_signed_too_and_status_cards_are_plain_tiles(
    app: RunningApp, api_run, links: MediaLinks, http: httpx.Client
) -> None:
    record, _ = api_run
    poster = http.get(links.path(record.run_id, "poster"))
    assert poster.status_code == 200 and poster.headers["content-type"] == "image/jpeg"
    assert poster.content == Path(record.poster or "").read_bytes()
    card = http.get("/media/card/failed.png")
    assert card.status_code == 200 and card.headers["content-type"] == "image/png"
    assert http.get("/media/card/..%2Fhistory.png").status_code == 404
    assert http.get("/media/card/made-up-phase.png").status_code == 404
