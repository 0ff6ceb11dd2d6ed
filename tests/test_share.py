"""Share links, fetched as a stranger would: a plain HTTP client with no cookies and no session."""

from __future__ import annotations

import re

import httpx
import pytest
from gradio_client import Client

from .conftest import RunningApp

PROMPT = "a glass whale drifting over a night city"


@pytest.fixture(scope="module")
def shared(app: RunningApp) -> tuple[Client, dict, str]:
    owner = Client(app.url, verbose=False)
    _, task = owner.predict(PROMPT, "veo3.1-fast-official", 4, api_name="/generate")
    url = owner.predict(task["task_id"], api_name="/share")["url"]
    return owner, task, url


def _absolute(app: RunningApp, url: str) -> str:
    return url if url.startswith("http") else app.url + url


def _meta(page: str, name: str) -> str:
    found = re.search(rf'<meta (?:property|name)="{re.escape(name)}" content="([^"]*)"', page)
    assert found, f"no {name} tag"
    return found.group(1).replace("&amp;", "&")


def test_the_share_page_plays_the_video_and_unfolds_with_its_tags(app: RunningApp, shared) -> None:
    _, _, url = shared
    with httpx.Client(timeout=30) as stranger:
        page = stranger.get(_absolute(app, url))
        assert page.status_code == 200 and "text/html" in page.headers["content-type"]
        assert PROMPT in page.text and "veo3.1-fast-official" in page.text
        video = stranger.get(_absolute(app, _meta(page.text, "og:video")))
        assert video.status_code == 200 and video.headers["content-type"] == "video/mp4"
        assert video.content[4:8] == b"ftyp"
        poster = stranger.get(_absolute(app, _meta(page.text, "og:image")))
        assert poster.status_code == 200 and poster.headers["content-type"] == "image/jpeg"
    assert _meta(page.text, "og:title") and _meta(page.text, "twitter:card") == "summary_large_image"
    assert _meta(page.text, "og:description").startswith(PROMPT[:20])
    assert "?share=" in page.text  # "Open in the playground"


def test_the_share_page_names_no_key_owner_or_server_path(app: RunningApp, shared) -> None:
    _, task, url = shared
    page = httpx.get(_absolute(app, url), timeout=30).text
    record = next(r for r in app.playground.context.store.runs_of_task(task["task_id"]))
    for secret in (record.owner, record.key_fingerprint, str(app.playground.context.media_dir), "/tmp/", "sk-"):
        assert secret not in page, f"the share page shows {secret!r}"
    assert record.run_id not in page, "the page is reached through its token only"


def test_made_up_revoked_and_other_visitors_tokens_answer_404(app: RunningApp, shared) -> None:
    owner, task, url = shared
    page_url = _absolute(app, url)
    with httpx.Client(timeout=30) as stranger:
        assert stranger.get(app.url + "/share/not-a-real-token").status_code == 404
        assert stranger.get(page_url + "/video-1.mp4").status_code == 404, "only the run's own files"
        for name in ("video-x.mp4", "%2e%2e%2fhistory.sqlite3", "history.sqlite3", "video-0.jpg"):
            assert stranger.get(f"{page_url}/{name}").status_code == 404, name
        other = Client(app.url, verbose=False)  # another visitor, with the owner's task id
        with pytest.raises(Exception, match="no finished run of yours"):
            other.predict(task["task_id"], api_name="/share")
        assert other.predict(task["task_id"], api_name="/unshare") == {"revoked": False}
        assert stranger.get(page_url).status_code == 200, "another visitor cannot revoke it"
        assert owner.predict(task["task_id"], api_name="/unshare") == {"revoked": True}
        assert stranger.get(page_url).status_code == 404
        assert stranger.get(page_url + "/video-0.mp4").status_code == 404
    again = owner.predict(task["task_id"], api_name="/share")["url"]
    assert again != url, "a new link after a revoke, never the revoked one back"


@pytest.mark.browser
def test_open_in_the_playground_fills_the_tab_and_runs_nothing(browser, app: RunningApp, shared) -> None:
    from playwright.sync_api import expect

    from .conftest import opened_page

    owner, task, _ = shared
    url = owner.predict(task["task_id"], api_name="/share")["url"]  # live, whichever test revoked the first
    token = url.rstrip("/").rsplit("/", 1)[-1]
    before = len(app.sim.submissions())
    with opened_page(browser, f"{app.url}/?share={token}") as page:
        expect(page.locator("#generate-prompt textarea")).to_have_value(PROMPT, timeout=15_000)
        expect(page.locator("#generate-duration input[value='4']")).to_be_checked()
        page.wait_for_timeout(500)
    assert len(app.sim.submissions()) == before, "nothing runs until Generate"


@pytest.mark.browser
def test_the_tab_and_history_share_one_link_listed_and_revoked(page, app: RunningApp) -> None:
    from playwright.sync_api import expect

    from .test_browser import choose, run_and_wait

    page.fill("#generate-prompt textarea", "a red kite over dunes, shared")
    choose(page, "generate-duration", "4")
    run_and_wait(page, "generate")
    page.locator("#generate-share").click()  # the result pane's Share gives the link History gives
    from_tab = page.locator("#generate-share-link textarea, #generate-share-link input").first
    expect(from_tab).to_have_value(re.compile(r"/share/[A-Za-z0-9_-]{20,}$"), timeout=10_000)
    assert httpx.get(_absolute(app, from_tab.input_value()), timeout=30).status_code == 200
    page.get_by_role("tab", name="History").click()
    expect(page.locator("#history-gallery")).to_contain_text("completed", timeout=15_000)
    page.locator("#history-gallery .thumbnail-item").first.click()
    page.locator("#history-share").click()
    link = page.locator("#history-share-link textarea, #history-share-link input").first
    expect(link).to_have_value(re.compile(r"/share/[A-Za-z0-9_-]{20,}$"), timeout=10_000)
    url = link.input_value()
    assert url == from_tab.input_value(), "one run, one link, whichever button made it"
    assert httpx.get(_absolute(app, url), timeout=30).status_code == 200
    page.get_by_text("Your share links").click()
    expect(page.locator("#history-share-list")).to_contain_text(url.rsplit("/", 1)[-1])
    page.locator("#history-unshare").click()
    expect(link).to_have_value("", timeout=10_000)
    assert httpx.get(_absolute(app, url), timeout=30).status_code == 404
