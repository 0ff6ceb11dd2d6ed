"""Compare grids below the page: every cell judged and priced as a tab would, the budget checked
against the whole grid at once, each cell an ordinary run of one group, against the simulator."""

from __future__ import annotations

from pathlib import Path

from playground import veo
from playground.runs import GroupKind, GroupStarted, Phase, Refused
from playground.simulator import SimulatorServer
from playground.veo import Reader, Variant, plan_grid, read_variants

from .test_spending import anonymous, driving, final, service_for, spent

FAST, QUALITY = "veo3.1-fast-official", "veo3.1-quality-official"


def test_each_cell_is_priced_from_the_table_and_the_grid_totals_them() -> None:
    plan = plan_grid("generate", "a kite", [Variant(FAST, duration=4), Variant(QUALITY, duration=4)])
    assert plan.ok and [c.cost for c in plan.cells] == [0.32, 0.64] and plan.total == 0.96
    assert plan.labels == [FAST, QUALITY]  # named by what differs


def test_an_invalid_cell_is_named_and_the_grid_has_no_total() -> None:
    plan = plan_grid("generate", "a kite", [Variant(FAST), Variant("veo-3.1", duration=5)])
    assert not plan.ok and plan.total is None
    assert plan.problems[0].startswith("Variant 2 (veo-3.1 · 5 s): 5 s is not offered by veo-3.1")
    assert not plan_grid("generate", "x", []).ok
    assert "at most 8" in plan_grid("generate", "x", [Variant("veo-3.1", seed=i) for i in range(9)]).problems[0]


def test_variants_are_read_strictly_and_problems_say_which_variant() -> None:
    read = Reader()
    variants = read_variants('[{"model": "veo3.1-fast-official", "seed": 3}, {"model": 1}, {"fps": 30}, 7]', read)
    messages = [p.message for p in read.problems]
    assert variants[0] == Variant(FAST, seed=3)
    assert any(m.startswith("variant 2: model") for m in messages)
    assert any(m.startswith("variant 3: fps is not a setting") for m in messages)
    assert any(m.startswith("variant 4 must be an object") for m in messages)
    read = Reader()
    assert read_variants("not json", read) == [] and read.problems


def test_quick_variants_fit_each_model() -> None:
    models = veo.every_model("image2video", Variant(FAST, duration=4, resolution="4k"))
    assert {v.model for v in models} == {m.id for m in veo.models_for_action("image2video")}
    assert plan_grid("generate", "x", models).ok  # each nudged to what its model takes
    assert [v.seed for v in veo.seeds(Variant("veo-3.1"), 40, 3)] == [40, 41, 42]
    res = veo.resolutions("generate", Variant(FAST, duration=4))
    assert [v.resolution for v in res] == ["720p", "1080p", "4k"] and plan_grid("generate", "x", res).ok


async def test_a_grid_runs_as_one_group_of_ordinary_runs(tmp_path: Path, sim: SimulatorServer) -> None:
    service = service_for(tmp_path, sim)
    visitor = anonymous(1)
    plan = plan_grid("generate", "a kite", [Variant(FAST, duration=4), Variant("veo-3.1", duration=4, seed=7)])
    async with driving(service):
        conn = service.connection("", visitor)
        started = await service.start_group(conn, visitor, [c.built for c in plan.cells], GroupKind.COMPARE)
        assert isinstance(started, GroupStarted)
        finals = [await final(run) for run in started.runs]
        assert [f.phase for f in finals] == [Phase.COMPLETED, Phase.COMPLETED]
        records = await service.group_runs(visitor, started.group_id)
        assert [r.group_index for r in records] == [0, 1] and records[1].request["seed"] == 7
        assert await service.group_runs(anonymous(2), started.group_id) == []  # nobody else's
    assert len(sim.sim.submissions()) == 2


async def test_the_budget_is_checked_against_the_whole_grid(tmp_path: Path, sim: SimulatorServer) -> None:
    service = service_for(tmp_path, sim, budget_per_visitor=1.0)
    visitor = anonymous(1)
    four = [Variant(FAST, duration=4, aspect_ratio=r) for r in ("16:9", "9:16") * 2]  # $1.28 > $1
    async with driving(service):
        conn = service.connection("", visitor)
        refused = await service.start_group(
            conn, visitor, [c.built for c in plan_grid("generate", "k", four).cells], GroupKind.COMPARE
        )
        assert isinstance(refused, Refused) and "Nothing was sent" in refused.message
        assert sim.sim.submissions() == [] and spent(service.store) == 0
        three = [c.built for c in plan_grid("generate", "k", four[:3]).cells]
        assert isinstance(await service.start_group(conn, visitor, three, GroupKind.COMPARE), GroupStarted)


async def test_a_grid_is_one_start_for_the_rate_limit(tmp_path: Path, sim: SimulatorServer) -> None:
    service = service_for(tmp_path, sim, runs_per_minute=2)
    visitor = anonymous(1)
    grid = plan_grid("generate", "k", [Variant("veo-3.1", duration=4, seed=i) for i in range(8)])
    eight = [c.built for c in grid.cells]
    async with driving(service):
        conn = service.connection("", visitor)
        assert isinstance(await service.start_group(conn, visitor, eight, GroupKind.COMPARE), GroupStarted)
        assert isinstance(await service.start_group(conn, visitor, eight[:2], GroupKind.COMPARE), GroupStarted)
        assert isinstance(await service.start_group(conn, visitor, eight[:1], GroupKind.COMPARE), Refused)
