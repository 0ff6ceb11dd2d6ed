"""Versioned schema migrations, applied at start-up by whichever process starts first.

``schema_version`` holds the last step applied. Each step is written to be safe on a database that
already has some of it: histories from before this table existed (SQLite files of earlier
releases, which gained columns one release at a time) are brought up to date in place, keeping
every row. Steps run under :attr:`~.database.Lock.SCHEMA` in one transaction each, so two replicas
starting together apply each step once, and a step that fails leaves the database as it was.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from .database import Database, Lock, one, run

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Step:
    version: int
    what: str
    apply: Callable[[Database, Connection], None]


def _columns(db: Connection, table: str) -> set[str]:
    return {c["name"] for c in sa.inspect(db).get_columns(table)}


def _add_columns(db: Connection, table: str, columns: list[tuple[str, str, str | None]]) -> None:
    present = _columns(db, table)
    for column, kind, backfill in columns:
        if column not in present:
            db.exec_driver_sql(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")
            if backfill:
                db.exec_driver_sql(backfill)


def _runs(database: Database, db: Connection) -> None:
    real = database.real
    db.exec_driver_sql(f"""
        CREATE TABLE IF NOT EXISTS runs (
            run_id TEXT PRIMARY KEY,
            task_id TEXT,
            owner TEXT NOT NULL,
            mode TEXT NOT NULL,
            key_fingerprint TEXT NOT NULL,
            action TEXT NOT NULL,
            model TEXT NOT NULL,
            request_json TEXT NOT NULL,
            estimated_cost {real},
            charged INTEGER NOT NULL DEFAULT 1,
            phase TEXT NOT NULL,
            message TEXT NOT NULL DEFAULT '',
            queued_seconds {real} NOT NULL DEFAULT 0,
            processing_seconds {real} NOT NULL DEFAULT 0,
            files_json TEXT NOT NULL DEFAULT '[]',
            urls_json TEXT NOT NULL DEFAULT '[]',
            expires_at {real},
            poster TEXT,
            created_at {real} NOT NULL,
            updated_at {real} NOT NULL
        )""")


def _columns_since_first_release(database: Database, db: Connection) -> None:
    # A run stuck in ``submitting`` from before the sent marker existed may have been sent: it is
    # marked as sent, so the start-up settlement counts it as uncertain rather than as never sent.
    sent_backfill = "UPDATE runs SET sent_at = created_at WHERE phase = 'submitting' AND task_id IS NULL"
    _add_columns(
        db,
        "runs",
        [
            ("address", "TEXT", None),
            ("sent_at", database.real, sent_backfill),
            # A message's template key and parameters, so History says it in each visitor's language.
            ("message_json", "TEXT", None),
            # Runs started together (a compare grid, a storyboard): the group, its kind, the run's place in it.
            ("group_id", "TEXT", None),
            ("group_kind", "TEXT", None),
            ("group_index", "INTEGER", None),
        ],
    )


def _indexes(_database: Database, db: Connection) -> None:
    # What the ledger's sums filter on: an owner or an address over a window, every charged run of a mode.
    for statement in (
        "CREATE INDEX IF NOT EXISTS runs_by_owner ON runs (owner, created_at DESC)",
        "CREATE INDEX IF NOT EXISTS runs_by_task ON runs (task_id)",
        "CREATE INDEX IF NOT EXISTS runs_by_phase ON runs (phase)",
        "CREATE INDEX IF NOT EXISTS runs_by_address ON runs (address, created_at)",
        "CREATE INDEX IF NOT EXISTS runs_by_mode ON runs (mode, charged, estimated_cost)",
        "CREATE INDEX IF NOT EXISTS runs_by_group ON runs (group_id, group_index)",
    ):
        db.exec_driver_sql(statement)


def _shares(database: Database, db: Connection) -> None:
    db.exec_driver_sql(f"""
        CREATE TABLE IF NOT EXISTS shares (
            token TEXT PRIMARY KEY,
            run_id TEXT NOT NULL,
            owner TEXT NOT NULL,
            created_at {database.real} NOT NULL,
            revoked_at {database.real}
        )""")
    db.exec_driver_sql("CREATE INDEX IF NOT EXISTS shares_by_run ON shares (owner, run_id)")


def _leases(database: Database, db: Connection) -> None:
    # Which replica follows an unfinished run (or drives a board), until when.
    db.exec_driver_sql(f"""
        CREATE TABLE IF NOT EXISTS leases (
            name TEXT PRIMARY KEY,
            holder TEXT NOT NULL,
            until {database.real} NOT NULL
        )""")
    db.exec_driver_sql("CREATE INDEX IF NOT EXISTS leases_by_holder ON leases (holder)")
    # A callback reaching any replica wakes the run where it is followed: the hash of its route's
    # token finds the run, and the time it was woken is what the following replica looks for.
    _add_columns(db, "runs", [("callback_hash", "TEXT", None), ("woken_at", database.real, None)])
    db.exec_driver_sql("CREATE INDEX IF NOT EXISTS runs_by_callback ON runs (callback_hash)")


STEPS: tuple[Step, ...] = (
    Step(1, "the runs table", _runs),
    Step(2, "columns added since the first release", _columns_since_first_release),
    Step(3, "the ledger's indexes", _indexes),
    Step(4, "share links", _shares),
    Step(5, "leases and callback wakes", _leases),
)
LATEST = STEPS[-1].version


def migrate(database: Database) -> int:
    """Bring the schema to :data:`LATEST`; the version it was at before."""
    with database.transaction(Lock.SCHEMA) as db:
        db.exec_driver_sql("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        row = one(db, "SELECT MAX(version) AS version FROM schema_version")
    before = int(row["version"] or 0) if row else 0
    for step in STEPS:
        with database.transaction(Lock.SCHEMA) as db:
            done = one(db, "SELECT MAX(version) AS version FROM schema_version")
            if done is not None and (done["version"] or 0) >= step.version:
                continue  # another process applied it meanwhile
            step.apply(database, db)
            run(db, "INSERT INTO schema_version (version) VALUES (:v)", {"v": step.version})
            log.info("database schema: step %d applied (%s)", step.version, step.what)
    return before
