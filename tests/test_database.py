"""The history on a real PostgreSQL server (Debian's, started by ``tests/servers.py``) and on SQLite alike.

The same statements run on both; what must hold across replicas is shown with two stores, each with
its own engine and pool, as two processes would have: caps that only one run fits refuse the rest,
a lease has one holder, migrations applied by two starters at once happen once.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from playground.runs import Database, Leases, Limits, Reserved, RunRecord, RunStore
from playground.runs.leases import run_lease
from playground.runs.migrations import LATEST, migrate
from playground.settings import Settings, SettingsError

pytest_plugins = ("tests.servers",)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'history.sqlite3'}"
    return request.getfixturevalue("postgres_url")


def record(owner: str = "alice", cost: float | None = 0.32, **extra: object) -> RunRecord:
    return RunRecord(
        owner=owner,
        mode="server-key",
        key_fingerprint="fp",
        action="generate",
        model="veo3.1-fast-official",
        request={"prompt": "a lighthouse, 灯塔"},
        estimated_cost=cost,
        **extra,
    )


def at_once(count: int, work: Callable[[int], object]) -> list[object]:
    """``work(i)`` from ``count`` threads released together, as concurrent requests on several replicas."""
    barrier, results = threading.Barrier(count), [None] * count

    def go(i: int) -> None:
        barrier.wait()
        try:
            results[i] = work(i)
        except Exception as exc:  # shown by the assertion that reads it
            results[i] = exc

    threads = [threading.Thread(target=go, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results


def test_a_run_round_trips_with_its_words_and_numbers(database_url: str) -> None:
    store = RunStore(Database(database_url))
    saved = store.add(record(task_id="t-1", phase="queued", files=["/m/a.mp4"], group_index=2))
    store.update(saved.run_id, phase="completed", message="Done.", processing_seconds=12.25)
    (got,) = store.history("alice")
    assert (got.phase, got.message, got.request, got.files, got.group_index) == (
        "completed",
        "Done.",
        {"prompt": "a lighthouse, 灯塔"},
        ["/m/a.mp4"],
        2,
    )
    assert got.created_at == pytest.approx(saved.created_at, abs=1e-3), "a timestamp keeps its milliseconds"
    assert got.processing_seconds == 12.25 and store.owned_task("alice", "t-1") == got
    assert store.owned_task("mallory", "t-1") is None and store.unfinished() == []
    assert store.spent(owner="alice") == (0.32, 0)


def test_two_replicas_cannot_both_pass_a_cap_only_one_run_fits(database_url: str) -> None:
    replicas = [RunStore(Database(database_url)), RunStore(Database(database_url))]
    limits = Limits(owner_cap=1.0, total_cap=2.0)
    outcomes = at_once(12, lambda i: replicas[i % 2].reserve(record(cost=0.3), limits))
    reserved = [o for o in outcomes if isinstance(o, Reserved)]
    assert len(reserved) == 3, "0.3 fits three times under 1.0, whichever replica asked"
    assert replicas[0].spent(owner="alice") == pytest.approx((0.9, 0))


def test_a_lease_has_one_holder_until_it_runs_out(database_url: str) -> None:
    database = Database(database_url)
    RunStore(database)
    holders = [Leases(Database(database_url), f"replica-{i}", seconds=0.5) for i in range(4)]
    won = at_once(4, lambda i: holders[i].claim(run_lease("r1")))
    assert won.count(True) == 1
    winner = holders[won.index(True)]
    assert winner.renew([run_lease("r1")]) == {run_lease("r1")}
    other = holders[(won.index(True) + 1) % 4]
    assert not other.claim(run_lease("r1")) and other.holding(run_lease("r1")).holder == winner.holder
    time.sleep(0.6)
    assert other.claim(run_lease("r1")), "a replica that stopped renewing loses the lease"
    assert winner.renew([run_lease("r1")]) == set(), "and learns it at its next renewal"


def test_orphans_are_the_unfinished_runs_nobody_holds(database_url: str) -> None:
    store = RunStore(Database(database_url))
    alive, dead = Leases(store.db, "alive"), Leases(store.db, "dead", seconds=-1)
    followed = store.add(record(task_id="t-followed", phase="processing"))
    orphaned = store.add(record(task_id="t-orphaned", phase="queued"))
    starting = store.add(record(phase="submitting"))  # reserved a moment ago, its lease not claimed yet
    store.add(record(task_id="t-done", phase="completed"))
    assert alive.claim(run_lease(followed.run_id)) and dead.claim(run_lease(orphaned.run_id))
    other = Leases(store.db, "other")
    assert [r.run_id for r in other.orphans()] == [orphaned.run_id]
    assert {r.run_id for r in other.orphans(grace=0)} == {orphaned.run_id, starting.run_id}
    # A replica's own leases are its to take back: what it held before it restarted.
    assert {r.run_id for r in alive.orphans()} == {followed.run_id, orphaned.run_id}


def test_a_callback_wakes_the_run_where_it_is_followed(database_url: str) -> None:
    store = RunStore(Database(database_url))
    here, there = Leases(store.db, "here"), Leases(Database(database_url), "there")
    run = store.add(record(task_id="t-1", phase="processing", callback_hash="h" * 64))
    assert here.claim(run_lease(run.run_id))
    before = time.time() - 1
    assert there.wake("h" * 64) and not there.wake("x" * 64)
    assert here.woken(before) == [run.run_id] and there.woken(before) == []


def test_two_starters_migrate_once(database_url: str) -> None:
    outcomes = at_once(3, lambda _: RunStore(Database(database_url)))
    assert all(isinstance(o, RunStore) for o in outcomes), outcomes
    database = Database(database_url)
    assert migrate(database) == LATEST
    with database.connect() as db:
        versions = [row[0] for row in db.exec_driver_sql("SELECT version FROM schema_version ORDER BY 1")]
    assert versions == list(range(1, LATEST + 1))


def test_an_old_sqlite_history_gains_the_new_tables_in_place(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    with sqlite3.connect(path) as db:  # a history as the first release wrote it, before any migration
        db.execute(
            "CREATE TABLE runs (run_id TEXT PRIMARY KEY, task_id TEXT, owner TEXT NOT NULL, mode TEXT NOT NULL, "
            "key_fingerprint TEXT NOT NULL, action TEXT NOT NULL, model TEXT NOT NULL, request_json TEXT NOT NULL, "
            "estimated_cost REAL, charged INTEGER NOT NULL DEFAULT 1, phase TEXT NOT NULL, "
            "message TEXT NOT NULL DEFAULT '', queued_seconds REAL NOT NULL DEFAULT 0, "
            "processing_seconds REAL NOT NULL DEFAULT 0, files_json TEXT NOT NULL DEFAULT '[]', "
            "urls_json TEXT NOT NULL DEFAULT '[]', expires_at REAL, poster TEXT, created_at REAL NOT NULL, "
            "updated_at REAL NOT NULL)"
        )
        db.execute(
            "INSERT INTO runs (run_id, task_id, owner, mode, key_fingerprint, action, model, request_json, "
            "estimated_cost, phase, created_at, updated_at) VALUES ('old', 't-old', 'alice', 'server-key', 'fp', "
            "'generate', 'veo3.1-fast-official', '{}', 0.32, 'completed', 1.0, 1.0)"
        )
    store = RunStore(path)
    (old,) = store.history("alice")
    assert (old.run_id, old.task_id, old.group_id) == ("old", "t-old", None)
    assert Leases(store.db, "local").claim(run_lease("old"))
    with sqlite3.connect(path) as db:
        tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"runs", "shares", "leases", "schema_version"} <= tables


def test_a_shared_database_needs_the_secret() -> None:
    url = "postgresql://postgres@127.0.0.1:1/playground"
    with pytest.raises(SettingsError, match="PLAYGROUND_SECRET must be set"):
        Settings.from_env({"PLAYGROUND_DATABASE_URL": url})
    assert Settings.from_env({"PLAYGROUND_DATABASE_URL": url, "PLAYGROUND_SECRET": "s"}).shared_database
    assert not Settings.from_env({}).shared_database
    assert "secret-password" not in repr(Database("postgresql://u:secret-password@127.0.0.1:1/db"))
