"""The page's own events: restore the browser's key and identity, say the mode, remember the key."""

from __future__ import annotations

import gradio as gr
from gradio.events import Dependency

from ..runs import RunService, Visitor
from .session import language, request_facts
from .state import PageState
from .view import joined_note, mode_banner


def wire_page(ctx: RunService, page: PageState) -> Dependency:
    """Page-level events; returns the load event, which per-tab resumes follow with ``.then``."""
    key, remember, stored, visitor_state = page.key, page.remember, page.stored_key, page.visitor

    def key_box(visitor: Visitor) -> dict:
        # The key box is for whoever the server's key does not serve: no server key, or not on its list.
        serves = bool(ctx.settings.api_key) and not ctx.settings.demo and visitor.server_key_refusal is None
        return gr.update(visible=not serves)

    async def restore(saved: str, token: str, request: gr.Request, profile: gr.OAuthProfile | None) -> tuple:
        # A new browser (or a token this server did not sign) gets a fresh identity.
        token = token if ctx.identities.valid(token) else ctx.identities.issue()
        visitor = ctx.visitor(token, request_facts(request, profile))
        moved = await ctx.join_account(visitor)
        conn = ctx.connection(saved, visitor)
        # Without a saved key nothing changes: setting the key box anyway would fire its change event, and
        # with it every tab's cost readout a second time on each page load.
        return (
            gr.update(value=saved) if saved else gr.skip(),
            gr.update(value=True) if saved else gr.skip(),
            mode_banner(conn, visitor, language(request)),
            joined_note(visitor, moved, language(request)),
            token,
            key_box(visitor),
        )

    def banner(visitor_key: str, token: str, request: gr.Request, profile: gr.OAuthProfile | None) -> str:
        visitor = ctx.visitor(token, request_facts(request, profile))
        return mode_banner(ctx.connection(visitor_key, visitor), visitor, language(request))

    def remember_key(visitor_key: str, keep: bool) -> str:
        return (visitor_key or "") if keep else ""

    loaded = page.demo.load(
        restore,
        inputs=[stored, visitor_state],
        outputs=[key, remember, page.banner, page.account_note, visitor_state, page.key_box],
        api_visibility="private",
        queue=False,
    )
    key.change(banner, inputs=[key, visitor_state], outputs=page.banner, api_visibility="private", queue=False)
    gr.on(
        [key.change, remember.change],
        remember_key,
        inputs=[key, remember],
        outputs=stored,
        api_visibility="private",
        queue=False,
    )
    return loaded
