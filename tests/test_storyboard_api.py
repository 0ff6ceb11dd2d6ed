"""``/storyboard_estimate`` and ``/storyboard`` through ``gradio_client``, against the app in demo mode."""

from __future__ import annotations

import io

import av
import httpx
import pytest
from gradio_client import Client

from .conftest import RunningApp

SHOTS = [{"prompt": "a paper boat sets off", "duration": 4}, {"prompt": "it drifts under a bridge", "duration": 4}]


@pytest.fixture(scope="module")
def client(app: RunningApp) -> Client:
    return Client(app.url, verbose=False)


def _seconds(data: bytes) -> float:
    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.video[0]
        frames = sum(1 for _ in container.demux(stream) if _.size)
        return frames / float(stream.average_rate)


def test_the_estimate_prices_and_times_the_whole_board_and_sends_nothing(client: Client, app: RunningApp) -> None:
    before = len(app.sim.submissions())
    shots = [*SHOTS, {"prompt": "it reaches the sea", "duration": 8}]
    answer = client.predict(shots, "veo3.1-fast-official", "1080p", api_name="/storyboard_estimate")
    assert [s["cost_usd"] for s in answer["shots"]] == [0.32, 0.32, 0.64] and answer["total_usd"] == 1.28
    assert answer["duration_s"] == 16 and answer["problems"] == []
    bad = client.predict(
        [SHOTS[0], {"prompt": "x", "duration": 5}], "veo3.1-fast-official", api_name="/storyboard_estimate"
    )
    assert bad["total_usd"] is None and bad["problems"][0].startswith("Shot 2: ")
    assert len(app.sim.submissions()) == before


def test_a_refused_board_raises_the_same_words_and_sends_nothing(client: Client, app: RunningApp) -> None:
    before = len(app.sim.submissions())
    with pytest.raises(Exception, match="Not submitted: .*cannot continue a clip"):
        client.predict(SHOTS, "veo-3.1", api_name="/storyboard")
    with pytest.raises(Exception, match="2 to 10 shots"):
        client.predict(SHOTS[:1], "veo3.1-fast-official", api_name="/storyboard")
    assert len(app.sim.submissions()) == before


def test_a_board_plays_as_one_video_as_long_as_its_shots(client: Client, app: RunningApp) -> None:
    before = len(app.sim.submissions())
    answer = client.predict(SHOTS, "veo3.1-fast-official", "1080p", api_name="/storyboard")
    assert [s["status"] for s in answer["shots"]] == ["completed", "completed"]
    assert answer["total_usd"] == 0.64 and abs(answer["duration_s"] - 8) < 0.1
    sent = [s.body for s in app.sim.submissions()[before:]]
    assert [b["action"] for b in sent] == ["generate", "remix"] and sent[1]["raw"] is True
    video = httpx.get(app.url + answer["video"] if answer["video"].startswith("/") else answer["video"], timeout=30)
    assert video.status_code == 200 and abs(_seconds(video.content) - 8) < 0.1, "the joined video is both shots"
    for shot in answer["shots"]:
        clip = httpx.get(app.url + shot["video"] if shot["video"].startswith("/") else shot["video"], timeout=30)
        assert clip.status_code == 200 and abs(_seconds(clip.content) - 4) < 0.1
