"""What the Compare tab's events do: rows, quick variants, the grid's price, run all, cancel, resume, use a cell.

Every rule is below the page: a grid is judged and started by :func:`runs.start_grid`, each cell is an
ordinary run followed by the tracker, and "use this one" fills a tab exactly as History does.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any

import gradio as gr
from gradio.events import Dependency

from .. import veo
from ..runs import (
    GridInvalid,
    GroupKind,
    Phase,
    Refused,
    RunService,
    RunUpdate,
    TrackedRun,
    cancel_task,
    follow_group,
    frames_given,
    judge_grid,
    merged_updates,
    start_grid,
)
from ..texts import Lang, say
from .compare import CompareView
from .compare_rows import fill_rows, fitted_to, read_grid, row_limits, row_outputs, row_variant
from .compare_view import NOTHING_QUEUED, cell_status, grid_readout, grid_refusal, grid_status
from .history_events import HistoryTab
from .media_view import page_root
from .session import language, request_facts
from .state import PageState, stop_here, without_pending
from .view import OWN_KEY_TO_RESUME, PREPARING, said_list

PENDING_KIND = "compare"


class CompareTab:
    def __init__(self, ctx: RunService, view: CompareView, page: PageState, history: HistoryTab) -> None:
        self.ctx, self.view, self.page, self.history = ctx, view, page, history

    # -- wiring ------------------------------------------------------------------------------

    def wire(self, loaded: Dependency) -> None:
        self._wire_rows()
        self._wire_run(loaded)
        self._wire_cells()

    def _quiet(self, **more: Any) -> dict:
        return dict(api_visibility="private", queue=False, show_progress="hidden", **more)

    def _wire_rows(self) -> None:
        v = self.view
        for row in v.rows:
            row_inputs = [v.action, *row.controls()]
            gr.on(
                [row.model.input, row.duration.input, row.resolution.input, row.audio.input, row.samples.input],
                lambda action, *values, row=row: row_limits(row, action, row_variant(action, values)),
                inputs=row_inputs,
                outputs=[
                    row.model,
                    row.duration,
                    row.resolution,
                    row.samples,
                    row.audio,
                    row.seed,
                    row.negative_prompt,
                ],
                **self._quiet(),
            )
        grid = v.grid_inputs()
        refill = dict(inputs=grid, outputs=row_outputs(v), **self._quiet())
        v.action.input(self.change_action, **refill)
        v.add.click(self.add_row, **refill)
        for index, row in enumerate(v.rows):
            row.remove.click(lambda *values, index=index: self.remove_row(index, *values), **refill)
        v.every_model.click(lambda *values: self.quick("models", None, None, *values), **refill)
        v.resolutions.click(lambda *values: self.quick("resolutions", None, None, *values), **refill)
        v.seeds.click(
            lambda first, count, *values: self.quick("seeds", first, count, *values),
            inputs=[v.seed_from, v.seed_count, *grid],
            outputs=row_outputs(v),
            **self._quiet(),
        )
        v.action.change(
            lambda action: (gr.update(visible=action != "generate"), gr.update(visible=action == "first_last_frame")),
            inputs=v.action,
            outputs=[v.frames, v.last_frame],
            **self._quiet(),
        )
        p = self.page
        gr.on(
            [c.change for c in grid] + [p.key.change, p.demo.load],
            self.readout,
            inputs={p.key, p.visitor, *grid},
            outputs=v.cost,
            trigger_mode="always_last",
            **self._quiet(),
        )

    def _run_outputs(self) -> list[Any]:
        v, p = self.view, self.page
        cells = [c for cell in v.cells for c in (cell.column, cell.status, cell.video, cell.use, cell.to_remix)]
        return [v.status, v.run, v.cancel, v.cell_runs, v.image_notes, p.pending, p.history_changed, *cells]

    def _wire_run(self, loaded: Dependency) -> None:
        v, p = self.view, self.page
        common = dict(api_visibility="private", concurrency_limit=None, show_progress="hidden")
        v.run.click(
            self.run, inputs={p.key, p.visitor, p.pending, *v.grid_inputs()}, outputs=self._run_outputs(), **common
        )
        v.cancel.click(self.cancel, inputs=[p.key, p.visitor, v.cell_runs], outputs=v.cancel, **common)
        # Most pages have no grid to resume: the gate keeps them from touching the grid's ~50 outputs, which
        # Gradio's page would otherwise re-check on every later event.
        loaded.then(self.resume_gate, inputs=[p.visitor, p.pending], **common).success(
            self.resume, inputs=[p.key, p.visitor, p.pending], outputs=self._run_outputs(), **common
        )
        # Gradio mounts a tab's players when the tab is first opened, and a video set before that
        # (a grid resumed while another tab was open) is not drawn: the links are sent again.
        v.tab.select(
            self.show_videos,
            inputs=[p.visitor, v.cell_runs],
            outputs=[c.video for c in v.cells],
            api_visibility="private",
            queue=False,
            show_progress="hidden",
        )

    def _wire_cells(self) -> None:
        v, p, h = self.view, self.page, self.history
        for index, cell in enumerate(v.cells):
            cell.use.click(
                _for_cell(h.copy_settings, index),
                inputs=[p.visitor, v.cell_runs],
                outputs=h.form_outputs(),
                api_visibility="private",
                queue=False,
            )
            cell.to_remix.click(
                _for_cell(h.use_as_remix, index),
                inputs=[p.visitor, v.cell_runs],
                outputs=h.form_outputs(),
                api_visibility="private",
                queue=False,
            )

    # -- rows --------------------------------------------------------------------------------

    def change_action(self, *values: Any) -> dict:
        action, _, _, variants = read_grid(self.view, values)
        return fill_rows(self.view, action, fitted_to(action, variants))

    def add_row(self, *values: Any) -> dict:
        action, _, _, variants = read_grid(self.view, values)
        if len(variants) >= veo.MAX_VARIANTS:
            return {}
        used = {v.model for v in variants}
        spare = next((m.id for m in veo.models_for_action(action) if m.id not in used), variants[-1].model)
        return fill_rows(self.view, action, [*variants, veo.Variant(model=spare)])

    def remove_row(self, index: int, *values: Any) -> dict:
        action, _, _, variants = read_grid(self.view, values)
        kept = [v for i, v in enumerate(variants) if i != index]
        return fill_rows(self.view, action, kept or variants)

    def quick(self, kind: str, first: Any, count: Any, *values: Any) -> dict:
        action, _, _, variants = read_grid(self.view, values)
        base = variants[0]
        if kind == "models":
            made = veo.every_model(action, base)
        elif kind == "resolutions":
            made = veo.resolutions(action, base)
        else:
            made = veo.seeds(base, int(first or 0), int(count or 1))
        return fill_rows(self.view, action, made)

    def _grid(self, data: dict) -> tuple:
        return read_grid(self.view, [data[c] for c in self.view.grid_inputs()])

    async def readout(self, data: dict, request: gr.Request) -> str:
        visitor = self.ctx.visitor(data[self.page.visitor], request_facts(request))
        conn = self.ctx.connection(data[self.page.key], visitor)
        action, prompt, frames, variants = self._grid(data)
        judged = judge_grid(action, prompt, variants, frames_given(action, frames), self.ctx.settings.operator_prices)
        lang = language(request)
        text = grid_readout(judged, conn.simulated, lang)
        standing = await self.ctx.budget.standing(conn, visitor)
        return f"{text}\n\n{say(standing.line(), lang)}" if standing else text

    # -- running -----------------------------------------------------------------------------

    async def run(self, data: dict, request: gr.Request) -> AsyncIterator[dict]:
        v, p, lang = self.view, self.page, language(request)
        visitor = self.ctx.visitor(data[p.visitor], request_facts(request))
        conn, pending = self.ctx.connection(data[p.key], visitor), data[p.pending] or []
        action, prompt, frames, variants = self._grid(data)
        busy = say(PREPARING(), lang)
        yield {
            v.status: f"<div class='run-status busy' id='compare-run-status' data-phase='submitting'>{busy}</div>",
            v.run: gr.update(interactive=False),
        }
        started = await start_grid(self.ctx, conn, visitor, action, prompt, variants, frames)
        if isinstance(started, GridInvalid):
            yield {v.status: grid_refusal(started.problems, lang), v.run: gr.update(interactive=True)}
            return
        if isinstance(started, Refused):
            yield {v.status: grid_refusal([started.message], lang), v.run: gr.update(interactive=True)}
            return
        labels = started.plan.labels
        costs = [c.cost for c in started.plan.cells]
        first = {v.image_notes: said_list(started.notes, lang)} if started.notes else {}
        async for out in self._follow(
            started.group_id, list(started.runs), labels, costs, pending, conn.simulated, request, lang
        ):
            yield first | out
            first = {}

    async def _follow(
        self,
        group_id: str,
        runs: Sequence[TrackedRun | None],
        labels: Sequence[str],
        costs: Sequence[float | None],
        pending: list,
        simulated: bool,
        request: gr.Request,
        lang: Lang,
    ) -> AsyncIterator[dict]:
        v, p = self.view, self.page
        root = page_root(request)
        updates: list[RunUpdate | None] = [None] * len(runs)
        entry = {"run_id": group_id, "group_id": group_id, "action": PENDING_KIND}
        out: dict = {
            v.cell_runs: [r.record.run_id if r else None for r in runs],
            v.cancel: gr.update(interactive=True),
            p.pending: [entry, *without_pending(pending, group_id)],
        }
        for index, cell in enumerate(v.cells):
            shown = index < len(runs)
            out[cell.column] = gr.update(visible=shown)
            out[cell.video] = None
            out[cell.use] = out[cell.to_remix] = gr.update(interactive=False)
            if shown:
                waiting = RunUpdate(Phase.QUEUED, OWN_KEY_TO_RESUME()) if runs[index] is None else None
                out[cell.status] = cell_status(labels[index], waiting, costs[index], lang)
        out[v.status] = grid_status(updates, costs, simulated, lang)
        yield out
        live = [(i, r) for i, r in enumerate(runs) if r is not None]
        async for position, update in merged_updates([r for _, r in live]):
            index, run = live[position]
            updates[index] = update
            cell = v.cells[index]
            out = {cell.status: cell_status(labels[index], update, costs[index], lang)}
            if update.finished and update.phase == Phase.COMPLETED:
                out[cell.video] = self.ctx.media_links.video(root, run.record.run_id, 0) if update.videos else None
                out[cell.use] = out[cell.to_remix] = gr.update(interactive=True)
            elif update.finished:
                out[cell.use] = gr.update(interactive=True)
            out[v.status] = grid_status(
                [u for i, u in enumerate(updates) if runs[i] is not None], costs, simulated, lang
            )
            if all(updates[i] is not None and updates[i].finished for i, _ in live):
                out |= {
                    v.run: gr.update(interactive=True),
                    v.cancel: gr.update(interactive=False),
                    p.pending: without_pending(pending, group_id),
                    p.history_changed: f"{group_id}:done",
                }
            yield out
        yield {v.run: gr.update(interactive=True), v.cancel: gr.update(interactive=False)}

    async def show_videos(self, token: str, run_ids: list, request: gr.Request) -> list:
        owner, store, root = self.ctx.visitor(token, request_facts(request)).owner, self.ctx.store, page_root(request)
        links = []
        for index in range(len(self.view.cells)):
            run_id = run_ids[index] if run_ids and index < len(run_ids) else None
            record = await store.call(store.owned_run, owner, run_id) if run_id else None
            done = record is not None and record.phase == Phase.COMPLETED and record.files
            links.append(self.ctx.media_links.video(root, record.run_id, 0) if done else gr.update())
        return links

    async def cancel(self, key: str, token: str, run_ids: list, request: gr.Request) -> Any:
        visitor = self.ctx.visitor(token, request_facts(request))
        conn, store, lang = self.ctx.connection(key, visitor), self.ctx.store, language(request)
        said = []
        async with conn.client(self.ctx.settings) as client:
            for run_id in run_ids or []:
                record = await store.call(store.owned_run, visitor.owner, run_id) if run_id else None
                if record is not None and record.task_id and record.phase == Phase.QUEUED:
                    said.append(say(await cancel_task(client, record.task_id), lang))
        gr.Info(" ".join(said) or say(NOTHING_QUEUED(), lang))
        return gr.update(interactive=not said)

    async def resume(self, key: str, token: str, pending: list, request: gr.Request) -> AsyncIterator[dict]:
        """On page load: follow this browser's newest unfinished grid, or show how it ended meanwhile."""
        yield {self.view.status: gr.update()}
        visitor = self.ctx.visitor(token, request_facts(request))
        group_id = await self._group_to_resume(visitor.owner, pending or [])
        records = await self.ctx.group_runs(visitor, group_id) if group_id else []
        if not records:
            return
        conn = self.ctx.connection(key, visitor)
        runs = await follow_group(self.ctx, conn, visitor.owner, records)
        variants = [_recorded_variant(r.request, r.action) for r in records]
        labels = veo.cell_labels(variants)
        costs = [r.estimated_cost for r in records]
        lang = language(request)
        async for out in self._follow(group_id, runs, labels, costs, pending or [], conn.simulated, request, lang):
            yield out

    async def resume_gate(self, token: str, pending: list, request: gr.Request) -> None:
        """Go on to :meth:`resume` only when this browser has a grid to resume."""
        visitor = self.ctx.visitor(token, request_facts(request))
        if await self._group_to_resume(visitor.owner, pending or []) is None:
            stop_here("no grid to resume")

    async def _group_to_resume(self, owner: str, pending: list) -> str | None:
        store = self.ctx.store
        ids = [e.get("group_id") for e in pending if isinstance(e, dict) and e.get("action") == PENDING_KIND]
        unfinished = [r for r in await store.call(store.unfinished, owner) if r.group_kind == GroupKind.COMPARE]
        candidates = [r for g in ids if g for r in (await store.call(store.group, owner, g))[:1]] + unfinished
        newest = max(candidates, key=lambda r: r.created_at, default=None)
        return newest.group_id if newest else None


def _recorded_variant(body: dict, action: str) -> veo.Variant:
    taken = {f: body.get(f) for f in veo.VARIANT_FIELDS}
    return veo.Variant(
        **{k: v for k, v in taken.items() if v is not None or k == "model"} | {"model": body.get("model", "")}
    )


def _for_cell(act: Callable[..., Awaitable[dict]], index: int) -> Callable[..., Awaitable[dict]]:
    """A cell button's handler: History's ``act`` on the run shown in cell ``index``."""

    async def handler(token: str, runs: list, request: gr.Request) -> dict:
        return await act(token, runs[index] if runs and index < len(runs) else None, request)

    return handler
