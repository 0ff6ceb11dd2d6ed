"""How runs, costs and modes read in the page: small pure functions from data to HTML/Markdown.

Each takes the visitor's ``lang`` (from their request, never a global) and says every Message of
the layers below in it; the sentences the page adds are this module's templates.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from dataclasses import dataclass

from .. import veo
from ..runs import Connection, Mode, Phase, RunUpdate, Visitor
from ..texts import Lang, say, text
from ..veo import Estimate, FormValues, Problem, estimate
from .i18n import t

_PRICE_FIELDS = {"model", "action", "duration", "resolution", "generate_audio", "sample_count"}

# The price readout, around the catalog's own price lines.
FIX_TO_PRICE = text("web.view.fix_to_price", "Fix the settings below to see the price.")
PRICE_NOT_SET = text("web.view.price_not_set", "Price not set")
EACH_SAMPLE_BILLED = text("web.view.each_sample_billed", "Each sample is a separate video and is billed as one.")
DEMO_NOTHING_CHARGED = text("web.view.demo_nothing_charged", "Demo mode: simulated, nothing is charged.")
BEFORE_YOU_RUN = text("web.view.before_you_run", "Before you run:")
LAST_RUN_COST = text("web.view.last_run_cost", "Last run cost {cost}.")
LAST_RUN_COST_SIMULATED = text("web.view.last_run_cost_simulated", "Last run cost {cost} (simulated).")
SESSION_NOTHING_YET = text("web.view.session_nothing_yet", "This session: nothing spent yet.")
#: What this session spent, by (one run or more, some without a set price).
SESSION_SPENT = {
    (True, False): text("web.view.session_one_run", "This session: {total} over {runs} run."),
    (False, False): text("web.view.session_runs", "This session: {total} over {runs} runs."),
    (True, True): text(
        "web.view.session_one_run_unpriced", "This session: {total} over {runs} run ({unpriced} without a set price)."
    ),
    (False, True): text(
        "web.view.session_runs_unpriced", "This session: {total} over {runs} runs ({unpriced} without a set price)."
    ),
}
# The mode banner and the account note.
DEMO_BANNER = text(
    "web.view.demo_banner",
    "<b>Demo mode</b>: videos are <b>simulated</b> by the built-in simulator and <b>nothing is charged</b>.",
)
ENTER_KEY = text("web.view.enter_key", "Enter a Wave API key to make real videos.")
LIVE_SERVER_KEY = text(
    "web.view.live_server_key", "<b>Live</b>: real videos on the Wave API with this server's key. Runs are charged."
)
LIVE_OWN_KEY = text(
    "web.view.live_own_key",
    "<b>Live</b>: real videos on the Wave API with <b>your</b> key. Runs are charged to your account.",
)
SIGNED_IN_AS = text(
    "web.view.signed_in_as",
    "Signed in as <b>{account}</b>: your runs, history and allowance follow you on every browser you sign in from.",
)
RUNS_JOINED = text(
    "web.view.runs_joined",
    "The {count} run(s) this browser made before you signed in are in the history of {account} now.",
)
# The status panel of a run.
READY = text("web.view.ready", "Ready.")
PREPARING = text("web.view.preparing", "Preparing the request…")
SECONDS = text("web.view.seconds", "{seconds} s")
MINUTES = text("web.view.minutes", "{minutes} min {seconds} s")
QUEUED_FOR = text("web.view.queued_for", "Queued {time}")
PROCESSING_FOR = text("web.view.processing_for", "Processing {time}")
ETA = text("web.view.eta", "ETA ~{time}")
TASK_ID = text("web.view.task_id", "Task id:")
KEEP_TASK_ID = text("web.view.keep_task_id", "Keep the task id: the video may still finish on the provider.")
NOT_SUBMITTED = text("web.view.not_submitted", "Not submitted: fix these first (nothing was sent or charged).")
OWN_KEY_TO_RESUME = text(
    "web.view.own_key_to_resume", "This run was made with your own key: enter it above to resume it."
)
NO_TASK_TO_CANCEL = text("web.view.no_task_to_cancel", "There is no running task to cancel.")
IMAGE_UNUSABLE = text("web.view.image_unusable", "This image cannot be used:")
#: A finished sample offered as a remix source.
RUN_SAMPLE = text("web.view.run_sample", "{action} · {task_id} · sample {number}")
# The model note under the model picker.
MODEL_INFO = text("web.view.model_info", "**{name}** · {channel} · {billing}. {blurb}.")
BILLING = {
    "per_second": text("web.view.billed_per_second", "billed per second")(),
    "per_call": text("web.view.fixed_per_call", "fixed price per call")(),
    "unpublished": text("web.view.price_not_published", "price not published")(),
}


def _spaced(lang: Lang, *sentences: str) -> str:
    """Sentences one after another: English puts a space between them, Chinese does not."""
    return ("" if lang is Lang.ZH_CN else " ").join(s for s in sentences if s)


def said_notes(notes: Iterable[str], lang: Lang) -> str:
    """Nudges under the controls, one sentence after another, in ``lang``."""
    return _spaced(lang, *(say(note, lang) for note in notes))


def said_list(notes: Iterable[str], lang: Lang) -> str:
    """Notes (image adjustments, warnings, hosts used) as a Markdown list in ``lang``."""
    return "\n".join(f"- {say(note, lang)}" for note in notes)


def image_refusal(message: str, lang: Lang) -> str:
    return f"- **{say(IMAGE_UNUSABLE(), lang)}** {say(message, lang)}"


def run_sample_label(action: str, task_id: str | None, index: int, lang: Lang) -> str:
    return say(RUN_SAMPLE(action=veo.ACTION_LABELS[action], task_id=task_id or "", number=index + 1), lang)


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

    def line(self, lang: Lang = Lang.EN) -> str:
        if not self.runs:
            return say(SESSION_NOTHING_YET(), lang)
        spent = SESSION_SPENT[(self.runs == 1, bool(self.unpriced_runs))]
        return say(spent(total=f"${self.total:.2f}", runs=self.runs, unpriced=self.unpriced_runs), lang)


def estimate_form(form: FormValues, operator_prices: dict[str, float]) -> tuple[Estimate | None, list[Problem]]:
    """Price what the form would submit; problems that do not change the price leave it shown."""
    problems = veo.check(form)
    if any(p.field in _PRICE_FIELDS for p in problems):
        return None, problems
    return estimate(veo.resolve(form), operator_prices), problems


def cost_readout(
    est: Estimate | None, problems: list[Problem], spend: SessionSpend, simulated: bool, lang: Lang = Lang.EN
) -> str:
    lines: list[str] = []
    if est is None:
        lines.append(f"### —\n{say(FIX_TO_PRICE(), lang)}")
    elif est.total is None:
        lines.append(f"### {say(PRICE_NOT_SET(), lang)}")
        lines.append(say(est.summary(), lang))
    else:
        lines.append(f"### ${est.total:.2f}")
        lines.append(f"{say(est.summary(), lang)}  \n{say(est.note(), lang)}")
        if est.samples > 1:
            lines.append(say(EACH_SAMPLE_BILLED(), lang))
    if simulated:
        lines.append(f"_{say(DEMO_NOTHING_CHARGED(), lang)}_")
    if problems:
        listed = "\n".join(f"- {html.escape(say(p.message, lang))}" for p in problems)
        lines.append(f"**{say(BEFORE_YOU_RUN(), lang)}**\n{listed}")
    if spend.last is not None:
        lines.append(say((LAST_RUN_COST_SIMULATED if simulated else LAST_RUN_COST)(cost=f"${spend.last:.2f}"), lang))
    lines.append(spend.line(lang))
    return "\n\n".join(lines)


def joined_note(visitor: Visitor, moved: int, lang: Lang = Lang.EN) -> str:
    """Said once, on the load that moved them: where this browser's earlier runs went."""
    if not moved or visitor.account is None:
        return ""
    said = say(RUNS_JOINED(count=moved, account=html.escape(visitor.account.label)), lang)
    return f"<p class='account-note'>{said}</p>"


def mode_banner(conn: Connection | None, visitor: Visitor | None = None, lang: Lang = Lang.EN) -> str:
    """The line above the tabs: whose key runs go on, and who the visitor is signed in as."""
    who = ""
    if visitor is not None and visitor.account is not None:
        who = say(SIGNED_IN_AS(account=html.escape(visitor.account.label)), lang)
    if conn is None or conn.mode == Mode.DEMO:
        refusal = visitor.server_key_refusal if visitor is not None else None
        why = html.escape(say(refusal, lang)) if refusal else ""
        said = _spaced(lang, say(DEMO_BANNER(), lang), why, say(ENTER_KEY(), lang), who)
        return f"<div class='mode demo' id='mode-banner'>{said}</div>"
    live = LIVE_SERVER_KEY if conn.mode == Mode.SERVER_KEY else LIVE_OWN_KEY
    return f"<div class='mode live' id='mode-banner'>{_spaced(lang, say(live(), lang), who)}</div>"


def said_seconds(value: float, lang: Lang) -> str:
    value = int(round(value))
    if value >= 60:
        return say(MINUTES(minutes=value // 60, seconds=f"{value % 60:02d}"), lang)
    return say(SECONDS(seconds=value), lang)


_PHASE_CLASS = {
    Phase.COMPLETED: "ok",
    Phase.CANCELLED: "muted",
    Phase.FAILED: "bad",
    Phase.ERROR: "bad",
    Phase.UNCERTAIN: "bad",
    Phase.TIMEOUT: "warn",
}


def idle_status() -> str:
    """The status panel before any run, built once with the page: the browser puts "Ready." in its language."""
    return f"<div class='run-status idle' id='run-status'>{t('ready')}</div>"


def status_panel(update: RunUpdate | None, note: str = "", lang: Lang = Lang.EN) -> str:
    if update is None:
        return f"<div class='run-status idle' id='run-status'>{html.escape(say(note or READY(), lang))}</div>"
    css = _PHASE_CLASS.get(update.phase, "busy")
    parts = [
        f"<div class='run-status {css}' id='run-status' data-phase='{update.phase}'>",
        f"<div class='phase'>{html.escape(say(update.message, lang))}</div>",
    ]
    if update.phase in (Phase.QUEUED, Phase.PROCESSING, Phase.DOWNLOADING, Phase.COMPLETED):
        parts.append(
            f"<progress max='100' value='{update.progress}'></progress><span class='pct'>{update.progress}%</span>"
        )
    timing = []
    if update.task_id:
        timing.append(say(QUEUED_FOR(time=said_seconds(update.queued_seconds, lang)), lang))
    if update.processing_seconds:
        timing.append(say(PROCESSING_FOR(time=said_seconds(update.processing_seconds, lang)), lang))
    if update.eta_seconds is not None and update.phase == Phase.PROCESSING:
        timing.append(say(ETA(time=said_seconds(update.eta_seconds, lang)), lang))
    if timing:
        parts.append(f"<div class='timing'>{' · '.join(timing)}</div>")
    if update.task_id:
        task_id = _spaced(lang, say(TASK_ID(), lang), f"<code>{html.escape(update.task_id)}</code>")
        parts.append(f"<div class='task-id'>{task_id}</div>")
    if update.phase == Phase.TIMEOUT:
        parts.append(f"<div class='hint'>{say(KEEP_TASK_ID(), lang)}</div>")
    if note:
        parts.append(f"<div class='note'>{html.escape(say(note, lang))}</div>")
    parts.append("</div>")
    return "".join(parts)


def problems_panel(problems: list[Problem], lang: Lang = Lang.EN) -> str:
    """A refusal before anything is sent; the field stays the API's own name, the message is said in ``lang``."""
    items = "".join(f"<li><b>{html.escape(p.field)}</b>: {html.escape(say(p.message, lang))}</li>" for p in problems)
    return (
        f"<div class='run-status bad' id='run-status' data-phase='invalid'><div class='phase'>"
        f"{say(NOT_SUBMITTED(), lang)}</div><ul>{items}</ul></div>"
    )


def model_info(model_id: str, lang: Lang = Lang.EN) -> str:
    spec = veo.get_model(model_id)
    blurb = say(spec.blurb, lang)
    said = MODEL_INFO(
        name=spec.name,
        channel=veo.CHANNEL_LABELS[spec.channel],
        billing=BILLING[spec.billing.value],
        blurb=blurb[:1].upper() + blurb[1:],
    )
    return say(said, lang)


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
