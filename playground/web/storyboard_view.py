"""What the Storyboard tab says: the board's price and length, and where each shot stands. No events."""

from __future__ import annotations

import html
from collections.abc import Sequence

from ..runs import BoardInvalid, Phase, RunRecord, RunUpdate
from ..texts import Lang, say, text
from ..veo import BoardPlan
from .view import NOT_SUBMITTED

BOARD_TOTAL = text("web.storyboard.total", "{total} for {seconds} s in {count} shots")
BOARD_UNPRICED = text("web.storyboard.unpriced", "{seconds} s in {count} shots; no total yet: a shot has no set price.")
BOARD_NO_TOTAL = text("web.storyboard.no_total", "No total while a shot is invalid.")
DEMO_FREE = text("web.storyboard.demo_free", "Demo mode: the simulator charges nothing.")
FIX_FIRST = text("web.storyboard.fix_first", "Before you make the board:")
PRICE_UNSET = text("web.storyboard.price_unset", "no set price")
SHOT_LINE = text("web.storyboard.shot_line", "Shot {n}")
CLIP = text("web.storyboard.clip", "clip")
BOARD_DONE = text("web.storyboard.done", "The board is made: {seconds} s from {count} shots, {cost}.")
BOARD_STOPPED = text("web.storyboard.stopped", "The board stopped at shot {n}; the shots made are kept.")
BOARD_MAKING = text("web.storyboard.making", "Making shot {n} of {count}.")


def _price(cost: float | None, lang: Lang) -> str:
    return f"${cost:.2f}" if cost is not None else say(PRICE_UNSET(), lang)


def board_readout(judged: BoardPlan | BoardInvalid, simulated: bool, lang: Lang) -> str:
    """The price and length of every shot and of the board, before anything runs; what is wrong, shot by shot."""
    plan = judged.plan if isinstance(judged, BoardInvalid) else judged
    count, seconds = len(plan.shots), plan.duration_s
    if isinstance(judged, BoardInvalid):
        head = say(BOARD_NO_TOTAL(), lang)
    elif plan.total is None:
        head = say(BOARD_UNPRICED(seconds=seconds, count=count), lang)
    else:
        head = say(BOARD_TOTAL(total=f"${plan.total:.2f}", seconds=seconds, count=count), lang)
    rows = ["| # | | s | $ |", "|---|---|---|---|"]
    for n, shot in enumerate(plan.shots, start=1):
        words = html.escape(shot.shot.prompt[:48]) or "…"
        ok = shot.built.ok
        rows.append(f"| {n} | {words}{'' if ok else ' ⚠'} | {shot.seconds or '–'} | {_price(shot.cost, lang)} |")
    lines = [f"### {head}", "\n".join(rows)]
    if simulated:
        lines.append(f"_{say(DEMO_FREE(), lang)}_")
    if isinstance(judged, BoardInvalid):
        listed = "\n".join(f"- {html.escape(say(p, lang))}" for p in plan.problems)
        lines.append(f"**{say(FIX_FIRST(), lang)}**\n{listed}")
    return "\n\n".join(lines)


def board_refusal(problems: Sequence[str], lang: Lang) -> str:
    items = "".join(f"<li>{html.escape(say(p, lang))}</li>" for p in problems)
    return (
        f"<div class='run-status bad' id='board-run-status' data-phase='invalid'>"
        f"<div class='phase'>{say(NOT_SUBMITTED(), lang)}</div><ul>{items}</ul></div>"
    )


def _board_phase(records: Sequence[RunRecord]) -> str:
    if all(r.phase == Phase.COMPLETED for r in records):
        return "completed"
    if all(r.phase.finished for r in records):
        return "stopped"
    return "running"


def board_status(
    records: Sequence[RunRecord], current: RunUpdate | None, clips: Sequence[str | None], lang: Lang
) -> str:
    """Every shot's line (phase, progress of the one being made, a link to its clip) and the board's state."""
    phase = _board_phase(records)
    items = []
    for n, (record, clip) in enumerate(zip(records, clips, strict=True), start=1):
        live = (
            current
            if current is not None and record.phase in (Phase.SUBMITTING, Phase.QUEUED, Phase.PROCESSING)
            else None
        )
        words = say(live.message if live else record.message or record.phase.label, lang)
        bar = f" <progress max='100' value='{live.progress}'></progress>" if live else ""
        link = f" · <a href='{html.escape(clip)}' target='_blank'>{say(CLIP(), lang)}</a>" if clip else ""
        seconds = record.request.get("duration") or "–"
        items.append(
            f"<li data-phase='{record.phase}'><b>{say(SHOT_LINE(n=n), lang)}</b> · {seconds} s · "
            f"{_price(record.estimated_cost, lang)} · {html.escape(words)}{bar}{link}</li>"
        )
    head = _board_head(records, phase, lang)
    css = {"completed": "ok", "stopped": "bad"}.get(phase, "busy")
    return (
        f"<div class='run-status {css}' id='board-run-status' data-phase='{phase}'>"
        f"<div class='phase'>{html.escape(head)}</div><ol class='board-shots'>{''.join(items)}</ol></div>"
    )


def _board_head(records: Sequence[RunRecord], phase: str, lang: Lang) -> str:
    if phase == "completed":
        seconds = sum(r.request.get("duration") or 0 for r in records)
        charged = [r.estimated_cost if r.charged else 0.0 for r in records]
        cost = (
            f"${sum(c or 0 for c in charged):.2f}" if all(c is not None for c in charged) else say(PRICE_UNSET(), lang)
        )
        return say(BOARD_DONE(seconds=seconds, count=len(records), cost=cost), lang)
    if phase == "stopped":
        first = next((i for i, r in enumerate(records, start=1) if r.phase != Phase.COMPLETED), len(records))
        return say(BOARD_STOPPED(n=first), lang)
    making = next((i for i, r in enumerate(records, start=1) if not r.phase.finished), 1)
    return say(BOARD_MAKING(n=making, count=len(records)), lang)
