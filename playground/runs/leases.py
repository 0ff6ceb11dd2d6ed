"""Leases: which replica follows an unfinished run (or drives a storyboard), so exactly one does.

A lease is a row naming a holder and a time it lasts until. A replica claims a run's lease before it
polls the task, renews every lease it holds every :data:`RENEW_EVERY` seconds, and drops the lease
when the run ends. A replica that dies stops renewing; once its leases run out, another claims them
and follows the runs by task id (never submitting again). A claim succeeds when nobody holds the
lease, it ran out, or the claimant already holds it, in one statement, so two replicas racing for a
lease cannot both win it.
"""

from __future__ import annotations

import os
import secrets
import socket
import time
from dataclasses import dataclass

from .database import Database, one, rows, run
from .phases import UNFINISHED_PHASES, Phase
from .record import RunRecord

#: How long a lease lasts without renewal: a replica that dies leaves its runs for at most this long.
LEASE_SECONDS = 15.0
#: How often a replica renews its leases and looks for runs whose leases ran out.
RENEW_EVERY = 5.0


def run_lease(run_id: str) -> str:
    return f"run:{run_id}"


def board_lease(group_id: str) -> str:
    return f"board:{group_id}"


def replica_id(setting: str, shared: bool) -> str:
    """This replica's name in leases: the operator's, else one of its own.

    A lone process on a SQLite file keeps one name across restarts, so a restarted server takes its
    own runs back at once rather than waiting for their leases to run out.
    """
    if setting.strip():
        return setting.strip()
    if not shared:
        return "local"
    return f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(3)}"


@dataclass(frozen=True)
class Holding:
    holder: str
    until: float


class Leases:
    def __init__(self, database: Database, holder: str, seconds: float = LEASE_SECONDS) -> None:
        self.db, self.holder, self.seconds = database, holder, seconds

    def claim(self, name: str) -> bool:
        """Take ``name`` if it is free, ran out, or is ours already; whether we hold it now."""
        now = time.time()
        with self.db.connect() as db:
            taken = run(
                db,
                "INSERT INTO leases (name, holder, until) VALUES (:name, :me, :until) "
                "ON CONFLICT (name) DO UPDATE SET holder = :me, until = :until "
                "WHERE leases.until < :now OR leases.holder = :me",
                {"name": name, "me": self.holder, "until": now + self.seconds, "now": now},
            )
        return taken > 0

    def renew(self, names: list[str]) -> set[str]:
        """Extend the leases we hold among ``names``; the names we still hold (the rest were taken over)."""
        if not names:
            return set()
        now = time.time()
        with self.db.connect() as db:
            # Ours even if it ran out meanwhile: nobody claimed it (a claim makes another the holder).
            until = now + self.seconds
            run(db, "UPDATE leases SET until = :until WHERE holder = :me", {"me": self.holder, "until": until})
            held = {r["name"] for r in rows(db, "SELECT name FROM leases WHERE holder = :me", {"me": self.holder})}
        return held & set(names)

    def release(self, name: str) -> None:
        with self.db.connect() as db:
            run(db, "DELETE FROM leases WHERE name = :name AND holder = :me", {"name": name, "me": self.holder})

    def holding(self, name: str) -> Holding | None:
        """Who holds ``name`` now, if anyone does and it has not run out."""
        with self.db.connect() as db:
            row = one(
                db,
                "SELECT holder, until FROM leases WHERE name = :name AND until >= :now",
                {"name": name, "now": time.time()},
            )
        return Holding(row["holder"], row["until"]) if row else None

    def orphans(self, grace: float = 30.0) -> list[RunRecord]:
        """Unfinished runs nobody follows: no live lease, or ours (a restart of this same replica).

        Both runs the provider took (to follow by task id) and runs left ``submitting`` (to settle).
        A run is reserved a moment before its driver claims its lease: one younger than ``grace``
        seconds with no lease at all is still being started, not orphaned.
        """
        now = time.time()
        with self.db.connect() as db:
            found = rows(
                db,
                f"SELECT runs.* FROM runs LEFT JOIN leases ON leases.name = 'run:' || runs.run_id "
                f"WHERE runs.phase IN ({_FOLLOWED_MARKS}) AND ("
                "(leases.name IS NULL AND (runs.task_id IS NOT NULL OR runs.created_at < :grace)) "
                "OR leases.until < :now OR leases.holder = :me) ORDER BY runs.created_at",
                {**_FOLLOWED, "now": now, "grace": now - grace, "me": self.holder},
            )
        return [RunRecord.from_row(r) for r in found]

    # -- callbacks: a route on any replica wakes the run wherever it is followed ------------------

    def wake(self, callback_hash: str) -> bool:
        """Mark the unfinished run this callback route belongs to as woken; whether there is one."""
        with self.db.connect() as db:
            return (
                run(
                    db,
                    f"UPDATE runs SET woken_at = :now WHERE callback_hash = :hash AND phase IN ({_FOLLOWED_MARKS})",
                    {**_FOLLOWED, "now": time.time(), "hash": callback_hash},
                )
                > 0
            )

    def woken(self, since: float) -> list[str]:
        """Runs this replica follows that a callback woke after ``since``."""
        with self.db.connect() as db:
            found = rows(
                db,
                "SELECT runs.run_id FROM runs JOIN leases ON leases.name = 'run:' || runs.run_id "
                "WHERE leases.holder = :me AND runs.woken_at > :since",
                {"me": self.holder, "since": since},
            )
        return [r["run_id"] for r in found]


#: A run reserved this recently with no lease yet is being started (see :meth:`Leases.orphans`).
UNCLAIMED_GRACE = 30.0
#: The phases a run is polled (or being sent) in; a board's waiting shots are the board's to start.
_FOLLOWED = {f"p{i}": str(p) for i, p in enumerate(UNFINISHED_PHASES) if p is not Phase.WAITING}
_FOLLOWED_MARKS = ", ".join(":" + k for k in _FOLLOWED)
