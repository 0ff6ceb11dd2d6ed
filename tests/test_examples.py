"""The ready examples of each tab: valid for their model and action, and one click fills the form.

Validity is judged by the catalog on the values the form itself would read after the click (the
controls' own defaults for everything an example leaves alone, frames present). In Chromium a
click fills the tab, brings the controls in line with the example's model, and sends nothing.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import gradio as gr
import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import Page, expect

from playground import veo
from playground.media import check_against, prepare_image
from playground.runs.frames import PENDING_FRAME_URL
from playground.web.examples import EXAMPLE_DIR, EXAMPLES, LABEL_MAX_CHARS, build_examples
from playground.web.i18n import EN, model_key
from playground.web.tab import build_form as _build_form

from .conftest import RunningApp

#: The request samples of the provider's two pages (shared/seeds), copied as they are printed.
SEED_REQUESTS = (
    {
        "model": "veo3.1-fast-official",
        "prompt": "Neon-lit street on a rainy night, a red sports car drives through a puddle, cinematic slow motion",
        "duration": 8,
        "resolution": "1080p",
        "aspect_ratio": "16:9",
    },
    {
        "model": "veo-3.1",
        "action": "generate",
        "prompt": "A golden retriever running on a beach at sunset, cinematic lighting, slow motion",
        "aspect_ratio": "16:9",
        "duration": 8,
        "resolution": "1080p",
    },
)


def _form_and_examples(action: str):
    with gr.Blocks():
        form = _build_form(action, "Where your image goes: nowhere yet.")
        examples = build_examples(form)
    return form, examples


def _values_after_click(form, examples, row: list) -> veo.FormValues:
    """What the form reads once an example is loaded: its values over the controls' defaults."""
    data = {component: component.value for component in form.inputs()}
    data.update({c: v for c, v in zip(examples.inputs, row, strict=False) if v is not None})
    frames: dict[str, str | None] = {}
    for field in veo.REQUIRED_IMAGES[form.action]:
        which = field.split("_")[0]
        given = form.action == "remix" or bool(data.get(getattr(form, f"{which}_file")))
        frames[field] = PENDING_FRAME_URL if given else None  # a remix source is the visitor's own clip
    return form.form_values(data, frames)


@pytest.mark.parametrize("action", veo.ACTIONS)
def test_every_example_is_valid_for_its_model_and_tab(action: str) -> None:
    form, examples = _form_and_examples(action)
    assert len(examples.examples) == len(EXAMPLES[action]) >= 2
    for example, row in zip(EXAMPLES[action], examples.examples, strict=False):
        values = _values_after_click(form, examples, row)
        assert values.prompt == example.prompt and values.model == example.model
        assert veo.check(values) == [], f"{example.title}: {veo.check(values)}"
        assert veo.build_request(values).body["duration"] == example.duration


@pytest.mark.parametrize("action", ["image2video", "first_last_frame"])
def test_image_examples_carry_their_frames(action: str) -> None:
    form, examples = _form_and_examples(action)
    for example, row in zip(EXAMPLES[action], examples.examples, strict=False):
        given = dict(zip(examples.inputs, row, strict=False))
        assert Path(given[form.first_file]).name == example.first_frame
        assert given[form.first_url] == ""  # the example's own image wins over an earlier pasted link
        if action == "first_last_frame":
            assert Path(given[form.last_file]).name == example.last_frame


def test_without_the_drawn_frames_examples_still_fill_the_rest(monkeypatch, tmp_path: Path) -> None:
    # The Docker image ships the package only: the examples then leave the image controls alone.
    monkeypatch.setattr("playground.web.examples.EXAMPLE_DIR", tmp_path)
    form, examples = _form_and_examples("first_last_frame")
    assert form.first_file not in examples.inputs_with_examples
    assert form.last_url not in examples.inputs_with_examples and form.prompt in examples.inputs_with_examples
    assert [row[0] for row in examples.examples] == [e.prompt for e in EXAMPLES["first_last_frame"]]


def test_the_seed_pages_request_samples_are_text_to_video_examples() -> None:
    for seed in SEED_REQUESTS:
        matches = [e for e in EXAMPLES["generate"] if e.prompt == seed["prompt"]]
        assert len(matches) == 1, seed["prompt"]
        example = matches[0]
        assert (example.model, example.duration, example.resolution, example.aspect_ratio) == (
            seed["model"],
            seed["duration"],
            seed["resolution"],
            seed["aspect_ratio"],
        )


def test_labels_are_short_distinct_and_name_the_settings() -> None:
    for examples in EXAMPLES.values():
        labels = [e.label for e in examples]
        assert len(set(labels)) == len(labels)
        for example in examples:
            assert len(example.label) <= LABEL_MAX_CHARS, example.label
            assert example.model in example.label and f"{example.duration} s" in example.label


def _drawing_script():
    spec = importlib.util.spec_from_file_location("make_examples", EXAMPLE_DIR / "make_examples.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_example_frames_are_the_drawn_pictures_and_pass_our_image_checks() -> None:
    drawn = _drawing_script().FRAMES
    used = {e.first_frame for es in EXAMPLES.values() for e in es} | {
        e.last_frame for es in EXAMPLES.values() for e in es
    }
    used.discard(None)
    assert used <= set(drawn)
    for name in sorted(used):
        path = EXAMPLE_DIR / name
        prepared = prepare_image(path.read_bytes(), name)
        assert (prepared.format, prepared.width, prepared.height) == ("JPEG", 1280, 720)
        assert not prepared.warnings and not prepared.adjustments and check_against(prepared, "16:9") == []
        assert path.stat().st_size < 100_000
        # The committed file is what the script draws (up to JPEG's loss), not a stray picture.
        committed = np.asarray(Image.open(path).convert("RGB"), dtype=np.int16)
        assert np.abs(committed - np.asarray(drawn[name](), dtype=np.int16)).mean() < 3


# -- in Chromium ---------------------------------------------------------------------------------


def _click_example(page: Page, action: str, title: str) -> None:
    page.locator(f"#{action}-examples button").filter(has_text=title).click()


def test_a_text_example_fills_the_tab_and_the_controls_follow_its_model(page: Page, app: RunningApp) -> None:
    before = len(app.sim.submissions())
    example = next(e for e in EXAMPLES["generate"] if e.model == "veo-3.1")
    _click_example(page, "generate", example.title)
    expect(page.locator("#generate-prompt textarea")).to_have_value(example.prompt)
    expect(page.locator("#generate-model input")).to_have_value(EN[model_key("veo-3.1")])
    # The older page's 1080p needs 8 s and its audio is always on: the page says so at once.
    expect(page.locator("#generate-duration")).to_contain_text("needs 8 s")
    expect(page.locator("#generate-audio input")).to_be_disabled()
    expect(page.locator("#generate-cost")).not_to_contain_text("Before you run")

    lite = next(e for e in EXAMPLES["generate"] if e.model == "veo3.1-lite")
    _click_example(page, "generate", lite.title)
    expect(page.locator("#generate-prompt textarea")).to_have_value(lite.prompt)
    expect(page.locator("#generate-duration")).to_contain_text("8 s only")
    expect(page.locator("#generate-aspect input[value='9:16']")).to_be_checked()
    expect(page.locator("#generate-cost h3")).to_have_text("Price not set")
    page.wait_for_timeout(500)  # a run would have been submitted by now
    assert len(app.sim.submissions()) == before


def test_an_image_example_brings_its_picture(page: Page, app: RunningApp) -> None:
    before = len(app.sim.submissions())
    page.get_by_role("tab", name=veo.ACTION_LABELS["image2video"]).click()
    example = EXAMPLES["image2video"][0]
    _click_example(page, "image2video", example.title)
    expect(page.locator("#image2video-prompt textarea")).to_have_value(example.prompt)
    expect(page.locator("#image2video-first-file").get_by_role("cell", name=example.first_frame)).to_be_visible()
    expect(page.locator("#image2video-resize-preview img")).to_be_visible(timeout=15_000)
    expect(page.locator("#image2video-cost h3")).to_have_text("$0.96")  # $0.12/s with audio × 8 s
    expect(page.locator("#image2video-cost")).not_to_contain_text("Before you run")
    assert len(app.sim.submissions()) == before
