"""The History tab: this browser's past runs, newest first, and what can be done with each.

From a run a visitor can play and download it, copy its settings into its tab, run it again, use
it as a remix source, or attach to any task of their key by id. Every read goes through the owner
id of the visitor's own browser identity, so nobody sees another visitor's runs or files.
"""

from __future__ import annotations

import html
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, AsyncIterator

import gradio as gr

from ..veo import catalog
from ..veo.catalog import FormValues
from .form import REMIX_FROM_TASK
from ..runs.frames import FrameError
from .i18n import t
from .media_view import LinkedVideo, page_root
from ..runs.ownership import Refused
from ..runs.engine import RunUpdate
from ..runs.store import RunRecord
from ..runs.tracker import TrackedRun
from .view import status_panel

if TYPE_CHECKING:
    from .handlers import AppContext, TabHandlers

_PHASE_MARK = {"completed": "✓", "failed": "✗", "error": "✗", "uncertain": "?", "cancelled": "–",
               "timeout": "…", "queued": "…", "processing": "…", "submitting": "…", "downloading": "…"}


def _cost(record: RunRecord) -> str:
    if record.mode == "demo":
        return "demo"
    if record.estimated_cost is None:
        return "price not set"
    return f"${record.estimated_cost:.2f}" + ("" if record.charged else " (not charged)")


def caption(record: RunRecord) -> str:
    body = record.request
    shape = " ".join(str(v) for v in (f"{body['duration']} s" if body.get("duration") else None,
                                      body.get("resolution")) if v)
    label = catalog.ACTION_LABELS.get(record.action, record.action)
    return f"{_PHASE_MARK.get(record.phase, '')} {record.phase} · {label} · {_cost(record)} · {record.model} {shape}"


def details(record: RunRecord, now: float | None = None) -> str:
    now = time.time() if now is None else now
    when = time.strftime("%Y-%m-%d %H:%M", time.localtime(record.created_at))
    lines = [f"**{html.escape(catalog.ACTION_LABELS.get(record.action, record.action))}** · {when} · "
             f"`{html.escape(record.model)}` · {record.phase} · {_cost(record)}",
             f"Task id: `{html.escape(record.task_id or 'none (the provider never answered)')}`"]
    if record.queued_seconds or record.processing_seconds:
        lines.append(f"Queued {record.queued_seconds:.0f} s · processing {record.processing_seconds:.0f} s")
    if record.message:
        lines.append(html.escape(record.message))
    prompt = str(record.request.get("prompt", ""))
    if prompt:
        lines.append(f"> {html.escape(prompt)}")
    if record.urls:
        if record.expires_at is None:
            state = "expiry not given"
        elif record.expires_at > now:
            state = f"valid until {time.strftime('%Y-%m-%d %H:%M', time.localtime(record.expires_at))}"
        else:
            state = "expired"
        links = " ".join(f"[sample {i + 1}]({html.escape(u)})" for i, u in enumerate(record.urls))
        lines.append(f"Provider links ({state}): {links}")
    if record.urls and not record.files:
        lines.append("**The video was not saved on this server**; the provider's links above are all there is.")
    return "\n\n".join(lines)


@dataclass
class HistoryTab:
    ctx: "AppContext"
    shared: dict
    tabs: gr.Tabs
    handlers: dict[str, "TabHandlers"]

    def build(self) -> None:
        gr.Markdown(t("history_intro"))
        with gr.Row():
            self.refresh = gr.Button(t("history_refresh"), size="sm", elem_id="history-refresh", scale=0)
            self.resume_id = gr.Textbox(label=t("history_resume_id"), placeholder="task-…", scale=3,
                                        elem_id="history-resume-id",
                                        info=t("history_resume_info"))
            self.resume_btn = gr.Button(t("history_attach"), scale=0, elem_id="history-resume")
        self.empty = gr.Markdown(elem_id="history-empty")
        # Posters keep their size: one past run must not fill the whole page.
        self.gallery = gr.Gallery(label=t("history_runs"), columns=5, fit_columns=False, height=330,
                                  allow_preview=False, object_fit="contain", elem_id="history-gallery")
        with gr.Row(visible=False) as self.detail_row:
            with gr.Column(scale=3):
                self.video = LinkedVideo(label=t("history_video"), interactive=False, buttons=["download"],
                                      elem_id="history-video")
            with gr.Column(scale=2):
                self.details = gr.Markdown(elem_id="history-details")
                with gr.Row():
                    self.copy_btn = gr.Button(t("history_copy"), size="sm", elem_id="history-copy")
                    self.rerun_btn = gr.Button(t("history_rerun"), size="sm", variant="primary", elem_id="history-rerun")
                    self.remix_btn = gr.Button(t("history_remix"), size="sm", elem_id="history-remix")
                self.request = gr.Code(language="json", label=t("history_request"), elem_id="history-request")
        self.status = gr.HTML(elem_id="history-status")
        self.listed = gr.State([])
        self.selected = gr.State(None)

    def wire(self, tab: gr.Tab) -> None:
        s = self.shared
        listing = dict(fn=self.list_runs, inputs=[s["visitor"]], outputs=[self.gallery, self.listed, self.empty],
                       api_visibility="private", queue=False, show_progress="hidden")
        gr.on([self.refresh.click, tab.select, s["history_changed"].change], **listing)
        s["loaded"].then(**listing)
        self.gallery.select(self.show, inputs=[s["visitor"], self.listed],
                            outputs=[self.selected, self.detail_row, self.video, self.details, self.request],
                            api_visibility="private", queue=False)
        self.copy_btn.click(self.copy_settings, inputs=[s["visitor"], self.selected],
                            outputs=self._form_outputs(), api_visibility="private", queue=False)
        self.remix_btn.click(self.use_as_remix, inputs=[s["visitor"], self.selected],
                             outputs=self._form_outputs(), api_visibility="private", queue=False)
        follow_outputs = [self.status, self.video, self.detail_row, s["history_changed"]]
        self.rerun_btn.click(self.rerun, inputs=[s["visitor"], s["key"], self.selected], outputs=follow_outputs,
                             api_visibility="private", concurrency_limit=None, show_progress="hidden")
        self.resume_btn.click(self.attach, inputs=[s["visitor"], s["key"], self.resume_id], outputs=follow_outputs,
                              api_visibility="private", concurrency_limit=None, show_progress="hidden")

    def _form_outputs(self) -> list[Any]:
        outputs: list[Any] = [self.tabs]
        for handlers in self.handlers.values():
            outputs += handlers.form.inputs() + handlers.capability_outputs()
        return list(dict.fromkeys(outputs))

    # -- reading ----------------------------------------------------------------------------------

    async def _records(self, token: str, request: gr.Request | None) -> list[RunRecord]:
        store = self.ctx.store
        return await store.call(store.history, self.ctx.owner(token, request))

    async def _record(self, token: str, run_id: str | None, request: gr.Request | None) -> RunRecord | None:
        if not run_id:
            return None
        store = self.ctx.store
        return await store.call(store.owned_run, self.ctx.owner(token, request), run_id)

    async def list_runs(self, token: str, request: gr.Request) -> tuple:
        records = await self._records(token, request)
        root, links = page_root(request), self.ctx.media_links
        # Signed afresh at every listing, so the posters keep showing however long ago (or before which
        # restart) they were made; a run without one shows its phase's shared tile.
        items = [(links.poster(root, r.run_id) if r.poster and Path(r.poster).exists() else links.card(root, r.phase),
                  caption(r)) for r in records]
        empty = "" if records else "_No runs yet. Finished and running tasks from this browser appear here._"
        return items, [r.run_id for r in records], empty

    async def show(self, token: str, listed: list[str], evt: gr.SelectData, request: gr.Request) -> tuple:
        run_id = listed[evt.index] if isinstance(evt.index, int) and evt.index < len(listed) else None
        record = await self._record(token, run_id, request)
        if record is None:
            return None, gr.update(visible=False), None, "", ""
        playable = record.files and Path(record.files[0]).exists()
        video = self.ctx.media_links.video(page_root(request), record.run_id, 0) if playable else None
        return (record.run_id, gr.update(visible=True), video, details(record),
                json.dumps(record.request, indent=2, ensure_ascii=False))

    # -- acting -----------------------------------------------------------------------------------

    async def copy_settings(self, token: str, run_id: str | None, request: gr.Request) -> dict:
        record = await self._record(token, run_id, request)
        if record is None or record.action not in self.handlers:
            gr.Warning("Pick a run first.")
            return {}
        body = self.ctx.tracker.visitor_body(record.request)
        return {self.tabs: gr.Tabs(selected=record.action),
                **self.handlers[record.action].fill_from(FormValues.from_body(body))}

    async def use_as_remix(self, token: str, run_id: str | None, request: gr.Request) -> dict:
        record = await self._record(token, run_id, request)
        if record is None or record.phase != "completed" or not record.task_id:
            gr.Warning("Only a finished run can be remixed.")
            return {}
        remix = self.handlers["remix"].form
        return {self.tabs: gr.Tabs(selected="remix"), remix.remix_from: REMIX_FROM_TASK,
                remix.remix_task: gr.update(value=record.task_id, visible=True),
                remix.remix_run: gr.update(visible=False), remix.remix_url: gr.update(visible=False)}

    async def rerun(self, token: str, key: str, run_id: str | None, request: gr.Request) -> AsyncIterator[tuple]:
        record = await self._record(token, run_id, request)
        if record is None or not record.request:
            yield status_panel(None, "Pick a run to run again."), gr.update(), gr.update(), gr.update()
            return
        owner = self.ctx.owner(token, request)
        conn = self.ctx.connection(key, owner)
        body = self.ctx.tracker.visitor_body(record.request)
        built = catalog.build_request(FormValues.from_body(body, received=False))
        refusal = built.message() if not built.ok else await self._unsafe_source(conn, owner, record.action, body)
        if refusal:
            yield (status_panel(RunUpdate("error", f"Not submitted: {refusal}")), gr.update(), gr.update(),
                   gr.update())
            return
        run = await self.ctx.start_run(conn, owner, built)
        async for out in self._follow(run, page_root(request)):
            yield out

    async def _unsafe_source(self, conn: Any, owner: str, action: str, body: dict) -> str | None:
        """A recorded remix source is checked again, as when it was first given."""
        if action != "remix" or not body.get("first_frame_image"):
            return None
        try:
            await self.ctx.frames.remix_url(conn, owner, str(body["first_frame_image"]))
        except FrameError as exc:
            return str(exc)
        return None

    async def attach(self, token: str, key: str, task_id: str, request: gr.Request) -> AsyncIterator[tuple]:
        task_id = (task_id or "").strip()
        if not task_id:
            yield status_panel(None, "Enter a task id."), gr.update(), gr.update(), gr.update()
            return
        owner = self.ctx.owner(token, request)
        conn = self.ctx.connection(key, owner)
        access = await self.ctx.ownership.task(owner, conn, task_id)
        if isinstance(access, Refused):
            yield status_panel(RunUpdate("error", access.message)), gr.update(), gr.update(), gr.update()
            return
        run = await self.ctx.tracker.attach(conn, owner, task_id)
        async for out in self._follow(run, page_root(request)):
            yield out

    async def _follow(self, run: TrackedRun | str, root: str) -> AsyncIterator[tuple]:
        if isinstance(run, str):
            yield status_panel(RunUpdate("error", run)), gr.update(), gr.update(), gr.update()
            return
        async for update in run.updates():
            video = self.ctx.media_links.video(root, run.record.run_id, 0) if update.videos else gr.update()
            shown = gr.update(visible=True) if update.videos else gr.update()
            changed = f"{run.record.run_id}:{update.phase}"
            yield status_panel(update), video, shown, changed
