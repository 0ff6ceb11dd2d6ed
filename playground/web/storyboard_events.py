"""What the Storyboard tab's events do: shot rows, the board's price, make, cancel, resume after a refresh.

Every rule is below the page: a board is judged by :func:`veo.plan_board` and run by
:class:`runs.BoardRunner`; each shot is an ordinary run in History.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from typing import Any

import gradio as gr
from gradio.events import Dependency

from .. import veo
from ..runs import BoardInvalid, BoardStarted, FrameInputs, GroupKind, Phase, RunRecord, RunService, cancel_task
from ..texts import Lang, say
from .form import as_int
from .history import HistoryView
from .media_view import page_root
from .session import language, request_facts
from .state import PageState, without_pending
from .storyboard import BoardView
from .storyboard_view import board_readout, board_refusal, board_status
from .view import PREPARING

PENDING_KIND = "storyboard"
#: How often a followed board looks at its shots again between updates of the shot being made.
FOLLOW_SECONDS = 0.5


def read_board(view: BoardView, values: Sequence[Any]) -> tuple[veo.BoardSettings, list[veo.Shot], FrameInputs]:
    """The board's inputs (in :meth:`BoardView.board_inputs` order) as settings, shots and the first frame."""
    model, resolution, aspect, audio, first_file, first_url, shown, *rows = values
    frames = FrameInputs(first_file=first_file, first_url=(first_url or "").strip() or None)
    settings = veo.BoardSettings(
        model=model or "",
        resolution=resolution or None,
        aspect_ratio=aspect or None,
        generate_audio=bool(audio),
        from_image=bool(frames.first_file or frames.first_url),
    )
    count = max(1, min(int(shown or 1), len(view.rows)))
    shots = [veo.Shot(rows[2 * i] or "", as_int(rows[2 * i + 1])) for i in range(count)]
    return settings, shots, frames


class BoardTab:
    def __init__(self, ctx: RunService, view: BoardView, page: PageState) -> None:
        self.ctx, self.view, self.page = ctx, view, page

    def wire(self, loaded: Dependency, history: HistoryView, tabs: gr.Tabs) -> None:
        v, p = self.view, self.page
        quiet = dict(api_visibility="private", queue=False, show_progress="hidden")
        inputs = v.board_inputs()
        rows_out = self.row_outputs()
        v.model.input(self.fit_model, inputs=inputs, outputs=[v.resolution, *rows_out], **quiet)
        v.add.click(lambda *values: self.reorder(values, "add", 0), inputs=inputs, outputs=rows_out, **quiet)
        for index, row in enumerate(v.rows):
            for kind, button in (("up", row.up), ("down", row.down), ("remove", row.remove)):
                button.click(
                    lambda *values, kind=kind, index=index: self.reorder(values, kind, index),
                    inputs=inputs,
                    outputs=rows_out,
                    **quiet,
                )
        gr.on(
            [c.change for c in inputs] + [p.key.change, p.demo.load],
            self.readout,
            inputs={p.key, p.visitor, *inputs},
            outputs=v.cost,
            trigger_mode="always_last",
            **quiet,
        )
        common = dict(api_visibility="private", concurrency_limit=None, show_progress="hidden")
        outputs = [v.status, v.video, v.run, v.cancel, v.group, p.pending, p.history_changed]
        v.run.click(self.run, inputs={p.key, p.visitor, p.pending, *inputs}, outputs=outputs, **common)
        v.cancel.click(self.cancel, inputs=[p.key, p.visitor, v.group], outputs=v.cancel, **common)
        loaded.then(self.resume, inputs=[p.key, p.visitor, p.pending], outputs=outputs, **common)
        # A player set while the tab was never opened is not drawn (Gradio mounts it on first opening).
        v.tab.select(self.show_video, inputs=[p.visitor, v.group], outputs=v.video, **quiet)
        # History's "make this shot and the ones after it again" is followed here, in the board's own tab.
        self.tabs = tabs
        history.board_rerun.click(
            self.rerun_from_history,
            inputs=[p.key, p.visitor, p.pending, history.selected],
            outputs=[tabs, *outputs],
            **common,
        )

    def row_outputs(self) -> list[Any]:
        return [self.view.shown] + [c for r in self.view.rows for c in (r.row, r.buttons, r.prompt, r.duration)]

    # -- rows --------------------------------------------------------------------------------

    def _fill(self, model: str, shots: Sequence[veo.Shot]) -> dict:
        spec = veo.MODELS_BY_ID.get(model) or veo.get_model(veo.board_models()[0])
        out: dict = {self.view.shown: len(shots)}
        for index, row in enumerate(self.view.rows):
            shown = index < len(shots)
            out[row.row] = out[row.buttons] = gr.update(visible=shown)
            if shown:
                duration = shots[index].duration if shots[index].duration in spec.durations else spec.default_duration
                out[row.prompt] = shots[index].prompt
                out[row.duration] = gr.update(choices=list(spec.durations), value=duration)
        return out

    def fit_model(self, *values: Any) -> dict:
        settings, shots, _ = read_board(self.view, values)
        spec = veo.get_model(settings.model)
        resolution = settings.resolution if settings.resolution in spec.resolutions else spec.default_resolution
        return {self.view.resolution: gr.update(choices=list(spec.resolutions), value=resolution)} | self._fill(
            settings.model, shots
        )

    def reorder(self, values: Sequence[Any], kind: str, index: int) -> dict:
        settings, shots, _ = read_board(self.view, values)
        if kind == "add" and len(shots) < veo.MAX_SHOTS:
            shots.append(veo.Shot("", shots[-1].duration if shots else None))
        elif kind == "remove" and len(shots) > 1:
            shots.pop(index)
        elif kind in ("up", "down"):
            other = index - 1 if kind == "up" else index + 1
            if 0 <= other < len(shots):
                shots[index], shots[other] = shots[other], shots[index]
        return self._fill(settings.model, shots)

    def _board(self, data: dict) -> tuple[veo.BoardSettings, list[veo.Shot], FrameInputs]:
        return read_board(self.view, [data[c] for c in self.view.board_inputs()])

    async def readout(self, data: dict, request: gr.Request) -> str:
        visitor = self.ctx.visitor(data[self.page.visitor], request_facts(request))
        conn = self.ctx.connection(data[self.page.key], visitor)
        settings, shots, _ = self._board(data)
        plan = veo.plan_board(settings, shots, self.ctx.settings.operator_prices)
        lang = language(request)
        text = board_readout(plan if plan.ok else BoardInvalid(plan), conn.simulated, lang)
        standing = await self.ctx.budget.standing(conn, visitor)
        return f"{text}\n\n{say(standing.line(), lang)}" if standing else text

    # -- making ------------------------------------------------------------------------------

    async def run(self, data: dict, request: gr.Request) -> AsyncIterator[dict]:
        v, p, lang = self.view, self.page, language(request)
        visitor = self.ctx.visitor(data[p.visitor], request_facts(request))
        conn = self.ctx.connection(data[p.key], visitor)
        settings, shots, frames = self._board(data)
        busy = say(PREPARING(), lang)
        yield {
            v.status: f"<div class='run-status busy' id='board-run-status' data-phase='submitting'>{busy}</div>",
            v.run: gr.update(interactive=False),
            v.video: None,
        }
        started = await self.ctx.boards.start(conn, visitor, settings, shots, frames)
        if not isinstance(started, BoardStarted):
            problems = list(started.plan.problems) if isinstance(started, BoardInvalid) else [started.message]
            yield {v.status: board_refusal(problems, lang), v.run: gr.update(interactive=True)}
            return
        async for out in self._follow(visitor.owner, started.group_id, data[p.pending] or [], request, lang):
            yield out

    async def _follow(
        self, owner: str, group_id: str, pending: list, request: gr.Request, lang: Lang
    ) -> AsyncIterator[dict]:
        v, p, root = self.view, self.page, page_root(request)
        entry = {"run_id": group_id, "group_id": group_id, "action": PENDING_KIND}
        yield {
            v.group: group_id,
            v.cancel: gr.update(interactive=True),
            p.pending: [entry, *without_pending(pending, group_id)],
        }
        while True:
            records = await self.ctx.group_runs(owner, group_id)
            progress = self.ctx.boards.progress(group_id)
            current = progress.current.latest if progress and progress.current else None
            out: dict = {v.status: board_status(records, current, self._clips(root, records), lang)}
            over = all(r.phase.finished for r in records) and (progress is None or progress.done)
            if over:
                joined = await self.ctx.boards.joined(owner, group_id)
                out |= {
                    v.video: self.ctx.media_links.board(root, records[0].run_id) if joined else None,
                    v.run: gr.update(interactive=True),
                    v.cancel: gr.update(interactive=False),
                    p.pending: without_pending(pending, group_id),
                    p.history_changed: f"{group_id}:done",
                }
            yield out
            if over:
                return
            await asyncio.sleep(FOLLOW_SECONDS)

    def _clips(self, root: str, records: Sequence[RunRecord]) -> list[str | None]:
        return [
            self.ctx.media_links.video(root, r.run_id, 0) if r.phase == Phase.COMPLETED and r.files else None
            for r in records
        ]

    async def rerun_from_history(
        self, key: str, token: str, pending: list, run_id: str | None, request: gr.Request
    ) -> AsyncIterator[dict]:
        v, lang = self.view, language(request)
        visitor = self.ctx.visitor(token, request_facts(request))
        store = self.ctx.store
        record = await store.call(store.owned_run, visitor.owner, run_id) if run_id else None
        if record is None or record.group_kind != GroupKind.STORYBOARD or not record.group_id:
            yield {v.status: gr.update()}
            return
        conn = self.ctx.connection(key, visitor)
        started = await self.ctx.boards.rerun_from(conn, visitor, record.group_id, record.group_index or 0)
        yield {self.tabs: gr.Tabs(selected="storyboard"), v.video: None}
        if not isinstance(started, BoardStarted):
            problems = list(started.plan.problems) if isinstance(started, BoardInvalid) else [started.message]
            yield {v.status: board_refusal(problems, lang)}
            return
        async for out in self._follow(visitor.owner, started.group_id, pending or [], request, lang):
            yield out

    async def cancel(self, key: str, token: str, group_id: str | None, request: gr.Request) -> Any:
        visitor = self.ctx.visitor(token, request_facts(request))
        if not group_id or not await self.ctx.boards.cancel(visitor.owner, group_id):
            return gr.update(interactive=False)
        conn = self.ctx.connection(key, visitor)
        queued = [r for r in await self.ctx.group_runs(visitor, group_id) if r.phase == Phase.QUEUED and r.task_id]
        async with conn.client(self.ctx.settings) as client:
            said = [say(await cancel_task(client, r.task_id or ""), language(request)) for r in queued]
        if said:
            gr.Info(" ".join(said))
        return gr.update(interactive=False)

    async def resume(self, key: str, token: str, pending: list, request: gr.Request) -> AsyncIterator[dict]:
        """On page load: follow this browser's newest board that is still being made."""
        yield {self.view.status: gr.update()}
        visitor = self.ctx.visitor(token, request_facts(request))
        store = self.ctx.store
        ids = [e.get("group_id") for e in pending or [] if isinstance(e, dict) and e.get("action") == PENDING_KIND]
        unfinished = [
            r.group_id
            for r in await store.call(store.unfinished, visitor.owner)
            if r.group_kind == GroupKind.STORYBOARD
        ]
        groups = [g for g in [*ids, *unfinished] if g]
        if not groups:
            return
        async for out in self._follow(visitor.owner, groups[0], pending or [], request, language(request)):
            yield out

    async def show_video(self, token: str, group_id: str | None, request: gr.Request) -> Any:
        if not group_id:
            return gr.update()
        visitor = self.ctx.visitor(token, request_facts(request))
        records = await self.ctx.group_runs(visitor, group_id)
        joined = await self.ctx.boards.joined(visitor.owner, group_id) if records else None
        return self.ctx.media_links.board(page_root(request), records[0].run_id) if joined else gr.update()
