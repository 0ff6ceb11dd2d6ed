"""The Storyboard tab's layout: the board's settings, up to ten shot rows, its price, progress and video. No events.

Every shot row exists from the start and is shown as the board grows, so the events have fixed
components to write to; :mod:`playground.web.storyboard_events` wires them.
"""

from __future__ import annotations

from dataclasses import dataclass

import gradio as gr

from .. import veo
from .i18n import t
from .media_view import LinkedVideo

#: Shots shown on a fresh page: the fewest a board has.
FIRST_SHOTS = veo.MIN_SHOTS


@dataclass(frozen=True, eq=False)
class ShotRow:
    row: gr.Row
    #: Move up, move down, remove: shown with the row.
    buttons: gr.Row
    prompt: gr.Textbox
    duration: gr.Dropdown
    up: gr.Button
    down: gr.Button
    remove: gr.Button


@dataclass(frozen=True, eq=False)
class BoardView:
    tab: gr.Tab
    model: gr.Dropdown
    resolution: gr.Dropdown
    aspect_ratio: gr.Dropdown
    audio: gr.Checkbox
    first_file: gr.File
    first_url: gr.Textbox
    rows: list[ShotRow]
    #: gr.State: how many shot rows are part of the board.
    shown: gr.State
    add: gr.Button
    cost: gr.Markdown
    run: gr.Button
    cancel: gr.Button
    status: gr.HTML
    video: LinkedVideo
    #: gr.State: the group id of the board shown, for Cancel.
    group: gr.State

    def settings_inputs(self) -> list[gr.components.Component]:
        return [self.model, self.resolution, self.aspect_ratio, self.audio, self.first_file, self.first_url]

    def board_inputs(self) -> list[gr.components.Component]:
        """Everything the board's price and run read, in a fixed order (:func:`storyboard_events.read_board`)."""
        return [*self.settings_inputs(), self.shown] + [c for row in self.rows for c in (row.prompt, row.duration)]


def _shot_row(n: int, durations: list[int], default: int) -> ShotRow:  # one shot's prompt, length and buttons
    with gr.Row(visible=n <= FIRST_SHOTS, equal_height=True, elem_classes=["variant-row"], elem_id=f"shot-{n}") as row:
        prompt = gr.Textbox(
            label=t("board_shot") + f" {n}", lines=1, max_lines=4, elem_id=f"shot-{n}-prompt", scale=6, min_width=240
        )
        duration = gr.Dropdown(
            durations, value=default, label=t("board_seconds"), elem_id=f"shot-{n}-duration", min_width=90, scale=1
        )
    with gr.Row(visible=n <= FIRST_SHOTS, elem_classes=["shot-buttons"]) as buttons:
        up = gr.Button(t("board_up"), size="sm", elem_id=f"shot-{n}-up", min_width=50, scale=0)
        down = gr.Button(t("board_down"), size="sm", elem_id=f"shot-{n}-down", min_width=50, scale=0)
        remove = gr.Button(t("board_remove"), size="sm", elem_id=f"shot-{n}-remove", min_width=60, scale=0)
    return ShotRow(row, buttons, prompt, duration, up, down, remove)


def create_storyboard_ui(tab: gr.Tab) -> BoardView:
    """Lay out the Storyboard tab inside ``tab``."""
    gr.Markdown(t("intro_storyboard"), elem_classes=["tab-intro"])
    spec = veo.get_model(veo.board_models()[1])  # Fast: the cheaper way to try a board
    durations = list(spec.durations)
    with gr.Row(equal_height=False, elem_classes=["workspace"]):
        with gr.Column(scale=6, min_width=420):
            with gr.Row(equal_height=True):
                model = gr.Dropdown(
                    veo.board_models(), value=spec.id, label=t("model"), elem_id="board-model", min_width=200, scale=3
                )
                resolution = gr.Dropdown(
                    list(spec.resolutions),
                    value=spec.default_resolution,
                    label=t("resolution"),
                    elem_id="board-resolution",
                    min_width=110,
                )
                aspect = gr.Dropdown(
                    list(veo.ASPECT_RATIOS),
                    value="16:9",
                    label=t("aspect_ratio"),
                    elem_id="board-aspect",
                    min_width=100,
                )
                audio = gr.Checkbox(value=False, label=t("audio"), elem_id="board-audio", min_width=100)
            with gr.Accordion(t("board_first_frame"), open=False), gr.Row():
                first_file = gr.File(label=t("first_file"), file_types=["image"], type="filepath", height=120)
                first_url = gr.Textbox(label=t("first_url"), placeholder="https://…", elem_id="board-first-url")
            rows = [_shot_row(n, durations, spec.default_duration) for n in range(1, veo.MAX_SHOTS + 1)]
            add = gr.Button(t("board_add"), size="sm", elem_id="board-add")
        with gr.Column(scale=5, min_width=340, elem_classes=["result-pane"]):
            cost = gr.Markdown(elem_classes=["cost-readout"], elem_id="board-cost")
            with gr.Row(elem_classes=["run-buttons"]):
                run = gr.Button(t("board_run"), variant="primary", elem_id="board-run")
                cancel = gr.Button(t("board_cancel"), variant="stop", interactive=False, elem_id="board-cancel")
            status = gr.HTML(elem_id="board-status")
            video = LinkedVideo(
                label=t("board_video"), interactive=False, height=300, buttons=["download"], elem_id="board-video"
            )
    return BoardView(
        tab=tab,
        model=model,
        resolution=resolution,
        aspect_ratio=aspect,
        audio=audio,
        first_file=first_file,
        first_url=first_url,
        rows=rows,
        shown=gr.State(FIRST_SHOTS),
        add=add,
        cost=cost,
        run=run,
        cancel=cancel,
        status=status,
        video=video,
        group=gr.State(None),
    )
