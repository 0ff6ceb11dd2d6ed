"""The Compare tab's layout: one prompt, up to eight variant rows, the grid's price, and the results grid. No events.

Every row exists from the start and is shown as the grid grows, so the events have fixed components
to write to; :mod:`playground.web.compare_events` wires them.
"""

from __future__ import annotations

from dataclasses import dataclass

import gradio as gr

from .. import veo
from ..runs import GRID_ACTIONS
from .i18n import t
from .media_view import LinkedVideo

#: The height of a cell's player: four fit across a laptop screen, two rows of them in one screen.
CELL_VIDEO_HEIGHT = 200
#: Rows shown on a fresh page: a grid of one is not a comparison.
FIRST_ROWS = 2


@dataclass(frozen=True, eq=False)
class VariantRow:
    """One variant's controls; ``row`` is shown while the variant is part of the grid."""

    row: gr.Row
    model: gr.Dropdown
    duration: gr.Dropdown
    resolution: gr.Dropdown
    aspect_ratio: gr.Dropdown
    samples: gr.Dropdown
    seed: gr.Number
    audio: gr.Checkbox
    negative_prompt: gr.Textbox
    remove: gr.Button

    def controls(self) -> list[gr.components.Component]:
        """The values a variant is read from, in a fixed order (:func:`compare_events.row_variant`)."""
        return [
            self.model,
            self.duration,
            self.resolution,
            self.aspect_ratio,
            self.samples,
            self.seed,
            self.audio,
            self.negative_prompt,
        ]


@dataclass(frozen=True, eq=False)
class CellView:
    """One result: what differs and where it stands, its video, and what to do with it."""

    column: gr.Column
    status: gr.HTML
    video: LinkedVideo
    use: gr.Button
    to_remix: gr.Button


@dataclass(frozen=True, eq=False)
class CompareView:
    #: The tab itself: a video set while it was hidden is shown again when it is opened.
    tab: gr.Tab
    action: gr.Radio
    prompt: gr.Textbox
    first_file: gr.File
    first_url: gr.Textbox
    last_file: gr.File
    last_url: gr.Textbox
    frames: gr.Row
    last_frame: gr.Column
    rows: list[VariantRow]
    #: gr.State: how many rows are part of the grid.
    shown: gr.State
    add: gr.Button
    every_model: gr.Button
    seed_from: gr.Number
    seed_count: gr.Number
    seeds: gr.Button
    resolutions: gr.Button
    cost: gr.Markdown
    run: gr.Button
    cancel: gr.Button
    status: gr.HTML
    image_notes: gr.Markdown
    cells: list[CellView]
    #: gr.State: the run id of each cell of the grid shown, for "use this one" and Cancel.
    cell_runs: gr.State

    def frame_controls(self) -> list[gr.components.Component]:
        return [self.first_file, self.first_url, self.last_file, self.last_url]

    def grid_inputs(self) -> list[gr.components.Component]:
        """Everything the grid's price and run read, in a fixed order (:func:`compare_events.read_grid`)."""
        return [self.action, self.prompt, *self.frame_controls(), self.shown] + [
            c for row in self.rows for c in row.controls()
        ]


def _variant_row(n: int, visible: bool) -> VariantRow:
    """One line per variant; a fresh page offers the first models that can do text to video."""
    spec = veo.models_for_action("generate")[n - 1 if n <= 2 else 0]
    small = dict(min_width=100, scale=1)
    with gr.Row(visible=visible, equal_height=True, elem_classes=["variant-row"], elem_id=f"variant-{n}") as row:
        model = gr.Dropdown(
            [m.id for m in veo.models_for_action("generate")],
            value=spec.id,
            label=t("compare_variant") + f" {n}",
            elem_id=f"variant-{n}-model",
            min_width=190,
            scale=3,
        )
        duration = gr.Dropdown(
            list(spec.durations),
            value=spec.default_duration,
            label=t("compare_duration"),
            elem_id=f"variant-{n}-duration",
            **small,
        )
        resolution = gr.Dropdown(
            list(spec.resolutions),
            value=spec.default_resolution,
            label=t("resolution"),
            elem_id=f"variant-{n}-resolution",
            min_width=112,
            scale=1,
        )
        aspect = gr.Dropdown(
            list(veo.ASPECT_RATIOS), value="16:9", label=t("compare_aspect"), elem_id=f"variant-{n}-aspect", **small
        )
        samples = gr.Dropdown([1], value=1, label=t("compare_samples"), elem_id=f"variant-{n}-samples", **small)
        audio = gr.Checkbox(value=False, label=t("compare_audio"), elem_id=f"variant-{n}-audio", **small)
        seed = gr.Number(label=t("compare_seed"), precision=0, elem_id=f"variant-{n}-seed", visible=False, **small)
        negative = gr.Textbox(
            label=t("compare_neg"), elem_id=f"variant-{n}-negative", visible=False, min_width=120, scale=2
        )
        remove = gr.Button(t("compare_remove"), size="sm", elem_id=f"variant-{n}-remove", min_width=60, scale=0)
    return VariantRow(row, model, duration, resolution, aspect, samples, seed, audio, negative, remove)


def _cell(n: int) -> CellView:
    with gr.Column(visible=False, min_width=240, elem_classes=["compare-cell"], elem_id=f"cell-{n}") as column:
        status = gr.HTML(elem_id=f"cell-{n}-status")
        video = LinkedVideo(
            label=t("compare_cell") + f" {n}",
            interactive=False,
            height=CELL_VIDEO_HEIGHT,
            buttons=["download"],
            elem_id=f"cell-{n}-video",
        )
        with gr.Row():
            use = gr.Button(t("compare_use"), size="sm", interactive=False, elem_id=f"cell-{n}-use")
            to_remix = gr.Button(t("compare_to_remix"), size="sm", interactive=False, elem_id=f"cell-{n}-remix")
    return CellView(column, status, video, use, to_remix)


def _frames() -> tuple[gr.Row, gr.Column, list]:
    with gr.Row(visible=False) as frames:
        with gr.Column():
            first_file = gr.File(label=t("first_file"), file_types=["image"], type="filepath", height=120)
            first_url = gr.Textbox(label=t("first_url"), placeholder="https://…", elem_id="compare-first-url")
        with gr.Column(visible=False) as last:
            last_file = gr.File(label=t("last_file"), file_types=["image"], type="filepath", height=120)
            last_url = gr.Textbox(label=t("last_url"), placeholder="https://…", elem_id="compare-last-url")
    return frames, last, [first_file, first_url, last_file, last_url]


def create_compare_ui(tab: gr.Tab) -> CompareView:
    """Lay out the Compare tab inside ``tab``, the current ``gr.Tab``."""
    gr.Markdown(t("intro_compare"), elem_classes=["tab-intro"])
    with gr.Row(equal_height=False):
        action = gr.Radio(
            [(t(f"tab_{a}"), a) for a in GRID_ACTIONS],
            value="generate",
            label=t("compare_action"),
            elem_id="compare-action",
            scale=1,
        )
        prompt = gr.Textbox(
            label=t("prompt"),
            lines=2,
            max_lines=8,
            elem_id="compare-prompt",
            placeholder=t("prompt_placeholder"),
            scale=3,
        )
    frames, last, (first_file, first_url, last_file, last_url) = _frames()
    # The variants and the grid's price side by side, so each change shows its price at once.
    with gr.Row(equal_height=False, elem_classes=["workspace"]):
        with gr.Column(scale=7, min_width=600):
            rows = [_variant_row(n, visible=n <= FIRST_ROWS) for n in range(1, veo.MAX_VARIANTS + 1)]
            add = gr.Button(t("compare_add"), size="sm", elem_id="compare-add")
            with gr.Accordion(t("compare_quick"), open=False, elem_id="compare-quick"):
                with gr.Row(equal_height=True):
                    every_model = gr.Button(t("compare_every_model"), size="sm", elem_id="compare-every-model")
                    resolutions = gr.Button(t("compare_resolutions"), size="sm", elem_id="compare-resolutions")
                with gr.Row(equal_height=True):
                    seed_from = gr.Number(value=1, precision=0, label=t("compare_seed_from"), min_width=90)
                    seed_count = gr.Number(
                        value=4,
                        precision=0,
                        minimum=1,
                        maximum=veo.MAX_VARIANTS,
                        label=t("compare_seed_count"),
                        min_width=90,
                    )
                    seeds = gr.Button(t("compare_seeds"), size="sm", elem_id="compare-seeds")
                gr.Markdown(t("compare_quick_info"))
        with gr.Column(scale=3, min_width=320, elem_classes=["result-pane"]):
            cost = gr.Markdown(elem_classes=["cost-readout"], elem_id="compare-cost")
            with gr.Row(elem_classes=["run-buttons"]):
                run = gr.Button(t("compare_run"), variant="primary", elem_id="compare-run")
                cancel = gr.Button(t("compare_cancel"), variant="stop", interactive=False, elem_id="compare-cancel")
            status = gr.HTML(elem_id="compare-status")
            image_notes = gr.Markdown(elem_id="compare-image-notes")
    cells = []
    for first in range(0, veo.MAX_VARIANTS, 4):
        with gr.Row(equal_height=False, elem_classes=["compare-grid"]):
            cells += [_cell(n) for n in range(first + 1, first + 5)]
    return CompareView(
        tab=tab,
        action=action,
        prompt=prompt,
        first_file=first_file,
        first_url=first_url,
        last_file=last_file,
        last_url=last_url,
        frames=frames,
        last_frame=last,
        rows=rows,
        shown=gr.State(FIRST_ROWS),
        add=add,
        every_model=every_model,
        seed_from=seed_from,
        seed_count=seed_count,
        seeds=seeds,
        resolutions=resolutions,
        cost=cost,
        run=run,
        cancel=cancel,
        status=status,
        image_notes=image_notes,
        cells=cells,
        cell_runs=gr.State([]),
    )
