"""Texts each tab is built with once, said again in the visitor's language when the page loads.

The browser translates the page's fixed labels itself (``web/i18n.py``), but not an example's label,
and a few texts are built from the catalog's Messages (the model note, where images go); those are
sent once per visitor, in the language of their request.
"""

from __future__ import annotations

from typing import Any

import gradio as gr
from gradio.events import Dependency

from ..runs import RunService
from ..texts import Lang, say
from .examples import example_labels
from .session import language
from .tab import TabView
from .view import model_info


def _sayer(action: str, destination: str | None):
    """The load handler of one tab: ``destination`` is its note of where images go, if it has one."""

    def said(model: str, request: gr.Request) -> list:
        lang = language(request)
        if lang is Lang.EN:  # the page was built in English
            return [gr.update()] * (2 if destination is None else 3)
        out: list = [model_info(model, lang), gr.Dataset(sample_labels=example_labels(action, lang))]
        return out if destination is None else [*out, say(destination, lang)]

    return said


def wire_visitor_language(ctx: RunService, views: dict[str, TabView], loaded: Dependency) -> None:
    """After the page's load: each tab's model note, example labels and image note in the visitor's language."""
    for action, view in views.items():
        form = view.form
        outputs: list[Any] = [form.model_info, view.examples.dataset]
        note = form.extras.get("destination")
        if note is not None:
            outputs.append(note)
        loaded.then(
            _sayer(action, None if note is None else ctx.frames.destination_text()),
            inputs=[form.model],
            outputs=outputs,
            api_visibility="private",
            queue=False,
            show_progress="hidden",
        )
