"""What the page's events do. Each handler reads controls, asks the catalog, calls the client.

Handlers receive their inputs as a dict (Gradio's set-style inputs) plus the ``gr.Request``, from
which the visitor's session id comes; a visitor's key only ever travels inside their own request.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, AsyncIterator

import gradio as gr

from ..veo import catalog
from ..net import hosting
from ..wave.client import PollPolicy
from .form import REMIX_FROM_RUN, REMIX_FROM_TASK, REMIX_FROM_URL, ActionForm
from ..runs.frames import PENDING_FRAME_URL, FrameError, FrameResolver
from .i18n import t
from ..media.images import ImageRejected, check_against, prepare_image, preview_resize
from ..veo.prices import estimate
from ..runs.budget import Budget
from ..runs.identity import Identities
from ..runs.media_links import MediaLinks
from .media_view import page_root
from ..runs.ownership import Ownership, run_reference
from ..runs.engine import Connection, RunUpdate, cancel_task, choose_connection, curl_command
from ..settings import Settings
from ..runs.store import RunRecord, RunStore
from ..runs.tracker import RunTracker, TrackedRun, key_fingerprint
from .view import SessionSpend, cost_readout, estimate_form, mode_banner, model_info, problems_panel, status_panel

if TYPE_CHECKING:
    from ..runs.callbacks import CallbackHub


def session_id(request: gr.Request | None) -> str:
    return (request.session_hash if request is not None and request.session_hash else "anonymous")


@dataclass
class AppContext:
    """What every handler may use: operator settings, the run tracker and history. No visitor data."""

    settings: Settings
    simulator_url: str | None
    media_dir: Path
    frames: FrameResolver
    store: RunStore
    identities: Identities
    #: Signs the links to visitors' videos and posters.
    media_links: MediaLinks
    #: Gradio's BrowserState obscures stored values with this; kept across restarts with the identities.
    browser_secret: str = field(repr=False, default="")
    callbacks: "CallbackHub | None" = None
    tracker: RunTracker = field(init=False)
    budget: Budget = field(init=False)

    def __post_init__(self) -> None:
        self.tracker = RunTracker(self.settings, self.store, self.media_dir, self.poll_policy, self.callbacks)
        self.budget = Budget(self.settings, self.store)

    def owner(self, visitor_token: str | None, request: gr.Request | None) -> str:
        return self.identities.owner(visitor_token, session_id(request))

    @property
    def ownership(self) -> Ownership:
        return self.frames.ownership

    def connection(self, visitor_key: str | None, owner: str) -> Connection:
        return choose_connection(self.settings, self.simulator_url, visitor_key, owner)

    def connection_for_record(self, record: RunRecord) -> Connection | None:
        """The connection an unfinished run resumes on after a restart, if the server holds its key."""
        if record.mode == "server-key" and self.settings.api_key \
                and key_fingerprint(self.settings.api_key) == record.key_fingerprint:
            return Connection("server-key", self.settings.base_url, self.settings.api_key)
        return None

    async def resume_after_restart(self) -> int:
        """Poll again what was running when the server stopped; say so for what cannot be."""
        for record in await self.store.call(self.store.unfinished):
            if record.mode == "demo":
                # The embedded simulator starts empty: its tasks did not survive the restart.
                await self.store.call(self.store.update, record.run_id, phase="error", charged=False,
                                      message="The demo simulator restarted, so this simulated run is gone "
                                              "(demo runs cost nothing).")
        return await self.tracker.resume_unfinished(self.connection_for_record)

    def poll_policy(self, conn: Connection) -> PollPolicy:
        expected = (self.settings.sim_queue_seconds + self.settings.sim_processing_seconds) \
            if conn.simulated else 90.0
        return PollPolicy(expected_seconds=expected, deadline=self.settings.poll_deadline)

    def register_api(self, demo: gr.Blocks) -> None:
        from .api import register

        register(self, demo)

    async def start_run(self, conn: Connection, owner: str, built: catalog.BuiltRequest) -> TrackedRun | str:
        """Price a valid request, check the budget and hand the run to the tracker.

        A refusal comes back as its message. The page, the API and History all start runs here.
        """
        assert built.ok and built.resolved is not None and built.body is not None
        # A callback_url judged as resolved, not as written: a name may lead to this server or its network.
        refused_callback = await hosting.callback_refusal(built.body.get("callback_url"))
        if refused_callback:
            return refused_callback
        cost = estimate(built.resolved, self.settings.operator_prices).total
        async with self.budget.lock:
            standing = await self.budget.standing(conn, owner)
            refusal = standing.refusal(cost) if standing else None
            if refusal:
                return refusal
            sent, ticket = self.tracker.prepare(built.body, conn)
            record = RunRecord(owner=owner, mode=conn.mode, key_fingerprint=key_fingerprint(conn.api_key),
                               action=built.resolved.action, model=built.resolved.model.id, request=sent,
                               estimated_cost=cost)
            return await self.tracker.submit(conn, record, ticket)


async def run_to_end(ctx: AppContext, conn: Connection, owner: str,
                     built: catalog.BuiltRequest) -> tuple[str | None, RunUpdate]:
    """Run without a page (the API endpoints): the run's id (None if refused) and its final update."""
    run = await ctx.start_run(conn, owner, built)
    if isinstance(run, str):
        return None, RunUpdate("error", run)
    last = run.latest
    async for update in run.updates():
        last = update
    return run.record.run_id, last


def _frame_placeholders(form: ActionForm, data: dict) -> dict[str, str | None]:
    """Placeholders for frames the visitor gave, so validation sees them as present."""
    out: dict[str, str | None] = {}
    if form.action in ("image2video", "first_last_frame"):
        out["first_frame_image"] = PENDING_FRAME_URL if form.has_frame_input(data, "first") else None
    if form.action == "first_last_frame":
        out["last_frame_image"] = PENDING_FRAME_URL if form.has_frame_input(data, "last") else None
    if form.action == "remix":
        out["first_frame_image"] = PENDING_FRAME_URL if _remix_given(form, data) else None
    return out


def _remix_given(form: ActionForm, data: dict) -> bool:
    choice = form.get(data, "remix_from")
    field_name = {REMIX_FROM_RUN: "remix_run", REMIX_FROM_TASK: "remix_task", REMIX_FROM_URL: "remix_url"}[choice]
    return bool((form.get(data, field_name) or "").strip())


class TabHandlers:
    """The events of one action tab."""

    def __init__(self, ctx: AppContext, form: ActionForm, shared: dict, **outputs: Any) -> None:
        self.ctx, self.form, self.shared = ctx, form, shared
        self.cost = outputs["cost"]
        self.run_btn, self.cancel_btn, self.status = outputs["run"], outputs["cancel"], outputs["status"]
        self.videos: list[gr.Video] = outputs["videos"]
        self.request_json, self.curl, self.task_json = outputs["request_json"], outputs["curl"], outputs["task_json"]
        self.task_id = outputs["task_id"]

    # -- wiring ------------------------------------------------------------------------------

    def wire(self) -> None:
        f, s = self.form, self.shared
        cap_inputs = {f.model, f.resolution, f.duration, f.audio, f.person, f.samples}
        cap_outputs = self.capability_outputs()
        # Not on page load: the built controls already match the default model, and a load-time
        # update would race with a visitor's first clicks.
        gr.on([f.model.input, f.resolution.input, f.duration.input, f.audio.input],
              self.apply_capabilities, inputs=cap_inputs, outputs=cap_outputs, api_visibility="private",
              queue=False, show_progress="hidden")
        price_inputs = set(f.inputs()) | {s["key"], s["spend"], s["visitor"]}
        gr.on([c.change for c in f.inputs()] + [s["key"].change, s["spend"].change, s["demo"].load],
              self.readout, inputs=price_inputs, outputs=[self.cost], api_visibility="private",
              queue=False, show_progress="hidden", trigger_mode="always_last")
        if f.remix_from is not None:
            f.remix_from.change(self.remix_source_visibility, inputs=f.remix_from,
                                outputs=[f.remix_run, f.remix_task, f.remix_url], api_visibility="private",
                                queue=False, show_progress="hidden")
            s["runs"].change(lambda runs: gr.update(choices=[(r["label"], r["ref"]) for r in runs]),
                             inputs=s["runs"], outputs=f.remix_run, api_visibility="private", queue=False)
        if "preview" in f.extras:
            gr.on([f.first_file.change, f.aspect_ratio.change, f.resize_mode.change], self.resize_preview,
                  inputs=[f.first_file, f.aspect_ratio, f.resize_mode],
                  outputs=[f.extras["preview"], f.extras["image_notes"]], api_visibility="private",
                  show_progress="hidden", trigger_mode="always_last")
        run_outputs = [self.status, *self.videos, self.request_json, self.curl, self.task_json, self.task_id,
                       self.cancel_btn, self.run_btn, s["spend"], s["runs"], s["pending"], s["history_changed"]]
        if "image_notes" in f.extras:
            run_outputs.append(f.extras["image_notes"])
        self.run_btn.click(self.run, inputs=set(f.inputs()) | {s["key"], s["spend"], s["runs"], s["visitor"],
                                                                s["pending"]},
                           outputs=run_outputs, api_visibility="private", concurrency_limit=None,
                           show_progress="hidden")
        self.cancel_btn.click(self.cancel, inputs={self.task_id, s["key"], s["visitor"]}, outputs=[self.cancel_btn],
                              api_visibility="private", concurrency_limit=None, show_progress="hidden")
        # After a refresh the page picks up its unfinished run where it left off.
        s["loaded"].then(self.resume, inputs={s["key"], s["spend"], s["runs"], s["visitor"], s["pending"]},
                                  outputs=run_outputs, api_visibility="private", concurrency_limit=None,
                                  show_progress="hidden")

    @staticmethod
    def wire_page(ctx: AppContext, demo: gr.Blocks, shared: dict) -> Any:
        """Page-level events; returns the load event, which per-tab resumes follow with ``.then``."""
        key, remember, stored = shared["key"], shared["remember"], shared["stored_key"]
        visitor = shared["visitor"]

        def restore(saved: str, token: str, request: gr.Request) -> tuple:
            # A new browser (or a token this server did not sign) gets a fresh identity.
            token = token if ctx.identities.valid(token) else ctx.identities.issue()
            conn = ctx.connection(saved, ctx.owner(token, request))
            return gr.update(value=saved or ""), gr.update(value=bool(saved)), mode_banner(conn), token

        def banner(visitor_key: str, token: str, request: gr.Request) -> str:
            return mode_banner(ctx.connection(visitor_key, ctx.owner(token, request)))

        def remember_key(visitor_key: str, keep: bool) -> str:
            return (visitor_key or "") if keep else ""

        loaded = demo.load(restore, inputs=[stored, visitor], outputs=[key, remember, shared["banner"], visitor],
                           api_visibility="private", queue=False)
        key.change(banner, inputs=[key, visitor], outputs=shared["banner"], api_visibility="private", queue=False)
        gr.on([key.change, remember.change], remember_key, inputs=[key, remember], outputs=stored,
              api_visibility="private", queue=False)
        return loaded

    def capability_outputs(self) -> list[Any]:
        f = self.form
        return [f.duration, f.resolution, f.audio, f.samples, f.person, f.seed, f.negative_prompt,
                f.enhance_prompt, f.model_info, f.nudge] + [c for c in (f.resize_mode, f.raw) if c]

    # -- handlers ----------------------------------------------------------------------------

    def fill_from(self, values: catalog.FormValues) -> dict:
        """Updates that put a recorded request back into this tab's controls."""
        f = self.form
        spec = catalog.get_model(values.model)
        updates = self.apply_capabilities(set_values=True, data={
            f.model: values.model, f.resolution: values.resolution or spec.default_resolution,
            f.duration: values.duration or spec.default_duration, f.audio: bool(values.generate_audio),
            f.person: values.person_generation, f.samples: values.sample_count or 1})
        updates.update({f.model: values.model, f.prompt: values.prompt,
                        f.aspect_ratio: values.aspect_ratio or "16:9",
                        f.negative_prompt: values.negative_prompt or "", f.seed: values.seed,
                        f.callback_url: values.callback_url or ""})
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
            updates.update({f.remix_from: REMIX_FROM_URL, f.remix_url: gr.update(value=values.first_frame_image or "",
                                                                                  visible=True),
                            f.remix_run: gr.update(visible=False), f.remix_task: gr.update(visible=False)})
        return updates


    def apply_capabilities(self, data: dict, *, set_values: bool = False) -> dict:
        """Choices, locks and notes for the chosen model; a value is sent only where it must change.

        Sending an unchanged value back would race the visitor: a reply that lands after their next
        click (samples typed while the duration reply is on its way) would undo it.
        """
        f = self.form
        caps = catalog.capabilities(data[f.model], f.action, data[f.resolution], _as_int(data[f.duration]),
                                    data[f.audio], data[f.person], _as_int(data[f.samples]))

        def value(new: Any, current: Any) -> dict:
            return {"value": new} if set_values or new != current else {}

        updates = {
            f.duration: gr.update(choices=list(caps.duration.choices), interactive=not caps.duration.locked,
                                  info=caps.duration.why or None,
                                  **value(caps.duration.value, _as_int(data[f.duration]))),
            f.resolution: gr.update(choices=list(caps.resolution.choices), info=caps.resolution.why or None,
                                    **value(caps.resolution.value, data[f.resolution])),
            f.audio: gr.update(interactive=not caps.audio.locked, info=caps.audio.why or None,
                               **value(caps.audio.value, data[f.audio])),
            # A slider cannot have min == max, so a one-video model locks the slider at 1 instead.
            f.samples: gr.update(interactive=not caps.samples.locked, info=caps.samples.why or None,
                                 **value(caps.samples.value, _as_int(data[f.samples]))),
            f.person: gr.update(choices=list(caps.person.choices),
                                label=t("person") + (" (extra.personGeneration)"
                                                     if caps.person.choices[0] == "allow_all" else ""),
                                **value(caps.person.value, data[f.person])),
        f.seed: gr.update(visible=caps.seed_offered),
            f.negative_prompt: gr.update(visible=caps.negative_prompt_offered),
            f.enhance_prompt: gr.update(visible=caps.enhance_prompt_offered),
            f.model_info: model_info(data[f.model]),
            f.nudge: " ".join(caps.notes),
        }
        if f.resize_mode is not None:
            updates[f.resize_mode] = gr.update(visible=caps.resize_mode_offered)
        if f.raw is not None:
            updates[f.raw] = gr.update(visible=caps.raw_offered)
        return updates

    async def readout(self, data: dict, request: gr.Request) -> str:
        owner = self.ctx.owner(data.get(self.shared["visitor"]), request)
        conn = self.ctx.connection(data.get(self.shared["key"]), owner)
        values = self.form.form_values(data, _frame_placeholders(self.form, data))
        est, problems = estimate_form(values, dict(self.ctx.settings.operator_prices))
        text = cost_readout(est, problems, data[self.shared["spend"]], conn.simulated)
        standing = await self.ctx.budget.standing(conn, owner)
        return f"{text}\n\n{standing.line()}" if standing else text

    @staticmethod
    async def resize_preview(path: str | None, aspect_ratio: str, mode: str) -> tuple:
        """Check the dropped image at once and show what pad or crop will do to it."""
        if not path:
            return gr.update(value=None, visible=False), ""
        try:
            image = await asyncio.to_thread(prepare_image, Path(path).read_bytes(), Path(path).name)
            preview = await asyncio.to_thread(preview_resize, image, aspect_ratio or "16:9", mode or "pad")
        except ImageRejected as exc:
            return gr.update(value=None, visible=False), f"- **This image cannot be used:** {exc.message}"
        notes = [*image.adjustments, *image.warnings, *check_against(image, aspect_ratio or "16:9")]
        return gr.update(value=preview, visible=True), "\n".join(f"- {n}" for n in notes)

    @staticmethod
    def remix_source_visibility(choice: str) -> tuple:
        return (gr.update(visible=choice == REMIX_FROM_RUN), gr.update(visible=choice == REMIX_FROM_TASK),
                gr.update(visible=choice == REMIX_FROM_URL))

    async def cancel(self, data: dict, request: gr.Request) -> Any:
        task_id = data[self.task_id]
        if not task_id:
            gr.Info("There is no running task to cancel.")
            return gr.update(interactive=False)
        conn = self.ctx.connection(data[self.shared["key"]], self.ctx.owner(data[self.shared["visitor"]], request))
        async with conn.client(self.ctx.settings) as client:
            gr.Info(await cancel_task(client, task_id))
        return gr.update(interactive=False)

    async def run(self, data: dict, request: gr.Request) -> AsyncIterator[dict]:
        f, s = self.form, self.shared
        owner = self.ctx.owner(data[s["visitor"]], request)
        conn = self.ctx.connection(data[s["key"]], owner)
        values = f.form_values(data, _frame_placeholders(f, data))
        problems = catalog.check(values)
        if problems:
            yield {self.status: problems_panel(problems)}
            return
        yield {self.status: status_panel(RunUpdate("submitting", "Preparing the request…")),
               self.run_btn: gr.update(interactive=False)}
        try:
            frames, notes = await self.ctx.frames.resolve(conn, owner, f, data, values)
        except FrameError as exc:
            yield {self.status: problems_panel([catalog.Problem(exc.field, str(exc))]),
                   self.run_btn: gr.update(interactive=True)}
            return
        built = catalog.build_request(f.form_values(data, frames))
        if not built.ok:
            yield {self.status: problems_panel(list(built.problems)), self.run_btn: gr.update(interactive=True)}
            return
        run = await self.ctx.start_run(conn, owner, built)
        if isinstance(run, str):
            yield {self.status: problems_panel([catalog.Problem("budget", run)]),
                   self.run_btn: gr.update(interactive=True)}
            return
        sent = run.record.request
        intro = {self.request_json: json.dumps(sent, indent=2, ensure_ascii=False),
                 self.curl: curl_command(conn.base_url if not conn.simulated else self.ctx.settings.base_url, sent)}
        if "image_notes" in f.extras:
            intro[f.extras["image_notes"]] = "\n".join(f"- {n}" for n in notes)
        yield intro
        async for out in self._follow(run, data, page_root(request)):
            yield out

    async def resume(self, data: dict, request: gr.Request) -> AsyncIterator[dict]:
        """On page load: follow this tab's newest unfinished run, or show how it ended meanwhile."""
        # A generator that yields nothing would blank every output; a bare update changes none.
        yield {self.status: gr.update()}
        s = self.shared
        owner = self.ctx.owner(data[s["visitor"]], request)
        record = await self._run_to_resume(owner, data[s["pending"]] or [])
        if record is None:
            return
        run = self.ctx.tracker.live(owner, record.run_id)
        if run is None and record.finished:
            # It ended while the page was away: show the outcome once, and forget the pending entry.
            update = RunUpdate(record.phase, record.message, task_id=record.task_id, progress=100,
                               videos=tuple(Path(p) for p in record.files), video_urls=tuple(record.urls),
                               queued_seconds=record.queued_seconds, processing_seconds=record.processing_seconds)
            out = self._present(update, None, data, record.run_id, page_root(request))
            out[s["pending"]] = _without(data[s["pending"]], record.run_id)
            yield out
            return
        if run is None:
            run = await self._reattach(record, data, owner)
            if isinstance(run, dict):
                yield run
                return
        yield {self.request_json: json.dumps(record.request, indent=2, ensure_ascii=False)}
        async for out in self._follow(run, data, page_root(request)):
            yield out

    async def _reattach(self, record: RunRecord, data: dict, owner: str) -> TrackedRun | dict:
        """Poll a run again that no live driver follows (the server restarted); or say what it needs."""
        conn = self.ctx.connection(data[self.shared["key"]], owner)
        if not record.task_id:
            return {self.status: gr.update()}
        if conn.mode != record.mode or key_fingerprint(conn.api_key) != record.key_fingerprint:
            return {self.status: status_panel(RunUpdate(
                "queued", "This run was made with your own key: enter it above to resume it.",
                task_id=record.task_id)), self.task_id: record.task_id}
        return await self.ctx.tracker.attach(conn, owner, record.task_id)

    async def _run_to_resume(self, owner: str, pending: list[dict]) -> RunRecord | None:
        store = self.ctx.store
        ids = [p.get("run_id") for p in pending if isinstance(p, dict) and p.get("action") == self.form.action]
        candidates = [r for r in [await store.call(store.owned_run, owner, i) for i in ids if i] if r]
        candidates += [r for r in await store.call(store.unfinished, owner) if r.action == self.form.action]
        return max(candidates, key=lambda r: r.created_at, default=None)

    async def _follow(self, run: TrackedRun, data: dict, root: str) -> AsyncIterator[dict]:
        s = self.shared
        announced = False
        async for update in run.updates():
            out = self._present(update, run.record.estimated_cost, data, run.record.run_id, root)
            if update.task_id and not announced and not update.finished:
                announced = True  # the id is in the browser from now on, whatever happens to this page
                entry = {"run_id": run.record.run_id, "task_id": update.task_id, "action": self.form.action}
                out[s["pending"]] = [entry, *_without(data[s["pending"]], run.record.run_id)]
            if update.finished:
                out[s["pending"]] = _without(data[s["pending"]], run.record.run_id)
                out[s["history_changed"]] = f"{run.record.run_id}:{update.phase}"
            yield out

    def _present(self, update: RunUpdate, cost: float | None, data: dict, run_id: str, root: str) -> dict:
        out: dict = {self.status: status_panel(update), self.task_id: update.task_id,
                     self.cancel_btn: gr.update(interactive=update.phase == "queued")}
        if update.task_json is not None:
            out[self.task_json] = update.task_json
        if update.finished:
            out.update(self._final(update, cost, data, self.shared, run_id, root))
        return out

    def _final(self, update: RunUpdate, cost: float | None, data: dict, s: dict, run_id: str, root: str) -> dict:
        """``root`` is where this page reached the server: the videos' signed links are made on it."""
        out: dict = {self.run_btn: gr.update(interactive=True), self.cancel_btn: gr.update(interactive=False)}
        if update.phase != "completed":
            return out
        for index, video in enumerate(self.videos):
            shown = index < len(update.videos)
            link = self.ctx.media_links.video(root, run_id, index) if shown else None
            out[video] = gr.update(value=link, visible=shown or index == 0)
        spend: SessionSpend = data[s["spend"]].add(cost)
        out[s["spend"]] = spend
        runs = list(data[s["runs"]])
        for index in range(len(update.video_urls)):
            label = f"{catalog.ACTION_LABELS[self.form.action]} · {update.task_id} · sample {index + 1}"
            # The page holds a reference, not the link: the server looks the link up in this visitor's runs.
            runs.insert(0, {"label": label, "ref": run_reference(run_id, index), "task_id": update.task_id})
        out[s["runs"]] = runs
        return out


def _without(pending: list[dict] | None, run_id: str) -> list[dict]:
    return [p for p in (pending or []) if isinstance(p, dict) and p.get("run_id") != run_id]


def _as_int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
