"""A storyboard outlives the server: SIGKILLed while shot 1 renders, it goes on at shot 2 after a restart.

``python app.py`` on a server key against the simulator in this process (which, like the provider,
outlives the app); killed with SIGKILL, no shutdown hooks, and started again on the same data folder.
"""

from __future__ import annotations

import json
import signal
from pathlib import Path

import pytest
from gradio_client import Client

from playground.runs import GroupKind, RunStore
from playground.simulator import SimulatorConfig, SimulatorServer

from .processes import free_port
from .test_restart import start_app, wait_for

pytestmark = pytest.mark.slow

SHOTS = [{"prompt": p, "duration": 4} for p in ("shot one: a kite rises", "shot two: it loops", "shot three: it lands")]


def test_a_board_killed_during_shot_one_goes_on_at_shot_two_and_sends_none_twice(tmp_path: Path) -> None:
    config = SimulatorConfig(queue_seconds=0.3, processing_seconds=3.0, progress_steps=3)
    with SimulatorServer.start_new(tmp_path / "sim", config) as sim:
        data, port = tmp_path / "data", free_port()
        store = RunStore(data / "history.sqlite3")

        def board() -> list:
            runs = [r for r in store.unfinished() if r.group_kind == GroupKind.STORYBOARD]
            return store.group(runs[0].owner, runs[0].group_id or "") if runs else []

        app = start_app(data, sim.base_url, port)
        try:
            Client(f"http://127.0.0.1:{port}/", verbose=False).submit(
                json.dumps(SHOTS), "veo3.1-fast-official", "1080p", api_name="/storyboard"
            )
            # Shot 1 is with the provider; shots 2 and 3 wait in the history for the clip before them.
            shots = wait_for(lambda: (b := board()) and b[0].task_id and b, 30, "shot 1 with the provider")
        finally:
            app.send_signal(signal.SIGKILL)
            app.wait(10)
        assert [r.phase for r in shots[1:]] == ["waiting", "waiting"]
        app = start_app(data, sim.base_url, port)
        try:
            owner, group = shots[0].owner, shots[0].group_id or ""

            def completed() -> list:
                runs = store.group(owner, group)
                return runs if all(r.phase == "completed" for r in runs) else []

            done = wait_for(completed, 90, "every shot to complete after the restart")
        finally:
            app.terminate()
            app.wait(10)
    prompts = [s.body["prompt"] for s in sim.sim.submissions()]
    assert prompts == [s["prompt"] for s in SHOTS], "each shot sent once, in order, across the restart"
    sent = [s.body for s in sim.sim.submissions()]
    assert sent[1]["first_frame_image"] == done[0].urls[0] and sent[2]["first_frame_image"] == done[1].urls[0]
    assert all(Path(r.files[0]).is_file() for r in done)
