"""Named endpoints for ``gradio_client``: one per action, plus the cost estimate (the compare grid's two are
in :mod:`.compare_api`, registered from here).

They run the same catalog, frames and client code as the page; a failed or refused run raises
``gr.Error`` with the same message the page shows. Every action endpoint also takes ``image_urls``,
``callback_url`` and ``callback_events`` (after ``api_key``, so older positional calls still read the same).
"""

from __future__ import annotations

from typing import Any

import gradio as gr
from gradio.data_classes import FileData

from .. import veo
from ..runs import PENDING_FRAME_URL, Connection, FrameError, Phase, RunService
from ..veo import FormValues
from .compare_api import register_compare
from .media_view import api_file, page_root
from .session import request_facts
from .share_api import register_shares
from .storyboard_api import register_storyboard
from .uploads import upload_path, uploaded
from .view import estimate_form

Result = tuple[list[FileData], dict]
#: One reference image of ``image_urls``: an upload of this call, or a link (the other is empty).
Reference = tuple[FileData | dict | None, str]
#: What ``image_urls`` may be: links and ``handle_file`` uploads, or a JSON text of such a list.
ImageList = list[str | FileData] | str | None


def read_form(
    read: veo.Reader,
    action: Any,
    prompt: Any,
    model: Any,
    duration: Any,
    resolution: Any,
    aspect_ratio: Any,
    generate_audio: Any,
    sample_count: Any,
    negative_prompt: Any,
    seed: Any,
    person_generation: Any,
    resize_mode: Any = None,
    **more: Any,
) -> FormValues:
    """The endpoint's arguments as catalog values, read strictly (:mod:`playground.veo.reading`): JSON of the
    wrong type is recorded in ``read`` by field, never guessed at (``bool("false")`` is true), rounded,
    read as the default, or dropped. The catalog then judges what the values mean together."""

    def choice(name: str, value: Any) -> str | None:
        return read.choice(name, value, veo.CHOICES[name])

    model_id = choice("model", model) or ""
    audio = read.flag("generate_audio", generate_audio)
    samples = read.whole_number("sample_count", sample_count)
    form = FormValues(
        model=model_id,
        action=choice("action", action) or "",
        prompt=read.text("prompt", prompt),
        duration=read.whole_number("duration", duration),
        resolution=choice("resolution", resolution),
        aspect_ratio=choice("aspect_ratio", aspect_ratio),
        generate_audio=audio,
        sample_count=samples,
        negative_prompt=read.text("negative_prompt", negative_prompt) or None,
        seed=read.whole_number("seed", seed),
        person_generation=choice("person_generation", person_generation),
        resize_mode=choice("resize_mode", resize_mode),
        **more,
    )
    spec = veo.MODELS_BY_ID.get(model_id)
    # Each endpoint has one signature for every model: its defaults for a parameter the model does not take
    # are left out, not refused (a sample_count other than 1 still is).
    taken = veo.fields_taken(spec, form.action) if spec else None
    if taken is not None and "generate_audio" not in taken:
        form.generate_audio = None
    if taken is not None and "sample_count" not in taken and samples == 1:
        form.sample_count = None
    return form


def read_extras(
    read: veo.Reader, image_urls: Any, callback_url: Any, callback_events: Any
) -> tuple[list[Reference], dict[str, Any]]:
    """The reference images as (upload, link) in the order given, and the callback fields of the form.

    Links are judged by the rules and fetched by the frames' code; an upload must be one of this call's.
    """
    items = read.using(veo.read_image_urls, "image_urls", image_urls) or []
    references = [(uploaded(read, "image_urls", i), "") if isinstance(i, dict) else (None, i) for i in items]
    events = read.using(veo.read_callback_events, "callback_events", callback_events)
    url = read.text("callback_url", callback_url).strip() or None
    return references, {"callback_url": url, "callback_events": events}


def refuse_unreadable(read: veo.Reader) -> None:
    """Refuse the call, before anything is uploaded or sent, when an argument has the wrong type."""
    if read.problems:
        raise gr.Error("Not submitted: " + read.message())


async def prepared(
    ctx: RunService,
    conn: Connection,
    owner: str,
    form: FormValues,
    frames: dict[str, tuple[FileData | None, str]],
    references: list[Reference],
) -> veo.BuiltRequest:
    """The request a run sends, once the rules pass and its frames and references are hosted.

    Raises ``gr.Error`` with the page's words when anything is refused; nothing has been sent then.
    """
    for field, (upload, url) in frames.items():
        if upload is not None or url:
            setattr(form, field, PENDING_FRAME_URL)
    if references:  # counted and judged by the rules before anything is fetched or uploaded
        form.image_urls = [PENDING_FRAME_URL if upload is not None else url for upload, url in references]
    problems = veo.check(form)
    if problems:
        raise gr.Error("Not submitted: " + "; ".join(p.message for p in problems))
    try:
        if form.action == "remix":  # the caller's own clip link, which the provider would fetch
            await ctx.frames.remix_url(conn, owner, form.first_frame_image or "")
        for field, (upload, url) in frames.items():
            hosted, _, _ = await ctx.frames.frame_url(
                conn, field, upload_path(upload), url, form.aspect_ratio or "16:9"
            )
            setattr(form, field, hosted)
        if references:
            given = [(upload_path(upload), url) for upload, url in references]
            form.image_urls, _ = await ctx.frames.reference_urls(conn, given, form.aspect_ratio or "16:9")
    except FrameError as exc:
        raise gr.Error(f"Not submitted: {exc}") from exc
    built = veo.build_request(form)
    if not built.ok:
        raise gr.Error("Not submitted: " + built.message())
    return built


async def _run(
    ctx: RunService,
    request: gr.Request | None,
    api_key: str,
    form: FormValues,
    frames: dict[str, tuple[FileData | None, str]],
    references: list[Reference],
) -> Result:
    # API callers have no browser identity: their runs are filed under their client session (or their
    # account, when a trusted proxy or a sign-in cookie says who they are), and capped by address too.
    visitor = ctx.visitor(None, request_facts(request))
    conn = ctx.connection(api_key, visitor)
    built = await prepared(ctx, conn, visitor.owner, form, frames, references)
    run_id, final = await ctx.run_to_end(conn, visitor, built)
    if final.phase != Phase.COMPLETED or run_id is None:
        raise gr.Error(final.message)
    root = page_root(request)
    return [api_file(ctx.media_links.video(root, run_id, i)) for i in range(len(final.videos))], final.task_json or {}


def estimate_json(
    ctx: RunService,
    model: Any,
    action: Any,
    duration: Any,
    resolution: Any,
    generate_audio: Any,
    sample_count: Any,
) -> dict:
    """What ``/estimate`` and the ``estimate_cost`` tool answer: the price, or the problems that stop it."""
    read = veo.Reader()
    form = read_form(
        read, action, "price check", model, duration, resolution, "16:9", generate_audio, sample_count, "", None, ""
    )
    for field in veo.REQUIRED_IMAGES.get(form.action, ()):
        setattr(form, field, PENDING_FRAME_URL)
    est, problems = (None, read.problems) if read.problems else estimate_form(form, dict(ctx.settings.operator_prices))
    return {
        "price_set": bool(est and est.price_set),
        "total_usd": est.total if est else None,
        "unit_price_usd": est.unit_price if est else None,
        "unit": est.billing.value if est else None,
        "seconds": est.seconds if est else None,
        "samples": est.samples if est else None,
        "summary": est.summary() if est else None,
        "problems": [str(p) for p in problems],
    }


def register(ctx: RunService, demo: gr.Blocks) -> None:  # noqa: C901 - one small closure per endpoint
    default_model = veo.DEFAULT_MODEL

    async def generate(
        prompt: str,
        model: str = default_model,
        duration: int = 8,
        resolution: str = "",
        aspect_ratio: str = "16:9",
        generate_audio: bool = False,
        sample_count: int = 1,
        negative_prompt: str = "",
        seed: int | None = None,
        person_generation: str = "",
        api_key: str = "",
        image_urls: ImageList = None,
        callback_url: str = "",
        callback_events: list[str] | str | None = None,
        request: gr.Request = None,
    ) -> Result:
        """Text to video. Returns the video files and the final task JSON."""
        read = veo.Reader()
        references, more = read_extras(read, image_urls, callback_url, callback_events)
        form = read_form(
            read,
            "generate",
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
            **more,
        )
        key = read.text("api_key", api_key)
        refuse_unreadable(read)
        return await _run(ctx, request, key, form, {}, references)

    async def image2video(
        prompt: str,
        first_frame: FileData | None = None,
        first_frame_url: str = "",
        model: str = default_model,
        duration: int = 8,
        resolution: str = "",
        aspect_ratio: str = "16:9",
        generate_audio: bool = False,
        sample_count: int = 1,
        resize_mode: str = "pad",
        person_generation: str = "",
        api_key: str = "",
        image_urls: ImageList = None,
        callback_url: str = "",
        callback_events: list[str] | str | None = None,
        request: gr.Request = None,
    ) -> Result:
        """Image to video: the image (an upload or a public URL) becomes the first frame."""
        read = veo.Reader()
        references, more = read_extras(read, image_urls, callback_url, callback_events)
        form = read_form(
            read,
            "image2video",
            prompt,
            model,
            duration,
            resolution,
            aspect_ratio,
            generate_audio,
            sample_count,
            "",
            None,
            person_generation,
            resize_mode,
            **more,
        )
        frames = {
            "first_frame_image": (
                uploaded(read, "first_frame", first_frame),
                read.text("first_frame_url", first_frame_url),
            )
        }
        key = read.text("api_key", api_key)
        refuse_unreadable(read)
        return await _run(ctx, request, key, form, frames, references)

    async def first_last_frame(
        prompt: str,
        first_frame: FileData | None = None,
        last_frame: FileData | None = None,
        first_frame_url: str = "",
        last_frame_url: str = "",
        model: str = default_model,
        duration: int = 8,
        resolution: str = "",
        aspect_ratio: str = "16:9",
        generate_audio: bool = False,
        sample_count: int = 1,
        resize_mode: str = "pad",
        person_generation: str = "",
        api_key: str = "",
        image_urls: ImageList = None,
        callback_url: str = "",
        callback_events: list[str] | str | None = None,
        request: gr.Request = None,
    ) -> Result:
        """First and last frame: Veo fills in the motion between two images."""
        read = veo.Reader()
        references, more = read_extras(read, image_urls, callback_url, callback_events)
        form = read_form(
            read,
            "first_last_frame",
            prompt,
            model,
            duration,
            resolution,
            aspect_ratio,
            generate_audio,
            sample_count,
            "",
            None,
            person_generation,
            resize_mode,
            **more,
        )
        frames = {
            "first_frame_image": (
                uploaded(read, "first_frame", first_frame),
                read.text("first_frame_url", first_frame_url),
            ),
            "last_frame_image": (
                uploaded(read, "last_frame", last_frame),
                read.text("last_frame_url", last_frame_url),
            ),
        }
        key = read.text("api_key", api_key)
        refuse_unreadable(read)
        return await _run(ctx, request, key, form, frames, references)

    async def remix(
        prompt: str,
        source_url: str,
        model: str = default_model,
        duration: int = 8,
        resolution: str = "",
        aspect_ratio: str = "16:9",
        generate_audio: bool = False,
        sample_count: int = 1,
        raw: bool = False,
        person_generation: str = "",
        api_key: str = "",
        image_urls: ImageList = None,
        callback_url: str = "",
        callback_events: list[str] | str | None = None,
        request: gr.Request = None,
    ) -> Result:
        """Remix: continue the clip at source_url (passed as first_frame_image; raw returns only the extension)."""
        read = veo.Reader()
        references, more = read_extras(read, image_urls, callback_url, callback_events)
        form = read_form(
            read,
            "remix",
            prompt,
            model,
            duration,
            resolution,
            aspect_ratio,
            generate_audio,
            sample_count,
            "",
            None,
            person_generation,
            first_frame_image=read.text("source_url", source_url) or None,
            **more,
            raw=read.flag("raw", raw),
        )
        key = read.text("api_key", api_key)
        refuse_unreadable(read)
        return await _run(ctx, request, key, form, {}, references)

    async def estimate(  # pure computation: async, so it runs at once instead of waiting for a worker thread
        model: str = default_model,
        action: str = "generate",
        duration: int = 8,
        resolution: str = "",
        generate_audio: bool = False,
        sample_count: int = 1,
    ) -> dict:
        """The price of a request before it is sent, from the published table or the operator's prices."""
        return estimate_json(ctx, model, action, duration, resolution, generate_audio, sample_count)

    for fn in (generate, image2video, first_last_frame, remix):
        gr.api(fn, api_name=fn.__name__, concurrency_limit=None)
    gr.api(estimate, api_name="estimate", queue=False)
    register_compare(ctx, demo)
    register_storyboard(ctx, demo)
    register_shares(ctx, demo)
