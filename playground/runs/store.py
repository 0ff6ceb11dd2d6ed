"""The run history: one SQLite row per run, so nothing paid for is lost to a refresh or a restart.

Rows are written the moment something is known (the request before it is sent, the task id the
moment the provider returns it, the files once saved) and read back for the History tab, for
resuming unfinished tasks after a restart, and for budgets. Every read is scoped to an owner, the
hashed browser identity of one visitor, so a shared server never shows one visitor another's runs.

The history is also the ledger the spending caps are kept in. :meth:`RunStore.reserve` sums what
counts against each cap and inserts the run in one ``BEGIN IMMEDIATE`` transaction, so two clicks,
two workers or two processes on one database cannot both pass a cap that only one run fits.

sqlite3 is synchronous; callers on the event loop go through :meth:`RunStore.call`, which runs the
work in a thread. A connection per call keeps that thread-safe without a pool.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields, replace
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar

from ..texts import text
from .phases import UNFINISHED_PHASES, Phase
from .record import RunRecord, record_row

T = TypeVar("T")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY,
    task_id TEXT,
    owner TEXT NOT NULL,
    mode TEXT NOT NULL,
    key_fingerprint TEXT NOT NULL,
    action TEXT NOT NULL,
    model TEXT NOT NULL,
    request_json TEXT NOT NULL,
    estimated_cost REAL,
    charged INTEGER NOT NULL DEFAULT 1,
    phase TEXT NOT NULL,
    message TEXT NOT NULL DEFAULT '',
    queued_seconds REAL NOT NULL DEFAULT 0,
    processing_seconds REAL NOT NULL DEFAULT 0,
    files_json TEXT NOT NULL DEFAULT '[]',
    urls_json TEXT NOT NULL DEFAULT '[]',
    expires_at REAL,
    poster TEXT,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    address TEXT,
    sent_at REAL
);
"""
#: Created after :data:`_MIGRATIONS`, since some name columns an old database gains there. What the
#: ledger's sums filter on: an owner or an address over a window, and every charged run of a mode.
_INDEXES = """
CREATE INDEX IF NOT EXISTS runs_by_owner ON runs (owner, created_at DESC);
CREATE INDEX IF NOT EXISTS runs_by_task ON runs (task_id);
CREATE INDEX IF NOT EXISTS runs_by_phase ON runs (phase);
CREATE INDEX IF NOT EXISTS runs_by_address ON runs (address, created_at);
CREATE INDEX IF NOT EXISTS runs_by_mode ON runs (mode, charged, estimated_cost);
CREATE INDEX IF NOT EXISTS runs_by_group ON runs (group_id, group_index);
"""
#: Columns added since the first release: (column, its type, a statement bringing old rows up to date).
#: A run stuck in ``submitting`` from before the sent marker existed may have been sent: it is marked
#: as sent, so the start-up settlement counts it as uncertain rather than as never sent.
_MIGRATIONS: tuple[tuple[str, str, str | None], ...] = (
    ("address", "TEXT", None),
    ("sent_at", "REAL", "UPDATE runs SET sent_at = created_at WHERE phase = 'submitting' AND task_id IS NULL"),
    # A message's template key and parameters, so History says it in each visitor's language.
    ("message_json", "TEXT", None),
    # Runs started together (a compare grid, a storyboard): the group, its kind, the run's place in it.
    ("group_id", "TEXT", None),
    ("group_kind", "TEXT", None),
    ("group_index", "INTEGER", None),
)


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


FOUND = text("runs.store.found", "Found as task {task_id}.")


def found_message(task_id: str) -> str:
    """What an uncertain run says once an attached task turned out to be it (and counts in its place)."""
    return FOUND(task_id=task_id)


#: How long the rate limit looks back, in seconds.
RATE_WINDOW = 60.0


class RunStore:
    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.executescript(_SCHEMA)
        with self._transaction() as db:
            # Under the write lock, so two processes opening one old database add each column once.
            present = {row["name"] for row in db.execute("PRAGMA table_info(runs)")}
            for column, kind, backfill in _MIGRATIONS:
                if column not in present:
                    db.execute(f"ALTER TABLE runs ADD COLUMN {column} {kind}")
                    if backfill:
                        db.execute(backfill)
        with self._connect() as db:
            db.executescript(_INDEXES)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=10.0)
        db.row_factory = sqlite3.Row
        try:
            db.execute("PRAGMA journal_mode=WAL")  # readers (the History tab) never block a writer
            with db:
                yield db
        finally:
            db.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """One transaction holding the write lock from its first read, so what it read stays true until it commits.

        sqlite3's own transactions begin at the first write, after the reads a cap is checked with;
        ``BEGIN IMMEDIATE`` takes the lock first (waiting up to the timeout for another writer).
        """
        db = sqlite3.connect(self.path, timeout=10.0, isolation_level=None)
        db.row_factory = sqlite3.Row
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
        finally:
            db.close()

    async def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a store method off the event loop."""
        return await asyncio.to_thread(fn, *args, **kwargs)

    # -- writes --------------------------------------------------------------------------------

    def add(self, record: RunRecord) -> RunRecord:
        """Record a run no cap applies to (see :meth:`reserve` for one that may be refused)."""
        with self._connect() as db:
            _insert(db, record)
        return record

    def reserve(self, record: RunRecord, limits: Limits) -> Reservation:
        """Insert ``record`` only if it fits every cap and rate limit, all checked in the same transaction.

        The record is stamped with the moment it was reserved, so the order the caps saw is the
        order the history keeps. Caps are checked before the rate limit: a run the budget refuses
        is not worth waiting a minute for.
        """
        with self._transaction() as db:
            now = time.time()
            refusal = _cap_refusal(db, record, limits) or _rate_refusal(db, record, limits, now)
            if refusal is not None:
                return refusal
            record.created_at = record.updated_at = now
            _insert(db, record)
        return Reserved(record)

    def reserve_group(self, records: list[RunRecord], limits: Limits) -> Reservation | GroupReserved:
        """Insert every run of a group only if all of them fit together; else the first refusal, nothing inserted.

        The caps are checked against the group's summed price, as if it were one run; the rate
        limit counts the group as one start (a grid is one click), see :func:`_rate_refusal`.
        """
        if not records:
            return GroupReserved([])
        whole = replace(records[0], estimated_cost=sum(r.estimated_cost or 0.0 for r in records))
        with self._transaction() as db:
            now = time.time()
            refusal = _cap_refusal(db, whole, limits) or _rate_refusal(db, whole, limits, now)
            if refusal is not None:
                return refusal
            for record in records:
                record.created_at = record.updated_at = now
                _insert(db, record)
        return GroupReserved(records)

    def adopt_uncertain(self, run_id: str) -> RunRecord | None:
        """Settle the uncertain run an attached task turns out to be; the settled run, or None.

        ``run_id`` is a run attached by task id whose model and action the provider has just told.
        If the same owner has an uncertain run on the same key, model and action from before it
        (the newest such), that run was this task all along: in one transaction it stops counting
        and the attached run takes over its request body, estimated cost, address and creation time
        (so it falls in the same caps' windows, and sits beside it in the history). So its price
        counts once at every moment, on the uncertain run until now and on the attached run (by
        its own outcome: a refunded task stops counting) from now on.
        """
        with self._transaction() as db:
            attached = db.execute("SELECT * FROM runs WHERE run_id = ?", (run_id,)).fetchone()
            if attached is None or attached["task_id"] is None or attached["estimated_cost"] is not None:
                return None  # nothing found yet, or it already carries a price: never count one twice
            found = db.execute(
                "SELECT * FROM runs WHERE owner = ? AND mode = ? AND key_fingerprint = ? AND model = ? "
                "AND action = ? AND phase = ? AND task_id IS NULL AND charged = 1 AND created_at < ? "
                "ORDER BY created_at DESC LIMIT 1",
                (
                    attached["owner"],
                    attached["mode"],
                    attached["key_fingerprint"],
                    attached["model"],
                    attached["action"],
                    Phase.UNCERTAIN,
                    attached["created_at"],
                ),
            ).fetchone()
            if found is None:
                return None
            now = time.time()
            settled = record_row({"charged": False, "message": found_message(attached["task_id"]), "updated_at": now})
            db.execute(
                "UPDATE runs SET charged = :charged, message = :message, message_json = :message_json, "
                "updated_at = :updated_at WHERE run_id = :run_id",
                {**settled, "run_id": found["run_id"]},
            )
            db.execute(
                "UPDATE runs SET request_json = ?, estimated_cost = ?, address = ?, created_at = ?, updated_at = ? "
                "WHERE run_id = ?",
                (found["request_json"], found["estimated_cost"], found["address"], found["created_at"], now, run_id),
            )
        return RunRecord.from_row(found)

    def settle_if_stranded(self, run_id: str, **changes: Any) -> bool:
        """Like :meth:`update`, but only while the run is still ``submitting`` with no task id; whether it was."""
        row = record_row(_known(changes))
        row["updated_at"] = time.time()
        assignments = ", ".join(f"{n} = :{n}" for n in row)
        with self._connect() as db:
            return bool(
                db.execute(
                    f"UPDATE runs SET {assignments} WHERE run_id = :run_id AND phase = :submitting AND task_id IS NULL",
                    {**row, "run_id": run_id, "submitting": Phase.SUBMITTING},
                ).rowcount
            )

    def update(self, run_id: str, **changes: Any) -> None:
        row = record_row(_known(changes))
        row["updated_at"] = time.time()
        assignments = ", ".join(f"{n} = :{n}" for n in row)
        with self._connect() as db:
            db.execute(f"UPDATE runs SET {assignments} WHERE run_id = :run_id", {**row, "run_id": run_id})

    def reassign(self, from_owner: str, to_owner: str) -> int:
        """Move one owner's runs to another (a browser's runs joining the account it signed in with)."""
        with self._connect() as db:
            return db.execute("UPDATE runs SET owner = ? WHERE owner = ?", (to_owner, from_owner)).rowcount

    # -- reads ---------------------------------------------------------------------------------

    def get(self, run_id: str) -> RunRecord | None:
        with self._connect() as db:
            row = db.execute("SELECT * FROM runs WHERE run_id = ?", (run_id,)).fetchone()
        return RunRecord.from_row(row) if row else None

    def history(self, owner: str, limit: int = 60) -> list[RunRecord]:
        with self._connect() as db:
            rows = db.execute(
                "SELECT * FROM runs WHERE owner = ? ORDER BY created_at DESC LIMIT ?", (owner, limit)
            ).fetchall()
        return [RunRecord.from_row(r) for r in rows]

    def owned_run(self, owner: str, run_id: str) -> RunRecord | None:
        record = self.get(run_id)
        return record if record is not None and record.owner == owner else None

    def owned_task(self, owner: str, task_id: str) -> RunRecord | None:
        """The owner's newest run with this task id (a task resumed by id has a second run)."""
        with self._connect() as db:
            row = db.execute(
                "SELECT * FROM runs WHERE task_id = ? AND owner = ? ORDER BY created_at DESC LIMIT 1",
                (task_id, owner),
            ).fetchone()
        return RunRecord.from_row(row) if row is not None else None

    def group(self, owner: str, group_id: str) -> list[RunRecord]:
        """The runs of one of ``owner``'s groups, in their order; empty for anyone else's group."""
        with self._connect() as db:
            rows = db.execute(
                "SELECT * FROM runs WHERE owner = ? AND group_id = ? ORDER BY group_index", (owner, group_id)
            ).fetchall()
        return [RunRecord.from_row(r) for r in rows]

    def regroup(self, run_ids: list[str], group_id: str) -> None:
        """Move runs to another group (a board's replaced shots, kept as the runs they were)."""
        with self._transaction() as db:
            db.executemany("UPDATE runs SET group_id = ? WHERE run_id = ?", [(group_id, r) for r in run_ids])

    def waiting_groups(self, kind: str) -> list[tuple[str, str]]:
        """(owner, group id) of every group of ``kind`` with a run still waiting to be sent (a board to go on with)."""
        with self._connect() as db:
            rows = db.execute(
                "SELECT DISTINCT owner, group_id FROM runs WHERE group_kind = ? AND phase = ?", (kind, Phase.WAITING)
            ).fetchall()
        return [(r["owner"], r["group_id"]) for r in rows]

    def runs_of_task(self, task_id: str) -> list[RunRecord]:
        with self._connect() as db:
            rows = db.execute("SELECT * FROM runs WHERE task_id = ? ORDER BY created_at", (task_id,)).fetchall()
        return [RunRecord.from_row(r) for r in rows]

    def stranded(self) -> list[RunRecord]:
        """Runs still ``submitting`` with no task id: at start-up, ones the last process never finished sending."""
        with self._connect() as db:
            rows = db.execute(
                "SELECT * FROM runs WHERE phase = ? AND task_id IS NULL ORDER BY created_at", (Phase.SUBMITTING,)
            ).fetchall()
        return [RunRecord.from_row(r) for r in rows]

    def unfinished(self, owner: str | None = None) -> list[RunRecord]:
        """Runs the provider took (they have a task id) whose result is not saved yet; one owner's, or all."""
        marks = ", ".join("?" for _ in UNFINISHED_PHASES)
        where, args = f"phase IN ({marks}) AND task_id IS NOT NULL", list(UNFINISHED_PHASES)
        if owner is not None:
            where, args = where + " AND owner = ?", args + [owner]
        with self._connect() as db:
            rows = db.execute(f"SELECT * FROM runs WHERE {where} ORDER BY created_at", args).fetchall()
        return [RunRecord.from_row(r) for r in rows]

    def spent(
        self,
        *,
        owner: str | None = None,
        mode: str | None = None,
        since: float | None = None,
        address: str | None = None,
    ) -> tuple[float, int]:
        """What charged runs cost, and how many of them have no known price."""
        with self._connect() as db:
            return _spent(db, owner=owner, mode=mode, since=since, address=address)


# -- the ledger's statements, shared by the reads above and the reservation's transaction ------


def _known(changes: dict[str, Any]) -> dict[str, Any]:
    unknown = set(changes) - {f.name for f in fields(RunRecord)}
    if unknown:  # column names come from here only, never from a visitor
        raise ValueError(f"unknown run fields: {sorted(unknown)}")
    return changes


def _insert(db: sqlite3.Connection, record: RunRecord) -> None:
    row = record.to_row()
    names = ", ".join(row)
    marks = ", ".join(f":{n}" for n in row)
    db.execute(f"INSERT INTO runs ({names}) VALUES ({marks})", row)


def _where(**filters: Any) -> tuple[str, list[Any]]:
    """``column = ?`` for each filter given (``since`` is a lower bound on ``created_at``)."""
    clauses, args = [], []
    for column, value in filters.items():
        if value is not None:
            clauses.append("created_at >= ?" if column == "since" else f"{column} = ?")
            args.append(value)
    return " AND ".join(clauses) or "1", args


def _spent(db: sqlite3.Connection, **filters: Any) -> tuple[float, int]:
    where, args = _where(**filters)
    total, unpriced = db.execute(
        f"SELECT COALESCE(SUM(estimated_cost), 0), COALESCE(SUM(estimated_cost IS NULL), 0) "
        f"FROM runs WHERE charged = 1 AND {where}",
        args,
    ).fetchone()
    return float(total), int(unpriced)


def _cap_refusal(db: sqlite3.Connection, record: RunRecord, limits: Limits) -> CapReached | None:
    cost = record.estimated_cost or 0.0
    scopes = [(Scope.VISITOR, limits.owner_cap, {"owner": record.owner, "since": limits.since})]
    if record.address:  # an unknown address is no scope: it must not sum every run
        scopes.append((Scope.ADDRESS, limits.address_cap, {"address": record.address, "since": limits.since}))
    scopes.append((Scope.TOTAL, limits.total_cap, {}))
    for scope, cap, filters in scopes:
        if cap is None:
            continue
        spent, _ = _spent(db, mode=record.mode, **filters)
        if spent + cost > cap + 1e-9:
            return CapReached(scope, cost, spent, cap)
    return None


def _rate_refusal(db: sqlite3.Connection, record: RunRecord, limits: Limits, now: float) -> RateLimited | None:
    if limits.per_minute <= 0:
        return None
    for scope, column, value in ((Scope.VISITOR, "owner", record.owner), (Scope.ADDRESS, "address", record.address)):
        if value is None:
            continue
        where, args = _where(**{column: value, "mode": record.mode, "since": now - RATE_WINDOW})
        # A group's runs share one start: a grid of eight is one click, not eight.
        times = [
            t
            for (t,) in db.execute(
                f"SELECT MIN(created_at) FROM runs WHERE {where} GROUP BY COALESCE(group_id, run_id) ORDER BY 1", args
            )
        ]
        if len(times) >= limits.per_minute:
            # A slot frees when enough of the oldest runs leave the window to bring the count under the limit.
            frees_at = times[len(times) - limits.per_minute] + RATE_WINDOW
            return RateLimited(scope, len(times), limits.per_minute, max(0.0, frees_at - now))
    return None
