"""Spending caps on the server's key: refused before anything is sent, with the numbers.

Only runs on the operator's own key count (and their totals show in the cost readout): demo runs
cost nothing and a visitor's own key is theirs to spend. The per-visitor cap looks back over a
window (24 h by default) so it renews; the overall cap counts every charged run on the server key
that the history holds.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from ..settings import Settings
from .connection import Connection
from .phases import Mode
from .store import RunStore


@dataclass(frozen=True)
class Standing:
    """What has been spent against each cap that applies."""

    visitor_spent: float
    total_spent: float
    visitor_cap: float | None
    total_cap: float | None
    window_hours: float = 24.0

    def refusal(self, cost: float | None) -> str | None:
        """Why ``cost`` may not be spent now, or ``None`` when it may."""
        caps = [c for c in (self.visitor_cap, self.total_cap) if c is not None]
        if not caps:
            return None
        if cost is None:
            return (
                "This model's price is not set, so the spending cap cannot be checked; "
                "ask the operator to set it in WAVE_PRICES. Nothing was sent."
            )
        if self.visitor_cap is not None and self.visitor_spent + cost > self.visitor_cap + 1e-9:
            return (
                f"Budget reached: this run costs ${cost:.2f}, you have spent ${self.visitor_spent:.2f} of your "
                f"${self.visitor_cap:.2f} allowance. Nothing was sent."
            )
        if self.total_cap is not None and self.total_spent + cost > self.total_cap + 1e-9:
            return (
                f"Budget reached: this run costs ${cost:.2f}, this server has spent ${self.total_spent:.2f} of "
                f"its ${self.total_cap:.2f} budget. Nothing was sent."
            )
        return None

    def line(self) -> str:
        parts = [
            f"this server's key has spent ${self.total_spent:.2f}, you ${self.visitor_spent:.2f} "
            f"in the last {self.window_hours:g} h"
        ]
        if self.visitor_cap is not None:
            parts.append(
                f"your allowance ${max(0.0, self.visitor_cap - self.visitor_spent):.2f} of ${self.visitor_cap:.2f} left"
            )
        if self.total_cap is not None:
            parts.append(
                f"server budget ${max(0.0, self.total_cap - self.total_spent):.2f} of ${self.total_cap:.2f} left"
            )
        return "Budget: " + "; ".join(parts) + "."


class Budget:
    def __init__(self, settings: Settings, store: RunStore) -> None:
        self.settings, self.store = settings, store
        #: Held from the check until the run is recorded, so two clicks cannot both pass one cap.
        self.lock = asyncio.Lock()

    def applies(self, conn: Connection) -> bool:
        """Running totals are kept for the server's key, whether or not a cap is set."""
        return conn.mode == Mode.SERVER_KEY

    async def standing(self, conn: Connection, owner: str) -> Standing | None:
        if not self.applies(conn):
            return None
        since = time.time() - self.settings.budget_window_hours * 3600
        visitor, _ = await self.store.call(self.store.spent, owner=owner, mode=Mode.SERVER_KEY, since=since)
        total, _ = await self.store.call(self.store.spent, mode=Mode.SERVER_KEY)
        return Standing(
            visitor,
            total,
            self.settings.budget_per_visitor,
            self.settings.budget_total,
            self.settings.budget_window_hours,
        )
