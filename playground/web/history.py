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
from ..runs import GroupKind, Mode, Phase, RunRecord
from ..texts import Lang, say, text
from .i18n import t
from .media_view import LinkedVideo
from .view import SECONDS, TASK_ID

# How a run reads on its card and in its details.
DEMO = text("web.history.demo", "demo")
PRICE_NOT_SET = text("web.history.price_not_set", "price not set")
NOT_CHARGED = text("web.history.not_charged", "{cost} (not charged)")
NO_TASK_ID = text("web.history.no_task_id", "none (the provider never answered)")
TIMES = text("web.history.times", "Queued {queued} s · processing {processing} s")
EXPIRY_NOT_GIVEN = text("web.history.expiry_not_given", "expiry not given")
VALID_UNTIL = text("web.history.valid_until", "valid until {when}")
EXPIRED = text("web.history.expired", "expired")
SAMPLE_LINK = text("web.history.sample_link", "sample {number}")
PROVIDER_LINKS = text("web.history.provider_links", "Provider links ({state}):")
NOT_SAVED_HERE = text(
    "web.history.not_saved_here",
    "**The video was not saved on this server**; the provider's links above are all there is.",
)
# What the History tab's buttons answer.
NO_RUNS_YET = text("web.history.no_runs_yet", "No runs yet. Finished and running tasks from this browser appear here.")
PICK_A_RUN = text("web.history.pick_a_run", "Pick a run first.")
ONLY_FINISHED_REMIX = text("web.history.only_finished_remix", "Only a finished run can be remixed.")
PICK_TO_RERUN = text("web.history.pick_to_rerun", "Pick a run to run again.")
NOT_SUBMITTED_BECAUSE = text("web.history.not_submitted_because", "Not submitted: {reason}")
ENTER_TASK_ID = text("web.history.enter_task_id", "Enter a task id.")

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


def _cost(record: RunRecord, lang: Lang) -> str:
    if record.mode == Mode.DEMO:
        return say(DEMO(), lang)
    if record.estimated_cost is None:
        return say(PRICE_NOT_SET(), lang)
    cost = f"${record.estimated_cost:.2f}"
    return cost if record.charged else say(NOT_CHARGED(cost=cost), lang)


def _action(record: RunRecord, lang: Lang) -> str:
    return say(veo.ACTION_LABELS.get(record.action, record.action), lang)


GROUP_TAG = text("web.history.group_tag", "compare {group} · cell {cell}")
BOARD_TAG = text("web.history.board_tag", "storyboard {group} · shot {cell}")
SHARE_REVOKED = text("web.history.share_revoked", "The link is revoked: it answers 404 from now on.")
NOTHING_TO_REVOKE = text("web.history.nothing_to_revoke", "This run has no live share link.")
ONLY_FINISHED_SHARE = text("web.history.only_finished_share", "Only a finished run with its video can be shared.")
NO_SHARES = text("web.history.no_shares", "No share links yet.")
UNPRICED = text("web.history.unpriced", "no set price")
RERUN_FROM = text("web.history.rerun_from", "Make shot {n} and the shots after it again: {cost}")
GROUP_LINE = text("web.history.group_line", "One of a compare grid of {count}:")
BOARD_LINE = text("web.history.board_line", "A shot of a storyboard of {count}; each shot continues the one before:")


def _group_tag(record: RunRecord, lang: Lang) -> str:
    if not record.group_id:
        return ""
    board = record.group_kind == GroupKind.STORYBOARD
    tag = (BOARD_TAG if board else GROUP_TAG)(group=record.group_id[:6], cell=(record.group_index or 0) + 1)
    return f" · {'▤' if board else '▦'} {say(tag, lang)}"


def group_lines(records: list[RunRecord], lang: Lang = Lang.EN) -> str:
    """The runs of a group, one line each, under a run's details: a grid's cells, or a board's lineage."""
    if len(records) < 2:
        return ""
    board = records[0].group_kind == GroupKind.STORYBOARD
    lines = [
        f"{(r.group_index or 0) + 1}. `{html.escape(r.model)}` · {say(r.phase.label, lang)} · {_cost(r, lang)}"
        + (f" · “{html.escape(str(r.request.get('prompt', ''))[:40])}”" if board else "")
        for r in records
    ]
    head = (BOARD_LINE if board else GROUP_LINE)(count=len(records))
    return f"{say(head, lang)}\n\n" + "  \n".join(lines)


def caption(record: RunRecord, lang: Lang = Lang.EN) -> str:
    body = record.request
    duration = say(SECONDS(seconds=body["duration"]), lang) if body.get("duration") else None
    shape = " ".join(str(v) for v in (duration, body.get("resolution")) if v)
    phase = say(record.phase.label, lang)
    return (
        f"{_PHASE_MARK.get(record.phase, '')} {phase} · {_action(record, lang)} · {_cost(record, lang)} · "
        f"{record.model} {shape}{_group_tag(record, lang)}"
    )


def _links_state(record: RunRecord, now: float, lang: Lang) -> str:
    if record.expires_at is None:
        return say(EXPIRY_NOT_GIVEN(), lang)
    if record.expires_at > now:
        return say(VALID_UNTIL(when=time.strftime("%Y-%m-%d %H:%M", time.localtime(record.expires_at))), lang)
    return say(EXPIRED(), lang)


def details(record: RunRecord, now: float | None = None, lang: Lang = Lang.EN) -> str:
    now = time.time() if now is None else now
    when = time.strftime("%Y-%m-%d %H:%M", time.localtime(record.created_at))
    task_id = record.task_id or say(NO_TASK_ID(), lang)
    lines = [
        f"**{html.escape(_action(record, lang))}** · {when} · "
        f"`{html.escape(record.model)}` · {say(record.phase.label, lang)} · {_cost(record, lang)}",
        f"{say(TASK_ID(), lang)} `{html.escape(task_id)}`",
    ]
    if record.queued_seconds or record.processing_seconds:
        times = TIMES(queued=f"{record.queued_seconds:.0f}", processing=f"{record.processing_seconds:.0f}")
        lines.append(say(times, lang))
    if record.message:
        # Kept as text in the history: a run that ended before this page opened reads as it was recorded.
        lines.append(html.escape(say(record.message, lang)))
    prompt = str(record.request.get("prompt", ""))
    if prompt:
        lines.append(f"> {html.escape(prompt)}")
    if record.urls:
        links = " ".join(
            f"[{say(SAMPLE_LINK(number=i + 1), lang)}]({html.escape(u)})" for i, u in enumerate(record.urls)
        )
        lines.append(f"{say(PROVIDER_LINKS(state=_links_state(record, now, lang)), lang)} {links}")
    if record.urls and not record.files:
        lines.append(say(NOT_SAVED_HERE(), lang))
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
    #: Make (or show again) the picked run's share link, revoke it; the link shows in ``share_link``.
    share_btn: gr.Button
    unshare_btn: gr.Button
    share_link: gr.Textbox
    #: This visitor's live share links, one line each.
    share_list: gr.Markdown
    #: Shown for a shot of a finished storyboard: make it and the shots after it again (its price on it).
    board_rerun: gr.Button
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
            with gr.Row():
                share_btn = gr.Button(t("history_share"), size="sm", elem_id="history-share")
                unshare_btn = gr.Button(t("history_unshare"), size="sm", elem_id="history-unshare")
            share_link = gr.Textbox(
                label=t("history_share_link"), interactive=False, buttons=["copy"], elem_id="history-share-link"
            )
            board_rerun = gr.Button(
                t("history_board_rerun"), size="sm", visible=False, variant="primary", elem_id="history-board-rerun"
            )
            request = gr.Code(language="json", label=t("history_request"), elem_id="history-request")
    status = gr.HTML(elem_id="history-status")
    with gr.Accordion(t("history_share_list"), open=False):
        share_list = gr.Markdown(elem_id="history-share-list")
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
        share_btn=share_btn,
        unshare_btn=unshare_btn,
        share_link=share_link,
        share_list=share_list,
        board_rerun=board_rerun,
        request=request,
        status=status,
        listed=gr.State([]),
        selected=gr.State(None),
    )
