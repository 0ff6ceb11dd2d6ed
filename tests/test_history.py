"""The history store, the run tracker and budgets, against the simulator on loopback.

What a visitor would notice: a run is recorded before it is sent, its task id the moment the
provider gives it, its video saved with a poster; a page that goes away does not stop it; an
expired result link is reported with the link kept; one visitor never reads another's runs; a cap
refuses a run before anything is sent.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from pathlib import Path

import pytest

from playground.runs import (
    TERMINAL_PHASES,
    UNFINISHED_PHASES,
    Budget,
    CapReached,
    Connection,
    FrameInputs,
    FrameResolver,
    Identities,
    MediaLinks,
    Mode,
    Ownership,
    Phase,
    Refused,
    RemixFrom,
    Reserved,
    RunRecord,
    RunService,
    RunStore,
    RunTracker,
    RunUpdate,
    Scope,
    Started,
    Visitor,
    key_fingerprint,
    load_secret,
)
from playground.settings import Settings
from playground.simulator import SimulatorServer
from playground.veo import FormValues, build_request
from playground.wave import PollPolicy

from .conftest import TEST_KEY

BODY = {
    "model": "veo3.1-fast-official",
    "action": "generate",
    "prompt": "a lighthouse at dusk",
    "duration": 4,
    "resolution": "720p",
    "aspect_ratio": "16:9",
    "generate_audio": False,
    "sample_count": 2,
}


def record_for(owner: str, body: dict = BODY, cost: float | None = 0.32, mode: str = "server-key") -> RunRecord:
    return RunRecord(
        owner=owner,
        mode=mode,
        key_fingerprint=key_fingerprint(TEST_KEY),
        action=body["action"],
        model=body["model"],
        request=body,
        estimated_cost=cost,
    )


@pytest.fixture
def store(tmp_path: Path) -> RunStore:
    return RunStore(tmp_path / "history.sqlite3")


@pytest.fixture
def tracker(tmp_path: Path, store: RunStore) -> RunTracker:
    fast = PollPolicy(min_interval=0.05, max_interval=0.2, expected_seconds=1.0, deadline=30)
    return RunTracker(Settings(), store, tmp_path / "media", lambda conn: fast)


def conn_to(sim: SimulatorServer, key: str = TEST_KEY) -> Connection:
    return Connection("server-key", sim.base_url, key)


async def final(run) -> object:
    last = None
    async for update in run.updates():
        last = update
    return last


# -- the store ---------------------------------------------------------------------------------


def test_history_is_newest_first_and_scoped_to_its_owner(store: RunStore) -> None:
    first = store.add(record_for("alice"))
    second = store.add(record_for("alice"))
    store.add(record_for("bob"))
    store.update(second.run_id, created_at=first.created_at + 5)
    assert [r.run_id for r in store.history("alice")] == [second.run_id, first.run_id]
    assert store.owned_run("bob", first.run_id) is None
    assert store.owned_run("alice", first.run_id).request == BODY


def test_spending_counts_charged_runs_inside_the_window(store: RunStore) -> None:
    old = store.add(record_for("alice", cost=1.0))
    store.update(old.run_id, created_at=time.time() - 3 * 86400)
    store.add(record_for("alice", cost=0.5))
    refunded = store.add(record_for("alice", cost=2.0))
    store.update(refunded.run_id, charged=False)
    store.add(record_for("alice", cost=None))
    assert store.spent(owner="alice", since=time.time() - 86400) == (0.5, 1)
    assert store.spent(mode="server-key") == (1.5, 1)


# -- the tracker -------------------------------------------------------------------------------


async def test_a_run_is_recorded_before_sending_and_kept_with_its_files(
    sim: SimulatorServer, store: RunStore, tracker: RunTracker
) -> None:
    run = await tracker.submit(conn_to(sim), record_for("alice"))
    assert store.get(run.record.run_id).phase == "submitting"  # on disk before the provider answers
    last = await final(run)
    assert last.phase == "completed"
    saved = store.get(run.record.run_id)
    assert saved.task_id == last.task_id and saved.phase == "completed" and saved.charged
    assert len(saved.files) == 2 and all(Path(f).stat().st_size > 1000 for f in saved.files)
    assert saved.urls and saved.expires_at and saved.expires_at > time.time()
    assert Path(saved.poster).exists() and Path(saved.poster).parent == Path(saved.files[0]).parent
    assert "alice" not in saved.files[0], "the media folder must not reveal the owner id"


async def test_the_run_goes_on_when_the_page_stops_listening(
    sim: SimulatorServer, store: RunStore, tracker: RunTracker
) -> None:
    run = await tracker.submit(conn_to(sim), record_for("alice"))
    async for update in run.updates():
        if update.task_id:
            break  # the page went away (refresh, closed tab) as soon as it knew the id
    await asyncio.wait_for(run.driver, 30)
    assert store.get(run.record.run_id).phase == "completed"
    again = tracker.live("alice", run.record.run_id)
    assert again is not None and (await final(again)).phase == "completed"  # a new page still finds it
    assert tracker.live("bob", run.record.run_id) is None


async def test_attach_by_task_id_follows_a_task_started_elsewhere(
    sim: SimulatorServer, client, store: RunStore, tracker: RunTracker
) -> None:
    task = await client.submit({**BODY, "sample_count": 1})
    run = await tracker.attach(conn_to(sim), "alice", task.id)
    last = await final(run)
    assert last.phase == "completed" and last.task_id == task.id
    (saved,) = store.runs_of_task(task.id)
    assert saved.owner == "alice" and saved.model == BODY["model"] and len(saved.files) == 1
    assert len(sim.sim.submissions()) == 1, "attaching must never submit again"


async def test_an_expired_result_link_is_reported_and_kept(
    sim: SimulatorServer, store: RunStore, tracker: RunTracker
) -> None:
    sim.faults.add("media", 403, times=10)
    run = await tracker.submit(conn_to(sim), record_for("alice"))
    last = await final(run)
    assert last.phase == "error" and "could not be saved" in last.message and "expire" in last.message
    saved = store.get(run.record.run_id)
    assert saved.task_id and saved.urls and not saved.files and saved.charged
    assert all(url in last.message for url in saved.urls), "the page must show the links it could not save"


async def test_resume_after_restart_polls_again_with_the_servers_key(
    sim: SimulatorServer, client, store: RunStore, tmp_path: Path
) -> None:
    records = []
    for owner in ("alice", "carol"):
        task = await client.submit({**BODY, "sample_count": 1})
        record = record_for(owner)
        record.task_id, record.phase = task.id, "queued"
        records.append(store.add(record))
    visitor_run = record_for("bob", mode="visitor-key")
    visitor_run.task_id, visitor_run.phase = "task-of-someone-else", "processing"
    store.add(visitor_run)
    service = service_for(tmp_path, store, Settings(api_key=TEST_KEY, base_url=sim.base_url))
    restarted = service.tracker
    restarted.policy_for = lambda conn: PollPolicy(min_interval=0.05, max_interval=0.2, expected_seconds=1)
    resumed = await service.resume_after_restart()  # visitors' keys are never stored: bob's waits
    await service.keeper.close()
    assert resumed == 2
    for record in records:
        await asyncio.wait_for(restarted.live(record.owner, record.run_id).driver, 30)
        saved = store.get(record.run_id)
        assert saved.phase == "completed" and saved.files
        # Each resumed run lands in its own visitor's folder, not the last one resumed.
        assert Path(saved.files[0]).is_relative_to(restarted.folder_for(record.owner))
    assert len(sim.sim.submissions()) == 2, "resuming never submits again"
    assert store.get(visitor_run.run_id).phase == "processing", "waits for its visitor to come back with the key"


# -- budgets and identities --------------------------------------------------------------------


async def test_a_cap_refuses_with_the_numbers(store: RunStore, sim: SimulatorServer) -> None:
    budget = Budget(Settings(api_key=TEST_KEY, budget_per_visitor=1.0, budget_total=1.5), store)
    store.add(record_for("alice", cost=0.8))
    store.add(record_for("bob", cost=0.6))
    alice, bob = Visitor("alice"), Visitor("bob")
    assert isinstance(await budget.reserve(conn_to(sim), alice, record_for("alice", cost=0.08)), Reserved)
    refused = await budget.reserve(conn_to(sim), alice, record_for("alice", cost=0.32))
    assert isinstance(refused, CapReached) and refused.scope is Scope.VISITOR
    message = budget.refusal(refused)
    assert "$0.32" in message and "$0.88" in message and "$1.00" in message and "Nothing was sent" in message
    by_server = budget.refusal(await budget.reserve(conn_to(sim), bob, record_for("bob", cost=0.32)))
    assert "server" in by_server and "$1.48" in by_server and "$1.50" in by_server
    assert "not set" in budget.refusal(await budget.reserve(conn_to(sim), bob, record_for("bob", cost=None)))
    assert len(store.history("alice")) == 2 and len(store.history("bob")) == 1, "a refusal records nothing"
    assert await budget.standing(Connection("demo", sim.base_url, "demo-x"), "alice") is None
    assert "left" in (await budget.standing(conn_to(sim), "alice")).line()


def test_identities_cannot_be_made_up_and_survive_a_restart(tmp_path: Path) -> None:
    ids = Identities(load_secret(tmp_path))
    token = ids.issue()
    assert ids.valid(token) and Identities(load_secret(tmp_path)).valid(token)
    nonce = token.split(".")[1]
    assert not ids.valid(f"v2.{nonce}.{'0' * 32}")
    assert not Identities("another server").valid(token)
    assert ids.owner(token, "s1") == ids.owner(token, "s2") != ids.owner(ids.issue(), "s1")
    assert ids.owner("made-up", "s1").startswith("session-")
    assert (tmp_path / "identity-secret-v2").stat().st_mode & 0o077 == 0


# -- phases, modes, frames and the run service -------------------------------------------------


def test_phases_and_modes_are_the_words_the_history_keeps(store: RunStore) -> None:
    record = store.add(record_for("alice", mode="demo"))
    store.update(record.run_id, phase=Phase.PROCESSING)
    with sqlite3.connect(store.path) as db:
        assert db.execute("SELECT mode, phase FROM runs").fetchone() == ("demo", "processing")
    again = store.get(record.run_id)
    assert again.mode is Mode.DEMO and again.phase is Phase.PROCESSING and not again.finished
    assert again.mode == "demo" and f"{again.phase}" == "processing"
    assert RunUpdate("error", "x").phase is Phase.ERROR and RunUpdate("error", "x").finished
    assert Connection("demo", "http://sim", "k").simulated and not Connection("server-key", "u", "k").simulated
    assert set(UNFINISHED_PHASES) | TERMINAL_PHASES == set(Phase) and not set(UNFINISHED_PHASES) & TERMINAL_PHASES


async def test_frames_are_resolved_from_plain_inputs_by_the_action(store: RunStore) -> None:
    frames = FrameResolver(Settings(), None, None, Ownership(store))
    conn = Connection("server-key", "https://api.example", "k")
    assert await frames.resolve(conn, "alice", FrameInputs(first_url="x"), FormValues(action="generate")) == ({}, [])
    nothing_given = await frames.resolve(conn, "alice", FrameInputs(), FormValues(action="first_last_frame"))
    assert nothing_given == ({"first_frame_image": None, "last_frame_image": None}, [])
    remix = FrameInputs(remix_from=RemixFrom.RUN, remix_run=" ")
    assert await frames.resolve(conn, "alice", remix, FormValues(action="remix")) == ({"first_frame_image": ""}, [])


def service_for(tmp_path: Path, store: RunStore, settings: Settings) -> RunService:
    media = tmp_path / "media"
    return RunService(
        settings=settings,
        simulator_url=None,
        media_dir=media,
        frames=FrameResolver(settings, None, None, Ownership(store)),
        store=store,
        identities=Identities("a test secret"),
        media_links=MediaLinks(b"k" * 32, store, media),
    )


async def test_the_service_starts_a_run_or_says_which_field_refused_it(
    tmp_path: Path, store: RunStore, sim: SimulatorServer
) -> None:
    built = build_request(FormValues(prompt="a lighthouse at dusk", duration=4, resolution="720p"))
    capped = service_for(tmp_path, store, Settings(api_key=TEST_KEY, base_url=sim.base_url, budget_total=0.01))
    refused = await capped.start(capped.connection("", "alice"), "alice", built)
    assert isinstance(refused, Refused) and refused.field == "budget" and "Nothing was sent" in refused.message
    assert store.history("alice") == [] and not sim.sim.submissions()
    service = service_for(tmp_path, store, Settings(api_key=TEST_KEY, base_url=sim.base_url))
    started = await service.start(service.connection("", "alice"), "alice", built)
    assert isinstance(started, Started) and started.run.record.mode is Mode.SERVER_KEY
    assert (await final(started.run)).phase is Phase.COMPLETED
    run_id, last = await capped.run_to_end(capped.connection("", "bob"), "bob", built)
    assert run_id is None and last.phase is Phase.ERROR and "Nothing was sent" in last.message
