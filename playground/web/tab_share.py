"""Share from an action tab's result pane: the finished run the tab shows gets the link History would give it."""

from __future__ import annotations

from typing import Any

import gradio as gr

from ..runs import RunService
from ..texts import say
from .history import ONLY_FINISHED_SHARE
from .session import language, request_facts
from .share_api import share_url
from .state import PageState
from .tab import TabView


def wire_tab_share(ctx: RunService, page: PageState, view: TabView) -> None:
    async def share_result(token: str, task_id: str | None, request: gr.Request) -> Any:
        # The task id is the tab's own state, but the run is still looked up among the visitor's runs.
        owner = ctx.visitor(token, request_facts(request)).owner
        record = await ctx.store.call(ctx.store.owned_task, owner, task_id or "")
        made = await ctx.store.call(ctx.shares.share, owner, record.run_id) if record and ctx.shares else None
        if made is None:
            gr.Warning(say(ONLY_FINISHED_SHARE(), language(request)))
            return gr.update(value="", visible=False)
        return gr.update(value=share_url(ctx, made.token, request), visible=True)

    view.share.click(
        share_result,
        inputs=[page.visitor, view.task_id],
        outputs=view.share_link,
        api_visibility="private",
        queue=False,
        show_progress="hidden",
    )
