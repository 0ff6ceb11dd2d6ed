"""Named endpoints for ``gradio_client``: one per action, plus the cost estimate.

They run the same catalog, frames and client code as the page; a failed or refused run raises
``gr.Error`` with the same message the page shows.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import gradio as gr
from gradio.data_classes import FileData

from . import catalog
from .catalog import FormValues
from .frames import PENDING_FRAME_URL, FrameError
from .view import estimate_form

if TYPE_CHECKING:
    from .handlers import AppContext

Result = tuple[list[FileData], dict]


def _form(action: str, prompt: str, model: str, duration: int, resolution: str, aspect_ratio: str,
          generate_audio: bool, sample_count: int, negative_prompt: str, seed: int | None,
          person_generation: str, **more: Any) -> FormValues:
    """Numbers are taken as given (whole numbers as int, anything else as is) for the catalog to judge:
    nothing is rounded, read as the default, or dropped."""
    spec = catalog.MODELS_BY_ID.get(model)
    samples = catalog.as_whole_number(sample_count)
    if spec is not None and spec.max_samples == 1 and samples == 1 and samples is not True:
        samples = None  # the endpoint's default on a model with no sample_count parameter
    return FormValues(
        model=model, action=action, prompt=prompt, duration=catalog.as_whole_number(duration),
        resolution=resolution or None, aspect_ratio=aspect_ratio or None,
        generate_audio=bool(generate_audio) if spec is None or spec.audio_switch else None,
        sample_count=samples, negative_prompt=negative_prompt or None, seed=catalog.as_whole_number(seed),
        person_generation=person_generation or None, **more)


def _upload_path(upload: FileData | dict | None) -> str | None:
    """gr.api hands uploads over as FileData or as its dict form."""
    if upload is None:
        return None
    return upload.get("path") if isinstance(upload, dict) else upload.path


async def _run(ctx: "AppContext", request: gr.Request | None, api_key: str, form: FormValues,
               frames: dict[str, tuple[FileData | None, str]]) -> Result:
    from .handlers import run_to_end

    # API callers have no browser identity: their runs are filed under their client session.
    owner = ctx.owner(None, request)
    conn = ctx.connection(api_key, owner)
    for field, (upload, url) in frames.items():
        if upload is not None or url:
            setattr(form, field, PENDING_FRAME_URL)
    problems = catalog.check(form)
    if problems:
        raise gr.Error("Not submitted: " + "; ".join(p.message for p in problems))
    try:
        if form.action == "remix":  # the caller's own clip link, which the provider would fetch
            await ctx.frames.remix_url(conn, form.first_frame_image or "")
        for field, (upload, url) in frames.items():
            hosted, _, _ = await ctx.frames.frame_url(conn, field, _upload_path(upload), url,
                                                      form.aspect_ratio or "16:9")
            setattr(form, field, hosted)
    except FrameError as exc:
        raise gr.Error(f"Not submitted: {exc}") from exc
    built = catalog.build_request(form)
    if not built.ok:
        raise gr.Error("Not submitted: " + built.message())
    final = await run_to_end(ctx, conn, owner, built)
    if final.phase != "completed":
        raise gr.Error(final.message)
    return [FileData(path=str(p), mime_type="video/mp4") for p in final.videos], final.task_json or {}


def register(ctx: "AppContext", demo: gr.Blocks) -> None:  # noqa: C901 - one small closure per endpoint
    default_model = catalog.DEFAULT_MODEL

    async def generate(prompt: str, model: str = default_model, duration: int = 8, resolution: str = "",
                       aspect_ratio: str = "16:9", generate_audio: bool = False, sample_count: int = 1,
                       negative_prompt: str = "", seed: int | None = None, person_generation: str = "",
                       api_key: str = "", request: gr.Request = None) -> Result:
        """Text to video. Returns the video files and the final task JSON."""
        form = _form("generate", prompt, model, duration, resolution, aspect_ratio, generate_audio,
                     sample_count, negative_prompt, seed, person_generation)
        return await _run(ctx, request, api_key, form, {})

    async def image2video(prompt: str, first_frame: FileData | None = None, first_frame_url: str = "",
                          model: str = default_model, duration: int = 8, resolution: str = "",
                          aspect_ratio: str = "16:9", generate_audio: bool = False, sample_count: int = 1,
                          resize_mode: str = "pad", person_generation: str = "", api_key: str = "",
                          request: gr.Request = None) -> Result:
        """Image to video: the image (an upload or a public URL) becomes the first frame."""
        form = _form("image2video", prompt, model, duration, resolution, aspect_ratio, generate_audio,
                     sample_count, "", None, person_generation, resize_mode=resize_mode or None)
        return await _run(ctx, request, api_key, form, {"first_frame_image": (first_frame, first_frame_url)})

    async def first_last_frame(prompt: str, first_frame: FileData | None = None, last_frame: FileData | None = None,
                               first_frame_url: str = "", last_frame_url: str = "", model: str = default_model,
                               duration: int = 8, resolution: str = "", aspect_ratio: str = "16:9",
                               generate_audio: bool = False, sample_count: int = 1, resize_mode: str = "pad",
                               person_generation: str = "", api_key: str = "",
                               request: gr.Request = None) -> Result:
        """First and last frame: Veo fills in the motion between two images."""
        form = _form("first_last_frame", prompt, model, duration, resolution, aspect_ratio, generate_audio,
                     sample_count, "", None, person_generation, resize_mode=resize_mode or None)
        return await _run(ctx, request, api_key, form, {"first_frame_image": (first_frame, first_frame_url),
                                                        "last_frame_image": (last_frame, last_frame_url)})

    async def remix(prompt: str, source_url: str, model: str = default_model, duration: int = 8,
                    resolution: str = "", aspect_ratio: str = "16:9", generate_audio: bool = False,
                    sample_count: int = 1, raw: bool = False, person_generation: str = "", api_key: str = "",
                    request: gr.Request = None) -> Result:
        """Remix: continue the clip at source_url (passed as first_frame_image; raw returns only the extension)."""
        form = _form("remix", prompt, model, duration, resolution, aspect_ratio, generate_audio, sample_count,
                     "", None, person_generation, first_frame_image=source_url or None, raw=bool(raw))
        return await _run(ctx, request, api_key, form, {})

    def estimate(model: str = default_model, action: str = "generate", duration: int = 8, resolution: str = "",
                 generate_audio: bool = False, sample_count: int = 1) -> dict:
        """The price of a request before it is sent, from the published table or the operator's prices."""
        form = _form(action, "price check", model, duration, resolution, "16:9", generate_audio, sample_count,
                     "", None, "")
        for field in catalog.REQUIRED_IMAGES.get(action, ()):
            setattr(form, field, PENDING_FRAME_URL)
        est, problems = estimate_form(form, dict(ctx.settings.operator_prices))
        return {
            "price_set": bool(est and est.price_set), "total_usd": est.total if est else None,
            "unit_price_usd": est.unit_price if est else None, "unit": est.billing.value if est else None,
            "seconds": est.seconds if est else None, "samples": est.samples if est else None,
            "summary": est.summary() if est else None, "problems": [str(p) for p in problems],
        }

    for fn in (generate, image2video, first_last_frame, remix):
        gr.api(fn, api_name=fn.__name__, concurrency_limit=None)
    gr.api(estimate, api_name="estimate", queue=False)
