"""The run history: one SQLite row per run, so nothing paid for is lost to a refresh or a restart.

Rows are written the moment something is known (the request before it is sent, the task id the
moment the provider returns it, the files once saved) and read back for the History tab, for
resuming unfinished tasks after a restart, and for budgets. Every read is scoped to an owner, the
hashed browser identity of one visitor, so a shared server never shows one visitor another's runs.

The history is also the ledger the spending caps are kept in. :meth:`RunStore.reserve` sums what
counts against each cap and inserts the run in one locked transaction (see :mod:`.ledger`), so two
clicks, two workers or two replicas on one database cannot both pass a cap that only one run fits.

The database is a SQLite file or a PostgreSQL server (:mod:`.database`). Its drivers are
synchronous; callers on the event loop go through :meth:`RunStore.call`, which runs the work in a
thread, each call on a connection of its own from the engine's pool.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import fields, replace
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy.engine import Connection

from ..texts import text
from .database import Database, Lock, one, rows, run
from .ledger import GroupReserved, Limits, Reservation, Reserved, cap_refusal, rate_refusal, spent
from .migrations import migrate
from .phases import UNFINISHED_PHASES, Phase
from .record import RunRecord, record_row

T = TypeVar("T")

FOUND = text("runs.store.found", "Found as task {task_id}.")


def found_message(task_id: str) -> str:
    """What an uncertain run says once an attached task turned out to be it (and counts in its place)."""
    return FOUND(task_id=task_id)


class RunStore:
    def __init__(self, database: Database | Path) -> None:
        self.db = database if isinstance(database, Database) else Database.sqlite(database)
        migrate(self.db)

    @property
    def path(self) -> Path | None:
        """The SQLite file, when the history is one."""
        return self.db.path

    async def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a store method off the event loop."""
        return await asyncio.to_thread(fn, *args, **kwargs)

    # -- writes --------------------------------------------------------------------------------

    def add(self, record: RunRecord) -> RunRecord:
        """Record a run no cap applies to (see :meth:`reserve` for one that may be refused)."""
        with self.db.connect() as db:
            _insert(db, record)
        return record

    def reserve(self, record: RunRecord, limits: Limits) -> Reservation:
        """Insert ``record`` only if it fits every cap and rate limit, all checked in the same transaction.

        The record is stamped with the moment it was reserved, so the order the caps saw is the
        order the history keeps. Caps are checked before the rate limit: a run the budget refuses
        is not worth waiting a minute for.
        """
        with self.db.transaction(Lock.LEDGER) as db:
            now = time.time()
            refusal = cap_refusal(db, record, limits) or rate_refusal(db, record, limits, now)
            if refusal is not None:
                return refusal
            record.created_at = record.updated_at = now
            _insert(db, record)
        return Reserved(record)

    def reserve_group(self, records: list[RunRecord], limits: Limits) -> Reservation | GroupReserved:
        """Insert every run of a group only if all of them fit together; else the first refusal, nothing inserted.

        The caps are checked against the group's summed price, as if it were one run; the rate
        limit counts the group as one start (a grid is one click), see :func:`.ledger.rate_refusal`.
        """
        if not records:
            return GroupReserved([])
        whole = replace(records[0], estimated_cost=sum(r.estimated_cost or 0.0 for r in records))
        with self.db.transaction(Lock.LEDGER) as db:
            now = time.time()
            refusal = cap_refusal(db, whole, limits) or rate_refusal(db, whole, limits, now)
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
        with self.db.transaction(Lock.LEDGER) as db:
            attached = one(db, "SELECT * FROM runs WHERE run_id = :run_id", {"run_id": run_id})
            if attached is None or attached["task_id"] is None or attached["estimated_cost"] is not None:
                return None  # nothing found yet, or it already carries a price: never count one twice
            found = one(
                db,
                "SELECT * FROM runs WHERE owner = :owner AND mode = :mode AND key_fingerprint = :key_fingerprint "
                "AND model = :model AND action = :action AND phase = :phase AND task_id IS NULL AND charged = 1 "
                "AND created_at < :created_at ORDER BY created_at DESC LIMIT 1",
                {
                    **{k: attached[k] for k in ("owner", "mode", "key_fingerprint", "model", "action", "created_at")},
                    "phase": str(Phase.UNCERTAIN),
                },
            )
            if found is None:
                return None
            now = time.time()
            settled = record_row({"charged": False, "message": found_message(attached["task_id"]), "updated_at": now})
            run(
                db,
                "UPDATE runs SET charged = :charged, message = :message, message_json = :message_json, "
                "updated_at = :updated_at WHERE run_id = :run_id",
                {**settled, "run_id": found["run_id"]},
            )
            run(
                db,
                "UPDATE runs SET request_json = :request_json, estimated_cost = :estimated_cost, address = :address, "
                "created_at = :created_at, updated_at = :now WHERE run_id = :run_id",
                {
                    **{k: found[k] for k in ("request_json", "estimated_cost", "address", "created_at")},
                    "now": now,
                    "run_id": run_id,
                },
            )
        return RunRecord.from_row(found)

    def settle_if_stranded(self, run_id: str, **changes: Any) -> bool:
        """Like :meth:`update`, but only while the run is still ``submitting`` with no task id; whether it was."""
        row, assignments = _assignments(changes)
        with self.db.connect() as db:
            return bool(
                run(
                    db,
                    f"UPDATE runs SET {assignments} WHERE run_id = :run_id AND phase = :submitting AND task_id IS NULL",
                    {**row, "run_id": run_id, "submitting": str(Phase.SUBMITTING)},
                )
            )

    def update(self, run_id: str, **changes: Any) -> None:
        row, assignments = _assignments(changes)
        with self.db.connect() as db:
            run(db, f"UPDATE runs SET {assignments} WHERE run_id = :run_id", {**row, "run_id": run_id})

    def reassign(self, from_owner: str, to_owner: str) -> int:
        """Move one owner's runs to another (a browser's runs joining the account it signed in with)."""
        with self.db.connect() as db:
            return run(db, "UPDATE runs SET owner = :to WHERE owner = :from_", {"to": to_owner, "from_": from_owner})

    # -- reads ---------------------------------------------------------------------------------

    def get(self, run_id: str) -> RunRecord | None:
        return self._one("SELECT * FROM runs WHERE run_id = :run_id", run_id=run_id)

    def history(self, owner: str, limit: int = 60) -> list[RunRecord]:
        return self._all(
            "SELECT * FROM runs WHERE owner = :owner ORDER BY created_at DESC LIMIT :limit", owner=owner, limit=limit
        )

    def owned_run(self, owner: str, run_id: str) -> RunRecord | None:
        record = self.get(run_id)
        return record if record is not None and record.owner == owner else None

    def owned_task(self, owner: str, task_id: str) -> RunRecord | None:
        """The owner's newest run with this task id (a task resumed by id has a second run)."""
        return self._one(
            "SELECT * FROM runs WHERE task_id = :task_id AND owner = :owner ORDER BY created_at DESC LIMIT 1",
            task_id=task_id,
            owner=owner,
        )

    def group(self, owner: str, group_id: str) -> list[RunRecord]:
        """The runs of one of ``owner``'s groups, in their order; empty for anyone else's group."""
        return self._all(
            "SELECT * FROM runs WHERE owner = :owner AND group_id = :group_id ORDER BY group_index",
            owner=owner,
            group_id=group_id,
        )

    def regroup(self, run_ids: list[str], group_id: str) -> None:
        """Move runs to another group (a board's replaced shots, kept as the runs they were)."""
        with self.db.connect() as db:
            for run_id in run_ids:
                run(db, "UPDATE runs SET group_id = :g WHERE run_id = :r", {"g": group_id, "r": run_id})

    def waiting_groups(self, kind: str) -> list[tuple[str, str]]:
        """(owner, group id) of every group of ``kind`` with a run still waiting to be sent (a board to go on with)."""
        with self.db.connect() as db:
            found = rows(
                db,
                "SELECT DISTINCT owner, group_id FROM runs WHERE group_kind = :kind AND phase = :phase",
                {"kind": kind, "phase": str(Phase.WAITING)},
            )
        return [(r["owner"], r["group_id"]) for r in found]

    def runs_of_task(self, task_id: str) -> list[RunRecord]:
        return self._all("SELECT * FROM runs WHERE task_id = :task_id ORDER BY created_at", task_id=task_id)

    def stranded(self) -> list[RunRecord]:
        """Runs still ``submitting`` with no task id: at start-up, ones the last process never finished sending."""
        return self._all(
            "SELECT * FROM runs WHERE phase = :phase AND task_id IS NULL ORDER BY created_at",
            phase=str(Phase.SUBMITTING),
        )

    def unfinished(self, owner: str | None = None) -> list[RunRecord]:
        """Runs the provider took (they have a task id) whose result is not saved yet; one owner's, or all."""
        phases = {f"p{i}": str(p) for i, p in enumerate(UNFINISHED_PHASES)}
        where = f"phase IN ({', '.join(':' + k for k in phases)}) AND task_id IS NOT NULL"
        params: dict[str, Any] = dict(phases)
        if owner is not None:
            where, params["owner"] = where + " AND owner = :owner", owner
        return self._all(f"SELECT * FROM runs WHERE {where} ORDER BY created_at", **params)

    def spent(
        self,
        *,
        owner: str | None = None,
        mode: str | None = None,
        since: float | None = None,
        address: str | None = None,
    ) -> tuple[float, int]:
        """What charged runs cost, and how many of them have no known price."""
        with self.db.connect() as db:
            return spent(db, owner=owner, mode=mode, since=since, address=address)

    def _one(self, statement: str, **params: Any) -> RunRecord | None:
        with self.db.connect() as db:
            row = one(db, statement, params)
        return RunRecord.from_row(row) if row is not None else None

    def _all(self, statement: str, **params: Any) -> list[RunRecord]:
        with self.db.connect() as db:
            found = rows(db, statement, params)
        return [RunRecord.from_row(r) for r in found]


def _known(changes: dict[str, Any]) -> dict[str, Any]:
    unknown = set(changes) - {f.name for f in fields(RunRecord)}
    if unknown:  # column names come from here only, never from a visitor
        raise ValueError(f"unknown run fields: {sorted(unknown)}")
    return changes


def _assignments(changes: dict[str, Any]) -> tuple[dict[str, Any], str]:
    row = record_row(_known(changes))
    row["updated_at"] = time.time()
    return row, ", ".join(f"{n} = :{n}" for n in row)


def _insert(db: Connection, record: RunRecord) -> None:
    row = record.to_row()
    names = ", ".join(row)
    marks = ", ".join(f":{n}" for n in row)
    run(db, f"INSERT INTO runs ({names}) VALUES ({marks})", row)
