"""Storyboards below the page: a board judged and priced whole, run shot by shot, going on after a crash.

Against the simulator as a real HTTP server on loopback, on the server's key; the run service is the
one the page and the API use.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from playground import veo
from playground.runs import (
    BoardInvalid,
    BoardStarted,
    FrameInputs,
    GroupKind,
    Phase,
    Refused,
    RunService,
    cancel_task,
)
from playground.simulator import SimulatorConfig, SimulatorServer
from playground.veo import BoardSettings, Reader, Shot, plan_board, read_shots

from .test_spending import anonymous, driving, service_for

FAST = BoardSettings("veo3.1-fast-official", resolution="1080p")


@pytest.fixture
def board_sim(tmp_path: Path):
    config = SimulatorConfig(queue_seconds=0.2, processing_seconds=0.8, progress_steps=2)
    with SimulatorServer.start_new(tmp_path / "sim", config) as server:
        yield server


def test_a_board_is_priced_and_timed_whole_and_every_later_shot_continues_with_raw() -> None:
    plan = plan_board(FAST, [Shot("a fox wakes", 4), Shot("it runs", 8), Shot("it leaps", 6)])
    assert plan.ok and [s.cost for s in plan.shots] == [0.32, 0.64, 0.48] and plan.total == 1.44
    assert plan.duration_s == 18
    first, second = (s.built.body for s in plan.shots[:2])
    assert first["action"] == "generate" and "first_frame_image" not in first
    assert second["action"] == "remix" and second["raw"] is True


def test_an_invalid_shot_or_model_is_named_and_the_board_has_no_total() -> None:
    plan = plan_board(FAST, [Shot("a", 4), Shot("b", 5)])
    assert not plan.ok and plan.total is None and plan.problems[0].startswith("Shot 2: ")
    legacy = plan_board(BoardSettings("veo-3.1"), [Shot("a", 4), Shot("b", 4)])
    assert "cannot continue a clip" in legacy.problems[0]
    assert "2 to 10 shots" in plan_board(FAST, [Shot("only one")]).problems[0]
    read = Reader()
    assert read_shots('[{"prompt": "a", "duration": 4}, {"prompt": "b"}]', read) == [Shot("a", 4), Shot("b")]
    assert not read.problems
    read_shots([{"prompt": "a", "length": 4}, {"prompt": "b", "duration": "four"}], read)
    assert [p.message for p in read.problems] == [
        "shot 1: length is not a shot setting (it takes prompt, duration)",
        read.problems[1].message,
    ] and read.problems[1].message.startswith("shot 2: ")


async def _board(service: RunService, shots: list[Shot], visitor=None) -> BoardStarted | BoardInvalid | Refused:
    visitor = visitor or anonymous(1)
    return await service.boards.start(service.connection("", visitor), visitor, FAST, shots, FrameInputs())


async def _until_done(service: RunService, group_id: str, timeout: float = 30) -> None:
    progress = service.boards.progress(group_id)
    assert progress is not None
    async with asyncio.timeout(timeout):
        while not progress.done:
            await progress.wait()


async def test_shots_run_in_order_each_continuing_the_clip_before(tmp_path: Path, board_sim: SimulatorServer) -> None:
    async with driving(service_for(tmp_path, board_sim)) as service:
        started = await _board(service, [Shot("a kite rises", 4), Shot("it loops", 4), Shot("it lands", 4)])
        assert isinstance(started, BoardStarted)
        await _until_done(service, started.group_id)
        records = await service.group_runs(anonymous(1), started.group_id)
    assert [r.phase for r in records] == [Phase.COMPLETED] * 3
    assert all(r.group_kind == GroupKind.STORYBOARD for r in records)
    sent = [s.body for s in board_sim.sim.submissions()]
    assert [b["prompt"] for b in sent] == ["a kite rises", "it loops", "it lands"], "each shot sent once, in order"
    assert sent[1]["first_frame_image"] == records[0].urls[0] and sent[2]["first_frame_image"] == records[1].urls[0]


async def test_a_refused_board_sends_nothing(tmp_path: Path, board_sim: SimulatorServer) -> None:
    async with driving(service_for(tmp_path, board_sim, budget_per_visitor=1.0)) as service:
        invalid = await _board(service, [Shot("a", 4), Shot("b", 5)])
        over = await _board(service, [Shot("a", 8), Shot("b", 8)])  # $1.28 on a $1 cap, though shot 1 fits
        assert isinstance(invalid, BoardInvalid) and "Shot 2" in invalid.message
        assert isinstance(over, Refused)
        assert await service.store.call(service.store.history, anonymous(1).owner) == []
    assert board_sim.sim.submissions() == []


async def test_a_shot_that_fails_stops_the_board_and_the_rest_cost_nothing(
    tmp_path: Path, board_sim: SimulatorServer
) -> None:
    async with driving(service_for(tmp_path, board_sim)) as service:
        board_sim.sim.faults.fail_next_task("the scene was filtered", "safety")
        started = await _board(service, [Shot("a", 4), Shot("b", 4), Shot("c", 4)])
        assert isinstance(started, BoardStarted)
        await _until_done(service, started.group_id)
        records = await service.group_runs(anonymous(1), started.group_id)
    assert records[0].phase == Phase.FAILED
    assert [(r.phase, r.charged) for r in records[1:]] == [(Phase.CANCELLED, False)] * 2
    assert len(board_sim.sim.submissions()) == 1


async def test_after_a_crash_the_board_goes_on_from_the_next_shot_and_sends_none_twice(
    tmp_path: Path, board_sim: SimulatorServer
) -> None:
    board_sim.sim.config.processing_seconds = 2.0
    first = service_for(tmp_path, board_sim)
    started = await _board(first, [Shot("one", 4), Shot("two", 4), Shot("three", 4)])
    assert isinstance(started, BoardStarted)
    owner = anonymous(1).owner
    async with asyncio.timeout(30):  # shot 1 done, shot 2 with the provider
        while len(board_sim.sim.submissions()) < 2:
            await asyncio.sleep(0.05)
    await first.boards.close()  # the process dies: nothing of it runs on
    await first.tracker.close()
    async with driving(service_for(tmp_path, board_sim)) as second:
        await second.resume_after_restart()
        await _until_done(second, started.group_id, timeout=40)
        records = await second.group_runs(owner, started.group_id)
    assert [r.phase for r in records] == [Phase.COMPLETED] * 3
    prompts = [s.body["prompt"] for s in board_sim.sim.submissions()]
    assert prompts == ["one", "two", "three"], "no shot is sent twice"
    assert board_sim.sim.submissions()[2].body["first_frame_image"] == records[1].urls[0]


async def test_rerunning_shot_two_replaces_shots_two_and_three_only(tmp_path: Path, board_sim: SimulatorServer) -> None:
    visitor = anonymous(1)
    async with driving(service_for(tmp_path, board_sim)) as service:
        started = await _board(service, [Shot("one", 4), Shot("two", 4), Shot("three", 6)])
        assert isinstance(started, BoardStarted)
        await _until_done(service, started.group_id)
        before = await service.group_runs(visitor, started.group_id)
        assert await service.boards.rerun_cost(visitor.owner, started.group_id, 1) == 0.32 + 0.48
        again = await service.boards.rerun_from(service.connection("", visitor), visitor, started.group_id, 1)
        assert isinstance(again, BoardStarted)
        await _until_done(service, started.group_id)
        after = await service.group_runs(visitor, started.group_id)
        joined = await service.boards.joined(visitor.owner, started.group_id)
    assert after[0].run_id == before[0].run_id, "shot 1 is kept"
    assert [r.run_id for r in after[1:]] != [r.run_id for r in before[1:]]
    assert [r.phase for r in after] == [Phase.COMPLETED] * 3
    prompts = [s.body["prompt"] for s in board_sim.sim.submissions()]
    assert prompts == ["one", "two", "three", "two", "three"], "shot 1 is not made again"
    assert board_sim.sim.submissions()[3].body["first_frame_image"] == before[0].urls[0]
    assert joined is not None and abs(joined.duration_s - 14) < 0.1


async def test_cancelling_a_board_stops_it_and_the_shots_not_made_cost_nothing(
    tmp_path: Path, board_sim: SimulatorServer
) -> None:
    board_sim.sim.config.queue_seconds = 30
    visitor = anonymous(1)
    async with driving(service_for(tmp_path, board_sim)) as service:
        started = await _board(service, [Shot("one", 4), Shot("two", 4), Shot("three", 4)])
        assert isinstance(started, BoardStarted)
        async with asyncio.timeout(15):
            while not (shots := await service.group_runs(visitor, started.group_id))[0].task_id:
                await asyncio.sleep(0.05)
        assert await service.boards.cancel(visitor.owner, started.group_id)
        async with service.connection("", visitor).client(service.settings) as client:
            said = await cancel_task(client, shots[0].task_id or "")  # the page's Cancel does both
        await _until_done(service, started.group_id)
        records = await service.group_runs(visitor, started.group_id)
    assert "$0.32 refunded" in said
    assert [(r.phase, r.charged) for r in records] == [(Phase.CANCELLED, False)] * 3
    assert len(board_sim.sim.submissions()) == 1, "no shot after the cancel is sent"


def test_every_board_model_can_start_and_continue() -> None:
    assert veo.board_models() == [m.id for m in veo.models_for_action("remix")]
