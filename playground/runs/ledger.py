"""The spending ledger: what counts against each cap, summed from the history's rows.

These are the statements :meth:`RunStore.reserve <.store.RunStore.reserve>` runs inside its locked
transaction, so a cap's check and the run's insert cannot interleave with another reservation's,
in this process or on another replica sharing the database.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy.engine import Connection

from .database import one, rows
from .record import RunRecord

#: How long the rate limit looks back, in seconds.
RATE_WINDOW = 60.0


class Scope(StrEnum):
    """Whose spending a cap or a rate limit counts."""

    #: One owner: a signed-in account, or one browser.
    VISITOR = "visitor"
    #: Every anonymous run from one client address, whatever browser it came from.
    ADDRESS = "address"
    #: Every run of the mode: what the server's key has spent in all.
    TOTAL = "total"


@dataclass(frozen=True)
class Limits:
    """What one new run must fit, in USD (``None``: no cap); decided by :class:`~.budget.Budget`.

    The owner and address caps count charged runs created since ``since``; the total cap counts
    every charged run. ``per_minute`` counts runs started in the last 60 s by the owner and by the
    address, charged or not (0: no limit). Sums are over runs of the new run's own mode.
    """

    owner_cap: float | None = None
    address_cap: float | None = None
    total_cap: float | None = None
    since: float | None = None
    per_minute: int = 0

    @property
    def capped(self) -> bool:
        return any(cap is not None for cap in (self.owner_cap, self.address_cap, self.total_cap))


@dataclass(frozen=True)
class Reserved:
    """The run passed every cap and is in the history, in the same transaction that checked them."""

    record: RunRecord


@dataclass(frozen=True)
class CapReached:
    """Refused: ``cost`` on top of what ``scope`` has ``spent`` would pass its ``cap``. Nothing was written."""

    scope: Scope
    cost: float
    spent: float
    cap: float


@dataclass(frozen=True)
class RateLimited:
    """Refused: ``scope`` started ``count`` runs in the last minute (``limit`` allowed); room in ``retry_after`` s."""

    scope: Scope
    count: int
    limit: int
    retry_after: float


@dataclass(frozen=True)
class GroupReserved:
    """Every run of a group passed the caps together and is in the history."""

    records: list[RunRecord]


Reservation = Reserved | CapReached | RateLimited


def _where(**filters: Any) -> tuple[str, dict[str, Any]]:
    """``column = :column`` for each filter given (``since`` is a lower bound on ``created_at``)."""
    clauses, params = [], {}
    for column, value in filters.items():
        if value is not None:
            clauses.append("created_at >= :since" if column == "since" else f"{column} = :{column}")
            params[column] = value
    return " AND ".join(clauses) or "1 = 1", params


def spent(db: Connection, **filters: Any) -> tuple[float, int]:
    """What charged runs matching ``filters`` cost, and how many of them have no known price."""
    where, params = _where(**filters)
    row = one(
        db,
        "SELECT COALESCE(SUM(estimated_cost), 0) AS total, "
        "COALESCE(SUM(CASE WHEN estimated_cost IS NULL THEN 1 ELSE 0 END), 0) AS unpriced "
        f"FROM runs WHERE charged = 1 AND {where}",
        params,
    )
    assert row is not None  # an aggregate always answers one row
    return float(row["total"]), int(row["unpriced"])


def cap_refusal(db: Connection, record: RunRecord, limits: Limits) -> CapReached | None:
    cost = record.estimated_cost or 0.0
    scopes = [(Scope.VISITOR, limits.owner_cap, {"owner": record.owner, "since": limits.since})]
    if record.address:  # an unknown address is no scope: it must not sum every run
        scopes.append((Scope.ADDRESS, limits.address_cap, {"address": record.address, "since": limits.since}))
    scopes.append((Scope.TOTAL, limits.total_cap, {}))
    for scope, cap, filters in scopes:
        if cap is None:
            continue
        so_far, _ = spent(db, mode=record.mode, **filters)
        if so_far + cost > cap + 1e-9:
            return CapReached(scope, cost, so_far, cap)
    return None


def rate_refusal(db: Connection, record: RunRecord, limits: Limits, now: float) -> RateLimited | None:
    if limits.per_minute <= 0:
        return None
    for scope, column, value in ((Scope.VISITOR, "owner", record.owner), (Scope.ADDRESS, "address", record.address)):
        if value is None:
            continue
        where, params = _where(**{column: value, "mode": record.mode, "since": now - RATE_WINDOW})
        # A group's runs share one start: a grid of eight is one click, not eight.
        found = rows(
            db,
            f"SELECT MIN(created_at) AS started FROM runs WHERE {where} GROUP BY COALESCE(group_id, run_id) ORDER BY 1",
            params,
        )
        times = [r["started"] for r in found]
        if len(times) >= limits.per_minute:
            # A slot frees when enough of the oldest runs leave the window to bring the count under the limit.
            frees_at = times[len(times) - limits.per_minute] + RATE_WINDOW
            return RateLimited(scope, len(times), limits.per_minute, max(0.0, frees_at - now))
    return None
