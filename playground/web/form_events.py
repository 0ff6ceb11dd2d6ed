"""What follows a tab's controls without running anything: the image check and preview, the remix source boxes."""

from __future__ import annotations

import asyncio
from pathlib import Path

import gradio as gr

from ..media import ImageRejected, check_against, prepare_image, preview_resize
from ..runs import REMIX_FROM_RUN, REMIX_FROM_TASK, REMIX_FROM_URL
from .session import language
from .view import image_refusal, said_list


async def resize_preview(path: str | None, aspect_ratio: str, mode: str, request: gr.Request) -> tuple:
    """Check the dropped image at once and show what pad or crop will do to it, said in the visitor's language."""
    lang = language(request)
    if not path:
        return gr.update(value=None, visible=False), ""
    try:
        image = await asyncio.to_thread(prepare_image, Path(path).read_bytes(), Path(path).name)
        preview = await asyncio.to_thread(preview_resize, image, aspect_ratio or "16:9", mode or "pad")
    except ImageRejected as exc:
        return gr.update(value=None, visible=False), image_refusal(exc.message, lang)
    notes = [*image.adjustments, *image.warnings, *check_against(image, aspect_ratio or "16:9")]
    return gr.update(value=preview, visible=True), said_list(notes, lang)


def remix_source_visibility(choice: str) -> tuple:
    return (
        gr.update(visible=choice == REMIX_FROM_RUN),
        gr.update(visible=choice == REMIX_FROM_TASK),
        gr.update(visible=choice == REMIX_FROM_URL),
    )
