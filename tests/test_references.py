"""Reference images (``image_urls``) and ``callback_events`` (issue 16, "Every parameter"): from the page
(Chromium, en-US) and from ``gradio_client``, into the body the simulator received; refused with
nothing sent where the catalog says no. Nothing leaves 127.0.0.1: the callback host resolves through a
stand-in DNS, and every run here completes while subscribing only to ``failed``, so no callback is posted.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import av
import pytest
from gradio_client import Client, handle_file
from PIL import Image
from playwright.sync_api import Browser, Page, expect

from playground import veo
from playground.net import fetch
from playground.veo import FormValues, Unreadable, read_callback_events, read_image_urls

from .conftest import RunningApp, opened_page

#: A callback host the stand-in DNS answers with a public address; nothing is ever posted to it.
HOOK = "https://hooks.example.test/wave"
PUBLIC_ADDRESS = "93.184.215.14"


@pytest.fixture
def public_hook(monkeypatch: pytest.MonkeyPatch) -> None:
    """The app judges a callback URL by what its name resolves to; here the name resolves without a network."""
    real = fetch.system_resolver

    async def resolver(hostname: str, port: int) -> list[str]:
        return [PUBLIC_ADDRESS] if hostname == "hooks.example.test" else await real(hostname, port)

    monkeypatch.setattr(fetch, "system_resolver", resolver)


@pytest.fixture(scope="module")
def client(app: RunningApp) -> Client:
    return Client(app.url, verbose=False)


@pytest.fixture
def pngs(tmp_path: Path) -> list[str]:
    """Four distinct reference images: green, blue, yellow, grey."""
    paths = []
    for index, colour in enumerate([(20, 200, 20), (20, 20, 220), (230, 210, 20), (128, 128, 128)]):
        path = tmp_path / f"ref-{index + 1}.png"
        Image.new("RGB", (1280, 720), colour).save(path)
        paths.append(str(path))
    return paths


def body_of(app: RunningApp, prompt: str) -> dict:
    """The body the simulator received for the one submission with this prompt."""
    (body,) = [r.body for r in app.sim.submissions() if r.body and r.body.get("prompt") == prompt]
    return body


def first_frame_rgb(video_path: str) -> tuple[float, ...]:
    with av.open(video_path) as container:
        frame = next(container.decode(video=0)).to_image().convert("RGB").resize((32, 18))
    pixels = list(frame.get_flattened_data())
    return tuple(sum(p[i] for p in pixels) / len(pixels) for i in range(3))


# -- reading and judging: no app needed ----------------------------------------------------------


@pytest.mark.parametrize(
    "given,read",
    [
        (None, None),
        ("", None),
        ([], None),
        ("https://a.example/1.png", ["https://a.example/1.png"]),
        (
            "https://a.example/1.png\n https://a.example/w_1,h_2.png",
            ["https://a.example/1.png", "https://a.example/w_1,h_2.png"],
        ),
        (
            '["https://a.example/1.png", "https://a.example/2.png"]',
            ["https://a.example/1.png", "https://a.example/2.png"],
        ),
        ([" https://a.example/1.png ", {"path": "/tmp/x.png"}], ["https://a.example/1.png", {"path": "/tmp/x.png"}]),
    ],
)
def test_image_urls_are_read_from_a_list_a_json_text_or_lines(given, read) -> None:
    assert read_image_urls("image_urls", given) == read


@pytest.mark.parametrize(
    "given,read",
    [
        (None, None),
        ("failed", ["failed"]),
        ("completed, failed", ["completed", "failed"]),
        ('["completed"]', ["completed"]),
        (["failed", "failed"], ["failed"]),
    ],
)
def test_callback_events_are_read_from_a_list_or_a_comma_text(given, read) -> None:
    assert read_callback_events("callback_events", given) == read


@pytest.mark.parametrize("given", ["[not json", [1, 2], 7, {"a": 1}, ["x" * 500]])
def test_unreadable_lists_are_refused_by_name(given) -> None:
    for name, reader in (("image_urls", read_image_urls), ("callback_events", read_callback_events)):
        if name == "image_urls" and isinstance(given, dict):
            continue  # a dict is an upload, judged by the endpoint
        if name == "image_urls" and given == ["x" * 500]:
            continue  # a long text is a link for the rules to judge
        with pytest.raises(Unreadable) as refused:
            reader(name, given)
        assert refused.value.bad.field == name and "x" * 100 not in refused.value.bad.message


def test_the_catalog_takes_up_to_three_reference_images_on_the_newer_page_only() -> None:
    url = "https://img.example/ref.png"
    assert veo.MAX_REFERENCE_IMAGES == 3
    ok = veo.build_request(FormValues(prompt="p", image_urls=[url] * 3))
    assert ok.ok and ok.body["image_urls"] == [url] * 3
    (too_many,) = veo.check(FormValues(prompt="p", image_urls=[url] * 4))
    assert too_many.field == "image_urls" and "at most 3 reference images; got 4" in too_many.message
    (older,) = veo.check(FormValues(model="veo-3.1", prompt="p", image_urls=[url]))
    assert "image_urls is not a parameter of veo-3.1" in older.message
    caps = veo.capabilities("veo-3.1", "generate", None, None, None)
    assert not caps.image_urls_offered and not caps.callback_events_offered
    caps = veo.capabilities("veo3.1-fast-official", "remix", None, None, None)
    assert caps.image_urls_offered and caps.callback_events_offered


# -- from gradio_client --------------------------------------------------------------------------


def test_the_api_sends_reference_images_and_callback_events(
    client: Client, app: RunningApp, pngs: list[str], public_hook: None
) -> None:
    prompt = "API: a meadow that turns to sea"
    videos, task = client.predict(
        prompt,
        api_name="/generate",
        duration=4,
        resolution="720p",
        image_urls=[handle_file(pngs[0]), handle_file(pngs[1])],
        callback_url=HOOK,
        callback_events="failed",
    )
    assert task["status"] == "completed" and videos
    body = body_of(app, prompt)
    assert body["callback_url"] == HOOK and body["callback_events"] == ["failed"]
    assert len(body["image_urls"]) == 2 and all(u.startswith("http://127.0.0.1:") for u in body["image_urls"])
    r, g, b = first_frame_rgb(videos[0])  # the simulator opens a clip without a first frame on the first reference
    assert g > 150 and r < 80 and b < 80


def test_the_api_takes_reference_images_on_the_image_tabs_too(client: Client, app: RunningApp, pngs: list[str]) -> None:
    prompt = "API: the red wall with a yellow sun as reference"
    _, task = client.predict(
        prompt,
        api_name="/image2video",
        first_frame=handle_file(pngs[1]),
        duration=4,
        image_urls=handle_file(pngs[2]),  # one file on its own is a list of one
    )
    body = body_of(app, prompt)
    assert task["status"] == "completed" and len(body["image_urls"]) == 1 and "callback_events" not in body


@pytest.mark.parametrize(
    "kwargs,says",
    [
        ("four", "image_urls takes at most 3 reference images; got 4"),
        ("four-json", "image_urls takes at most 3 reference images; got 4"),
        (dict(callback_events=["completed"]), "callback_events needs a callback_url"),
        (dict(callback_events="completed, started", callback_url=HOOK), "unknown callback events ['started']"),
        ("older", "image_urls is not a parameter of veo-3.1"),
        (dict(image_urls=["http://127.0.0.1:9/ref.png"]), "reference image 1: The link points to 127.0.0.1"),
        (dict(image_urls=[{"path": "/etc/hostname"}]), "image_urls must be a file uploaded with this call"),
        (dict(image_urls="[1, 2]"), "image_urls must be a list of image URLs or uploaded files"),
    ],
)
def test_the_api_refuses_with_the_pages_message_and_sends_nothing(
    client: Client, app: RunningApp, pngs: list[str], public_hook: None, kwargs, says: str
) -> None:
    if kwargs == "four":
        kwargs = dict(image_urls=[handle_file(p) for p in pngs])
    elif kwargs == "four-json":
        kwargs = dict(image_urls=json.dumps([f"https://img.example/{i}.png" for i in range(4)]))
    elif kwargs == "older":
        kwargs = dict(model="veo-3.1", image_urls=[handle_file(pngs[0])])
    before = len(app.sim.submissions())
    with pytest.raises(Exception) as refused:
        client.predict("Refused before sending", api_name="/generate", duration=4, **kwargs)
    assert "Not submitted" in str(refused.value) and says in str(refused.value), str(refused.value)
    assert len(app.sim.submissions()) == before


# -- from the page -------------------------------------------------------------------------------


@pytest.fixture
def page(browser: Browser, app: RunningApp) -> Iterator[Page]:
    with opened_page(browser, app.url, "en-US", viewport=(1440, 1100)) as opened:
        yield opened


def open_references(page: Page, action: str = "generate") -> None:
    page.locator(f"#{action}-references").get_by_text("Reference images (image_urls, optional)").click()
    expect(page.locator(f"#{action}-reference-files input[type=file]")).to_be_attached()


def open_advanced(page: Page) -> None:
    page.locator("[role=tabpanel]:visible").get_by_text("Advanced settings", exact=True).click()


def pick_event(page: Page, event: str, action: str = "generate") -> None:
    page.locator(f"#{action}-callback-events input").click()
    page.get_by_role("option", name=event, exact=True).click()
    page.keyboard.press("Escape")


def status_of(page: Page, action: str = "generate"):
    return page.locator(f"#{action}-status #run-status")


def test_the_page_sends_reference_images_and_callback_events(
    page: Page, app: RunningApp, pngs: list[str], public_hook: None
) -> None:
    prompt = "Page: a lighthouse in the style of the references"
    page.fill("#generate-prompt textarea", prompt)
    page.locator("#generate-duration label").filter(has_text="4").first.click()
    open_references(page)
    page.locator("#generate-reference-files input[type=file]").set_input_files(pngs[:2])
    expect(page.locator("#generate-reference-files")).to_contain_text("ref-2", timeout=15_000)
    open_advanced(page)
    page.locator("[role=tabpanel]:visible").get_by_label("Callback URL (optional)").fill(HOOK)
    pick_event(page, "failed")
    expect(page.locator("#generate-cost h3")).to_have_text("$0.32")  # the readout judged the form: no refusal
    page.locator("#generate-run").click()
    expect(status_of(page)).to_have_attribute("data-phase", "completed", timeout=60_000)
    body = body_of(app, prompt)
    assert body["callback_url"] == HOOK and body["callback_events"] == ["failed"]
    assert len(body["image_urls"]) == 2
    page.get_by_text("Request JSON and curl").first.click()
    expect(page.locator("#generate-request")).to_contain_text('"image_urls"')
    expect(page.locator("#generate-request")).to_contain_text(body["image_urls"][1])
    expect(page.locator("#generate-curl")).to_contain_text('"callback_events"')


def test_a_fourth_reference_image_is_refused_in_the_page_with_nothing_sent(
    page: Page, app: RunningApp, pngs: list[str]
) -> None:
    page.fill("#generate-prompt textarea", "Page: four references")
    open_references(page)
    page.locator("#generate-reference-files input[type=file]").set_input_files(pngs)
    expect(page.locator("#generate-reference-files")).to_contain_text("ref-4", timeout=15_000)
    expect(page.locator("#generate-cost")).to_contain_text("at most 3 reference images; got 4")
    before = len(app.sim.submissions())
    page.locator("#generate-run").click()
    expect(status_of(page)).to_have_attribute("data-phase", "invalid")
    expect(status_of(page)).to_contain_text("image_urls")
    expect(status_of(page)).to_contain_text("at most 3 reference images; got 4")
    assert len(app.sim.submissions()) == before


def test_a_pasted_reference_link_is_refused_like_a_frame_link(page: Page, app: RunningApp) -> None:
    page.fill("#generate-prompt textarea", "Page: a reference on this machine")
    open_references(page)
    page.fill("#generate-reference-urls textarea", "http://127.0.0.1:9/ref.png")
    before = len(app.sim.submissions())
    page.locator("#generate-run").click()
    expect(status_of(page)).to_have_attribute("data-phase", "invalid", timeout=15_000)
    expect(status_of(page)).to_contain_text("reference image 1: The link points to 127.0.0.1")
    assert len(app.sim.submissions()) == before


def test_callback_events_without_a_url_are_refused_in_the_page_with_nothing_sent(page: Page, app: RunningApp) -> None:
    page.fill("#generate-prompt textarea", "Page: events without a URL")
    open_advanced(page)
    pick_event(page, "completed")
    before = len(app.sim.submissions())
    page.locator("#generate-run").click()
    expect(status_of(page)).to_have_attribute("data-phase", "invalid")
    expect(status_of(page)).to_contain_text("callback_events needs a callback_url")
    assert len(app.sim.submissions()) == before


def test_a_model_without_image_urls_hides_both_controls(page: Page) -> None:
    open_advanced(page)
    expect(page.locator("#generate-references")).to_be_visible()
    expect(page.locator("#generate-callback-events")).to_be_visible()
    page.locator("#generate-model input").click()
    page.get_by_role("option", name="VEO 3.1 (older page)", exact=False).first.click()
    expect(page.locator("#generate-references")).to_be_hidden()
    expect(page.locator("#generate-callback-events")).to_be_hidden()
    page.locator("#generate-model input").click()
    page.get_by_role("option", name="Veo 3.1 Fast (official)", exact=False).first.click()
    expect(page.locator("#generate-references")).to_be_visible()
    expect(page.locator("#generate-callback-events")).to_be_visible()
