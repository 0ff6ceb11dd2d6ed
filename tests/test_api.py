"""The documented gradio_client endpoints, against the running app in demo mode."""

from __future__ import annotations

import av
import pytest
from gradio_client import Client, handle_file
from PIL import Image

from .conftest import RunningApp


@pytest.fixture(scope="module")
def client(app: RunningApp) -> Client:
    return Client(app.url, verbose=False)


def _png(path, colour) -> str:
    Image.new("RGB", (1280, 720), colour).save(path)
    return str(path)


def _first_frame_rgb(video_path: str) -> tuple[float, float, float]:
    with av.open(video_path) as container:
        frame = next(container.decode(video=0)).to_image().convert("RGB").resize((32, 18))
    pixels = list(frame.get_flattened_data())
    return tuple(sum(p[i] for p in pixels) / len(pixels) for i in range(3))


def test_endpoints_are_named_and_documented(client: Client) -> None:
    endpoints = client.view_api(return_format="dict", print_info=False)["named_endpoints"]
    assert set(endpoints) == {
        "/generate",
        "/image2video",
        "/first_last_frame",
        "/remix",
        "/estimate",
        "/compare",
        "/compare_estimate",
        "/storyboard",
        "/storyboard_estimate",
        "/share",
        "/unshare",
        # The agent tools (tests/test_mcp.py), plain endpoints as well.
        "/list_models",
        "/estimate_cost",
        "/start_video",
        "/get_video",
        "/cancel_video",
    }


@pytest.mark.parametrize(
    "kwargs,total",
    [
        (dict(model="veo3.1-fast-official", duration=8, resolution="1080p", generate_audio=False), 0.64),
        (dict(model="veo3.1-fast-official", duration=8, resolution="4k", generate_audio=True), 2.24),
        (
            dict(model="veo3.1-quality-official", duration=4, resolution="720p", generate_audio=True, sample_count=3),
            3.84,
        ),
        (dict(model="veo3.1-quality-official", duration=8, resolution="4k", generate_audio=True), 3.84),
    ],
)
def test_estimate_matches_the_seed_table(client: Client, kwargs: dict, total: float) -> None:
    answer = client.predict(api_name="/estimate", **kwargs)
    assert answer["price_set"] and answer["total_usd"] == pytest.approx(total) and not answer["problems"]


def test_estimate_of_a_per_call_tier_reads_price_not_set(client: Client) -> None:
    answer = client.predict(api_name="/estimate", model="veo3.1-lite")
    assert answer["price_set"] is False and answer["summary"].startswith("Price not set")


def test_generate_returns_every_sample_and_the_final_task(client: Client) -> None:
    videos, task = client.predict(
        "A paper boat on a stream", api_name="/generate", duration=4, resolution="720p", sample_count=2
    )
    assert len(videos) == 2 and task["status"] == "completed" and len(task["result"]["videos"]) == 2
    with av.open(videos[0]) as container:
        assert float(container.duration / av.time_base) == pytest.approx(4, abs=0.15)


def test_image2video_uses_the_uploaded_image_as_first_frame(client: Client, tmp_path) -> None:
    videos, task = client.predict(
        "The red wall slowly fades",
        api_name="/image2video",
        first_frame=handle_file(_png(tmp_path / "red.png", (220, 20, 20))),
        duration=4,
        resolution="720p",
    )
    r, g, b = _first_frame_rgb(videos[0])
    assert r > 150 and g < 80 and b < 80 and task["action"] == "image2video"


def test_first_last_frame_and_remix_of_its_result(client: Client, tmp_path) -> None:
    videos, task = client.predict(
        "Red turns to blue",
        api_name="/first_last_frame",
        first_frame=handle_file(_png(tmp_path / "r.png", (220, 20, 20))),
        last_frame=handle_file(_png(tmp_path / "b.png", (20, 20, 220))),
        duration=4,
        resolution="720p",
    )
    assert task["status"] == "completed"
    source = task["result"]["videos"][0]["url"][0]
    remixed, remix_task = client.predict(
        "Keep going", source, api_name="/remix", duration=4, resolution="720p", raw=True
    )
    assert remix_task["action"] == "remix" and remixed
    r, g, b = _first_frame_rgb(remixed[0])  # the continuation starts where the blue clip ended
    assert b > 150 and r < 80


def test_invalid_request_is_refused_before_anything_is_sent(client: Client, app: RunningApp) -> None:
    before = len(app.sim.submissions())
    with pytest.raises(Exception) as err:
        client.predict("x", api_name="/generate", model="veo3.1-lite", duration=4)
    assert "8-second videos only" in str(err.value)
    assert len(app.sim.submissions()) == before
