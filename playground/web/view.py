"""How runs, costs and modes read in the page: small pure functions from data to HTML/Markdown."""

from __future__ import annotations

import html
from dataclasses import dataclass

from .. import veo
from ..runs import Connection, Mode, Phase, RunUpdate, Visitor
from ..veo import Estimate, FormValues, Problem, estimate

_PRICE_FIELDS = {"model", "action", "duration", "resolution", "generate_audio", "sample_count"}


@dataclass
class SessionSpend:
    """What this browser session has run and what it cost (kept in the visitor's gr.State)."""

    total: float = 0.0
    runs: int = 0
    unpriced_runs: int = 0
    #: The last finished run's price; ``None`` before any run or when its price is not set.
    last: float | None = None

    def add(self, cost: float | None) -> SessionSpend:
        if cost is None:
            return SessionSpend(self.total, self.runs + 1, self.unpriced_runs + 1, None)
        return SessionSpend(round(self.total + cost, 6), self.runs + 1, self.unpriced_runs, cost)

    def line(self) -> str:
        if not self.runs:
            return "This session: nothing spent yet."
        text = f"This session: ${self.total:.2f} over {self.runs} run{'s' if self.runs != 1 else ''}"
        if self.unpriced_runs:
            text += f" ({self.unpriced_runs} without a set price)"
        return text + "."


def estimate_form(form: FormValues, operator_prices: dict[str, float]) -> tuple[Estimate | None, list[Problem]]:
    """Price what the form would submit; problems that do not change the price leave it shown."""
    problems = veo.check(form)
    if any(p.field in _PRICE_FIELDS for p in problems):
        return None, problems
    return estimate(veo.resolve(form), operator_prices), problems


def cost_readout(est: Estimate | None, problems: list[Problem], spend: SessionSpend, simulated: bool) -> str:
    lines: list[str] = []
    if est is None:
        lines.append("### —\nFix the settings below to see the price.")
    elif est.total is None:
        lines.append("### Price not set")
        lines.append(est.summary())
    else:
        lines.append(f"### ${est.total:.2f}")
        audio = "with audio" if est.audio else "muted"
        source = "published price" if est.source == "published" else "operator's price"
        lines.append(f"{est.summary()}  \n{est.resolution} {audio} · {source}")
        if est.samples > 1:
            lines.append("Each sample is a separate video and is billed as one.")
    if simulated:
        lines.append("_Demo mode: simulated, nothing is charged._")
    if problems:
        lines.append("**Before you run:**\n" + "\n".join(f"- {html.escape(p.message)}" for p in problems))
    if spend.last is not None:
        lines.append(f"Last run cost ${spend.last:.2f}{' (simulated)' if simulated else ''}.")
    lines.append(spend.line())
    return "\n\n".join(lines)


def joined_note(visitor: Visitor, moved: int) -> str:
    """Said once, on the load that moved them: where this browser's earlier runs went."""
    if not moved or visitor.account is None:
        return ""
    return (
        f"<p class='account-note'>The {moved} run(s) this browser made before you signed in are in the history "
        f"of {html.escape(visitor.account.label)} now.</p>"
    )


def mode_banner(conn: Connection | None, visitor: Visitor | None = None) -> str:
    """The line above the tabs: whose key runs go on, and who the visitor is signed in as."""
    who = ""
    if visitor is not None and visitor.account is not None:
        who = (
            f" Signed in as <b>{html.escape(visitor.account.label)}</b>: your runs, history and allowance follow "
            "you on every browser you sign in from."
        )
    if conn is None or conn.mode == Mode.DEMO:
        refusal = visitor.server_key_refusal if visitor is not None else None
        why = f" {html.escape(refusal)}" if refusal else ""
        return (
            f"<div class='mode demo' id='mode-banner'><b>Demo mode</b>: videos are <b>simulated</b> by the "
            f"built-in simulator and <b>nothing is charged</b>.{why} Enter a Wave API key to make real videos."
            f"{who}</div>"
        )
    if conn.mode == Mode.SERVER_KEY:
        return (
            "<div class='mode live' id='mode-banner'><b>Live</b>: real videos on the Wave API with this "
            f"server's key. Runs are charged.{who}</div>"
        )
    return (
        "<div class='mode live' id='mode-banner'><b>Live</b>: real videos on the Wave API with <b>your</b> key. "
        f"Runs are charged to your account.{who}</div>"
    )


def _seconds(value: float) -> str:
    value = int(round(value))
    return f"{value // 60} min {value % 60:02d} s" if value >= 60 else f"{value} s"


_PHASE_CLASS = {
    Phase.COMPLETED: "ok",
    Phase.CANCELLED: "muted",
    Phase.FAILED: "bad",
    Phase.ERROR: "bad",
    Phase.UNCERTAIN: "bad",
    Phase.TIMEOUT: "warn",
}


def status_panel(update: RunUpdate | None, note: str = "") -> str:
    if update is None:
        return f"<div class='run-status idle' id='run-status'>{html.escape(note) or 'Ready.'}</div>"
    css = _PHASE_CLASS.get(update.phase, "busy")
    parts = [
        f"<div class='run-status {css}' id='run-status' data-phase='{update.phase}'>",
        f"<div class='phase'>{html.escape(update.message)}</div>",
    ]
    if update.phase in (Phase.QUEUED, Phase.PROCESSING, Phase.DOWNLOADING, Phase.COMPLETED):
        parts.append(
            f"<progress max='100' value='{update.progress}'></progress><span class='pct'>{update.progress}%</span>"
        )
    timing = []
    if update.task_id:
        timing.append(f"Queued {_seconds(update.queued_seconds)}")
    if update.processing_seconds:
        timing.append(f"Processing {_seconds(update.processing_seconds)}")
    if update.eta_seconds is not None and update.phase == Phase.PROCESSING:
        timing.append(f"ETA ~{_seconds(update.eta_seconds)}")
    if timing:
        parts.append(f"<div class='timing'>{' · '.join(timing)}</div>")
    if update.task_id:
        parts.append(f"<div class='task-id'>Task id: <code>{html.escape(update.task_id)}</code></div>")
    if update.phase == Phase.TIMEOUT:
        parts.append("<div class='hint'>Keep the task id: the video may still finish on the provider.</div>")
    if note:
        parts.append(f"<div class='note'>{html.escape(note)}</div>")
    parts.append("</div>")
    return "".join(parts)


def problems_panel(problems: list[Problem]) -> str:
    items = "".join(f"<li><b>{html.escape(p.field)}</b>: {html.escape(p.message)}</li>" for p in problems)
    return (
        f"<div class='run-status bad' id='run-status' data-phase='invalid'><div class='phase'>Not submitted: "
        f"fix these first (nothing was sent or charged).</div><ul>{items}</ul></div>"
    )


def model_info(model_id: str) -> str:
    spec = veo.get_model(model_id)
    billing = {
        "per_second": "billed per second",
        "per_call": "fixed price per call",
        "unpublished": "price not published",
    }[spec.billing.value]
    return f"**{spec.name}** · {veo.CHANNEL_LABELS[spec.channel]} · {billing}. {spec.blurb[0].upper()}{spec.blurb[1:]}."


CSS = """
.mode { padding: 10px 14px; border-radius: 8px; margin-bottom: 6px; }
.mode.demo { background: #fff7e0; border: 1px solid #f0c040; color: #5a4500; }
.mode.live { background: #e8f6ec; border: 1px solid #5cb87a; color: #174d2a; }
.run-status { padding: 10px 14px; border-radius: 8px; border: 1px solid #d0d7de; }
.run-status.ok { border-color: #5cb87a; }
.run-status.bad { border-color: #e5534b; background: #fff0ef; color: #5c1712; }
.run-status.warn { border-color: #f0c040; background: #fffbe8; }
.run-status .phase { font-weight: 600; margin-bottom: 4px; }
.run-status progress { width: 80%; height: 14px; vertical-align: middle; }
.run-status .pct { margin-left: 8px; }
.run-status .timing, .run-status .task-id, .run-status .note, .run-status .hint { font-size: 0.9em; margin-top: 4px; }
.cost-readout h3 { margin: 0; font-size: 1.8em; }
@media (prefers-color-scheme: dark) {
  .mode.demo { background: #3a2f00; color: #ffe9a8; }
  .mode.live { background: #0f3320; color: #c8f2d6; }
  .run-status.bad { background: #3d1412; color: #ffd7d3; }
  .run-status.warn { background: #3a3000; }
}
"""
