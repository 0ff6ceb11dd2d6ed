"""Spending caps on the server's key: refused before anything is sent, with the numbers.

Only runs on the operator's own key count (and their totals show in the cost readout): demo runs
cost nothing and a visitor's own key is theirs to spend, so neither is capped or rate-limited,
though both are recorded. What counts against whom:

* a signed-in visitor: their account, on every browser, up to ``budget_per_user``;
* an anonymous visitor: their browser up to ``budget_per_visitor``, and every anonymous run from
  their address up to the same amount, since a fresh browser is free to make and an address is not;
* everyone: the server's total, ``budget_total``.

The per-visitor and per-address caps look back over a window (24 h by default) so they renew; the
total counts every charged run on the server key the history holds. A run whose submission is
uncertain counts at its estimate until it is found (see :meth:`.store.RunStore.adopt_uncertain`).
This module decides the limits and words the refusals; :meth:`.store.RunStore.reserve` checks them
and records the run in one transaction, so no lock here has to hold across processes.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from ..settings import Settings
from ..texts import text
from .connection import Connection
from .ledger import CapReached, GroupReserved, Limits, RateLimited, Reservation, Scope
from .phases import Mode
from .record import RunRecord
from .store import RunStore
from .visitors import Visitor


@dataclass(frozen=True)
class Unpriced:
    """Refused: a cap applies but the run has no price, so it cannot be checked."""


#: What :meth:`Budget.reserve` answers: the run recorded, or why not.
Outcome = Reservation | Unpriced
#: What :meth:`Budget.reserve_group` answers.
GroupOutcome = GroupReserved | CapReached | RateLimited | Unpriced


# The standing line: what was spent, then each allowance that applies, each joining the parts before it.
SPENT = text("runs.budget.spent", "this server's key has spent {total}, you {mine} in the last {hours} h")
SPENT_WITH_NETWORK = text(
    "runs.budget.spent_with_network",
    "this server's key has spent {total}, you {mine}, visitors from your network {network} in the last {hours} h",
)
YOUR_ALLOWANCE = text("runs.budget.your_allowance", "{before}; your allowance {left} of {cap} left")
NETWORK_ALLOWANCE = text("runs.budget.network_allowance", "{before}; your network's allowance {left} of {cap} left")
SERVER_BUDGET = text("runs.budget.server_budget", "{before}; server budget {left} of {cap} left")
STANDING = text("runs.budget.standing", "Budget: {parts}.")


def _usd(amount: float) -> str:
    return f"${amount:.2f}"


@dataclass(frozen=True)
class Standing:
    """What has been spent against each cap that applies, for the cost readout."""

    visitor_spent: float
    total_spent: float
    visitor_cap: float | None
    total_cap: float | None
    window_hours: float = 24.0
    #: What every anonymous visitor from this address spent in the window; None when not counted by address.
    address_spent: float | None = None
    address_cap: float | None = None

    def line(self) -> str:
        spent = {"total": _usd(self.total_spent), "mine": _usd(self.visitor_spent), "hours": f"{self.window_hours:g}"}
        if self.address_spent is not None:
            parts = SPENT_WITH_NETWORK(network=_usd(self.address_spent), **spent)
        else:
            parts = SPENT(**spent)
        if self.visitor_cap is not None:
            left = _usd(max(0.0, self.visitor_cap - self.visitor_spent))
            parts = YOUR_ALLOWANCE(before=parts, left=left, cap=_usd(self.visitor_cap))
        if self.address_cap is not None and self.address_spent is not None:
            left = _usd(max(0.0, self.address_cap - self.address_spent))
            parts = NETWORK_ALLOWANCE(before=parts, left=left, cap=_usd(self.address_cap))
        if self.total_cap is not None:
            left = _usd(max(0.0, self.total_cap - self.total_spent))
            parts = SERVER_BUDGET(before=parts, left=left, cap=_usd(self.total_cap))
        return STANDING(parts=parts)


# Why a run on the server's key is refused: which cap or limit, the numbers, and that nothing was sent.
UNPRICED = text(
    "runs.budget.unpriced",
    "This model's price is not set, so the spending cap cannot be checked; "
    "ask the operator to set it in WAVE_PRICES. Nothing was sent.",
)
TOO_MANY_RUNS = text(
    "runs.budget.too_many_runs",
    "Too many runs: {count} in the last minute (limit {limit}). Try again in {wait} s. Nothing was sent.",
)
TOO_MANY_RUNS_NETWORK = text(
    "runs.budget.too_many_runs_network",
    "Too many runs: {count} in the last minute from your network (limit {limit}). Try again in {wait} s. "
    "Nothing was sent.",
)
CAP_VISITOR = text(
    "runs.budget.cap_visitor",
    "Budget reached: this run costs {cost}, you have spent {spent} of your {cap} allowance in the last {hours} h. "
    "Nothing was sent.",
)
CAP_ADDRESS = text(
    "runs.budget.cap_address",
    "Budget reached: this run costs {cost}, and visitors from your network have spent {spent} of the {cap} allowed "
    "per address in the last {hours} h (everyone behind one address, such as an office, shares it). "
    "Nothing was sent.",
)
CAP_ADDRESS_SIGN_IN = text(
    "runs.budget.cap_address_sign_in",
    "Budget reached: this run costs {cost}, and visitors from your network have spent {spent} of the {cap} allowed "
    "per address in the last {hours} h (everyone behind one address, such as an office, shares it). "
    "Sign in with Hugging Face for your own allowance. Nothing was sent.",
)
CAP_TOTAL = text(
    "runs.budget.cap_total",
    "Budget reached: this run costs {cost}, this server has spent {spent} of its {cap} budget. Nothing was sent.",
)


class Budget:
    def __init__(self, settings: Settings, store: RunStore) -> None:
        self.settings, self.store = settings, store

    def applies(self, conn: Connection) -> bool:
        """Running totals are kept for the server's key, whether or not a cap is set."""
        return conn.mode == Mode.SERVER_KEY

    def limits(self, conn: Connection, visitor: Visitor) -> Limits:
        """The caps and the rate limit a run of ``visitor`` on ``conn`` must fit."""
        if not self.applies(conn):
            return Limits()
        s = self.settings
        return Limits(
            owner_cap=s.budget_per_user if visitor.signed_in else s.budget_per_visitor,
            address_cap=None if visitor.signed_in or visitor.address is None else s.budget_per_visitor,
            total_cap=s.budget_total,
            since=time.time() - s.budget_window_hours * 3600,
            per_minute=s.runs_per_minute,
        )

    async def reserve(self, conn: Connection, visitor: Visitor, record: RunRecord) -> Outcome:
        """Record ``record`` if it fits what ``visitor`` may spend on ``conn``; else the typed refusal."""
        limits = self.limits(conn, visitor)
        if limits.capped and record.estimated_cost is None:
            return Unpriced()
        return await self.store.call(self.store.reserve, record, limits)

    async def reserve_group(self, conn: Connection, visitor: Visitor, records: list[RunRecord]) -> GroupOutcome:
        """Record every run of a group if their summed price fits what ``visitor`` may spend; else why not."""
        limits = self.limits(conn, visitor)
        if limits.capped and any(r.estimated_cost is None for r in records):
            return Unpriced()
        return await self.store.call(self.store.reserve_group, records, limits)

    def refusal(self, outcome: CapReached | RateLimited | Unpriced) -> str:
        """The sentence a refused visitor reads: which cap, the numbers, and that nothing was sent."""
        if isinstance(outcome, Unpriced):
            return UNPRICED()
        if isinstance(outcome, RateLimited):
            too_many = TOO_MANY_RUNS_NETWORK if outcome.scope is Scope.ADDRESS else TOO_MANY_RUNS
            wait = max(1, math.ceil(outcome.retry_after))
            return too_many(count=outcome.count, limit=outcome.limit, wait=wait)
        numbers = {"cost": _usd(outcome.cost), "spent": _usd(outcome.spent), "cap": _usd(outcome.cap)}
        hours = f"{self.settings.budget_window_hours:g}"
        if outcome.scope is Scope.VISITOR:
            return CAP_VISITOR(hours=hours, **numbers)
        if outcome.scope is Scope.ADDRESS:
            # Said so that someone behind a shared office or mobile address sees why a fresh visit is refused.
            return (CAP_ADDRESS_SIGN_IN if self.settings.sign_in else CAP_ADDRESS)(hours=hours, **numbers)
        return CAP_TOTAL(**numbers)

    async def standing(self, conn: Connection, visitor: Visitor | str) -> Standing | None:
        """What this visitor (and, anonymous, their address) has spent and may still spend, for the readout."""
        if not self.applies(conn):
            return None
        if isinstance(visitor, str):  # a bare owner id: a browser whose address is not known here
            visitor = Visitor(visitor)
        limits, store = self.limits(conn, visitor), self.store
        mine, _ = await store.call(store.spent, owner=visitor.owner, mode=Mode.SERVER_KEY, since=limits.since)
        total, _ = await store.call(store.spent, mode=Mode.SERVER_KEY)
        address = None
        if visitor.address is not None and not visitor.signed_in:
            address, _ = await store.call(
                store.spent, address=visitor.address, mode=Mode.SERVER_KEY, since=limits.since
            )
        return Standing(
            mine,
            total,
            limits.owner_cap,
            limits.total_cap,
            self.settings.budget_window_hours,
            address,
            limits.address_cap,
        )
