"""What one action tab's events do: readout, capabilities, run, cancel and resume after a refresh.

Handlers receive their inputs as a dict (Gradio's set-style inputs) plus the ``gr.Request``, from
which the visitor's session id comes; a visitor's key only ever travels inside their own request.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import gradio as gr
from gradio.events import Dependency

from .. import veo
from ..runs import (
    REMIX_FROM_URL,
    FrameError,
    Phase,
    Refused,
    RunRecord,
    RunService,
    RunUpdate,
    TrackedRun,
    Visitor,
    cancel_task,
    curl_command,
    key_fingerprint,
    run_reference,
    settled,
)
from ..texts import Lang, say
from .form import ActionForm, as_int
from .form_events import remix_source_visibility, resize_preview
from .i18n import t
from .media_view import page_root
from .references import reference_capabilities, reference_fill, reference_outputs
from .session import language, request_facts
from .state import PageState, stop_here, without_pending
from .tab import TabView
from .view import (
    NO_TASK_TO_CANCEL,
    OWN_KEY_TO_RESUME,
    PREPARING,
    SessionSpend,
    cost_readout,
    estimate_form,
    model_info,
    problems_panel,
    run_sample_label,
    said_list,
    said_notes,
    status_panel,
)


class TabHandlers:
    """The events of one action tab."""

    def __init__(self, ctx: RunService, view: TabView, page: PageState) -> None:
        self.ctx, self.view, self.page = ctx, view, page

    @property
    def form(self) -> ActionForm:
        return self.view.form

    # -- wiring ------------------------------------------------------------------------------

    def wire(self, loaded: Dependency) -> None:
        """The tab's events; ``loaded`` is the page's load event, which a resume follows."""
        self._wire_controls()
        self._wire_run(loaded)
        # Loading an example fires no input event, so the controls are brought in line with its model here.
        f = self.form
        self.view.examples.load_input_event.then(
            self.apply_capabilities,
            inputs={f.model, f.resolution, f.duration, f.audio, f.person, f.samples},
            outputs=self.capability_outputs(),
            api_visibility="private",
            queue=False,
            show_progress="hidden",
        )

    def _wire_controls(self) -> None:
        """What follows the controls: the model's capabilities, the price, the remix source, the preview."""
        f, p = self.form, self.page
        cap_inputs = {f.model, f.resolution, f.duration, f.audio, f.person, f.samples}
        # Not on page load: the built controls already match the default model, and a load-time
        # update would race with a visitor's first clicks.
        gr.on(
            [f.model.input, f.resolution.input, f.duration.input, f.audio.input],
            self.apply_capabilities,
            inputs=cap_inputs,
            outputs=self.capability_outputs(),
            api_visibility="private",
            queue=False,
            show_progress="hidden",
        )
        price_inputs = set(f.inputs()) | {p.key, p.spend, p.visitor}
        gr.on(
            [c.change for c in f.inputs()] + [p.key.change, p.spend.change, p.demo.load],
            self.readout,
            inputs=price_inputs,
            outputs=[self.view.cost],
            api_visibility="private",
            queue=False,
            # The price reads values as they come (a file only counts as given): no trip to a worker
            # thread per control, of which there are up to 30, each waiting its turn while runs stream.
            preprocess=False,
            show_progress="hidden",
            trigger_mode="always_last",
        )
        if f.remix_from is not None:
            f.remix_from.change(
                remix_source_visibility,
                inputs=f.remix_from,
                outputs=[f.remix_run, f.remix_task, f.remix_url],
                api_visibility="private",
                queue=False,
                show_progress="hidden",
            )
            p.runs.change(
                lambda runs: gr.update(choices=[(r["label"], r["ref"]) for r in runs]),
                inputs=p.runs,
                outputs=f.remix_run,
                api_visibility="private",
                queue=False,
            )
        if "preview" in f.extras:
            gr.on(
                [f.first_file.change, f.aspect_ratio.change, f.resize_mode.change],
                resize_preview,
                inputs=[f.first_file, f.aspect_ratio, f.resize_mode],
                outputs=[f.extras["preview"], f.extras["image_notes"]],
                api_visibility="private",
                show_progress="hidden",
                trigger_mode="always_last",
            )

    def _wire_run(self, loaded: Dependency) -> None:
        """Run, Cancel, and the resume of an unfinished run after a refresh."""
        f, p, v = self.form, self.page, self.view
        run_outputs = [
            v.status,
            *v.videos,
            v.request_json,
            v.curl,
            v.task_json,
            v.task_id,
            v.cancel,
            v.run,
            p.spend,
            p.runs,
            p.pending,
            p.history_changed,
            v.share_link,
        ]
        if "image_notes" in f.extras:
            run_outputs.append(f.extras["image_notes"])
        v.run.click(
            self.run,
            inputs=set(f.inputs()) | {p.key, p.spend, p.runs, p.visitor, p.pending},
            outputs=run_outputs,
            api_visibility="private",
            concurrency_limit=None,
            show_progress="hidden",
        )
        v.cancel.click(
            self.cancel,
            inputs={v.task_id, p.key, p.visitor},
            outputs=[v.cancel],
            api_visibility="private",
            concurrency_limit=None,
            show_progress="hidden",
        )
        # After a refresh the page picks up its unfinished run where it left off; a page with none stops at
        # the gate, so its run outputs stay out of what Gradio's page re-checks on every later event.
        loaded.then(
            self.resume_gate,
            inputs=[p.visitor, p.pending],
            api_visibility="private",
            concurrency_limit=None,
            show_progress="hidden",
        ).success(
            self.resume,
            inputs={p.key, p.spend, p.runs, p.visitor, p.pending},
            outputs=run_outputs,
            api_visibility="private",
            concurrency_limit=None,
            show_progress="hidden",
        )

    def capability_outputs(self) -> list[Any]:
        f = self.form
        return (
            [
                f.duration,
                f.resolution,
                f.audio,
                f.samples,
                f.person,
                f.seed,
                f.negative_prompt,
                f.enhance_prompt,
                f.model_info,
                f.nudge,
            ]
            + [c for c in (f.resize_mode, f.raw) if c]
            + reference_outputs(f)
        )

    # -- handlers ----------------------------------------------------------------------------

    def fill_from(self, values: veo.FormValues, lang: Lang = Lang.EN) -> dict:
        """Updates that put a recorded request back into this tab's controls."""
        f = self.form
        spec = veo.get_model(values.model)
        updates = self.apply_capabilities(
            set_values=True,
            lang=lang,
            data={
                f.model: values.model,
                f.resolution: values.resolution or spec.default_resolution,
                f.duration: values.duration or spec.default_duration,
                f.audio: bool(values.generate_audio),
                f.person: values.person_generation,
                f.samples: values.sample_count or 1,
            },
        )
        updates.update(
            {
                f.model: values.model,
                f.prompt: values.prompt,
                f.aspect_ratio: values.aspect_ratio or "16:9",
                f.negative_prompt: values.negative_prompt or "",
                f.seed: values.seed,
                f.callback_url: values.callback_url or "",
            }
        )
        if f.resize_mode is not None:
            updates[f.resize_mode] = values.resize_mode or "pad"
        if f.raw is not None:
            updates[f.raw] = bool(values.raw)
        for which in ("first", "last"):
            if getattr(f, f"{which}_url") is not None:
                # The hosted copy of the image is re-used by its link; the upload box is cleared.
                updates[getattr(f, f"{which}_url")] = getattr(values, f"{which}_frame_image") or ""
                updates[getattr(f, f"{which}_file")] = None
        if f.remix_from is not None:
            updates.update(
                {
                    f.remix_from: REMIX_FROM_URL,
                    f.remix_url: gr.update(value=values.first_frame_image or "", visible=True),
                    f.remix_run: gr.update(visible=False),
                    f.remix_task: gr.update(visible=False),
                }
            )
        return updates | reference_fill(f, values)

    def apply_capabilities(
        self, data: dict, request: gr.Request | None = None, *, set_values: bool = False, lang: Lang | None = None
    ) -> dict:
        """Choices, locks and notes for the chosen model; a value is sent only where it must change.

        Sending an unchanged value back would race the visitor: a reply that lands after their next
        click (samples typed while the duration reply is on its way) would undo it.
        """
        f, lang = self.form, lang or language(request)
        caps = veo.capabilities(
            data[f.model],
            f.action,
            data[f.resolution],
            as_int(data[f.duration]),
            data[f.audio],
            data[f.person],
            as_int(data[f.samples]),
        )

        def value(new: Any, current: Any) -> dict:
            return {"value": new} if set_values or new != current else {}

        updates = {
            f.duration: gr.update(
                choices=list(caps.duration.choices),
                interactive=not caps.duration.locked,
                info=say(caps.duration.why, lang) or None,
                **value(caps.duration.value, as_int(data[f.duration])),
            ),
            f.resolution: gr.update(
                choices=list(caps.resolution.choices),
                info=say(caps.resolution.why, lang) or None,
                **value(caps.resolution.value, data[f.resolution]),
            ),
            f.audio: gr.update(
                interactive=not caps.audio.locked,
                info=say(caps.audio.why, lang) or None,
                **value(caps.audio.value, data[f.audio]),
            ),
            # A slider cannot have min == max, so a one-video model locks the slider at 1 instead.
            f.samples: gr.update(
                interactive=not caps.samples.locked,
                info=say(caps.samples.why, lang) or None,
                **value(caps.samples.value, as_int(data[f.samples])),
            ),
            f.person: gr.update(
                choices=list(caps.person.choices),
                label=t("person_extra" if caps.person.choices[0] == "allow_all" else "person"),
                **value(caps.person.value, data[f.person]),
            ),
            f.seed: gr.update(visible=caps.seed_offered),
            f.negative_prompt: gr.update(visible=caps.negative_prompt_offered),
            f.enhance_prompt: gr.update(visible=caps.enhance_prompt_offered),
            f.model_info: model_info(data[f.model], lang),
            f.nudge: said_notes(caps.notes, lang),
        }
        if f.resize_mode is not None:
            updates[f.resize_mode] = gr.update(visible=caps.resize_mode_offered)
        if f.raw is not None:
            updates[f.raw] = gr.update(visible=caps.raw_offered)
        return updates | reference_capabilities(f, caps)

    async def readout(self, data: dict, request: gr.Request) -> str:
        visitor = self.ctx.visitor(data.get(self.page.visitor), request_facts(request))
        conn = self.ctx.connection(data.get(self.page.key), visitor)
        values = self.form.form_values(data, self.form.frame_placeholders(data))
        est, problems = estimate_form(values, dict(self.ctx.settings.operator_prices))
        lang = language(request)
        text = cost_readout(est, problems, data[self.page.spend], conn.simulated, lang)
        standing = await self.ctx.budget.standing(conn, visitor)
        return f"{text}\n\n{say(standing.line(), lang)}" if standing else text

    async def cancel(self, data: dict, request: gr.Request) -> Any:
        task_id = data[self.view.task_id]
        if not task_id:
            gr.Info(say(NO_TASK_TO_CANCEL(), language(request)))
            return gr.update(interactive=False)
        conn = self.ctx.connection(
            data[self.page.key], self.ctx.visitor(data[self.page.visitor], request_facts(request))
        )
        async with conn.client(self.ctx.settings) as client:
            gr.Info(say(await cancel_task(client, task_id), language(request)))
        return gr.update(interactive=False)

    async def run(self, data: dict, request: gr.Request) -> AsyncIterator[dict]:
        f, p, v, lang = self.form, self.page, self.view, language(request)
        visitor = self.ctx.visitor(data[p.visitor], request_facts(request))
        owner, conn = visitor.owner, self.ctx.connection(data[p.key], visitor)
        values = f.form_values(data, f.frame_placeholders(data))
        problems = veo.check(values)
        if problems:
            yield {v.status: problems_panel(problems, lang)}
            return
        yield {
            v.status: status_panel(RunUpdate(Phase.SUBMITTING, PREPARING()), lang=lang),
            v.run: gr.update(interactive=False),
            v.share_link: gr.update(value="", visible=False),  # a new run is not the one shared
        }
        try:
            frames, notes = await self.ctx.frames.resolve(conn, owner, f.frame_inputs(data), values)
        except FrameError as exc:
            refusal = problems_panel([veo.Problem(exc.field, exc.message)], lang)
            yield {v.status: refusal, v.run: gr.update(interactive=True)}
            return
        built = veo.build_request(f.form_values(data, frames))
        if not built.ok:
            yield {v.status: problems_panel(list(built.problems), lang), v.run: gr.update(interactive=True)}
            return
        started = await self.ctx.start(conn, visitor, built)
        if isinstance(started, Refused):
            yield {
                v.status: problems_panel([veo.Problem(started.field or "", started.message)], lang),
                v.run: gr.update(interactive=True),
            }
            return
        run = started.run
        sent = run.record.request
        intro = {
            v.request_json: json.dumps(sent, indent=2, ensure_ascii=False),
            v.curl: curl_command(conn.base_url if not conn.simulated else self.ctx.settings.base_url, sent),
        }
        if "image_notes" in f.extras:
            intro[f.extras["image_notes"]] = said_list(notes, lang)
        yield intro
        async for out in self._follow(run, data, page_root(request), lang):
            yield out

    async def resume_gate(self, token: str, pending: list, request: gr.Request) -> None:
        owner = self.ctx.visitor(token, request_facts(request)).owner
        if await self._run_to_resume(owner, pending or []) is None:
            stop_here("nothing to resume")

    async def resume(self, data: dict, request: gr.Request) -> AsyncIterator[dict]:
        """On page load: follow this tab's newest unfinished run, or show how it ended meanwhile."""
        # A generator that yields nothing would blank every output; a bare update changes none.
        yield {self.view.status: gr.update()}
        p, lang = self.page, language(request)
        visitor = self.ctx.visitor(data[p.visitor], request_facts(request))
        owner = visitor.owner
        record = await self._run_to_resume(owner, data[p.pending] or [])
        if record is None:
            return
        run = self.ctx.tracker.live(owner, record.run_id)
        if run is None and record.finished:
            # It ended while the page was away: show the outcome once, and forget the pending entry.
            out = self._present(settled(record).latest, None, data, record.run_id, page_root(request), lang)
            out[p.pending] = without_pending(data[p.pending], record.run_id)
            yield out
            return
        if run is None:
            run = await self._reattach(record, data, visitor, lang)
            if isinstance(run, dict):
                yield run
                return
        yield {self.view.request_json: json.dumps(record.request, indent=2, ensure_ascii=False)}
        async for out in self._follow(run, data, page_root(request), lang):
            yield out

    async def _reattach(self, record: RunRecord, data: dict, visitor: Visitor, lang: Lang) -> TrackedRun | dict:
        """Poll a run again that no live driver follows (the server restarted); or say what it needs."""
        owner, conn = visitor.owner, self.ctx.connection(data[self.page.key], visitor)
        if not record.task_id:
            return {self.view.status: gr.update()}
        if conn.mode != record.mode or key_fingerprint(conn.api_key) != record.key_fingerprint:
            return {
                self.view.status: status_panel(
                    RunUpdate(Phase.QUEUED, OWN_KEY_TO_RESUME(), task_id=record.task_id), lang=lang
                ),
                self.view.task_id: record.task_id,
            }
        return await self.ctx.tracker.attach(conn, owner, record.task_id)

    async def _run_to_resume(self, owner: str, pending: list[dict]) -> RunRecord | None:
        store = self.ctx.store
        ids = [p.get("run_id") for p in pending if isinstance(p, dict) and p.get("action") == self.form.action]
        candidates = [r for r in [await store.call(store.owned_run, owner, i) for i in ids if i] if r]
        candidates += [r for r in await store.call(store.unfinished, owner) if r.action == self.form.action]
        # A cell of a compare grid resumes in its grid, not in the tab of its action.
        candidates = [r for r in candidates if not r.group_id]
        return max(candidates, key=lambda r: r.created_at, default=None)

    async def _follow(self, run: TrackedRun, data: dict, root: str, lang: Lang) -> AsyncIterator[dict]:
        p = self.page
        announced = False
        async for update in run.updates():
            out = self._present(update, run.record.estimated_cost, data, run.record.run_id, root, lang)
            if update.task_id and not announced and not update.finished:
                announced = True  # the id is in the browser from now on, whatever happens to this page
                entry = {"run_id": run.record.run_id, "task_id": update.task_id, "action": self.form.action}
                out[p.pending] = [entry, *without_pending(data[p.pending], run.record.run_id)]
            if update.finished:
                out[p.pending] = without_pending(data[p.pending], run.record.run_id)
                out[p.history_changed] = f"{run.record.run_id}:{update.phase}"
            yield out

    def _present(self, update: RunUpdate, cost: float | None, data: dict, run_id: str, root: str, lang: Lang) -> dict:
        v = self.view
        out: dict = {
            v.status: status_panel(update, lang=lang),
            v.task_id: update.task_id,
            v.cancel: gr.update(interactive=update.phase == Phase.QUEUED),
        }
        if update.task_json is not None:
            out[v.task_json] = update.task_json
        if update.finished:
            out.update(self._final(update, cost, data, run_id, root, lang))
        return out

    def _final(self, update: RunUpdate, cost: float | None, data: dict, run_id: str, root: str, lang: Lang) -> dict:
        """``root`` is where this page reached the server: the videos' signed links are made on it."""
        p, v = self.page, self.view
        out: dict = {v.run: gr.update(interactive=True), v.cancel: gr.update(interactive=False)}
        if update.phase != Phase.COMPLETED:
            return out
        for index, video in enumerate(v.videos):
            shown = index < len(update.videos)
            link = self.ctx.media_links.video(root, run_id, index) if shown else None
            out[video] = gr.update(value=link, visible=shown or index == 0)
        spend: SessionSpend = data[p.spend].add(cost)
        out[p.spend] = spend
        runs = list(data[p.runs])
        for index in range(len(update.video_urls)):
            label = run_sample_label(self.form.action, update.task_id, index, lang)
            # The page holds a reference, not the link: the server looks the link up in this visitor's runs.
            runs.insert(0, {"label": label, "ref": run_reference(run_id, index), "task_id": update.task_id})
        out[p.runs] = runs
        return out
