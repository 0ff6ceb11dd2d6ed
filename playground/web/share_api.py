"""Named endpoints for share links: ``/share(task_id)`` makes (or gives again) a run's link, ``/unshare`` revokes it.

Only a finished run of the caller's own can be shared: another visitor's task id, or one of no run,
is refused with the same words as one that does not exist.
"""

from __future__ import annotations

import gradio as gr

from .. import veo
from ..runs import RunService
from .media_view import page_root
from .session import request_facts

NOT_SHAREABLE = "Not shared: no finished run of yours has that task id."


def share_url(ctx: RunService, token: str, request: gr.Request | None) -> str:
    """A share page's link: on the app's public address when it has one, else where the caller reached it."""
    assert ctx.shares is not None
    return ctx.shares.url(token, "" if ctx.shares.base else page_root(request))


def register_shares(ctx: RunService, demo: gr.Blocks) -> None:
    async def _run_id(task_id: object, request: gr.Request | None) -> tuple[str, str | None]:
        read = veo.Reader()
        wanted = read.text("task_id", task_id).strip()
        if read.problems or not wanted:
            raise gr.Error("Not shared: " + (read.message() if read.problems else "give a task id."))
        owner = ctx.visitor(None, request_facts(request)).owner
        record = await ctx.store.call(ctx.store.owned_task, owner, wanted)
        return owner, record.run_id if record else None

    async def share(task_id: str, request: gr.Request = None) -> dict:
        """A share link for one of your finished runs: a read-only page with its videos, prompt, settings and price.

        Args:
            task_id: the provider's task id of one of your finished runs.

        Returns:
            {"url": the page's link (absolute on the app's public address, else relative to the app)}
        """
        assert ctx.shares is not None
        owner, run_id = await _run_id(task_id, request)
        made = await ctx.store.call(ctx.shares.share, owner, run_id) if run_id else None
        if made is None:
            raise gr.Error(NOT_SHAREABLE)
        return {"url": share_url(ctx, made.token, request)}

    async def unshare(task_id: str, request: gr.Request = None) -> dict:
        """Revoke the share links of one of your runs: they answer 404 from now on.

        Args:
            task_id: the provider's task id of one of your runs.

        Returns:
            {"revoked": whether there was a live link to revoke}
        """
        assert ctx.shares is not None
        owner, run_id = await _run_id(task_id, request)
        return {"revoked": bool(run_id) and await ctx.store.call(ctx.shares.revoke, owner, run_id)}

    gr.api(share, api_name="share", queue=False)
    gr.api(unshare, api_name="unshare", queue=False)
