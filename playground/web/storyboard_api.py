"""Named endpoints for storyboards: ``/storyboard_estimate`` prices a board, ``/storyboard`` makes it.

A board is 2 to 10 shots, each a prompt (and a duration), on one model, resolution, aspect ratio and
audio setting. Both endpoints judge it with :func:`playground.veo.plan_board` and ``/storyboard`` runs
it with :class:`playground.runs.BoardRunner`, as the Storyboard tab does: a board the page refuses
is refused here with the same words, before anything is uploaded or sent.
"""

from __future__ import annotations

from typing import Any

import gradio as gr
from gradio.data_classes import FileData

from .. import veo
from ..runs import BoardStarted, FrameInputs, Phase, RunRecord, RunService, outcome_word
from .compare_api import charged_cost, summed
from .media_view import page_root
from .session import request_facts
from .uploads import upload_path, uploaded

#: What ``shots`` may be: a list of ``{"prompt", "duration"?}``, or a JSON text of one.
ShotList = list[dict[str, Any]] | str


def _settings(
    read: veo.Reader, model: Any, resolution: Any, aspect_ratio: Any, generate_audio: Any, from_image: bool
) -> veo.BoardSettings:
    def choice(name: str, value: Any) -> str | None:
        return read.choice(name, value, veo.CHOICES[name])

    return veo.BoardSettings(
        model=choice("model", model) or "",
        resolution=choice("resolution", resolution),
        aspect_ratio=choice("aspect_ratio", aspect_ratio),
        generate_audio=read.flag("generate_audio", generate_audio),
        from_image=from_image,
    )


def _priced(plan: veo.BoardPlan) -> dict:
    shots = [{"cost_usd": s.cost, "problems": [str(p.message) for p in s.built.problems]} for s in plan.shots]
    problems = [str(p) for p in plan.problems]
    return {"total_usd": plan.total, "duration_s": plan.duration_s, "shots": shots, "problems": problems}


def register_storyboard(ctx: RunService, demo: gr.Blocks) -> None:
    def storyboard_estimate(
        shots: ShotList,
        model: str = veo.DEFAULT_MODEL,
        resolution: str = "",
        aspect_ratio: str = "16:9",
        generate_audio: bool = False,
    ) -> dict:
        """The price and length of a storyboard before it is made; nothing is sent.
        Shot 1 is text to video, every later shot continues the clip before it (remix, extension only).

        Args:
            shots: a list of {"prompt": str, "duration": int (optional)}, or a JSON text of one; 2 to 10 shots.
            model: one model for every shot (one that can continue a clip).
            resolution, aspect_ratio, generate_audio: for every shot.

        Returns:
            {"total_usd": the board's price, null while a shot is invalid or unpriced,
             "duration_s": the joined video's length, "shots": [{"cost_usd", "problems"}],
             "problems": every problem, each naming its shot}
        """
        read = veo.Reader()
        board = veo.read_shots(shots, read)
        settings = _settings(read, model, resolution, aspect_ratio, generate_audio, False)
        if read.problems:
            return {"total_usd": None, "duration_s": 0, "shots": [], "problems": [p.message for p in read.problems]}
        return _priced(veo.plan_board(settings, board, ctx.settings.operator_prices))

    async def storyboard(
        shots: ShotList,
        model: str = veo.DEFAULT_MODEL,
        resolution: str = "",
        aspect_ratio: str = "16:9",
        generate_audio: bool = False,
        first_frame: FileData | str | None = None,
        api_key: str | None = None,
        request: gr.Request = None,
    ) -> dict:
        """Make a storyboard: the shots in order, each continuing the one before, joined into one video.
        An invalid board, one over a budget, or a first frame that cannot be used raises "Not submitted: ..."
        and nothing is sent. If a shot fails, the shots after it are not run (and cost nothing).

        Args:
            shots: as for /storyboard_estimate.
            model, resolution, aspect_ratio, generate_audio: for every shot.
            first_frame: shot 1 starts from this image (image to video): a handle_file upload or a public URL.
            api_key: your own Wave key; without it the server's key (or demo mode) is used.

        Returns:
            {"video": a link to the joined video on this app (null unless every shot completed),
             "duration_s": its length, "total_usd": what the board cost,
             "shots": [{"task_id", "status", "cost_usd", "video"}]}
        """
        read = veo.Reader()
        board = veo.read_shots(shots, read)
        upload = uploaded(read, "first_frame", first_frame) if isinstance(first_frame, dict) else None
        url = read.text("first_frame", first_frame) if isinstance(first_frame, str) else ""
        settings = _settings(read, model, resolution, aspect_ratio, generate_audio, bool(upload or url.strip()))
        key = read.text("api_key", api_key)
        if read.problems:
            raise gr.Error("Not submitted: " + read.message())
        visitor = ctx.visitor(None, request_facts(request))
        conn = ctx.connection(key, visitor)
        frames = FrameInputs(first_file=upload_path(upload), first_url=url or None)
        started = await ctx.boards.start(conn, visitor, settings, board, frames)
        if not isinstance(started, BoardStarted):
            raise gr.Error(f"Not submitted: {started.message}")
        progress = ctx.boards.progress(started.group_id)
        while progress is not None and not progress.done:
            await progress.wait()
        records = await ctx.group_runs(visitor, started.group_id)
        root = page_root(request)
        joined = progress.video if progress is not None else None
        return {
            "video": ctx.media_links.board(root, records[0].run_id) if joined else None,
            "duration_s": round(joined.duration_s, 3) if joined else 0.0,
            "total_usd": summed([charged_cost(r) for r in records]),
            "shots": [_shot(ctx, root, r) for r in records],
        }

    gr.api(storyboard_estimate, api_name="storyboard_estimate", queue=False)
    gr.api(storyboard, api_name="storyboard", concurrency_limit=None)


def _shot(ctx: RunService, root: str, record: RunRecord) -> dict:
    done = record.phase == Phase.COMPLETED and record.files
    return {
        "task_id": record.task_id or "",
        "status": outcome_word(record.phase) if record.phase != Phase.CANCELLED or record.task_id else "not run",
        "cost_usd": charged_cost(record),
        "video": ctx.media_links.video(root, record.run_id, 0) if done else None,
    }
