"""The controls of one action tab, and how their values become catalog form values.

Layout only: which control exists and how it reads. Rules come from the catalog.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

import gradio as gr
from gradio.i18n import I18nData

from .. import veo
from ..runs import PENDING_FRAME_URL, REMIX_FROM_RUN, REMIX_FROM_TASK, REMIX_FROM_URL, FrameInputs
from ..veo import FormValues, as_flag
from .i18n import model_key, t


def as_int(value: Any) -> int | None:
    """A control's value as a whole number, or None (an empty box, a label Gradio has not parsed)."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def model_choices(action: str) -> list[tuple[I18nData, str]]:
    """(label, model id): the label reads in the visitor's language, the id is what handlers get."""
    return [(t(model_key(m.id)), m.id) for m in veo.models_for_action(action)]


@dataclass
class ActionForm:
    """Every control of one tab. Optional controls are ``None`` where the action has no use for them."""

    action: str
    model: gr.Dropdown
    model_info: gr.Markdown
    prompt: gr.Textbox
    duration: gr.Radio
    resolution: gr.Radio
    aspect_ratio: gr.Radio
    audio: gr.Checkbox
    samples: gr.Slider
    negative_prompt: gr.Textbox
    seed: gr.Number
    person: gr.Dropdown
    enhance_prompt: gr.Checkbox
    callback_url: gr.Textbox
    resize_mode: gr.Radio | None = None
    raw: gr.Checkbox | None = None
    first_file: gr.File | None = None
    first_url: gr.Textbox | None = None
    last_file: gr.File | None = None
    last_url: gr.Textbox | None = None
    remix_from: gr.Radio | None = None
    remix_run: gr.Dropdown | None = None
    remix_task: gr.Textbox | None = None
    remix_url: gr.Textbox | None = None
    #: Reference images (image_urls) and the callback events: see :mod:`playground.web.references`.
    reference_files: gr.File | None = None
    reference_urls: gr.Textbox | None = None
    callback_events: gr.Dropdown | None = None
    nudge: gr.Markdown | None = None
    #: This browser's last prompts (from its History), one click from the prompt box.
    recent_prompts: gr.Dropdown | None = None
    extras: dict[str, Any] = field(default_factory=dict)

    def inputs(self) -> list[gr.components.Component]:
        names = (
            "model",
            "prompt",
            "duration",
            "resolution",
            "aspect_ratio",
            "audio",
            "samples",
            "negative_prompt",
            "seed",
            "person",
            "enhance_prompt",
            "callback_url",
            "resize_mode",
            "raw",
            "first_file",
            "first_url",
            "last_file",
            "last_url",
            "remix_from",
            "remix_run",
            "remix_task",
            "remix_url",
            "reference_files",
            "reference_urls",
            "callback_events",
        )
        return [c for c in (getattr(self, n) for n in names) if c is not None]

    def get(self, data: dict, name: str) -> Any:
        component = getattr(self, name)
        return None if component is None else data.get(component)

    def form_values(self, data: dict, frames: dict[str, str | None] | None = None) -> FormValues:
        """Read the controls into catalog values. ``frames`` holds hosted URLs once images are up;
        until then a placeholder stands in so the readout can price the form."""
        spec = veo.MODELS_BY_ID.get(self.get(data, "model") or "")
        taken = veo.fields_taken(spec, self.action) if spec else frozenset()
        neg = (self.get(data, "negative_prompt") or "").strip() or None
        values = FormValues(
            model=self.get(data, "model") or "",
            action=self.action,
            prompt=self.get(data, "prompt") or "",
            aspect_ratio=self.get(data, "aspect_ratio"),
            resolution=self.get(data, "resolution"),
            duration=veo.as_whole_number(self.get(data, "duration")),
            generate_audio=as_flag(self.get(data, "audio")) if "generate_audio" in taken else None,
            sample_count=veo.as_whole_number(self.get(data, "samples")) if "sample_count" in taken else None,
            negative_prompt=neg if "negative_prompt" in taken else None,
            seed=veo.as_whole_number(self.get(data, "seed")) if "seed" in taken else None,
            person_generation=self.get(data, "person") or None,
            enhance_prompt=True if "enhance_prompt" in taken else None,
            resize_mode=(self.get(data, "resize_mode") or None) if "resize_mode" in taken else None,
            raw=as_flag(self.get(data, "raw")) if "raw" in taken else None,
            callback_url=(self.get(data, "callback_url") or "").strip() or None,
            image_urls=self.reference_placeholders(data) if "image_urls" in taken else None,
            callback_events=list(self.get(data, "callback_events") or []) or None
            if "callback_events" in taken
            else None,
        )
        for name, url in (frames or {}).items():
            setattr(values, name, url)
        return values

    def frame_inputs(self, data: dict) -> FrameInputs:
        """What the frame controls hold, as plain values: the run service never sees a component."""
        return FrameInputs(**{f.name: self.get(data, f.name) for f in fields(FrameInputs)})

    def reference_placeholders(self, data: dict) -> list[str] | None:
        """One entry per reference image given: a placeholder for each file until it is hosted, each
        pasted link as typed (so the rules judge it, and count them all, before anything is fetched)."""
        files = [PENDING_FRAME_URL for _ in self.get(data, "reference_files") or ()]
        return files + veo.split_urls(self.get(data, "reference_urls") or "") or None

    def has_frame_input(self, data: dict, which: str) -> bool:
        return bool(self.get(data, f"{which}_file") or (self.get(data, f"{which}_url") or "").strip())

    def frame_placeholders(self, data: dict) -> dict[str, str | None]:
        """Placeholders for frames the visitor gave, so validation sees them as present."""
        out: dict[str, str | None] = {}
        if self.action in ("image2video", "first_last_frame"):
            out["first_frame_image"] = PENDING_FRAME_URL if self.has_frame_input(data, "first") else None
        if self.action == "first_last_frame":
            out["last_frame_image"] = PENDING_FRAME_URL if self.has_frame_input(data, "last") else None
        if self.action == "remix":
            out["first_frame_image"] = PENDING_FRAME_URL if self._remix_given(data) else None
        return out

    def _remix_given(self, data: dict) -> bool:
        choice = self.get(data, "remix_from")
        field_name = {REMIX_FROM_RUN: "remix_run", REMIX_FROM_TASK: "remix_task", REMIX_FROM_URL: "remix_url"}[choice]
        return bool((self.get(data, field_name) or "").strip())
