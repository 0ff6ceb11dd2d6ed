"""What the History tab's events do: list this browser's runs, show one, copy, remix, rerun, attach.

Every read goes through the owner id of the visitor's own browser identity, so nobody sees another
visitor's runs or files.
"""

from __future__ import annotations

import html
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import gradio as gr
from gradio.events import Dependency

from .. import veo
from ..runs import (
    REMIX_FROM_TASK,
    FrameError,
    GroupKind,
    Phase,
    Refused,
    RunRecord,
    RunService,
    RunUpdate,
    TrackedRun,
    Visitor,
    settings_shown,
)
from ..texts import Lang, say
from ..veo import FormValues
from .history import (
    ENTER_TASK_ID,
    NO_RUNS_YET,
    NO_SHARES,
    NOT_SUBMITTED_BECAUSE,
    NOTHING_TO_REVOKE,
    ONLY_FINISHED_REMIX,
    ONLY_FINISHED_SHARE,
    PICK_A_RUN,
    PICK_TO_RERUN,
    RERUN_FROM,
    SHARE_REVOKED,
    UNPRICED,
    HistoryView,
    caption,
    details,
    group_lines,
)
from .media_view import page_root
from .session import language, request_facts
from .share_api import share_url
from .state import PageState, stop_here
from .tab_events import TabHandlers
from .view import status_panel


@dataclass
class HistoryTab:
    """The History tab's events over its components, the page's shared state and the action tabs."""

    ctx: RunService
    view: HistoryView
    page: PageState
    #: The tab strip, so copying a run's settings can switch to its tab.
    tabs: gr.Tabs
    handlers: dict[str, TabHandlers]

    def wire(self, tab: gr.Tab, loaded: Dependency) -> None:
        """``tab`` lists again when selected; ``loaded`` is the page's load event, which the first listing follows."""
        p, v = self.page, self.view
        listing = dict(
            fn=self.list_runs,
            inputs=[p.visitor],
            outputs=[v.gallery, v.listed, v.empty],
            api_visibility="private",
            queue=False,
            show_progress="hidden",
        )
        gr.on([v.refresh.click, tab.select, p.history_changed.change], **listing)
        loaded.then(**listing)
        v.gallery.select(
            self.show,
            inputs=[p.visitor, v.listed],
            outputs=[v.selected, v.detail_row, v.video, v.details, v.request, v.board_rerun],
            api_visibility="private",
            queue=False,
        )
        share_out = [v.share_link, v.share_list]
        v.share_btn.click(
            self.share_picked, inputs=[p.visitor, v.selected], outputs=share_out, api_visibility="private"
        )
        v.unshare_btn.click(
            self.unshare_picked, inputs=[p.visitor, v.selected], outputs=share_out, api_visibility="private"
        )
        gr.on(
            [tab.select, p.history_changed.change],
            self.list_shares,
            inputs=[p.visitor],
            outputs=v.share_list,
            api_visibility="private",
            queue=False,
            show_progress="hidden",
        )
        # Queued: a queued event carries the page's own URL, and with it ``?share=``.
        # The form has ~90 components and Gradio's page re-checks every output it ever updated on each later
        # event, so a page opened without ``?share=`` stops at the gate and never touches the forms.
        gate = dict(api_visibility="private", concurrency_limit=None, show_progress="hidden")
        loaded.then(self.share_gate, **gate).success(
            self.open_shared, outputs=self.form_outputs(), api_visibility="private", show_progress="hidden"
        )
        v.copy_btn.click(
            self.copy_settings,
            inputs=[p.visitor, v.selected],
            outputs=self.form_outputs(),
            api_visibility="private",
            queue=False,
        )
        v.remix_btn.click(
            self.use_as_remix,
            inputs=[p.visitor, v.selected],
            outputs=self.form_outputs(),
            api_visibility="private",
            queue=False,
        )
        follow_outputs = [v.status, v.video, v.detail_row, p.history_changed]
        v.rerun_btn.click(
            self.rerun,
            inputs=[p.visitor, p.key, v.selected],
            outputs=follow_outputs,
            api_visibility="private",
            concurrency_limit=None,
            show_progress="hidden",
        )
        v.resume_btn.click(
            self.attach,
            inputs=[p.visitor, p.key, v.resume_id],
            outputs=follow_outputs,
            api_visibility="private",
            concurrency_limit=None,
            show_progress="hidden",
        )

    def form_outputs(self) -> list[Any]:
        outputs: list[Any] = [self.tabs]
        for handlers in self.handlers.values():
            outputs += handlers.form.inputs() + handlers.capability_outputs()
        return list(dict.fromkeys(outputs))

    # -- reading ----------------------------------------------------------------------------------

    async def _records(self, token: str, request: gr.Request | None) -> list[RunRecord]:
        store = self.ctx.store
        return await store.call(store.history, self._visitor(token, request).owner)

    async def _record(self, token: str, run_id: str | None, request: gr.Request | None) -> RunRecord | None:
        if not run_id:
            return None
        store = self.ctx.store
        return await store.call(store.owned_run, self._visitor(token, request).owner, run_id)

    def _visitor(self, token: str, request: gr.Request | None) -> Visitor:
        return self.ctx.visitor(token, request_facts(request))

    async def list_runs(self, token: str, request: gr.Request) -> tuple:
        records = await self._records(token, request)
        root, links, lang = page_root(request), self.ctx.media_links, language(request)
        media = self.ctx.media_links.media
        # Signed afresh at every listing, so the posters keep showing however long ago (or before which
        # restart) they were made; a run without one shows its phase's shared tile.
        items = [
            (
                links.poster(root, r.run_id) if media.listed(r.poster) else links.card(root, r.phase),
                caption(r, lang),
            )
            for r in records
        ]
        empty = "" if records else f"_{say(NO_RUNS_YET(), lang)}_"
        return items, [r.run_id for r in records], empty

    async def show(self, token: str, listed: list[str], evt: gr.SelectData, request: gr.Request) -> tuple:
        run_id = listed[evt.index] if isinstance(evt.index, int) and evt.index < len(listed) else None
        record = await self._record(token, run_id, request)
        if record is None:
            return None, gr.update(visible=False), None, "", "", gr.update(visible=False)
        playable = record.files and self.ctx.media_links.media.listed(record.files[0])
        video = self.ctx.media_links.video(page_root(request), record.run_id, 0) if playable else None
        return (
            record.run_id,
            gr.update(visible=True),
            video,
            await self._details(record, request),
            json.dumps(record.request, indent=2, ensure_ascii=False),
            await self._board_rerun(record, request),
        )

    async def _board_rerun(self, record: RunRecord, request: gr.Request) -> Any:
        """The button that makes a finished board again from this shot, with what that costs on it."""
        if record.group_kind != GroupKind.STORYBOARD or not record.group_id:
            return gr.update(visible=False)
        shots = await self.ctx.group_runs(record.owner, record.group_id)
        index = record.group_index or 0
        ready = all(r.phase.finished for r in shots) and (index == 0 or shots[index - 1].phase == Phase.COMPLETED)
        if not ready or not any(r.run_id == record.run_id for r in shots):
            return gr.update(visible=False)
        cost = await self.ctx.boards.rerun_cost(record.owner, record.group_id, index)
        lang = language(request)
        price = f"${cost:.2f}" if cost is not None else say(UNPRICED(), lang)
        return gr.update(visible=True, value=say(RERUN_FROM(n=index + 1, cost=price), lang))

    async def _details(self, record: RunRecord, request: gr.Request) -> str:
        text = details(record, lang=language(request))
        if not record.group_id:
            return text
        siblings = await self.ctx.group_runs(record.owner, record.group_id)
        return f"{text}\n\n{group_lines(siblings, language(request))}"

    # -- acting -----------------------------------------------------------------------------------

    async def copy_settings(self, token: str, run_id: str | None, request: gr.Request) -> dict:
        record = await self._record(token, run_id, request)
        if record is None or record.action not in self.handlers:
            gr.Warning(say(PICK_A_RUN(), language(request)))
            return {}
        body = self.ctx.tracker.visitor_body(record.request)
        return {
            self.tabs: gr.Tabs(selected=record.action),
            **self.handlers[record.action].fill_from(FormValues.from_body(body), language(request)),
        }

    async def share_picked(self, token: str, run_id: str | None, request: gr.Request) -> tuple:
        """The picked run's share link (the same one each time), and the visitor's links listed again."""
        shares, owner, lang = self.ctx.shares, self._visitor(token, request).owner, language(request)
        made = await self.ctx.store.call(shares.share, owner, run_id) if shares and run_id else None
        if made is None:
            gr.Warning(say(ONLY_FINISHED_SHARE(), lang))
            return gr.update(), gr.update()
        return self._share_url(made.token, request), await self.list_shares(token, request)

    async def unshare_picked(self, token: str, run_id: str | None, request: gr.Request) -> tuple:
        shares, owner, lang = self.ctx.shares, self._visitor(token, request).owner, language(request)
        revoked = bool(shares and run_id) and await self.ctx.store.call(shares.revoke, owner, run_id)
        gr.Info(say(SHARE_REVOKED() if revoked else NOTHING_TO_REVOKE(), lang))
        return "", await self.list_shares(token, request)

    async def list_shares(self, token: str, request: gr.Request) -> str:
        shares, owner, lang = self.ctx.shares, self._visitor(token, request).owner, language(request)
        links = await self.ctx.store.call(shares.of, owner) if shares else []
        if not links:
            return f"_{say(NO_SHARES(), lang)}_"
        lines = []
        for link in links:
            record = await self.ctx.store.call(self.ctx.store.owned_run, owner, link.run_id)
            words = html.escape(str(record.request.get("prompt", ""))[:60]) if record else ""
            lines.append(
                f"- [{self._share_url(link.token, request)}]({self._share_url(link.token, request)}) · {words}"
            )
        return "\n".join(lines)

    def _share_url(self, token: str, request: gr.Request) -> str:
        return share_url(self.ctx, token, request)

    @staticmethod
    def share_gate(request: gr.Request) -> None:
        """Let the page go on to :meth:`open_shared` only when it was opened from a share page's link."""
        if not (request and request.query_params.get("share")):
            stop_here("no share link")

    async def open_shared(self, request: gr.Request) -> dict:
        """On page load with ``?share=<token>``: the shared run's settings in its tab; nothing runs until Generate.

        Only what the share page shows is filled in: the owner's frames, reference images and callback stay theirs.
        """
        shares, token = self.ctx.shares, (request.query_params.get("share") or "") if request else ""
        record = await self.ctx.store.call(shares.record_of, token) if shares and token else None
        if record is None or record.action not in self.handlers:
            return {}
        chosen = settings_shown(record.request) | {"model": record.model, "prompt": record.request.get("prompt", "")}
        values = FormValues.from_body(chosen)
        return {
            self.tabs: gr.Tabs(selected=record.action),
            **self.handlers[record.action].fill_from(values, language(request)),
        }

    async def use_as_remix(self, token: str, run_id: str | None, request: gr.Request) -> dict:
        record = await self._record(token, run_id, request)
        if record is None or record.phase != Phase.COMPLETED or not record.task_id:
            gr.Warning(say(ONLY_FINISHED_REMIX(), language(request)))
            return {}
        remix = self.handlers["remix"].form
        return {
            self.tabs: gr.Tabs(selected="remix"),
            remix.remix_from: REMIX_FROM_TASK,
            remix.remix_task: gr.update(value=record.task_id, visible=True),
            remix.remix_run: gr.update(visible=False),
            remix.remix_url: gr.update(visible=False),
        }

    async def rerun(self, token: str, key: str, run_id: str | None, request: gr.Request) -> AsyncIterator[tuple]:
        record, lang = await self._record(token, run_id, request), language(request)
        if record is None or not record.request:
            yield status_panel(None, PICK_TO_RERUN(), lang), gr.update(), gr.update(), gr.update()
            return
        visitor = self._visitor(token, request)
        owner, conn = visitor.owner, self.ctx.connection(key, visitor)
        body = self.ctx.tracker.visitor_body(record.request)
        built = veo.build_request(FormValues.from_body(body, received=False))
        refusal = built.message() if not built.ok else await self._unsafe_source(conn, owner, record.action, body)
        if refusal:
            yield (
                status_panel(RunUpdate(Phase.ERROR, NOT_SUBMITTED_BECAUSE(reason=refusal)), lang=lang),
                gr.update(),
                gr.update(),
                gr.update(),
            )
            return
        started = await self.ctx.start(conn, visitor, built)
        if isinstance(started, Refused):
            refused = status_panel(RunUpdate(Phase.ERROR, started.message), lang=lang)
            yield refused, gr.update(), gr.update(), gr.update()
            return
        async for out in self._follow(started.run, page_root(request), lang):
            yield out

    async def _unsafe_source(self, conn: Any, owner: str, action: str, body: dict) -> str | None:
        """A recorded remix source is checked again, as when it was first given."""
        if action != "remix" or not body.get("first_frame_image"):
            return None
        try:
            await self.ctx.frames.remix_url(conn, owner, str(body["first_frame_image"]))
        except FrameError as exc:
            return exc.message
        return None

    async def attach(self, token: str, key: str, task_id: str, request: gr.Request) -> AsyncIterator[tuple]:
        task_id, lang = (task_id or "").strip(), language(request)
        if not task_id:
            yield status_panel(None, ENTER_TASK_ID(), lang), gr.update(), gr.update(), gr.update()
            return
        visitor = self._visitor(token, request)
        owner, conn = visitor.owner, self.ctx.connection(key, visitor)
        access = await self.ctx.ownership.task(owner, conn, task_id)
        if isinstance(access, Refused):
            yield status_panel(RunUpdate(Phase.ERROR, access.message), lang=lang), gr.update(), gr.update(), gr.update()
            return
        run = await self.ctx.tracker.attach(conn, owner, task_id)
        async for out in self._follow(run, page_root(request), lang):
            yield out

    async def _follow(self, run: TrackedRun, root: str, lang: Lang) -> AsyncIterator[tuple]:
        async for update in run.updates():
            video = self.ctx.media_links.video(root, run.record.run_id, 0) if update.videos else gr.update()
            shown = gr.update(visible=True) if update.videos else gr.update()
            changed = f"{run.record.run_id}:{update.phase}"
            yield status_panel(update, lang=lang), video, shown, changed
