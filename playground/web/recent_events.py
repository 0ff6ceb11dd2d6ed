"""Recent prompts: this visitor's last prompts from their History, one click from each tab's prompt box."""

from __future__ import annotations

from typing import Any

import gradio as gr
from gradio.events import Dependency

from ..runs import RunService
from .session import request_facts
from .state import PageState
from .tab import TabView

#: Long prompts are shown by their start; choosing one still fills the whole prompt.
LABEL_CHARS = 80


def _label(prompt: str) -> str:
    flat = " ".join(prompt.split())
    return flat if len(flat) <= LABEL_CHARS else flat[: LABEL_CHARS - 1].rstrip() + "…"


def wire_recent_prompts(ctx: RunService, page: PageState, views: dict[str, TabView], loaded: Dependency) -> None:
    boxes = [view.form.recent_prompts for view in views.values() if view.form.recent_prompts is not None]

    async def listing(token: str, request: gr.Request) -> list[Any]:
        prompts = await ctx.recent_prompts(ctx.visitor(token, request_facts(request)))
        choices = [(_label(p), p) for p in prompts]
        return [gr.update(choices=choices, value=None, visible=bool(choices)) for _ in boxes]

    listed = {
        "fn": listing,
        "inputs": [page.visitor],
        "outputs": boxes,
        "show_progress": "hidden",
        "queue": False,
        "api_visibility": "private",
    }
    loaded.then(**listed)
    page.history_changed.change(**listed)
    for view in views.values():
        box = view.form.recent_prompts
        if box is None:
            continue
        # Only the prompt changes; the tab's own prompt events reprice and recheck as for typing.
        box.select(
            lambda chosen: (chosen, gr.update(value=None)),
            inputs=[box],
            outputs=[view.form.prompt, box],
            show_progress="hidden",
            queue=False,
            api_visibility="private",
        )
