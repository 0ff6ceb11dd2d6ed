"""The page's shared components: what every tab reads or writes besides its own controls.

One typed object, built with the page and handed to each tab's events, in place of a dict keyed by
name. It holds components, never a visitor's values: a visitor's key, runs and identity live in their
own session's ``gr.State`` or in their browser's ``gr.BrowserState``, and reach a handler only inside
that visitor's request.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NoReturn

import gradio as gr

from .i18n import t
from .view import SessionSpend


@dataclass(frozen=True, eq=False)  # one per page: compared by identity
class PageState:
    """Components above the tabs and the state they share. Built once per app, at layout time."""

    #: The whole page; its ``load`` event restores the browser's key and identity and prices each tab.
    demo: gr.Blocks
    #: The visitor's own Wave API key (a password box in the key accordion); empty means the server's mode.
    key: gr.Textbox
    #: Whether the key is kept in this browser (checkbox under the key box).
    remember: gr.Checkbox
    #: The mode banner above the tabs: demo, the server's key or the visitor's own.
    banner: gr.HTML
    #: A one-off note under the banner, e.g. that this browser's runs joined the account just signed in.
    account_note: gr.HTML
    #: The accordion holding the key box; hidden when the operator's key serves this visitor.
    key_box: gr.Accordion
    #: "Sign in with Hugging Face" (it turns into "Logout (name)"); None when sign-in is not offered.
    login: gr.LoginButton | None
    #: gr.State per tab session: this session's :class:`SessionSpend`, for the cost readout.
    spend: gr.State
    #: gr.State per tab session: finished samples ``{"label", "ref", "task_id"}``, the remix sources.
    runs: gr.State
    #: gr.BrowserState: the key, when the visitor asked to remember it (obscured with the browser secret).
    stored_key: gr.BrowserState
    #: gr.BrowserState: the visitor's signed identity token, which owns their runs across refreshes.
    visitor: gr.BrowserState
    #: gr.BrowserState: ``{"run_id", "task_id", "action"}`` of runs this browser still waits for.
    pending: gr.BrowserState
    #: gr.State per tab session: ``"<run_id>:<phase>"`` of the last run that ended, so History lists again.
    history_changed: gr.State


def stop_here(why: str) -> NoReturn:
    """End a load-time ``.then(gate).success(...)`` chain at its gate, showing nothing in the page. The
    outputs after a gate are touched only when there is something to show (see the resume gates)."""
    raise gr.Error(why, visible=False, print_exception=False)


def without_pending(pending: list | None, run_id: str) -> list[dict]:
    """The browser's ``pending`` list without the entry of ``run_id`` (a run's, or a grid's or board's group id)."""
    return [p for p in (pending or []) if isinstance(p, dict) and p.get("run_id") != run_id]


def create_page_ui(demo: gr.Blocks, has_server_key: bool, browser_secret: str, sign_in: bool = False) -> PageState:
    """The header, the sign-in button, the mode banner, the key box and the page's states; no events."""
    with gr.Row(equal_height=False, elem_id="page-header"):
        gr.Markdown(t("header"), elem_id="page-title")
        # Beside the title, not above the tabs: the first screen is kept for the form and the result.
        with gr.Column(scale=0, min_width=300, elem_id="page-account"):
            # Gradio's sign-in script compares the button's text with this value, so it stays one string.
            login = gr.LoginButton(elem_id="sign-in", size="md") if sign_in else None
            with gr.Accordion(t("key_box"), open=False, visible=not has_server_key) as key_box:
                key = gr.Textbox(
                    label=t("key_label"),
                    type="password",
                    elem_id="api-key",
                    placeholder=t("key_placeholder"),
                    info=t("key_info"),
                )
                remember = gr.Checkbox(label=t("key_remember"), value=False, elem_id="remember-key")
    banner = gr.HTML()
    account_note = gr.HTML(elem_id="account-note")
    return PageState(
        demo=demo,
        key=key,
        remember=remember,
        banner=banner,
        account_note=account_note,
        key_box=key_box,
        login=login,
        spend=gr.State(SessionSpend()),
        runs=gr.State([]),
        stored_key=gr.BrowserState("", storage_key="veo-playground-key", secret=browser_secret),
        # What the browser keeps across refreshes: who it is and which runs it is waiting for.
        visitor=gr.BrowserState("", storage_key="veo-playground-visitor", secret=browser_secret),
        pending=gr.BrowserState([], storage_key="veo-playground-pending", secret=browser_secret),
        history_changed=gr.State(""),
    )
