"""The spending ledger (issue 15): every dollar counted, and caps that hold.

Against real SQLite files and the simulator on loopback, through :class:`RunService` as the page and
the API start runs. What an operator would notice: fresh browsers on one address share one
allowance; signed-in visitors have their own; concurrent starts, even from two processes on one
history, never pass a cap together; a run that may have reached the provider counts until it is
found, and once found counts once; a restart settles what it left half-sent; an old history opens.
"""

from __future__ import annotations

import asyncio
import re
import sqlite3
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from playground.runs import (
    Account,
    AccountKind,
    FrameResolver,
    Identities,
    Limits,
    MediaLinks,
    Mode,
    Ownership,
    Phase,
    Refused,
    Reserved,
    RunRecord,
    RunService,
    RunStore,
    RunUpdate,
    Started,
    TrackedRun,
    Visitor,
    key_fingerprint,
)
from playground.settings import Settings
from playground.simulator import SimulatorServer, key_fingerprint as sim_fingerprint
from playground.veo import FormValues, build_request

from .conftest import TEST_KEY

#: veo3.1-fast, 4 s, 720p, one video: $0.32 (three fit a $1 cap, a fourth does not).
FOUR_SECONDS = build_request(FormValues(prompt="a kite over the dunes", duration=4, resolution="720p"))
COST = 0.32


def anonymous(n: int, address: str = "address-office") -> Visitor:
    return Visitor(f"visitor-{n}", address, None, f"visitor-{n}")


def signed_in(name: str) -> Visitor:
    account = Account(AccountKind.HUGGING_FACE, name, subject=f"id-{name}")
    return Visitor(account.owner, None, account, f"visitor-of-{name}")


def service_for(tmp_path: Path, sim: SimulatorServer, **settings: object) -> RunService:
    chosen = Settings(
        **{"api_key": TEST_KEY, "base_url": sim.base_url, "data_dir": tmp_path, "runs_per_minute": 0, **settings}
    )
    store = RunStore(chosen.db_path)
    return RunService(
        settings=chosen,
        simulator_url=sim.base_url,
        media_dir=chosen.media_dir,
        frames=FrameResolver(chosen, None, None, Ownership(store)),
        store=store,
        identities=Identities("a test secret"),
        media_links=MediaLinks(b"k" * 32, store, chosen.media_dir),
    )


@asynccontextmanager
async def driving(service: RunService) -> AsyncIterator[RunService]:
    """The service, with the runs it drives stopped before the simulator is."""
    try:
        yield service
    finally:
        await service.tracker.close()


async def start(service: RunService, visitor: Visitor) -> Started | Refused:
    return await service.start(service.connection("", visitor), visitor, FOUR_SECONDS)


async def until_sent(run: TrackedRun) -> RunUpdate:
    """Follow a run until the provider has it (a task id) or it has ended."""
    async for update in run.updates():
        if update.task_id or update.finished:
            return update
    raise AssertionError("the run ended without a final update")


async def final(run: TrackedRun) -> RunUpdate:
    last = run.latest
    async for update in run.updates():
        last = update
    return last


def spent(store: RunStore, **scope: str) -> float:
    return round(store.spent(mode=Mode.SERVER_KEY, **scope)[0], 6)


# -- caps by browser, by address, by account -------------------------------------------------


async def test_five_browsers_on_one_address_share_its_allowance(tmp_path: Path, sim: SimulatorServer) -> None:
    service = service_for(tmp_path, sim, budget_per_visitor=1.0, sign_in=True)
    async with driving(service):
        outcomes = [await start(service, anonymous(n % 5)) for n in range(6)]
        started = [o for o in outcomes if isinstance(o, Started)]
        refused = [o for o in outcomes if isinstance(o, Refused)]
        assert len(started) == 3 and len(refused) == 3, "three $0.32 runs fit the address's $1, whoever's browser"
        for run in started:
            await until_sent(run.run)
        assert len(sim.sim.submissions()) * COST <= 1.0 and spent(service.store, address="address-office") == 0.96
        message = refused[-1].message  # the sixth: a browser that has spent nothing itself
        assert refused[-1].field == "budget" and "visitors from your network have spent $0.96" in message
        assert "allowed per address" in message and "Sign in with Hugging Face" in message
        assert message.endswith("Nothing was sent.")
        elsewhere = await start(service, anonymous(6, address="address-home"))
        assert isinstance(elsewhere, Started), "another address has its own allowance"
        assert elsewhere.run.record.address == "address-home"


async def test_signed_in_visitors_are_capped_per_account_not_per_address(tmp_path: Path, sim: SimulatorServer) -> None:
    service = service_for(tmp_path, sim, budget_per_visitor=0.5, budget_per_user_setting=0.7)
    async with driving(service):
        assert isinstance(await start(service, anonymous(1)), Started)
        assert isinstance(await start(service, anonymous(2)), Refused), "the office address has spent its $0.50"
        alice, bob = signed_in("alice"), signed_in("bob")
        # Signed in on the same network: their accounts count, not the address.
        assert all(isinstance(o, Started) for o in [await start(service, alice) for _ in range(2)])
        third = await start(service, alice)
        assert isinstance(third, Refused)
        assert "you have spent $0.64 of your $0.70 allowance" in third.message and "network" not in third.message
        assert isinstance(await start(service, bob), Started), "one account's spending is not another's"
        assert all(r.address is None for r in service.store.history(alice.owner))
        standing = await service.budget.standing(service.connection("", alice), alice)
        assert standing.visitor_cap == 0.7 and standing.address_spent is None
        assert "$0.06 of $0.70 left" in standing.line()


async def test_the_readout_shows_the_address_allowance_for_anonymous_visitors(
    tmp_path: Path, sim: SimulatorServer
) -> None:
    service = service_for(tmp_path, sim, budget_per_visitor=1.0, budget_total=5.0)
    async with driving(service):
        assert isinstance(await start(service, anonymous(1)), Started)
        fresh = anonymous(2)
        line = (await service.budget.standing(service.connection("", fresh), fresh)).line()
        assert "you $0.00" in line and "visitors from your network $0.32" in line
        assert "your network's allowance $0.68 of $1.00 left" in line and "server budget $4.68 of $5.00 left" in line
        by_owner = await service.budget.standing(service.connection("", "visitor-1"), "visitor-1")
        assert by_owner.visitor_spent == COST and by_owner.address_spent is None, "a bare owner id still works"


# -- concurrency: one transaction decides ----------------------------------------------------


async def test_concurrent_starts_never_pass_the_total_cap(tmp_path: Path, sim: SimulatorServer) -> None:
    service = service_for(tmp_path, sim, budget_total=1.0, budget_per_visitor=0.5)
    async with driving(service):
        visitors = [anonymous(n, address=f"address-{n}") for n in range(20)]
        outcomes = await asyncio.gather(*(start(service, v) for v in visitors))
        started = [o for o in outcomes if isinstance(o, Started)]
        assert len(started) == 3 and spent(service.store) == 0.96
        refusals = {o.message for o in outcomes if isinstance(o, Refused)}
        assert all("this server has spent $0.96 of its $1.00 budget" in m for m in refusals)
        for run in started:
            await until_sent(run.run)
        assert len(sim.sim.submissions()) == 3


def test_two_stores_on_one_file_never_pass_a_cap_together(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    stores = [RunStore(path), RunStore(path)]  # as two processes would open it
    limits = Limits(owner_cap=2.0, total_cap=3.0, since=time.time() - 3600, per_minute=0)
    barrier = threading.Barrier(8)
    results: list[object] = []
    lock = threading.Lock()

    def worker(n: int) -> None:
        store = stores[n % 2]
        barrier.wait()
        for _ in range(5):
            record = RunRecord(
                owner=f"owner-{n % 3}",
                mode=Mode.SERVER_KEY,
                key_fingerprint=key_fingerprint(TEST_KEY),
                action="generate",
                model="veo3.1-fast-official",
                request={},
                estimated_cost=COST,
            )
            outcome = store.reserve(record, limits)
            with lock:
                results.append(outcome)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(results) == 40
    assert sum(isinstance(r, Reserved) for r in results) == 9, "nine $0.32 runs fit $3.00, a tenth does not"
    assert spent(stores[0]) == 2.88 <= limits.total_cap
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT COUNT(*) FROM runs").fetchone() == (9,), "a refused run is never written"


# -- the rate limit ------------------------------------------------------------------------------


async def test_the_rate_limit_refuses_the_next_run_within_a_minute(tmp_path: Path, sim: SimulatorServer) -> None:
    service = service_for(tmp_path, sim, runs_per_minute=2)
    async with driving(service):
        assert all(isinstance(o, Started) for o in [await start(service, anonymous(1)) for _ in range(2)])
        third = await start(service, anonymous(1))
        assert isinstance(third, Refused) and third.field == "budget"
        assert re.fullmatch(
            r"Too many runs: 2 in the last minute \(limit 2\)\. Try again in (\d+) s\. Nothing was sent\.",
            third.message,
        ), third.message
        assert 50 <= int(re.search(r"in (\d+) s", third.message).group(1)) <= 60
        other_browser = await start(service, anonymous(2))
        assert isinstance(other_browser, Refused) and "from your network" in other_browser.message
        assert isinstance(await start(service, anonymous(3, address="address-home")), Started)
        assert len(service.store.history("visitor-1")) == 2


async def test_demo_and_visitor_key_runs_are_never_limited_but_recorded(tmp_path: Path, sim: SimulatorServer) -> None:
    demo = service_for(tmp_path / "demo", sim, api_key="", demo=True, runs_per_minute=1, budget_total=0.0)
    own_key = service_for(tmp_path / "own", sim, api_key="", runs_per_minute=1, budget_total=0.0)
    async with driving(demo), driving(own_key):
        visitor = anonymous(1)
        for _ in range(3):
            ran = await demo.start(demo.connection("", visitor), visitor, FOUR_SECONDS)
            assert isinstance(ran, Started) and ran.run.record.mode is Mode.DEMO
            mine = await own_key.start(own_key.connection(TEST_KEY, visitor), visitor, FOUR_SECONDS)
            assert isinstance(mine, Started) and mine.run.record.mode is Mode.VISITOR_KEY
        assert len(demo.store.history("visitor-1")) == 3 and len(own_key.store.history("visitor-1")) == 3
        assert all(r.address is None for r in demo.store.history("visitor-1")), "no cap counts it, so not kept"


# -- every dollar counted: uncertain runs -----------------------------------------------------


async def test_a_stalled_submission_counts_until_its_task_is_found(tmp_path: Path, sim: SimulatorServer) -> None:
    # The POST reaches the simulator, which makes the task only after the client has given up.
    sim.faults.add("submit", 200, delay=2.0, owner=sim_fingerprint(TEST_KEY))
    service = service_for(tmp_path, sim, request_timeout=0.5, budget_per_visitor=0.5)
    visitor = anonymous(1)
    async with driving(service):
        stalled = await start(service, visitor)
        assert isinstance(stalled, Started)
        last = await final(stalled.run)
        assert last.phase is Phase.UNCERTAIN
        assert "counted toward your budget at its estimate until it is found" in last.message
        assert "use Resume by task id" in last.message
        row = service.store.get(stalled.run.record.run_id)
        assert row.phase is Phase.UNCERTAIN and row.charged and row.sent_at and row.message == last.message
        assert spent(service.store, owner=visitor.owner) == COST, "it may have been billed, so it counts"
        next_run = await start(service, visitor)
        assert isinstance(next_run, Refused) and "you have spent $0.32 of your $0.50" in next_run.message
        for _ in range(50):  # the simulator finishes the request the client gave up on
            tasks = [t for t in list(sim.sim.tasks.values()) if t.owner == sim_fingerprint(TEST_KEY)]
            if tasks:
                break
            await asyncio.sleep(0.1)
        (task,) = tasks
        found = await service.tracker.attach(service.connection("", visitor), visitor.owner, task.id)
        assert (await final(found)).phase is Phase.COMPLETED
        settled, attached = service.store.get(row.run_id), service.store.get(found.record.run_id)
        assert not settled.charged and settled.message == f"Found as task {task.id}."
        assert attached.charged and attached.estimated_cost == COST and attached.request == row.request
        assert attached.address == visitor.address and attached.model == row.model
        assert attached.created_at == row.created_at, "in the same windows, beside it in the history"
        assert spent(service.store, owner=visitor.owner) == COST, "found, it counts once"
        assert spent(service.store, address=visitor.address) == COST
        again = await start(service, visitor)
        assert isinstance(again, Refused) and "$0.32 of your $0.50" in again.message
        # Attaching the same task again finds nothing more to settle: never counted twice, never zero.
        rerun = await service.tracker.attach(service.connection("", visitor), visitor.owner, task.id)
        await final(rerun)
        assert spent(service.store, owner=visitor.owner) == COST


async def test_the_sent_marker_is_on_disk_before_the_request_leaves(tmp_path: Path, sim: SimulatorServer) -> None:
    service = service_for(tmp_path, sim)
    async with driving(service):
        started = await start(service, anonymous(1))
        assert isinstance(started, Started)
        await until_sent(started.run)
        (post,) = sim.sim.submissions()
        row = service.store.get(started.run.record.run_id)
        assert row.sent_at is not None and row.sent_at <= post.at


# -- start-up settlement and old databases ---------------------------------------------------


def stranded(owner: str, *, sent: bool, mode: Mode = Mode.SERVER_KEY) -> RunRecord:
    body = dict(FOUR_SECONDS.body)
    return RunRecord(
        owner=owner,
        mode=mode,
        key_fingerprint=key_fingerprint(TEST_KEY),
        action=body["action"],
        model=body["model"],
        request=body,
        estimated_cost=COST,
        sent_at=time.time() if sent else None,
    )


async def test_runs_left_submitting_are_settled_at_start_up(tmp_path: Path, sim: SimulatorServer) -> None:
    service = service_for(tmp_path, sim)
    store = service.store
    never = store.add(stranded("visitor-1", sent=False))
    maybe = store.add(stranded("visitor-1", sent=True))
    demo = store.add(stranded("visitor-1", sent=True, mode=Mode.DEMO))
    async with driving(service):
        await service.resume_after_restart()
    never, maybe, demo = (store.get(r.run_id) for r in (never, maybe, demo))
    assert never.phase is Phase.ERROR and not never.charged
    assert never.message == "The server stopped before sending this run: nothing was sent or charged."
    assert maybe.phase is Phase.UNCERTAIN and maybe.charged
    assert "may have been created" in maybe.message and "counted toward your budget at its estimate" in maybe.message
    assert demo.phase is Phase.ERROR and not demo.charged
    assert spent(store, owner="visitor-1") == COST, "only the run that may have been sent counts"
    assert store.stranded() == [] and sim.sim.submissions() == [], "settling sends nothing"


#: The history's table as it was before the ledger (no address, no sent marker).
OLD_SCHEMA = """
CREATE TABLE runs (
    run_id TEXT PRIMARY KEY, task_id TEXT, owner TEXT NOT NULL, mode TEXT NOT NULL,
    key_fingerprint TEXT NOT NULL, action TEXT NOT NULL, model TEXT NOT NULL, request_json TEXT NOT NULL,
    estimated_cost REAL, charged INTEGER NOT NULL DEFAULT 1, phase TEXT NOT NULL, message TEXT NOT NULL DEFAULT '',
    queued_seconds REAL NOT NULL DEFAULT 0, processing_seconds REAL NOT NULL DEFAULT 0,
    files_json TEXT NOT NULL DEFAULT '[]', urls_json TEXT NOT NULL DEFAULT '[]', expires_at REAL, poster TEXT,
    created_at REAL NOT NULL, updated_at REAL NOT NULL
);
CREATE INDEX runs_by_owner ON runs (owner, created_at DESC);
"""


async def test_an_old_history_opens_keeps_its_rows_and_settles_them(tmp_path: Path, sim: SimulatorServer) -> None:
    path = tmp_path / "history.sqlite3"
    now = time.time()
    with sqlite3.connect(path) as db:
        db.executescript(OLD_SCHEMA)
        for run_id, task_id, phase in (("done", "task-1", "completed"), ("half-sent", None, "submitting")):
            db.execute(
                "INSERT INTO runs (run_id, task_id, owner, mode, key_fingerprint, action, model, request_json, "
                "estimated_cost, phase, created_at, updated_at) VALUES (?, ?, 'visitor-1', 'server-key', ?, "
                "'generate', 'veo3.1-fast-official', '{}', 0.32, ?, ?, ?)",
                (run_id, task_id, key_fingerprint(TEST_KEY), phase, now, now),
            )
    RunStore(path)  # a second opening finds the columns already there
    service = service_for(tmp_path, sim, budget_per_visitor=1.0)
    store = service.store
    done = store.get("done")
    assert done.phase is Phase.COMPLETED and done.task_id == "task-1" and done.address is None
    assert done.sent_at is None, "a finished run needs no marker"
    with sqlite3.connect(path) as db:
        indexes = {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert {"runs_by_address", "runs_by_mode"} <= indexes
    async with driving(service):
        await service.resume_after_restart()
        # Sent or not, nobody can say for a row from before the marker: it is counted as maybe sent.
        assert store.get("half-sent").phase is Phase.UNCERTAIN and store.get("half-sent").charged
        outcome = await start(service, anonymous(1))
        assert isinstance(outcome, Started), "$0.64 spent, $0.32 more fits the $1 cap"
        assert isinstance(await start(service, anonymous(1)), Refused)
