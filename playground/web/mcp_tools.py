"""The playground as tools for AI agents (MCP): list the models, price a request, start a video, follow it
by task id, cancel it.

A tool call must come back well inside an MCP client's time limit (about 60 s), so ``start_video`` returns
as soon as the provider has the task and ``get_video`` is polled. The tools are unqueued events: Gradio's
MCP server then calls them with the agent's own HTTP request, so its address, its sign-in cookie and its
``X-Wave-Api-Key`` header are what the budgets, the allow-list and the key choice see. Every other named
endpoint stays an HTTP endpoint only (:func:`keep_only_tools`): ``/generate`` waits for the video, which an
agent's tool call cannot.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import gradio as gr

from .. import veo
from ..runs import Refused, RunService, RunUpdate, TrackedRun, Visitor, tasks
from ..veo import ModelSpec
from .api import estimate_json, prepared, read_extras, read_form, refuse_unreadable
from .media_view import page_root
from .session import request_facts

#: How long ``start_video`` waits for the provider to accept the task before it answers anyway.
ACCEPT_WAIT_SECONDS = 30.0


#: The tools, by name; every other public endpoint stays off the MCP tool list.
TOOLS = ("list_models", "estimate_cost", "start_video", "get_video", "cancel_video")


def keep_only_tools(demo: gr.Blocks) -> None:
    """Keep every named endpoint but the tools out of the MCP tool list. Gradio lists each public endpoint
    as a tool unless its function is marked as another kind, the way its own resources and prompts are."""
    for block_fn in demo.fns.values():
        if block_fn.api_visibility != "private" and block_fn.api_name not in TOOLS and block_fn.fn is not None:
            block_fn.fn._mcp_type = "endpoint"


def _model_entry(spec: ModelSpec, operator_prices: dict[str, float]) -> dict[str, Any]:
    if spec.prices is not None:
        prices = [
            {"resolution": res, "generate_audio": audio, "usd_per_second": usd}
            for (res, audio), usd in sorted(spec.prices.per_second.items())
        ]
    elif spec.id in operator_prices:
        prices = [{"usd_per_second": float(operator_prices[spec.id]), "set_by": "operator"}]
    else:
        prices = []
    return {
        "model": spec.id,
        "name": spec.name,
        "about": spec.blurb,
        "actions": list(spec.actions),
        "durations": list(spec.durations),
        "resolutions": list(spec.resolutions),
        "aspect_ratios": list(spec.aspect_ratios),
        "generate_audio_switch": spec.audio_switch,
        "max_sample_count": spec.max_samples,
        "seed": spec.supports_seed,
        "negative_prompt": spec.supports_negative_prompt,
        "prices": prices,
    }


def _report_json(ctx: RunService, root: str, report: tasks.TaskReport) -> dict[str, Any]:
    record = report.record
    return {
        "task_id": record.task_id,
        "status": report.phase.value,
        "finished": report.phase.finished,
        "progress": report.progress,
        "eta_seconds": None if report.eta_seconds is None else round(report.eta_seconds, 1),
        "message": str(report.message),
        "action": record.action,
        "model": record.model,
        "prompt": record.request.get("prompt"),
        "price_usd": record.estimated_cost,
        "charged": record.charged,
        "video_urls": [ctx.media_links.video(root, record.run_id, i) for i in range(report.video_count)],
    }


async def _accepted(run: TrackedRun) -> RunUpdate:
    """The first update that names the provider's task (or ends the run): the POST has been answered."""
    async for update in run.updates():
        if update.task_id or update.finished:
            return update
    return run.latest


def as_gradio(request: Any) -> gr.Request | None:
    """The request as the rest of the web layer reads it. Through MCP, Gradio hands an unqueued tool
    Starlette's own request (no session hash, no ``.request``), not a ``gr.Request``."""
    if request is None or isinstance(request, gr.Request):
        return request
    return gr.Request(request=request)


def _json(answer: dict[str, Any]) -> str:
    # Gradio's MCP server hands a tool's value over as ``str(value)``: a dict would reach the agent as
    # Python's repr, not JSON.
    return json.dumps(answer, ensure_ascii=False)


def register_tools(ctx: RunService, demo: gr.Blocks) -> None:  # noqa: C901 - one small closure per tool
    operator_prices = dict(ctx.settings.operator_prices)

    def caller(x_wave_api_key: str | None, request: Any) -> tuple[Visitor, str]:
        key = (x_wave_api_key or "").strip()
        return ctx.tool_visitor(key or None, request_facts(as_gradio(request))), key

    def list_models() -> str:
        """List the Veo 3.1 models this playground can run, with what each one takes and what it costs.

        Returns:
            A JSON object: `models`, one entry per model with its id (`model`), the `actions` it can do
            (generate, image2video, first_last_frame, remix), allowed `durations` in seconds, `resolutions`,
            `aspect_ratios`, whether `generate_audio` is a switch, `max_sample_count`, whether it takes a
            `seed` and a `negative_prompt`, and its `prices` (USD per second of video, by resolution and
            audio; empty when no price is published or set).
        """
        return _json({"models": [_model_entry(spec, operator_prices) for spec in veo.MODELS]})

    def estimate_cost(
        model: str = veo.DEFAULT_MODEL,
        action: str = "generate",
        duration: int = 8,
        resolution: str = "",
        generate_audio: bool = False,
        sample_count: int = 1,
    ) -> str:
        """Price a video request before it is sent. Nothing is submitted and nothing is charged.

        Args:
            model: A model id from list_models.
            action: generate (text to video), image2video, first_last_frame or remix.
            duration: Length of the video in seconds (one of the model's durations).
            resolution: One of the model's resolutions; empty for the model's default.
            generate_audio: Whether the video has sound (models with an audio switch).
            sample_count: How many videos to make from the one request.

        Returns:
            A JSON object: `total_usd` (null when no price is known), `unit_price_usd`, `seconds`,
            `samples`, a one-line `summary`, and `problems` (empty when the request is valid).
        """
        return _json(estimate_json(ctx, model, action, duration, resolution, generate_audio, sample_count))

    async def start_video(
        prompt: str,
        action: str = "generate",
        model: str = veo.DEFAULT_MODEL,
        duration: int = 8,
        resolution: str = "",
        aspect_ratio: str = "16:9",
        generate_audio: bool = False,
        sample_count: int = 1,
        negative_prompt: str = "",
        seed: int | None = None,
        person_generation: str = "",
        resize_mode: str = "",
        first_frame_url: str = "",
        last_frame_url: str = "",
        source_url: str = "",
        raw: bool = False,
        image_urls: list[str] | None = None,
        x_wave_api_key: gr.Header = None,
        request: gr.Request = None,
    ) -> str:
        """Start making a video and return at once with its task id and price; follow it with get_video.

        A video takes one to several minutes. Check the price first with estimate_cost.

        Args:
            prompt: What the video shows (and, for remix, how the clip goes on).
            action: generate (text to video), image2video (first_frame_url becomes the first frame),
                first_last_frame (Veo fills the motion between first_frame_url and last_frame_url) or
                remix (continue the clip at source_url).
            model: A model id from list_models.
            duration: Length in seconds, one of the model's durations.
            resolution: One of the model's resolutions; empty for the model's default.
            aspect_ratio: 16:9 or 9:16.
            generate_audio: Whether the video has sound (models with an audio switch).
            sample_count: How many videos to make from this request.
            negative_prompt: What to keep out of the video (models that take it).
            seed: A whole number for repeatable results (models that take it).
            person_generation: The model's person policy, e.g. allow_adult; empty for its default.
            resize_mode: pad or crop, how an image is fitted to the aspect ratio (image actions).
            first_frame_url: Public https link of the first frame (image2video, first_last_frame).
            last_frame_url: Public https link of the last frame (first_last_frame).
            source_url: Link of the clip to continue (remix): a video_urls link from get_video.
            raw: For remix, return only the new part instead of the source and its continuation.
            image_urls: Public https links of reference images (models that take them).

        Returns:
            A JSON object: `task_id` (pass it to get_video or cancel_video), `status`, `price_usd`,
            `message`. A request the rules or the budget refuse raises an error saying why; nothing is sent.
        """
        visitor, key = caller(x_wave_api_key, request)
        read = veo.Reader()
        references, more = read_extras(read, image_urls, "", None)
        is_remix = action == "remix"  # read (and any wrong value named) once, by read_form
        frame_fields = {} if is_remix else {"first_frame_image": first_frame_url, "last_frame_image": last_frame_url}
        form = read_form(
            read,
            action,
            prompt,
            model,
            duration,
            resolution,
            aspect_ratio,
            generate_audio,
            sample_count,
            negative_prompt,
            seed,
            person_generation,
            resize_mode or None,
            **more,
            **({"first_frame_image": read.text("source_url", source_url) or None} if is_remix else {}),
            **({"raw": read.flag("raw", raw)} if is_remix else {}),
        )
        frames = {f: (None, read.text(f.replace("_image", "_url"), url)) for f, url in frame_fields.items()}
        refuse_unreadable(read)
        conn = ctx.connection(key or None, visitor)
        built = await prepared(ctx, conn, visitor.owner, form, {f: v for f, v in frames.items() if v[1]}, references)
        started = await ctx.start(conn, visitor, built)
        if isinstance(started, Refused):
            raise gr.Error(f"Not submitted: {started.message}")
        try:
            update = await asyncio.wait_for(_accepted(started.run), ACCEPT_WAIT_SECONDS)
        except TimeoutError:
            update = started.run.latest
        if update.finished and not update.task_id:
            raise gr.Error(str(update.message))
        return _json(
            {
                "task_id": update.task_id,
                "status": update.phase.value,
                "price_usd": started.run.record.estimated_cost,
                "message": str(update.message),
            }
        )

    async def get_video(task_id: str, x_wave_api_key: gr.Header = None, request: gr.Request = None) -> str:
        """Where a video started with start_video stands, and its links once it is done.

        Args:
            task_id: The task id start_video returned.

        Returns:
            A JSON object: `status` (queued, processing, downloading, completed, failed, cancelled, ...),
            `finished`, `progress` (0-100), `eta_seconds`, `message`, `price_usd`, and `video_urls`
            (links to the MP4 files this server keeps, when completed).
        """
        visitor, _ = caller(x_wave_api_key, request)
        found = await tasks.report(ctx, visitor.owner, task_id)
        if isinstance(found, tasks.UnknownTask):
            raise gr.Error(f"No video of yours has the task id {task_id!r}.")
        return _json(_report_json(ctx, page_root(as_gradio(request)), found))

    async def cancel_video(task_id: str, x_wave_api_key: gr.Header = None, request: gr.Request = None) -> str:
        """Cancel a video started with start_video. A task still queued is refunded; one already rendering
        may still be charged, as the provider decides.

        Args:
            task_id: The task id start_video returned.

        Returns:
            A JSON object: `cancelled` (whether the provider was asked), `status`, `message`.
        """
        visitor, key = caller(x_wave_api_key, request)
        conn = ctx.connection(key or None, visitor)
        outcome = await tasks.cancel(ctx, conn, visitor.owner, task_id)
        if isinstance(outcome, tasks.UnknownTask):
            raise gr.Error(f"No video of yours has the task id {task_id!r}.")
        if isinstance(outcome, tasks.AlreadyFinished):
            phase = outcome.record.phase.value
            return _json({"cancelled": False, "status": phase, "message": f"Nothing to cancel: the video is {phase}."})
        found = await tasks.report(ctx, visitor.owner, task_id)
        status = found.phase.value if isinstance(found, tasks.TaskReport) else "cancelled"
        return _json({"cancelled": True, "status": status, "message": str(outcome.message)})

    for fn in (list_models, estimate_cost, start_video, get_video, cancel_video):
        gr.api(fn, api_name=fn.__name__, queue=False)
    keep_only_tools(demo)
