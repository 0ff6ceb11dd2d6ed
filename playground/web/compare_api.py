"""Named endpoints for compare grids (issue 17): ``/compare_estimate`` prices a grid, ``/compare`` runs it.

A grid is one prompt (and, for the image actions, the same frames) with up to eight variants. Both
endpoints judge it with :func:`playground.runs.judge_grid`, and ``/compare`` starts it with
:func:`playground.runs.start_grid`, exactly as the Compare tab does: a grid the page refuses is refused
here with the same words, before any frame is uploaded or any cell is sent.
"""

from __future__ import annotations

import asyncio
from typing import Any

import gradio as gr
from gradio.data_classes import FileData

from .. import veo
from ..runs import (
    GRID_ACTIONS,
    PENDING_FRAME_URL,
    FrameInputs,
    GridInvalid,
    GridStarted,
    RunRecord,
    RunService,
    RunUpdate,
    TrackedRun,
    judge_grid,
    outcome_word,
    start_grid,
)
from .media_view import page_root
from .session import request_facts
from .uploads import upload_path, uploaded

#: What ``variants`` may be: a list of objects, or a JSON text of one.
VariantList = list[dict[str, Any]] | str
#: A frame of the grid: a ``handle_file`` upload of this call, or a public image URL.
Frame = FileData | str | None
#: The frame arguments, by the request field each fills.
_FRAME_FIELDS = {"first_frame": "first_frame_image", "last_frame": "last_frame_image"}


def _read_grid(read: veo.Reader, prompt: Any, variants: Any, action: Any) -> tuple[str, str, list[veo.Variant]]:
    """The grid's action, prompt and variants, read as strictly as a tab's fields (problems go to ``read``)."""
    action_id = read.choice("action", action, veo.CHOICES["action"]) or ""
    return action_id, read.text("prompt", prompt), veo.read_variants(variants, read)


def _frames(read: veo.Reader, action: str, given: dict[str, Any]) -> FrameInputs:
    """The frame arguments as the page's frame inputs: an upload by its path, a link as text.

    A frame the action does not take is refused rather than dropped: the caller meant it to be seen.
    """
    taken = veo.REQUIRED_IMAGES.get(action, ())
    paths: dict[str, str | None] = {}
    links: dict[str, str | None] = {}
    for name, value in given.items():
        if value is None or value == "":
            paths[name] = links[name] = None
        elif action in GRID_ACTIONS and _FRAME_FIELDS[name] not in taken:
            read.refuse(name, f"{name} is not used by {action}; leave it out")
            paths[name] = links[name] = None
        elif isinstance(value, str):
            paths[name], links[name] = None, value.strip()
        else:
            paths[name], links[name] = upload_path(uploaded(read, name, value)), None
    return FrameInputs(
        first_file=paths["first_frame"],
        first_url=links["first_frame"],
        last_file=paths["last_frame"],
        last_url=links["last_frame"],
    )


def _priced(judged: veo.GridPlan | GridInvalid) -> dict[str, Any]:
    """The estimate's answer: each cell's price and problems, and the grid's total while every cell is valid."""
    plan = judged.plan if isinstance(judged, GridInvalid) else judged
    problems = [str(p) for p in judged.problems]
    items = [
        {
            "variant": cell.variant.as_dict(),
            "cost_usd": cell.cost,
            "problems": [str(p.message) for p in cell.problems],
        }
        for cell in plan.cells
    ]
    return {"total_usd": None if problems else plan.total, "items": items, "problems": problems}


async def _finished(run: TrackedRun) -> RunUpdate:
    """A cell's last update; the tracker drives the run whether or not anyone waits for it."""
    final = run.latest
    async for update in run.updates():
        final = update
    return final


def charged_cost(record: RunRecord) -> float | None:
    """What a finished cell cost, as the history counts it: its price if charged, nothing if refunded."""
    if record.estimated_cost is None:
        return None
    return record.estimated_cost if record.charged else 0.0


def summed(costs: list[float | None]) -> float | None:
    """The costs added up; None if any is unpriced."""
    return None if any(c is None for c in costs) else round(sum(c for c in costs if c is not None), 4)


def register_compare(ctx: RunService, demo: gr.Blocks) -> None:
    async def item(owner: str, root: str, cell: veo.Cell, run: TrackedRun, final: RunUpdate) -> dict[str, Any]:
        # The store, not the live record, says whether the provider kept the charge (a refund lands there).
        record = await ctx.store.call(ctx.store.owned_run, owner, run.record.run_id) or run.record
        return {
            "variant": cell.variant.as_dict(),
            "status": outcome_word(final.phase),
            "cost_usd": charged_cost(record),
            "task_id": final.task_id or record.task_id or "",
            "videos": [ctx.media_links.video(root, record.run_id, i) for i in range(len(final.videos))],
            "message": str(final.message),
        }

    def compare_estimate(prompt: str, variants: VariantList, action: str = "generate") -> dict:
        """The price of a compare grid before it is run: each variant judged and priced as its own tab would be.
        Nothing is uploaded or sent; the frames an image action needs are taken as given (a price check).
        A variant is an object with any of model, duration, resolution, aspect_ratio, generate_audio, seed,
        sample_count and negative_prompt; a setting it leaves out is the model's default. At most 8 variants.

        Args:
            prompt: the prompt every cell shares.
            variants: a list of variant objects, or a JSON text of one.
            action: generate, image2video or first_last_frame.

        Returns:
            {"total_usd": the grid's price, null while a cell is invalid or has no set price,
             "items": [{"variant": the settings given, "cost_usd": the cell's price or null,
                        "problems": what is wrong with this cell}],
             "problems": every problem of the grid, each naming its variant, as the page lists them}
        """
        read = veo.Reader()
        action_id, text, grid = _read_grid(read, prompt, variants, action)
        if read.problems:  # a variant that cannot be read is no cell to price
            return {"total_usd": None, "items": [], "problems": [str(p.message) for p in read.problems]}
        frames = {name: PENDING_FRAME_URL for name in veo.REQUIRED_IMAGES.get(action_id, ())}
        return _priced(judge_grid(action_id, text, grid, frames, ctx.settings.operator_prices))

    async def compare(
        prompt: str,
        variants: VariantList,
        action: str = "generate",
        first_frame: Frame = None,
        last_frame: Frame = None,
        api_key: str | None = None,
        request: gr.Request = None,
    ) -> dict:
        """Run a compare grid: one prompt with several variants, every cell started together and awaited.
        Variants are as for /compare_estimate. An invalid grid, one over a budget or a frame that cannot be used
        raises "Not submitted: ..." with the page's message, and nothing is sent. A cell that fails does not
        raise: it is an item with status "failed" and how it failed. The frames are hosted once for every cell.

        Args:
            prompt: the prompt every cell shares.
            variants: a list of variant objects, or a JSON text of one.
            action: generate, image2video or first_last_frame.
            first_frame: image2video and first_last_frame: a handle_file upload or a public image URL.
            last_frame: first_last_frame only: a handle_file upload or a public image URL.
            api_key: your own Wave key; without it the server's key (or demo mode) is used.

        Returns:
            {"total_usd": what the grid cost, null if a cell has no set price,
             "items": [{"variant": the settings given, "status": "completed", "failed" or "cancelled",
                        "cost_usd": the cell's price if charged, 0.0 if not charged, null if unpriced,
                        "task_id": the provider's task id, "videos": links to its videos on this app,
                        "message": how the cell ended}]}
        """
        read = veo.Reader()
        action_id, text, grid = _read_grid(read, prompt, variants, action)
        inputs = _frames(read, action_id, {"first_frame": first_frame, "last_frame": last_frame})
        key = read.text("api_key", api_key)
        if read.problems:
            raise gr.Error("Not submitted: " + read.message())
        # API callers have no browser identity: filed under their client session, as the other endpoints are.
        visitor = ctx.visitor(None, request_facts(request))
        started = await start_grid(ctx, ctx.connection(key, visitor), visitor, action_id, text, grid, inputs)
        if not isinstance(started, GridStarted):  # invalid, over a cap, or a frame refused: nothing was sent
            raise gr.Error(f"Not submitted: {started.message}")
        finals = await asyncio.gather(*(_finished(run) for run in started.runs))
        root = page_root(request)
        cells = zip(started.plan.cells, started.runs, finals, strict=True)
        items = [await item(visitor.owner, root, cell, run, final) for cell, run, final in cells]
        return {"total_usd": summed([i["cost_usd"] for i in items]), "items": items}

    gr.api(compare_estimate, api_name="compare_estimate", queue=False)
    gr.api(compare, api_name="compare", concurrency_limit=None)
