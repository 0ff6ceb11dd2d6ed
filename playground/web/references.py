"""The controls of the two list parameters: reference images (``image_urls``) and ``callback_events``.

Layout and how the controls follow the model, nothing else: the images are checked and hosted by the
run service exactly as frames are (``FrameResolver.reference_urls``), and the catalog's rules say how
many a model takes and that events need a callback URL.
"""

from __future__ import annotations

from typing import Any

import gradio as gr

from .. import veo
from ..veo import FormCapabilities, FormValues, ModelSpec
from .form import ActionForm
from .i18n import t

#: The key of the reference images' accordion in :attr:`ActionForm.extras`: hiding it hides both controls.
REFERENCES_BOX = "references"


def build_references(action: str, spec: ModelSpec, extras: dict) -> dict[str, gr.components.Component]:
    """Reference images as files and/or links, in an accordion shown only where the model takes them.

    A file, not gr.Image, for the frames' reason: our checks see the bytes before anything decodes them.
    """
    offered = "image_urls" in veo.fields_taken(spec, action)
    box = gr.Accordion(t("references"), open=False, visible=offered, elem_id=f"{action}-references")
    extras[REFERENCES_BOX] = box
    with box:
        files = gr.File(
            label=t("reference_files"),
            file_count="multiple",
            file_types=["image"],
            type="filepath",
            height=120,
            elem_id=f"{action}-reference-files",
        )
        urls = gr.Textbox(
            label=t("reference_urls"),
            info=t("reference_urls_info"),
            placeholder="https://…",
            lines=2,
            max_lines=veo.MAX_REFERENCE_IMAGES + 1,
            elem_id=f"{action}-reference-urls",
        )
    return {"reference_files": files, "reference_urls": urls}


def build_callback_events(action: str, spec: ModelSpec) -> gr.Dropdown:
    """The events the provider calls back for; empty leaves the provider's default (completed and failed)."""
    return gr.Dropdown(
        list(veo.CALLBACK_EVENTS),
        value=[],
        multiselect=True,
        label=t("callback_events"),
        info=t("callback_events_info"),
        visible="callback_events" in veo.fields_taken(spec, action),
        elem_id=f"{action}-callback-events",
    )


def reference_outputs(form: ActionForm) -> list[Any]:
    """What :func:`reference_capabilities` updates, for the capability event's outputs."""
    return [c for c in (form.extras.get(REFERENCES_BOX), form.callback_events) if c is not None]


def reference_capabilities(form: ActionForm, caps: FormCapabilities) -> dict:
    """Show the controls only where the chosen model takes their field (their values are then ignored)."""
    updates: dict = {}
    if REFERENCES_BOX in form.extras:
        updates[form.extras[REFERENCES_BOX]] = gr.update(visible=caps.image_urls_offered)
    if form.callback_events is not None:
        updates[form.callback_events] = gr.update(visible=caps.callback_events_offered)
    return updates


def reference_fill(form: ActionForm, values: FormValues) -> dict:
    """Updates that put a recorded request's reference images and events back into the controls.

    The hosted copies are re-used by their links, one a line; the upload box is cleared.
    """
    updates: dict = {}
    if form.reference_urls is not None:
        updates[form.reference_urls] = "\n".join(values.image_urls or [])
        updates[form.reference_files] = None
    if form.callback_events is not None:
        updates[form.callback_events] = list(values.callback_events or [])
    return updates
