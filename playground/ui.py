"""The page: four action tabs over one catalog, a live cost readout, streamed runs.

This file lays out components and connects events; what the events do lives in
:mod:`playground.handlers`, and every rule they apply lives in :mod:`playground.catalog`.
"""

from __future__ import annotations

import gradio as gr

from . import catalog
from .form import REMIX_FROM_RUN, REMIX_FROM_TASK, REMIX_FROM_URL, ActionForm, model_choices
from .handlers import AppContext, TabHandlers
from .history import HistoryTab
from .view import SessionSpend, model_info, status_panel

MAX_SAMPLES = 4
TAB_INTRO = {
    "generate": "Describe a scene; Veo renders it with motion (and sound, where the model makes it).",
    "image2video": "Animate a still: the image becomes the first frame of the video.",
    "first_last_frame": "Give the first and the last frame; Veo fills in the motion between them.",
    "remix": "Continue an existing clip: pick one of your runs, a task id or a video URL.",
}


def _frame_inputs(label: str, elem: str) -> tuple[gr.File, gr.Textbox]:
    with gr.Column():
        # A file, not gr.Image: gr.Image would decode the upload itself, before our checks
        # (bombs, truncation, renamed files) get to see the bytes.
        file = gr.File(label=f"{label} (JPG, PNG, WEBP; other formats are converted)", file_types=["image"],
                       type="filepath", height=140, elem_id=f"{elem}-file")
        url = gr.Textbox(label=f"…or paste an image URL ({label.lower()})", placeholder="https://…",
                         elem_id=f"{elem}-url")
    return file, url


def _build_form(action: str, destination: str) -> ActionForm:
    default = catalog.DEFAULT_MODEL if action in catalog.get_model(catalog.DEFAULT_MODEL).actions \
        else catalog.models_for_action(action)[0].id
    spec = catalog.get_model(default)
    extras: dict = {}
    with gr.Row():
        with gr.Column(scale=3):
            model = gr.Dropdown(model_choices(action), value=default, label="Model", elem_id=f"{action}-model")
            info = gr.Markdown(model_info(default), elem_classes=["model-info"])
            prompt = gr.Textbox(label="Prompt", lines=3, max_lines=12, elem_id=f"{action}-prompt",
                                placeholder="A golden retriever running on a beach at sunset, cinematic lighting")
            frames: dict = {}
            if action in ("image2video", "first_last_frame"):
                with gr.Row():
                    frames["first_file"], frames["first_url"] = _frame_inputs("First frame", f"{action}-first")
                    if action == "first_last_frame":
                        frames["last_file"], frames["last_url"] = _frame_inputs("Last frame", f"{action}-last")
                gr.Markdown(destination, elem_id=f"{action}-destination")  # said before anything is uploaded
                extras["image_notes"] = gr.Markdown(elem_id=f"{action}-image-notes")
                extras["preview"] = gr.Image(label="First frame as the video will frame it (resize mode)",
                                             interactive=False, height=200, visible=False,
                                             elem_id=f"{action}-resize-preview")
            if action == "remix":
                frames["remix_from"] = gr.Radio([REMIX_FROM_RUN, REMIX_FROM_TASK, REMIX_FROM_URL],
                                                value=REMIX_FROM_RUN, label="Source clip")
                frames["remix_run"] = gr.Dropdown([], label="Finished run", elem_id="remix-source-run",
                                                  info="Runs finished in this browser session appear here.")
                frames["remix_task"] = gr.Textbox(label="Task id", visible=False, placeholder="task-wave…")
                frames["remix_url"] = gr.Textbox(label="Video URL", visible=False, placeholder="https://…/clip.mp4")
        with gr.Column(scale=2):
            duration = gr.Radio(list(spec.durations), value=spec.default_duration, label="Duration (s)",
                                elem_id=f"{action}-duration")
            resolution = gr.Radio(list(spec.resolutions), value=spec.default_resolution, label="Resolution",
                                  elem_id=f"{action}-resolution")
            aspect = gr.Radio(list(catalog.ASPECT_RATIOS), value="16:9", label="Aspect ratio",
                              elem_id=f"{action}-aspect")
            audio = gr.Checkbox(value=False, label="Generate audio", elem_id=f"{action}-audio")
            nudge = gr.Markdown(elem_id=f"{action}-nudge")
    with gr.Accordion("Advanced settings", open=False):
        with gr.Row():
            samples = gr.Slider(1, MAX_SAMPLES, value=1, step=1, label="Samples (videos per run)",
                                elem_id=f"{action}-samples")
            person = gr.Dropdown(list(spec.person_choices), value=spec.person_default, label="Person generation")
            seed = gr.Number(label="Seed", precision=0, visible=False, elem_id=f"{action}-seed")
        negative = gr.Textbox(label="Negative prompt", visible=False,
                              info="Describe what you do not want, directly (no negations).")
        with gr.Row():
            enhance = gr.Checkbox(value=True, label="Enhance prompt", interactive=False,
                                  info="Locked on: Vertex AI forces prompt enhancement.")
            resize = gr.Radio(list(catalog.RESIZE_MODES), value="pad", label="Resize mode",
                              info="pad keeps the whole image with borders; crop fills the frame.") \
                if action in catalog.IMAGE_ACTIONS else None
            raw = gr.Checkbox(value=False, label="Extension only (raw)",
                              info="Return only the new part, not joined to the source clip.") \
                if action == "remix" else None
        callback = gr.Textbox(label="Callback URL (optional)", placeholder="https://your-server/hook",
                              info="The provider POSTs the finished task there; the playground still polls.")
    return ActionForm(action=action, model=model, model_info=info, prompt=prompt, duration=duration,
                      resolution=resolution, aspect_ratio=aspect, audio=audio, samples=samples,
                      negative_prompt=negative, seed=seed, person=person, enhance_prompt=enhance,
                      callback_url=callback, resize_mode=resize, raw=raw, nudge=nudge, extras=extras, **frames)


def _build_tab(action: str, ctx: AppContext, shared: dict) -> TabHandlers:
    gr.Markdown(TAB_INTRO[action])
    form = _build_form(action, ctx.frames.destination_text())
    with gr.Row(equal_height=False):
        with gr.Column(scale=2):
            cost = gr.Markdown(elem_classes=["cost-readout"], elem_id=f"{action}-cost")
            with gr.Row():
                run = gr.Button("Generate", variant="primary", elem_id=f"{action}-run")
                cancel = gr.Button("Cancel", variant="stop", interactive=False, elem_id=f"{action}-cancel")
        with gr.Column(scale=3):
            status = gr.HTML(status_panel(None), elem_id=f"{action}-status")
    with gr.Row():
        videos = [gr.Video(label=f"Sample {i + 1}", visible=i == 0, interactive=False, height=400,
                           buttons=["download"], elem_id=f"{action}-video-{i + 1}") for i in range(MAX_SAMPLES)]
    with gr.Accordion("Request JSON and curl", open=False):
        request_json = gr.Code(language="json", label="Request body", elem_id=f"{action}-request")
        curl = gr.Code(language="shell", label="curl (key read from $WAVE_API_KEY)", elem_id=f"{action}-curl")
        task_json = gr.JSON(label="Final task", elem_id=f"{action}-task-json")
    task_id = gr.State(None)
    handlers = TabHandlers(ctx, form, shared, cost=cost, run=run, cancel=cancel, status=status, videos=videos,
                           request_json=request_json, curl=curl, task_json=task_json, task_id=task_id)
    handlers.wire()
    return handlers


def _identity_state(ctx: AppContext) -> dict:
    """What the browser keeps across refreshes: who it is and which runs it is waiting for."""
    return {
        "visitor": gr.BrowserState("", storage_key="veo-playground-visitor", secret=ctx.browser_secret),
        "pending": gr.BrowserState([], storage_key="veo-playground-pending", secret=ctx.browser_secret),
        # Set once the page knows who it is: resuming and the history listing wait for it.
        "visitor_ready": gr.State(""),
        "history_changed": gr.State(""),
    }


def build_app(ctx: AppContext) -> gr.Blocks:
    with gr.Blocks(title="Veo Playground") as demo:
        gr.Markdown("# Veo Playground\nGoogle Veo 3.1 video generation through the Wave task API. "
                    "The price of what you are about to run is always shown beside the button.")
        banner = gr.HTML()
        with gr.Accordion("Wave API key", open=False, visible=not ctx.settings.api_key) as key_box:
            key = gr.Textbox(label="Your Wave API key", type="password", elem_id="api-key",
                             placeholder="Leave empty to use the demo simulator",
                             info="Used only for your own requests from this browser; never logged or shown.")
            remember = gr.Checkbox(label="Remember the key in this browser", value=False, elem_id="remember-key")
        shared = {"demo": demo, "key": key, "remember": remember, "banner": banner, "key_box": key_box,
                  "spend": gr.State(SessionSpend()), "runs": gr.State([]),
                  "stored_key": gr.BrowserState("", storage_key="veo-playground-key", secret=ctx.browser_secret)}
        shared.update(_identity_state(ctx))
        tab_handlers: dict[str, TabHandlers] = {}
        with gr.Tabs() as tabs:
            for action in catalog.ACTIONS:
                with gr.Tab(catalog.ACTION_LABELS[action], id=action, elem_id=f"tab-{action}"):
                    tab_handlers[action] = _build_tab(action, ctx, shared)
            with gr.Tab("History", id="history", elem_id="tab-history") as history_tab:
                history = HistoryTab(ctx, shared, tabs, tab_handlers)
                history.build()
        history.wire(history_tab)
        TabHandlers.wire_page(ctx, demo, shared)
        ctx.register_api(demo)
    return demo
