"""The page's own events: restore the browser's key and identity, say the mode, remember the key."""

from __future__ import annotations

import gradio as gr
from gradio.events import Dependency

from ..runs import RunService
from .session import session_id
from .state import PageState
from .view import mode_banner


def wire_page(ctx: RunService, page: PageState) -> Dependency:
    """Page-level events; returns the load event, which per-tab resumes follow with ``.then``."""
    key, remember, stored, visitor = page.key, page.remember, page.stored_key, page.visitor

    def restore(saved: str, token: str, request: gr.Request) -> tuple:
        # A new browser (or a token this server did not sign) gets a fresh identity.
        token = token if ctx.identities.valid(token) else ctx.identities.issue()
        conn = ctx.connection(saved, ctx.owner(token, session_id(request)))
        return gr.update(value=saved or ""), gr.update(value=bool(saved)), mode_banner(conn), token

    def banner(visitor_key: str, token: str, request: gr.Request) -> str:
        return mode_banner(ctx.connection(visitor_key, ctx.owner(token, session_id(request))))

    def remember_key(visitor_key: str, keep: bool) -> str:
        return (visitor_key or "") if keep else ""

    loaded = page.demo.load(
        restore,
        inputs=[stored, visitor],
        outputs=[key, remember, page.banner, visitor],
        api_visibility="private",
        queue=False,
    )
    key.change(banner, inputs=[key, visitor], outputs=page.banner, api_visibility="private", queue=False)
    gr.on(
        [key.change, remember.change],
        remember_key,
        inputs=[key, remember],
        outputs=stored,
        api_visibility="private",
        queue=False,
    )
    return loaded
