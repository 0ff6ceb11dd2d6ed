"""Which page session a Gradio request comes from: the one thing the run service needs of ``gr.Request``."""

from __future__ import annotations

import gradio as gr


def session_id(request: gr.Request | None) -> str:
    """Gradio's session hash; API calls without one share the ``anonymous`` session."""
    return request.session_hash if request is not None and request.session_hash else "anonymous"
