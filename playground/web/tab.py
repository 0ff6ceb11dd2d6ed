"""One action tab's layout: its form, examples, run buttons, status, videos and request box. No events.

The components come back as a :class:`TabView`; :mod:`playground.web.tab_events` wires them once every
tab is built, so a tab's events may refer to another tab's components.
"""

from __future__ import annotations

from dataclasses import dataclass

import gradio as gr

from .. import veo
from ..runs import REMIX_FROM_RUN, REMIX_FROM_TASK, REMIX_FROM_URL
from .examples import build_examples
from .form import ActionForm, model_choices
from .i18n import EN, t
from .media_view import LinkedVideo
from .references import build_callback_events, build_references
from .view import idle_status, model_info

MAX_SAMPLES = 4
#: Tall enough to judge a take, short enough that the first one shows under the price on a laptop screen.
VIDEO_HEIGHT = 300


@dataclass(frozen=True, eq=False)  # components, compared by identity
class TabView:
    """Every component of one action tab besides the page's shared ones."""

    form: ActionForm
    #: Filling a form from an example fires no input event; the tab's events follow this one.
    examples: gr.Examples
    cost: gr.Markdown
    run: gr.Button
    cancel: gr.Button
    status: gr.HTML
    #: One player per sample; only the first shows until a run has more.
    videos: list[LinkedVideo]
    request_json: gr.Code
    curl: gr.Code
    task_json: gr.JSON
    #: gr.State per tab session: the task the Cancel button cancels (and Share shares once it is done).
    task_id: gr.State
    share: gr.Button
    #: The run's share link, shown once made.
    share_link: gr.Textbox


def _frame_inputs(which: str, elem: str) -> tuple[gr.File, gr.Textbox]:
    with gr.Column():
        # A file, not gr.Image: gr.Image would decode the upload itself, before our checks
        # (bombs, truncation, renamed files) get to see the bytes.
        file = gr.File(
            label=t(f"{which}_file"), file_types=["image"], type="filepath", height=140, elem_id=f"{elem}-file"
        )
        url = gr.Textbox(label=t(f"{which}_url"), placeholder="https://…", elem_id=f"{elem}-url")
    return file, url


def _destination_note(text: str) -> str:
    """The note's heading in the visitor's language; the hosts it names are said as the resolver says them."""
    heading = EN["destination_heading"]
    return t("destination_heading") + text.removeprefix(heading) if text.startswith(heading) else text


def _frame_controls(action: str, destination: str, extras: dict) -> dict:
    """The image inputs of the image actions, or the remix source; ``extras`` gets the image notes."""
    frames: dict = {}
    if action in ("image2video", "first_last_frame"):
        with gr.Row():
            frames["first_file"], frames["first_url"] = _frame_inputs("first", f"{action}-first")
            if action == "first_last_frame":
                frames["last_file"], frames["last_url"] = _frame_inputs("last", f"{action}-last")
        # Said before anything is uploaded.
        # Said again in the visitor's language once the page has loaded (``locale_events``).
        extras["destination"] = gr.Markdown(_destination_note(destination), elem_id=f"{action}-destination")
        extras["image_notes"] = gr.Markdown(elem_id=f"{action}-image-notes")
        extras["preview"] = gr.Image(
            label=t("resize_preview"), interactive=False, height=200, visible=False, elem_id=f"{action}-resize-preview"
        )
    if action == "remix":
        # Handlers compare the values, so only the labels are translated.
        frames["remix_from"] = gr.Radio(
            [
                (t("remix_from_run"), REMIX_FROM_RUN),
                (t("remix_from_task"), REMIX_FROM_TASK),
                (t("remix_from_url"), REMIX_FROM_URL),
            ],
            value=REMIX_FROM_RUN,
            label=t("remix_from"),
            elem_id="remix-from",
        )
        frames["remix_run"] = gr.Dropdown(
            [], label=t("remix_run"), elem_id="remix-source-run", info=t("remix_run_info")
        )
        frames["remix_task"] = gr.Textbox(
            label=t("remix_task"), visible=False, placeholder="task-wave…", elem_id="remix-source-task"
        )
        frames["remix_url"] = gr.Textbox(label=t("remix_url"), visible=False, placeholder="https://…/clip.mp4")
    return frames


def build_form(action: str, destination: str) -> ActionForm:
    """The tab's controls, set for the action's default model."""
    default = (
        veo.DEFAULT_MODEL if action in veo.get_model(veo.DEFAULT_MODEL).actions else veo.models_for_action(action)[0].id
    )
    spec = veo.get_model(default)
    extras: dict = {}
    model = gr.Dropdown(model_choices(action), value=default, label=t("model"), elem_id=f"{action}-model")
    info = gr.Markdown(model_info(default), elem_classes=["model-info"])
    prompt = gr.Textbox(
        label=t("prompt"),
        lines=3,
        max_lines=12,
        elem_id=f"{action}-prompt",
        placeholder=t("prompt_placeholder"),
        info=t("prompt_info"),
        elem_classes=["prompt-box"],
    )
    recent = gr.Dropdown(
        [], value=None, label=t("recent_prompts"), elem_id=f"{action}-recent", visible=False, filterable=False
    )
    frames = _frame_controls(action, destination, extras)
    with gr.Row(elem_classes=["settings-row"]):
        duration = gr.Radio(
            list(spec.durations),
            value=spec.default_duration,
            label=t("duration"),
            elem_id=f"{action}-duration",
            min_width=150,
        )
        resolution = gr.Radio(
            list(spec.resolutions),
            value=spec.default_resolution,
            label=t("resolution"),
            elem_id=f"{action}-resolution",
            min_width=190,
        )
    with gr.Row(elem_classes=["settings-row"]):
        aspect = gr.Radio(
            list(veo.ASPECT_RATIOS), value="16:9", label=t("aspect_ratio"), elem_id=f"{action}-aspect", min_width=150
        )
        # Beside the other controls that set the price, not in "Advanced": Gradio builds a closed
        # accordion's controls on first opening and then re-applies their first values, which undid
        # a number typed while an earlier reply was still on its way (finding 8 of issue 13).
        samples = gr.Slider(
            1, MAX_SAMPLES, value=1, step=1, label=t("samples"), elem_id=f"{action}-samples", min_width=190
        )
    audio = gr.Checkbox(value=False, label=t("audio"), elem_id=f"{action}-audio")
    nudge = gr.Markdown(elem_id=f"{action}-nudge")
    frames |= build_references(action, spec, extras)
    with gr.Accordion(t("advanced"), open=False):
        with gr.Row():
            person = gr.Dropdown(list(spec.person_choices), value=spec.person_default, label=t("person"))
            seed = gr.Number(label=t("seed"), precision=0, visible=False, elem_id=f"{action}-seed")
        negative = gr.Textbox(label=t("negative_prompt"), visible=False, info=t("negative_prompt_info"))
        with gr.Row():
            enhance = gr.Checkbox(
                value=True, label=t("enhance_prompt"), interactive=False, info=t("enhance_prompt_info")
            )
            resize = (
                gr.Radio(list(veo.RESIZE_MODES), value="pad", label=t("resize_mode"), info=t("resize_mode_info"))
                if action in veo.IMAGE_ACTIONS
                else None
            )
            raw = gr.Checkbox(value=False, label=t("raw"), info=t("raw_info")) if action == "remix" else None
        callback = gr.Textbox(
            label=t("callback_url"), placeholder="https://your-server/hook", info=t("callback_url_info")
        )
        frames["callback_events"] = build_callback_events(action, spec)
    return ActionForm(
        action=action,
        model=model,
        model_info=info,
        prompt=prompt,
        recent_prompts=recent,
        duration=duration,
        resolution=resolution,
        aspect_ratio=aspect,
        audio=audio,
        samples=samples,
        negative_prompt=negative,
        seed=seed,
        person=person,
        enhance_prompt=enhance,
        callback_url=callback,
        resize_mode=resize,
        raw=raw,
        nudge=nudge,
        extras=extras,
        **frames,
    )


def create_tab_ui(action: str, destination: str) -> TabView:
    """Lay out one action tab inside the current ``gr.Tab``; ``destination`` says where images go."""
    gr.Markdown(t(f"intro_{action}"), elem_classes=["tab-intro"])
    # Two panes that wrap into one column on a narrow screen: what you set on the left, what it costs
    # and what it made on the right, so the prompt, the price, Generate and the video share one screen.
    with gr.Row(equal_height=False, elem_classes=["workspace"]):
        with gr.Column(scale=5, min_width=340, elem_classes=["inputs-pane"]):
            form = build_form(action, destination)
            examples = build_examples(form)
        with gr.Column(scale=6, min_width=340, elem_classes=["result-pane"]):
            cost = gr.Markdown(elem_classes=["cost-readout"], elem_id=f"{action}-cost")
            with gr.Row(elem_classes=["run-buttons"]):
                run = gr.Button(t("run"), variant="primary", elem_id=f"{action}-run")
                cancel = gr.Button(t("cancel"), variant="stop", interactive=False, elem_id=f"{action}-cancel")
            status = gr.HTML(idle_status(), elem_id=f"{action}-status", elem_classes=["status-box"])
            with gr.Row(elem_classes=["videos"]):
                videos = [
                    LinkedVideo(
                        label=t("sample") + f" {i + 1}",
                        visible=i == 0,
                        interactive=False,
                        height=VIDEO_HEIGHT,
                        min_width=280,
                        buttons=["download"],
                        elem_id=f"{action}-video-{i + 1}",
                    )
                    for i in range(MAX_SAMPLES)
                ]
            with gr.Row(elem_classes=["share-row"]):
                share = gr.Button(t("history_share"), size="sm", elem_id=f"{action}-share")
                share_link = gr.Textbox(
                    show_label=False,
                    interactive=False,
                    buttons=["copy"],
                    visible=False,
                    scale=4,
                    elem_id=f"{action}-share-link",
                )
            with gr.Accordion(t("request_box"), open=False):
                request_json = gr.Code(language="json", label=t("request_body"), elem_id=f"{action}-request")
                curl = gr.Code(language="shell", label=t("curl"), elem_id=f"{action}-curl")
                task_json = gr.JSON(label=t("final_task"), elem_id=f"{action}-task-json")
    return TabView(
        form=form,
        examples=examples,
        cost=cost,
        run=run,
        cancel=cancel,
        status=status,
        videos=videos,
        request_json=request_json,
        curl=curl,
        task_json=task_json,
        task_id=gr.State(None),
        share=share,
        share_link=share_link,
    )
