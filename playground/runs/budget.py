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
from .connection import Connection
from .phases import Mode
from .store import CapReached, Limits, RateLimited, Reservation, RunRecord, RunStore, Scope
from .visitors import Visitor


@dataclass(frozen=True)
class Unpriced:
    """Refused: a cap applies but the run has no price, so it cannot be checked."""


#: What :meth:`Budget.reserve` answers: the run recorded, or why not.
Outcome = Reservation | Unpriced


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
        spent = f"this server's key has spent ${self.total_spent:.2f}, you ${self.visitor_spent:.2f}"
        if self.address_spent is not None:
            spent += f", visitors from your network ${self.address_spent:.2f}"
        parts = [f"{spent} in the last {self.window_hours:g} h"]
        if self.visitor_cap is not None:
            parts.append(
                f"your allowance ${max(0.0, self.visitor_cap - self.visitor_spent):.2f} of ${self.visitor_cap:.2f} left"
            )
        if self.address_cap is not None and self.address_spent is not None:
            parts.append(
                f"your network's allowance ${max(0.0, self.address_cap - self.address_spent):.2f} "
                f"of ${self.address_cap:.2f} left"
            )
        if self.total_cap is not None:
            parts.append(
                f"server budget ${max(0.0, self.total_cap - self.total_spent):.2f} of ${self.total_cap:.2f} left"
            )
        return "Budget: " + "; ".join(parts) + "."


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

    def refusal(self, outcome: CapReached | RateLimited | Unpriced) -> str:
        """The sentence a refused visitor reads: which cap, the numbers, and that nothing was sent."""
        if isinstance(outcome, Unpriced):
            return (
                "This model's price is not set, so the spending cap cannot be checked; "
                "ask the operator to set it in WAVE_PRICES. Nothing was sent."
            )
        if isinstance(outcome, RateLimited):
            where = " from your network" if outcome.scope is Scope.ADDRESS else ""
            wait = max(1, math.ceil(outcome.retry_after))
            return (
                f"Too many runs: {outcome.count} in the last minute{where} (limit {outcome.limit}). "
                f"Try again in {wait} s. Nothing was sent."
            )
        cost, spent, cap, hours = outcome.cost, outcome.spent, outcome.cap, self.settings.budget_window_hours
        if outcome.scope is Scope.VISITOR:
            return (
                f"Budget reached: this run costs ${cost:.2f}, you have spent ${spent:.2f} of your "
                f"${cap:.2f} allowance in the last {hours:g} h. Nothing was sent."
            )
        if outcome.scope is Scope.ADDRESS:
            # Said so that someone behind a shared office or mobile address sees why a fresh visit is refused.
            own = " Sign in with Hugging Face for your own allowance." if self.settings.sign_in else ""
            return (
                f"Budget reached: this run costs ${cost:.2f}, and visitors from your network have spent "
                f"${spent:.2f} of the ${cap:.2f} allowed per address in the last {hours:g} h (everyone "
                f"behind one address, such as an office, shares it).{own} Nothing was sent."
            )
        return (
            f"Budget reached: this run costs ${cost:.2f}, this server has spent ${spent:.2f} of "
            f"its ${cap:.2f} budget. Nothing was sent."
        )

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
