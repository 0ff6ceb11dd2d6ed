"""The Compare tab's variant rows: read as :class:`Variant`\\ s, limited by the catalog, filled from quick variants.

A row is limited exactly as a tab's controls are (:func:`veo.capabilities`): the durations and
resolutions its model offers, audio locked where the model decides, one video where it makes one,
the seed and negative prompt only where the model takes them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import gradio as gr

from .. import veo
from ..runs import FrameInputs
from ..veo import Variant
from .compare import CompareView, VariantRow
from .form import as_int

#: Controls per row, in :meth:`VariantRow.controls` order.
ROW_WIDTH = 8


def row_variant(action: str, values: Sequence[Any]) -> Variant:
    """A row's values as a variant; what its model does not take is left out, as the row hides it."""
    model, duration, resolution, aspect, samples, seed, audio, negative = values
    spec = veo.MODELS_BY_ID.get(model or "")
    taken = veo.fields_taken(spec, action) if spec else frozenset()
    return Variant(
        model=model or "",
        duration=as_int(duration),
        resolution=resolution or None,
        aspect_ratio=aspect or None,
        generate_audio=bool(audio) if "generate_audio" in taken else None,
        seed=as_int(seed) if "seed" in taken and seed not in (None, "") else None,
        sample_count=as_int(samples) if "sample_count" in taken else None,
        negative_prompt=(negative or "").strip() or None if "negative_prompt" in taken else None,
    )


def read_grid(view: CompareView, values: Sequence[Any]) -> tuple[str, str, FrameInputs, list[Variant]]:
    """The grid's inputs (in :meth:`CompareView.grid_inputs` order): action, prompt, frames, the shown rows."""
    action, prompt, first_file, first_url, last_file, last_url, shown, *rows = values
    frames = FrameInputs(first_file=first_file, first_url=first_url)
    if action == "first_last_frame":
        frames = FrameInputs(first_file=first_file, first_url=first_url, last_file=last_file, last_url=last_url)
    count = max(1, min(int(shown or 1), len(view.rows)))
    variants = [row_variant(action, rows[i * ROW_WIDTH : (i + 1) * ROW_WIDTH]) for i in range(count)]
    return action, prompt or "", frames, variants


def row_limits(row: VariantRow, action: str, variant: Variant, set_values: bool = False) -> dict:
    """The row's controls limited to what its model offers for ``action``; values sent only where they change."""
    spec = veo.MODELS_BY_ID.get(variant.model) or veo.models_for_action(action)[0]
    caps = veo.capabilities(
        spec.id, action, variant.resolution, variant.duration, variant.generate_audio, None, variant.sample_count
    )
    taken = veo.fields_taken(spec, action)

    def value(new: Any, current: Any) -> dict:
        return {"value": new} if set_values or new != current else {}

    return {
        row.model: gr.update(choices=[m.id for m in veo.models_for_action(action)], **value(spec.id, variant.model)),
        row.duration: gr.update(
            choices=list(caps.duration.choices),
            interactive=not caps.duration.locked,
            **value(caps.duration.value, variant.duration),
        ),
        row.resolution: gr.update(
            choices=list(caps.resolution.choices), **value(caps.resolution.value, variant.resolution)
        ),
        row.samples: gr.update(
            choices=list(caps.samples.choices),
            interactive=not caps.samples.locked,
            **value(caps.samples.value, variant.sample_count or 1),
        ),
        row.audio: gr.update(
            interactive=not caps.audio.locked and "generate_audio" in taken,
            **value(bool(caps.audio.value), variant.generate_audio),
        ),
        row.seed: gr.update(visible="seed" in taken),
        row.negative_prompt: gr.update(visible="negative_prompt" in taken),
    }


def row_outputs(view: CompareView) -> list[Any]:
    """Every component a refill of the rows writes."""
    return [view.shown] + [c for row in view.rows for c in (row.row, *row.controls())]


def fill_rows(view: CompareView, action: str, variants: Sequence[Variant]) -> dict:
    """Rows set to ``variants`` (the rest hidden): a quick variant, a removed row, another action."""
    variants = list(variants)[: len(view.rows)] or [Variant(model=veo.models_for_action(action)[0].id)]
    out: dict = {view.shown: len(variants)}
    for index, row in enumerate(view.rows):
        shown = index < len(variants)
        out[row.row] = gr.update(visible=shown)
        if not shown:
            continue
        v = variants[index]
        out |= row_limits(row, action, v, set_values=True)
        out[row.aspect_ratio] = v.aspect_ratio or "16:9"
        out[row.seed] = gr.update(value=v.seed, visible="seed" in veo.fields_taken(veo.get_model(v.model), action))
        out[row.negative_prompt] = gr.update(
            value=v.negative_prompt or "",
            visible="negative_prompt" in veo.fields_taken(veo.get_model(v.model), action),
        )
    return out


def fitted_to(action: str, variants: Sequence[Variant]) -> list[Variant]:
    """The rows moved to another action: a model that cannot do it is swapped for the first that can."""
    able = {m.id for m in veo.models_for_action(action)}
    first = veo.models_for_action(action)[0].id
    return [v if v.model in able else Variant(model=first, aspect_ratio=v.aspect_ratio) for v in variants]
