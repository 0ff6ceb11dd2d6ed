"""The History tab's layout and how it says a run: this browser's past runs, newest first.

From a run a visitor can play and download it, copy its settings into its tab, run it again, use
it as a remix source, or attach to any task of their key by id; what those do is
:mod:`playground.web.history_events`.
"""

from __future__ import annotations

import html
import time
from dataclasses import dataclass

import gradio as gr

from .. import veo
from ..runs import Mode, Phase, RunRecord
from .i18n import t
from .media_view import LinkedVideo

_PHASE_MARK = {
    Phase.COMPLETED: "✓",
    Phase.FAILED: "✗",
    Phase.ERROR: "✗",
    Phase.UNCERTAIN: "?",
    Phase.CANCELLED: "–",
    Phase.TIMEOUT: "…",
    Phase.QUEUED: "…",
    Phase.PROCESSING: "…",
    Phase.SUBMITTING: "…",
    Phase.DOWNLOADING: "…",
}


def _cost(record: RunRecord) -> str:
    if record.mode == Mode.DEMO:
        return "demo"
    if record.estimated_cost is None:
        return "price not set"
    return f"${record.estimated_cost:.2f}" + ("" if record.charged else " (not charged)")


def caption(record: RunRecord) -> str:
    body = record.request
    shape = " ".join(
        str(v) for v in (f"{body['duration']} s" if body.get("duration") else None, body.get("resolution")) if v
    )
    label = veo.ACTION_LABELS.get(record.action, record.action)
    return f"{_PHASE_MARK.get(record.phase, '')} {record.phase} · {label} · {_cost(record)} · {record.model} {shape}"


def details(record: RunRecord, now: float | None = None) -> str:
    now = time.time() if now is None else now
    when = time.strftime("%Y-%m-%d %H:%M", time.localtime(record.created_at))
    lines = [
        f"**{html.escape(veo.ACTION_LABELS.get(record.action, record.action))}** · {when} · "
        f"`{html.escape(record.model)}` · {record.phase} · {_cost(record)}",
        f"Task id: `{html.escape(record.task_id or 'none (the provider never answered)')}`",
    ]
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


@dataclass(frozen=True, eq=False)  # components, compared by identity
class HistoryView:
    """The History tab's components."""

    refresh: gr.Button
    #: A task id typed in to attach to (any task of the visitor's key).
    resume_id: gr.Textbox
    resume_btn: gr.Button
    empty: gr.Markdown
    #: One poster (or phase tile) per run, newest first.
    gallery: gr.Gallery
    #: Hidden until a run is picked: its video, details, actions and request.
    detail_row: gr.Row
    video: LinkedVideo
    details: gr.Markdown
    copy_btn: gr.Button
    rerun_btn: gr.Button
    remix_btn: gr.Button
    request: gr.Code
    status: gr.HTML
    #: gr.State per tab session: the run ids the gallery shows, in its order.
    listed: gr.State
    #: gr.State per tab session: the run id picked in the gallery.
    selected: gr.State


def create_history_ui() -> HistoryView:
    """Lay out the History tab inside the current ``gr.Tab``; no events."""
    gr.Markdown(t("history_intro"))
    with gr.Row():
        refresh = gr.Button(t("history_refresh"), size="sm", elem_id="history-refresh", scale=0)
        resume_id = gr.Textbox(
            label=t("history_resume_id"),
            placeholder="task-…",
            scale=3,
            elem_id="history-resume-id",
            info=t("history_resume_info"),
        )
        resume_btn = gr.Button(t("history_attach"), scale=0, elem_id="history-resume")
    empty = gr.Markdown(elem_id="history-empty")
    # Posters keep their size: one past run must not fill the whole page.
    gallery = gr.Gallery(
        label=t("history_runs"),
        columns=5,
        fit_columns=False,
        height=330,
        allow_preview=False,
        object_fit="contain",
        elem_id="history-gallery",
    )
    with gr.Row(visible=False) as detail_row:
        with gr.Column(scale=3):
            video = LinkedVideo(
                label=t("history_video"), interactive=False, buttons=["download"], elem_id="history-video"
            )
        with gr.Column(scale=2):
            details_box = gr.Markdown(elem_id="history-details")
            with gr.Row():
                copy_btn = gr.Button(t("history_copy"), size="sm", elem_id="history-copy")
                rerun_btn = gr.Button(t("history_rerun"), size="sm", variant="primary", elem_id="history-rerun")
                remix_btn = gr.Button(t("history_remix"), size="sm", elem_id="history-remix")
            request = gr.Code(language="json", label=t("history_request"), elem_id="history-request")
    status = gr.HTML(elem_id="history-status")
    return HistoryView(
        refresh=refresh,
        resume_id=resume_id,
        resume_btn=resume_btn,
        empty=empty,
        gallery=gallery,
        detail_row=detail_row,
        video=video,
        details=details_box,
        copy_btn=copy_btn,
        rerun_btn=rerun_btn,
        remix_btn=remix_btn,
        request=request,
        status=status,
        listed=gr.State([]),
        selected=gr.State(None),
    )
