"""What a visitor does in Chromium, in demo mode: every tab end to end, the live price, refusals, cancel.

Playwright drives Debian's /usr/bin/chromium (tests/install.sh installs it); nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import av
import pytest
from PIL import Image
from playwright.sync_api import Page, expect

from .conftest import RunningApp

BUSY_OR_DONE = re.compile(r"^(processing|completed)$")

pytestmark = pytest.mark.browser
#: Screenshots refresh the README's pictures only when asked (PLAYGROUND_SCREENSHOTS=1), so an
#: ordinary test run leaves the work tree clean.
DOCS = Path(__file__).resolve().parent.parent / "docs" if os.environ.get("PLAYGROUND_SCREENSHOTS") else None


def open_tab(page: Page, action: str, label: str) -> None:
    page.get_by_role("tab", name=label).click()
    expect(page.locator(f"#{action}-cost h3")).to_be_visible()


def choose(page: Page, elem: str, value: str) -> None:
    page.locator(f"#{elem} label").filter(has_text=value).first.click()


def pick_model(page: Page, action: str, name: str) -> None:
    page.locator(f"#{action}-model input").click()
    page.get_by_role("option", name=name).click()


def run_and_wait(page: Page, action: str, samples: int = 1, shot: str | None = None, streamed: bool = False) -> None:
    """Run the tab and wait for its videos. ``streamed``: the processing phase must be shown on the way; else a
    busy machine may poll past a short one (queued, then completed), which is no fault of the page."""
    page.locator(f"#{action}-run").click()
    status = page.locator(f"#{action}-status #run-status")
    expect(status).to_have_attribute("data-phase", "processing" if streamed else BUSY_OR_DONE, timeout=30_000)
    expect(status.locator("progress")).to_be_visible()
    expect(status.locator(".task-id code")).to_contain_text("task-wave")
    expect(status).to_have_attribute("data-phase", "completed", timeout=60_000)
    for index in range(1, samples + 1):
        video = page.locator(f"#{action}-video-{index} video")
        expect(video).to_have_count(1, timeout=15_000)
        page.wait_for_function(
            "(sel) => { const v = document.querySelector(sel); return v && v.readyState >= 1 && v.duration > 3; }",
            arg=f"#{action}-video-{index} video",
            timeout=15_000,
        )
    if shot and DOCS is not None:
        DOCS.mkdir(exist_ok=True)
        page.screenshot(path=str(DOCS / shot), full_page=True)


def _png(path: Path, colour: tuple[int, int, int], size=(1280, 720)) -> str:
    Image.new("RGB", size, colour).save(path)
    return str(path)


def test_generate_streams_progress_and_plays_every_sample(page: Page, slow_tasks: None) -> None:
    page.fill("#generate-prompt textarea", "A red fox running through fresh snow, golden hour")
    choose(page, "generate-duration", "4")
    # Samples sits beside duration (it sets the price), so no accordion has to be opened first.
    page.locator("#generate-samples input[type=number]").fill("2")
    page.locator("#generate-samples input[type=number]").press("Enter")
    expect(page.locator("#generate-samples input[type=range]")).to_have_value("2")  # the slider took it
    expect(page.locator("#generate-cost h3")).to_have_text("$0.64")  # $0.08/s × 4 s × 2
    expect(page.locator("#generate-cost")).to_contain_text("Each sample is a separate video")
    run_and_wait(page, "generate", samples=2, shot="generate.png", streamed=True)
    expect(page.locator("#generate-cost")).to_contain_text("Last run cost $0.64")
    page.get_by_text("Request JSON and curl").first.click()
    expect(page.locator("#generate-curl")).to_contain_text("$WAVE_API_KEY")
    expect(page.locator("#generate-request")).to_contain_text('"sample_count": 2')


@pytest.mark.parametrize(
    "model,resolution,audio,duration,price",
    [
        ("Veo 3.1 Quality (official)", "4k", None, "8", "$3.84"),
        ("Veo 3.1 Quality (official)", "720p", False, "4", "$0.64"),
        ("Veo 3.1 Fast (official)", "1080p", True, "6", "$0.72"),
        ("Veo 3.1 Fast (official)", "4k", None, "4", "$1.12"),
    ],
)
def test_cost_readout_follows_every_control(
    page: Page, model: str, resolution: str, audio, duration: str, price: str
) -> None:
    pick_model(page, "generate", model)
    choose(page, "generate-resolution", resolution)
    if audio is not None:
        box = page.locator("#generate-audio input")
        box.set_checked(audio)
    choose(page, "generate-duration", duration)
    expect(page.locator("#generate-cost h3")).to_have_text(price)


def test_4k_switches_audio_on_and_says_why(page: Page) -> None:
    choose(page, "generate-resolution", "4k")
    audio = page.locator("#generate-audio input")
    expect(audio).to_be_checked()
    expect(audio).to_be_disabled()
    expect(page.locator("#generate-audio")).to_contain_text("no muted output")


def test_per_call_tier_locks_8_seconds_and_reads_price_not_set(page: Page) -> None:
    pick_model(page, "generate", "Veo 3.1 Lite (reverse-engineered)")
    expect(page.locator("#generate-duration")).to_contain_text("8 s only")
    expect(page.locator("#generate-cost h3")).to_have_text("Price not set")


def test_invalid_input_is_refused_in_the_page_and_nothing_is_sent(page: Page, app: RunningApp) -> None:
    before = len(app.sim.submissions())
    pick_model(page, "generate", "VEO 3.1 (older page)")
    page.get_by_text("Advanced settings").first.click()
    page.fill("#generate-prompt textarea", "A lighthouse in a storm")
    page.locator("#generate-seed input").fill("-5")
    page.locator("#generate-seed input").press("Tab")
    page.locator("#generate-run").click()
    status = page.locator("#generate-status #run-status")
    expect(status).to_have_attribute("data-phase", "invalid")
    expect(status).to_contain_text("seed must be a whole number from 0 to 4294967295")
    expect(status).to_contain_text("nothing was sent or charged")
    assert len(app.sim.submissions()) == before


def test_cancel_a_queued_task_shows_the_refund(page: Page, app: RunningApp) -> None:
    app.sim.config.queue_seconds = 30
    try:
        page.fill("#generate-prompt textarea", "A slow sunrise over mountains")
        page.locator("#generate-run").click()
        status = page.locator("#generate-status #run-status")
        expect(status).to_have_attribute("data-phase", "queued", timeout=15_000)
        cancel = page.locator("#generate-cancel")
        expect(cancel).to_be_enabled()
        cancel.click()
        expect(status).to_have_attribute("data-phase", "cancelled", timeout=15_000)
        expect(status).to_contain_text("Refunded $0.64")
    finally:
        app.sim.config.queue_seconds = 0.5


def test_image_to_video_uploads_the_image_and_starts_on_it(page: Page, app: RunningApp, tmp_path: Path) -> None:
    open_tab(page, "image2video", "Image → Video")
    page.locator("#image2video-first-file input[type=file]").set_input_files(_png(tmp_path / "red.png", (220, 20, 20)))
    expect(page.locator("#image2video-resize-preview img")).to_be_visible(timeout=15_000)
    page.fill("#image2video-prompt textarea", "The red wall cracks open to reveal a garden")
    choose(page, "image2video-duration", "4")
    run_and_wait(page, "image2video", shot="image2video.png")
    expect(page.locator("#image2video-destination")).to_contain_text("In demo mode images stay on this machine")
    expect(page.locator("#image2video-image-notes")).to_contain_text("to the demo simulator on this machine")
    task_id = page.locator("#image2video-status .task-id code").inner_text()
    store = app.playground.context.store
    (record,) = store.runs_of_task(task_id)
    with av.open(record.files[0]) as container:
        frame = next(container.decode(video=0)).to_image().convert("RGB").resize((16, 9))
    r, g, b = (sum(p[i] for p in frame.get_flattened_data()) / 144 for i in range(3))
    assert r > 150 and g < 80 and b < 80


def test_a_bad_image_is_refused_as_soon_as_it_is_dropped(page: Page, app: RunningApp, tmp_path: Path) -> None:
    open_tab(page, "image2video", "Image → Video")
    fake = tmp_path / "notes.png"
    fake.write_text("this is a text file, not a picture")
    page.locator("#image2video-first-file input[type=file]").set_input_files(str(fake))
    expect(page.locator("#image2video-image-notes")).to_contain_text("cannot be used", timeout=15_000)
    before = len(app.sim.submissions())
    page.fill("#image2video-prompt textarea", "Anything")
    page.locator("#image2video-run").click()
    expect(page.locator("#image2video-status #run-status")).to_have_attribute("data-phase", "invalid")
    assert len(app.sim.submissions()) == before


def test_first_and_last_frame_tab(page: Page, tmp_path: Path) -> None:
    open_tab(page, "first_last_frame", "First + Last frame")
    page.locator("#first_last_frame-first-file input[type=file]").set_input_files(
        _png(tmp_path / "a.png", (220, 20, 20))
    )
    page.locator("#first_last_frame-last-file input[type=file]").set_input_files(
        _png(tmp_path / "b.png", (20, 20, 220), size=(1024, 1024))
    )
    page.fill("#first_last_frame-prompt textarea", "Red melts into blue")
    choose(page, "first_last_frame-duration", "4")
    run_and_wait(page, "first_last_frame", shot="first_last_frame.png")
    expect(page.locator("#first_last_frame-image-notes")).to_contain_text("differ")


def test_remix_a_run_from_this_session(page: Page) -> None:
    page.fill("#generate-prompt textarea", "A paper boat on a stream")
    choose(page, "generate-duration", "4")
    run_and_wait(page, "generate")
    open_tab(page, "remix", "Remix")
    page.locator("#remix-source-run input").click()
    page.get_by_role("option").first.click()
    page.fill("#remix-prompt textarea", "The boat drifts into a waterfall")
    choose(page, "remix-duration", "4")
    run_and_wait(page, "remix", shot="remix.png")
    page.get_by_text("Request JSON and curl").last.click()
    expect(page.locator("#remix-request")).to_contain_text('"first_frame_image"')
