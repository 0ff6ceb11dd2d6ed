"""What the Compare tab says: the grid's price table, each cell's status, the grid's standing. No events.

Text only, in the visitor's language; the rules and prices behind it are :mod:`playground.veo.variants`.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

from ..runs import GridInvalid, Phase, RunUpdate
from ..texts import Lang, Message, say, text
from ..veo import GridPlan
from .view import ETA, NOT_SUBMITTED, said_seconds

GRID_TOTAL = text("web.compare.total", "{total} for {count} video(s)")
GRID_UNPRICED = text("web.compare.unpriced", "No total yet: a cell has no set price.")
GRID_NO_TOTAL = text("web.compare.no_total", "No total while a variant is invalid.")
DEMO_FREE = text("web.compare.demo_free", "Demo mode: the simulator charges nothing.")
PRICE_UNSET = text("web.compare.price_unset", "no set price")
FIX_FIRST = text("web.compare.fix_first", "Before you run the grid:")
GRID_PROGRESS = text("web.compare.progress", "{done} of {count} cells finished · {completed} completed")
GRID_COST = text("web.compare.cost", "This grid cost {cost}.")
GRID_COST_DEMO = text("web.compare.cost_demo", "This grid would have cost {cost} (demo: nothing charged).")
NOTHING_QUEUED = text("web.compare.nothing_queued", "No cell is still queued: nothing to cancel.")
CELL_WAITING = text("web.compare.waiting", "waiting")


def _price(cost: float | None, lang: Lang) -> str:
    return f"${cost:.2f}" if cost is not None else say(PRICE_UNSET(), lang)


def grid_readout(judged: GridPlan | GridInvalid, simulated: bool, lang: Lang) -> str:
    """The price of every cell and of the grid, before anything runs; what is wrong, cell by cell."""
    plan = judged.plan if isinstance(judged, GridInvalid) else judged
    labels = plan.labels
    rows = ["| # | | $ |", "|---|---|---|"]
    for n, (cell, label) in enumerate(zip(plan.cells, labels, strict=True), start=1):
        mark = "" if cell.ok else " ⚠"
        rows.append(f"| {n} | {html.escape(label)}{mark} | {_price(cell.cost if cell.ok else None, lang)} |")
    lines = []
    if isinstance(judged, GridInvalid):
        lines.append(f"### {say(GRID_NO_TOTAL(), lang)}")
    elif plan.total is None:
        lines.append(f"### {say(GRID_UNPRICED(), lang)}")
    else:
        videos = sum(c.estimate.samples for c in plan.cells if c.estimate)
        lines.append(f"### {say(GRID_TOTAL(total=f'${plan.total:.2f}', count=videos), lang)}")
    if plan.cells:
        lines.append("\n".join(rows))
    if simulated:
        lines.append(f"_{say(DEMO_FREE(), lang)}_")
    if isinstance(judged, GridInvalid):
        listed = "\n".join(f"- {html.escape(say(p, lang))}" for p in judged.problems)
        lines.append(f"**{say(FIX_FIRST(), lang)}**\n{listed}")
    return "\n\n".join(lines)


def grid_refusal(problems: Sequence[Message | str], lang: Lang) -> str:
    """The grid's status when it is refused before sending: every problem, nothing submitted."""
    items = "".join(f"<li>{html.escape(say(p, lang))}</li>" for p in problems)
    return (
        f"<div class='run-status bad' id='compare-run-status' data-phase='invalid'>"
        f"<div class='phase'>{say(NOT_SUBMITTED(), lang)}</div><ul>{items}</ul></div>"
    )


def grid_status(updates: Sequence[RunUpdate | None], costs: Sequence[float | None], simulated: bool, lang: Lang) -> str:
    """The grid as a whole: how many cells are done, and once all are, what the grid cost."""
    done = [u for u in updates if u is not None and u.finished]
    completed = [i for i, u in enumerate(updates) if u is not None and u.phase == Phase.COMPLETED]
    finished = len(done) == len(updates)
    phase = "completed" if finished else "running"
    parts = [say(GRID_PROGRESS(done=len(done), count=len(updates), completed=len(completed)), lang)]
    if finished:
        charged = [costs[i] for i in completed]
        if all(c is not None for c in charged):
            cost = f"${sum(c for c in charged if c is not None):.2f}"
            parts.append(say((GRID_COST_DEMO if simulated else GRID_COST)(cost=cost), lang))
    return (
        f"<div class='run-status {'ok' if finished else 'busy'}' id='compare-run-status' data-phase='{phase}'>"
        f"{' '.join(html.escape(p) for p in parts)}</div>"
    )


def cell_status(label: str, update: RunUpdate | None, cost: float | None, lang: Lang) -> str:
    """One cell's heading: what differs, its price, where it stands (progress, ETA), and why it ended."""
    head = f"<b>{html.escape(label)}</b> · {_price(cost, lang)}"
    if update is None:
        return f"<div class='cell-status' data-phase='waiting'>{head}<div>{say(CELL_WAITING(), lang)}</div></div>"
    bits = [html.escape(say(update.message, lang))]
    if update.phase == Phase.PROCESSING and update.eta_seconds is not None:
        bits.append(say(ETA(time=said_seconds(update.eta_seconds, lang)), lang))
    bar = ""
    if update.phase in (Phase.QUEUED, Phase.PROCESSING, Phase.DOWNLOADING):
        bar = f"<progress max='100' value='{update.progress}'></progress>"
    task = f"<div class='task-id'><code>{html.escape(update.task_id)}</code></div>" if update.task_id else ""
    return f"<div class='cell-status' data-phase='{update.phase}'>{head}<div>{' · '.join(bits)}</div>{bar}{task}</div>"
