"""The run history: one SQLite row per run, so nothing paid for is lost to a refresh or a restart.

Rows are written the moment something is known (the request before it is sent, the task id the
moment the provider returns it, the files once saved) and read back for the History tab, for
resuming unfinished tasks after a restart, and for budgets. Every read is scoped to an owner, the
hashed browser identity of one visitor, so a shared server never shows one visitor another's runs.

sqlite3 is synchronous; callers on the event loop go through :meth:`RunStore.call`, which runs the
work in a thread. A connection per call keeps that thread-safe without a pool.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, TypeVar

from .phases import UNFINISHED_PHASES, Mode, Phase

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
    updated_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS runs_by_owner ON runs (owner, created_at DESC);
CREATE INDEX IF NOT EXISTS runs_by_task ON runs (task_id);
CREATE INDEX IF NOT EXISTS runs_by_phase ON runs (phase);
"""


#: Fields stored under another column name or type: name -> (column, encoder).
_ENCODED: dict[str, tuple[str, Callable[[Any], Any]]] = {
    "request": ("request_json", lambda v: json.dumps(v, ensure_ascii=False)),
    "files": ("files_json", json.dumps),
    "urls": ("urls_json", json.dumps),
    "charged": ("charged", int),
}


def _column(name: str, value: Any) -> tuple[str, Any]:
    column, encode = _ENCODED.get(name, (name, lambda v: v))
    return column, encode(value)


@dataclass
class RunRecord:
    """One run as the history keeps it. ``request`` is the exact body that was (or would be) sent."""

    owner: str
    mode: Mode
    key_fingerprint: str
    action: str
    model: str
    request: dict[str, Any]
    estimated_cost: float | None = None
    phase: Phase = Phase.SUBMITTING
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    task_id: str | None = None
    #: False once the provider is known not to bill it (never accepted, refunded, filtered).
    charged: bool = True
    message: str = ""
    queued_seconds: float = 0.0
    processing_seconds: float = 0.0
    files: list[str] = field(default_factory=list)
    urls: list[str] = field(default_factory=list)
    expires_at: float | None = None
    poster: str | None = None
    created_at: float = field(default_factory=time.time)
    updated_at: float = field(default_factory=time.time)

    def __post_init__(self) -> None:
        # Rows hold the words; a record holds the enums, which compare equal to them.
        self.mode, self.phase = Mode(self.mode), Phase(self.phase)

    @property
    def finished(self) -> bool:
        return self.phase.finished

    def to_row(self) -> dict[str, Any]:
        return dict(_column(f.name, getattr(self, f.name)) for f in fields(self))

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> RunRecord:
        data = dict(row)
        data["request"] = json.loads(data.pop("request_json"))
        data["files"] = json.loads(data.pop("files_json"))
        data["urls"] = json.loads(data.pop("urls_json"))
        data["charged"] = bool(data["charged"])
        return cls(**data)


class RunStore:
    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.executescript(_SCHEMA)

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

    async def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a store method off the event loop."""
        return await asyncio.to_thread(fn, *args, **kwargs)

    # -- writes --------------------------------------------------------------------------------

    def add(self, record: RunRecord) -> RunRecord:
        row = record.to_row()
        names = ", ".join(row)
        marks = ", ".join(f":{n}" for n in row)
        with self._connect() as db:
            db.execute(f"INSERT INTO runs ({names}) VALUES ({marks})", row)
        return record

    def update(self, run_id: str, **changes: Any) -> None:
        unknown = set(changes) - {f.name for f in fields(RunRecord)}
        if unknown:  # column names come from here only, never from a visitor
            raise ValueError(f"unknown run fields: {sorted(unknown)}")
        row = dict(_column(name, value) for name, value in changes.items())
        row["updated_at"] = time.time()
        assignments = ", ".join(f"{n} = :{n}" for n in row)
        with self._connect() as db:
            db.execute(f"UPDATE runs SET {assignments} WHERE run_id = :run_id", {**row, "run_id": run_id})

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

    def runs_of_task(self, task_id: str) -> list[RunRecord]:
        with self._connect() as db:
            rows = db.execute("SELECT * FROM runs WHERE task_id = ? ORDER BY created_at", (task_id,)).fetchall()
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
        self, *, owner: str | None = None, mode: str | None = None, since: float | None = None
    ) -> tuple[float, int]:
        """What charged runs cost, and how many of them have no known price."""
        clauses, args = ["charged = 1"], []
        for column, value in (("owner", owner), ("mode", mode)):
            if value is not None:
                clauses.append(f"{column} = ?")
                args.append(value)
        if since is not None:
            clauses.append("created_at >= ?")
            args.append(since)
        where = " AND ".join(clauses)
        with self._connect() as db:
            total, unpriced = db.execute(
                f"SELECT COALESCE(SUM(estimated_cost), 0), COALESCE(SUM(estimated_cost IS NULL), 0) "
                f"FROM runs WHERE {where}",
                args,
            ).fetchone()
        return float(total), int(unpriced)
