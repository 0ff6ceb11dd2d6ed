"""The compare grid's named endpoints (issue 17), ``/compare_estimate`` and ``/compare``, over gradio_client.

One demo app with a fast embedded simulator serves most cases; its simulator's request log shows what
was sent. Budgets apply only to runs on the server's key, so the budget case gets an app of its own on
that key, in front of the test simulator.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from gradio_client import Client, handle_file
from PIL import Image

from playground.app import Playground, create_playground
from playground.settings import Settings
from playground.simulator import SimulatorServer

from .test_visitors import _settings, served

FAST, QUALITY = "veo3.1-fast-official", "veo3.1-quality-official"
#: The newer page's table at 720p without audio: $0.08/s and $0.16/s.
FAST_4S, QUALITY_4S = 0.32, 0.64
#: The older page publishes no prices: the operator's per-second price for veo-3.1 on the demo app.
LEGACY_PER_SECOND = 0.10
#: Two cells the rules refuse: a seed on a model without one, and 4K on a model without 4K.
INVALID = [
    {"model": FAST, "duration": 4},
    {"model": FAST, "duration": 4, "seed": 7},
    {"model": "veo-3.0", "resolution": "4k"},
]


@dataclass
class DemoApp:
    url: str
    playground: Playground

    @property
    def sim(self):  # the embedded simulator: its request log, faults and upload folder
        assert self.playground.simulator is not None
        return self.playground.simulator.sim

    def sent(self) -> int:
        return len(self.sim.submissions())


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoApp]:
    settings = Settings(
        demo=True,
        sim_queue_seconds=0.2,
        sim_processing_seconds=0.4,
        data_dir=tmp_path_factory.mktemp("compare-api"),
        operator_prices={"veo-3.1": LEGACY_PER_SECOND},
    )
    playground = create_playground(settings, env={})
    _, url, _ = playground.launch(prevent_thread_lock=True, quiet=True)
    try:
        yield DemoApp(url.rstrip("/"), playground)
    finally:
        playground.close()


@pytest.fixture(scope="module")
def client(demo: DemoApp) -> Client:
    return Client(demo.url, verbose=False)


def _png(path: Path, colour: tuple[int, int, int]) -> str:
    Image.new("RGB", (1280, 720), colour).save(path)
    return str(path)


def _is_mp4(response: httpx.Response) -> bool:
    kind = response.headers.get("content-type", "")
    return kind.startswith("video/mp4") or response.content[4:8] == b"ftyp"


# -- the endpoints and the estimate --------------------------------------------------------------


def test_both_endpoints_are_named_and_documented(client: Client) -> None:
    endpoints = client.view_api(return_format="dict", print_info=False)["named_endpoints"]
    compare = [p["parameter_name"] for p in endpoints["/compare"]["parameters"]]
    estimate = [p["parameter_name"] for p in endpoints["/compare_estimate"]["parameters"]]
    assert compare == ["prompt", "variants", "action", "first_frame", "last_frame", "api_key"]
    assert estimate == ["prompt", "variants", "action"]


def test_the_estimate_prices_each_cell_from_the_tables_and_sends_nothing(client: Client, demo: DemoApp) -> None:
    before = demo.sent()
    grid = [{"model": FAST, "duration": 4}, {"model": QUALITY, "duration": 4}, {"model": "veo-3.1", "duration": 4}]
    answer = client.predict("A fox in the snow", grid, api_name="/compare_estimate")
    assert [i["cost_usd"] for i in answer["items"]] == pytest.approx([FAST_4S, QUALITY_4S, 4 * LEGACY_PER_SECOND])
    assert answer["total_usd"] == pytest.approx(FAST_4S + QUALITY_4S + 4 * LEGACY_PER_SECOND)
    assert [i["variant"] for i in answer["items"]] == grid
    assert all(i["problems"] == [] for i in answer["items"]) and answer["problems"] == []
    # A model with no price anywhere is a valid cell with no cost, so the grid has no total.
    mixed = [{"model": FAST, "duration": 4}, {"model": "veo-3.0"}]
    unpriced = client.predict("A fox", mixed, api_name="/compare_estimate")
    assert [i["cost_usd"] for i in unpriced["items"]] == [FAST_4S, None] and unpriced["total_usd"] is None
    assert unpriced["problems"] == []
    assert demo.sent() == before


def test_the_estimate_names_what_is_wrong_with_each_cell(client: Client, demo: DemoApp) -> None:
    before = demo.sent()
    answer = client.predict("A fox in the snow", INVALID, api_name="/compare_estimate")
    ok, seeded, four_k = answer["items"]
    assert ok["problems"] == [] and ok["cost_usd"] == pytest.approx(FAST_4S)
    assert "seed" in seeded["problems"][0] and seeded["cost_usd"] is None
    assert "4K" in four_k["problems"][0] and four_k["cost_usd"] is None
    assert answer["total_usd"] is None
    assert [p.split(" (")[0] for p in answer["problems"]] == ["Variant 2", "Variant 3"]
    assert demo.sent() == before


def test_a_json_text_of_variants_reads_as_the_list(client: Client) -> None:
    answer = client.predict("A fox", json.dumps([{"model": QUALITY, "duration": 4}]), api_name="/compare_estimate")
    assert answer["total_usd"] == pytest.approx(QUALITY_4S)


# -- refusals: nothing is sent ---------------------------------------------------------------------


def test_a_refused_grid_raises_the_estimates_problems_and_sends_nothing(client: Client, demo: DemoApp) -> None:
    said = client.predict("A fox in the snow", INVALID, api_name="/compare_estimate")["problems"]
    before = demo.sent()
    with pytest.raises(Exception) as refused:
        client.predict("A fox in the snow", INVALID, api_name="/compare")
    assert str(refused.value) == "Not submitted: " + "; ".join(said)
    assert demo.sent() == before


@pytest.mark.parametrize(
    "variants,words",
    [
        ("[{", "variants must be a list of objects"),
        ('[{"model": "x"}]', "Variant 1 (x): unknown model 'x'"),
        ('[{"durationn": 4}]', "variant 1: durationn is not a setting a variant can change"),
        ([{"model": FAST, "duration": "four"}], "variant 1: duration must be a whole number"),
    ],
)
def test_variants_that_cannot_be_read_are_refused_naming_the_variant(
    client: Client, demo: DemoApp, variants: object, words: str
) -> None:
    before = demo.sent()
    with pytest.raises(Exception) as refused:
        client.predict("A fox", variants, api_name="/compare")
    assert str(refused.value).startswith("Not submitted: ") and words in str(refused.value)
    assert demo.sent() == before


def test_a_frame_the_action_does_not_take_is_refused(client: Client, demo: DemoApp) -> None:
    before = demo.sent()
    with pytest.raises(Exception) as refused:
        client.predict(
            "A fox", [{"model": FAST, "duration": 4}], "generate", "https://example.com/a.png", api_name="/compare"
        )
    assert "first_frame is not used by generate" in str(refused.value)
    assert demo.sent() == before


def test_a_grid_over_the_budget_is_refused_whole(sim: SimulatorServer, tmp_path: Path) -> None:
    settings = _settings(sim, tmp_path, budget_per_visitor=1.0, runs_per_minute=0)
    four = [{"model": FAST, "duration": 4, "aspect_ratio": a} for a in ("16:9", "9:16", "16:9", "9:16")]
    with served(settings) as (url, _ctx):
        client = Client(url, verbose=False)
        with pytest.raises(Exception) as refused:
            client.predict("A kite", four, api_name="/compare")
        assert str(refused.value).startswith("Not submitted: ") and "Nothing was sent" in str(refused.value)
        assert sim.sim.submissions() == [], "4 × $0.32 passes a $1 cap: no cell may be sent"
        answer = client.predict("A kite", four[:3], api_name="/compare")
    assert [i["status"] for i in answer["items"]] == ["completed"] * 3
    assert answer["total_usd"] == pytest.approx(3 * FAST_4S)
    assert len(sim.sim.submissions()) == 3


# -- running ---------------------------------------------------------------------------------------


def test_a_cell_that_fails_upstream_is_an_item_while_the_others_complete(client: Client, demo: DemoApp) -> None:
    # The next two tasks to start processing fail: one billed as usual, one blocked by the safety filter,
    # which the provider does not bill. Which cells they are is the simulator's order, so items are found
    # by how they ended.
    demo.sim.faults.fail_next_task("Upstream render error", "task_failed")
    demo.sim.faults.fail_next_task("Blocked by the safety filter", "content_policy_violation")
    grid = [
        {"model": FAST, "duration": 4},
        {"model": FAST, "duration": 4, "aspect_ratio": "9:16"},
        {"model": QUALITY, "duration": 4},
        {"model": QUALITY, "duration": 4, "aspect_ratio": "9:16"},
    ]
    before = demo.sent()
    answer = client.predict("A lighthouse at dusk", json.dumps(grid), api_name="/compare")
    items = answer["items"]
    assert [i["variant"] for i in items] == grid and demo.sent() == before + 4
    assert sorted(i["status"] for i in items) == ["completed", "completed", "failed", "failed"]
    price = {FAST: FAST_4S, QUALITY: QUALITY_4S}
    (billed,) = [i for i in items if "Upstream render error" in i["message"]]
    (filtered,) = [i for i in items if i["status"] == "failed" and i is not billed]
    assert billed["status"] == "failed" and billed["videos"] == [] and billed["task_id"] in billed["message"]
    assert billed["cost_usd"] == pytest.approx(price[billed["variant"]["model"]]), "the history counts it charged"
    assert "safety filter" in filtered["message"] and filtered["cost_usd"] == 0.0 and filtered["videos"] == []
    completed = [i for i in items if i["status"] == "completed"]
    for item in completed:
        assert item["task_id"] and item["cost_usd"] == pytest.approx(price[item["variant"]["model"]])
        (link,) = item["videos"]
        response = httpx.get(link if link.startswith("http") else demo.url + link, timeout=10)
        assert response.status_code == 200 and _is_mp4(response)
    assert answer["total_usd"] == pytest.approx(sum(i["cost_usd"] for i in items))


def test_an_image_grid_hosts_its_frame_once_for_every_cell(client: Client, demo: DemoApp, tmp_path: Path) -> None:
    uploads = demo.sim.media_dir / "uploads"
    hosted_before = set(uploads.iterdir())
    before = demo.sent()
    answer = client.predict(
        "The wall slowly fades",
        [{"model": FAST, "duration": 4}, {"model": QUALITY, "duration": 4}],
        "image2video",
        handle_file(_png(tmp_path / "teal.png", (20, 160, 150))),
        api_name="/compare",
    )
    assert [i["status"] for i in answer["items"]] == ["completed", "completed"]
    (hosted,) = set(uploads.iterdir()) - hosted_before
    sent = demo.sim.submissions()[before:]
    assert len(sent) == 2
    assert {r.body["first_frame_image"] for r in sent} == {f"{demo.sim.public_url}/uploads/{hosted.name}"}
