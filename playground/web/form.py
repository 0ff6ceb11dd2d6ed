"""The controls of one action tab, and how their values become catalog form values.

Layout only: which control exists and how it reads. Rules come from the catalog.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import gradio as gr
from gradio.i18n import I18nData

from ..veo import catalog
from ..veo.catalog import FormValues
from .i18n import model_key, t
from ..veo.reading import as_flag
from ..runs.frames import REMIX_FROM_RUN, REMIX_FROM_TASK, REMIX_FROM_URL



def model_choices(action: str) -> list[tuple[I18nData, str]]:
    """(label, model id): the label reads in the visitor's language, the id is what handlers get."""
    return [(t(model_key(m.id)), m.id) for m in catalog.models_for_action(action)]


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
    nudge: gr.Markdown | None = None
    extras: dict[str, Any] = field(default_factory=dict)

    def inputs(self) -> list[gr.components.Component]:
        names = ("model", "prompt", "duration", "resolution", "aspect_ratio", "audio", "samples",
                 "negative_prompt", "seed", "person", "enhance_prompt", "callback_url", "resize_mode", "raw",
                 "first_file", "first_url", "last_file", "last_url", "remix_from", "remix_run", "remix_task",
                 "remix_url")
        return [c for c in (getattr(self, n) for n in names) if c is not None]

    def get(self, data: dict, name: str) -> Any:
        component = getattr(self, name)
        return None if component is None else data.get(component)

    def form_values(self, data: dict, frames: dict[str, str | None] | None = None) -> FormValues:
        """Read the controls into catalog values. ``frames`` holds hosted URLs once images are up;
        until then a placeholder stands in so the readout can price the form."""
        spec = catalog.MODELS_BY_ID.get(self.get(data, "model") or "")
        neg = (self.get(data, "negative_prompt") or "").strip() or None
        values = FormValues(
            model=self.get(data, "model") or "",
            action=self.action,
            prompt=self.get(data, "prompt") or "",
            aspect_ratio=self.get(data, "aspect_ratio"),
            resolution=self.get(data, "resolution"),
            duration=catalog.as_whole_number(self.get(data, "duration")),
            generate_audio=as_flag(self.get(data, "audio")) if spec and spec.audio_switch else None,
            sample_count=catalog.as_whole_number(self.get(data, "samples")) if spec and spec.max_samples > 1 else None,
            negative_prompt=neg if spec and spec.supports_negative_prompt else None,
            seed=catalog.as_whole_number(self.get(data, "seed")) if spec and spec.supports_seed else None,
            person_generation=self.get(data, "person") or None,
            enhance_prompt=True if spec and spec.supports_enhance_prompt else None,
            resize_mode=(self.get(data, "resize_mode") or None) if self.action in catalog.IMAGE_ACTIONS else None,
            raw=as_flag(self.get(data, "raw")) if self.action == "remix" else None,
            callback_url=(self.get(data, "callback_url") or "").strip() or None,
        )
        for name, url in (frames or {}).items():
            setattr(values, name, url)
        return values

    def has_frame_input(self, data: dict, which: str) -> bool:
        return bool(self.get(data, f"{which}_file") or (self.get(data, f"{which}_url") or "").strip())
