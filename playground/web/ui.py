"""The page: four action tabs over one catalog, a live cost readout, streamed runs, and History.

Built first, wired after (text-generation-webui's ``create_ui`` / ``create_event_handlers`` split):
every component of the header and of each tab is laid out, then the page, each action tab and
History get their events, so one tab's events may refer to another's components. What the events do
lives in the ``*_events`` modules; every rule they apply lives below the page, in ``runs`` and ``veo``.
"""

from __future__ import annotations

import gradio as gr

from .. import veo
from ..runs import RunService
from . import api
from .compare import CompareView, create_compare_ui
from .compare_events import CompareTab
from .history import HistoryView, create_history_ui
from .history_events import HistoryTab
from .i18n import t
from .locale_events import wire_visitor_language
from .mcp_tools import register_tools
from .page_events import wire_page
from .recent_events import wire_recent_prompts
from .state import PageState, create_page_ui
from .storyboard import BoardView, create_storyboard_ui
from .storyboard_events import BoardTab
from .tab import TabView, create_tab_ui
from .tab_events import TabHandlers
from .tab_share import wire_tab_share


def _create_tabs(
    destination: str,
) -> tuple[gr.Tabs, dict[str, TabView], CompareView, BoardView, gr.Tab, HistoryView]:
    """The tab strip: one tab per action, Compare, Storyboard, then History. Layout only."""
    views: dict[str, TabView] = {}
    with gr.Tabs() as tabs:
        for action in veo.ACTIONS:
            with gr.Tab(t(f"tab_{action}"), id=action, elem_id=f"tab-{action}"):
                views[action] = create_tab_ui(action, destination)
        with gr.Tab(t("tab_compare"), id="compare", elem_id="tab-compare") as compare_tab:
            compare_view = create_compare_ui(compare_tab)
        with gr.Tab(t("tab_storyboard"), id="storyboard", elem_id="tab-storyboard") as board_tab:
            board_view = create_storyboard_ui(board_tab)
        with gr.Tab(t("tab_history"), id="history", elem_id="tab-history") as history_tab:
            history_view = create_history_ui()
    return tabs, views, compare_view, board_view, history_tab, history_view


def _wire(
    ctx: RunService,
    page: PageState,
    tabs: gr.Tabs,
    views: dict[str, TabView],
    compare_view: CompareView,
    board_view: BoardView,
    history_tab: gr.Tab,
    history_view: HistoryView,
) -> None:
    """Every event, in the order the page has always registered them: the page, each tab, History, Compare.

    Gradio runs the listeners of one trigger (the page's load, a key change) in that order.
    """
    loaded = wire_page(ctx, page)
    tab_handlers = {action: TabHandlers(ctx, view, page) for action, view in views.items()}
    for handlers in tab_handlers.values():
        handlers.wire(loaded)
        wire_tab_share(ctx, page, handlers.view)
    history = HistoryTab(ctx, history_view, page, tabs, tab_handlers)
    history.wire(history_tab, loaded)
    CompareTab(ctx, compare_view, page, history).wire(loaded)
    BoardTab(ctx, board_view, page).wire(loaded, history_view, tabs)
    wire_recent_prompts(ctx, page, views, loaded)
    wire_visitor_language(ctx, views, loaded)


def build_app(ctx: RunService) -> gr.Blocks:
    with gr.Blocks(title="Veo Playground") as demo:
        page = create_page_ui(
            demo,
            has_server_key=bool(ctx.settings.api_key) and not ctx.settings.server_key_restricted,
            browser_secret=ctx.browser_secret,
            sign_in=ctx.settings.sign_in,
        )
        tabs, views, compare_view, board_view, history_tab, history_view = _create_tabs(ctx.frames.destination_text())
        _wire(ctx, page, tabs, views, compare_view, board_view, history_tab, history_view)
        api.register(ctx, demo)
        register_tools(ctx, demo)  # last: it keeps every endpoint above off the MCP tool list
    return demo
