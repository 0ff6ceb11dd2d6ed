"""Nothing paid for is lost when the server dies, and a budget refuses before anything is sent.

The app runs as `python app.py` in its own process with a server key, against the simulator in
this process (so the simulator, like the real provider, outlives the app). It is killed with
SIGKILL mid-task and started again on the same data folder.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from gradio_client import Client

from playground.app import create_playground
from playground.runs import Leases, RunStore
from playground.runs.leases import run_lease
from playground.settings import Settings
from playground.simulator import SimulatorServer

from .conftest import TEST_KEY
from .processes import die_with_parent, free_port

ROOT = Path(__file__).resolve().parent.parent


def start_app(data_dir: Path, sim_url: str, port: int, wait: bool = True, **extra: str) -> subprocess.Popen:
    """``python app.py`` on the server's key, as an operator starts it; ``extra`` adds to its environment."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WAVE_", "SPACE_", "PUBLIC_BASE", "HF_"))}
    env.update(
        WAVE_API_KEY=TEST_KEY,
        WAVE_BASE_URL=sim_url,
        PLAYGROUND_DATA_DIR=str(data_dir),
        GRADIO_SERVER_NAME="127.0.0.1",
        GRADIO_SERVER_PORT=str(port),
        GRADIO_ANALYTICS_ENABLED="False",
        PUBLIC_BASE_URL="none",
        **extra,
    )
    # Its output goes to a file: a pipe nobody reads until the end fills up and blocks the app's logging.
    log_path = data_dir.with_name(f"{data_dir.name}-app-{port}.log")
    with log_path.open("ab") as log:
        proc = subprocess.Popen(
            [sys.executable, "app.py"],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=die_with_parent,
        )
    proc.log_path = log_path  # type: ignore[attr-defined]
    if wait:
        wait_until_up(proc, port)
    return proc


def wait_until_up(proc: subprocess.Popen, port: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"app.py exited early:\n{app_log(proc)}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    proc.kill()
    raise AssertionError(f"app.py did not answer within 60 s:\n{app_log(proc)}")


def app_log(proc: subprocess.Popen) -> str:
    """The last of what a started app printed."""
    return proc.log_path.read_text(errors="replace")[-4000:]


def wait_for(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def test_a_task_survives_the_app_being_killed_and_restarted(slow_sim: SimulatorServer, tmp_path: Path) -> None:
    data = tmp_path / "data"
    port = free_port()
    app = start_app(data, slow_sim.base_url, port)
    try:
        Client(f"http://127.0.0.1:{port}/", verbose=False).submit(
            "a paper boat in the rain", "veo3.1-fast-official", 4, api_name="/generate"
        )
        wait_for(lambda: slow_sim.sim.submissions(), 30, "the submission")
        store = RunStore(data / "history.sqlite3")
        wait_for(lambda: any(r.task_id for r in store.unfinished()), 10, "the task id in the history")
    finally:
        app.send_signal(signal.SIGKILL)  # no shutdown hooks: as a crash or a Space eviction
        app.wait(10)
    (record,) = store.unfinished()
    app = start_app(data, slow_sim.base_url, port)
    try:
        done = wait_for(
            lambda: (r := store.get(record.run_id)) and r.phase == "completed" and r, 60, "the resumed run to complete"
        )
    finally:
        app.terminate()
        app.wait(10)
    assert len(slow_sim.sim.submissions()) == 1, "resuming must never submit the task again"
    video = Path(done.files[0])
    assert video.exists() and video.read_bytes()[4:8] == b"ftyp"
    assert done.poster and Path(done.poster).exists()


@pytest.mark.slow
def test_a_stop_signal_closes_the_app_and_lets_go_of_its_runs(slow_sim: SimulatorServer, tmp_path: Path) -> None:
    """SIGINT (Docker's STOPSIGNAL) and SIGTERM (an orchestrator's) close the app cleanly, at any moment.

    Signalled the moment it first answers, it may still be in Gradio's own start-up checks; signalled
    mid-run, the run stays in the history, unfinished, with no lease held: the next replica (or this one
    started again) follows it at once instead of waiting for the lease to run out.
    """
    data, port = tmp_path / "data", free_port()
    app = start_app(data, slow_sim.base_url, port)  # returns at the first HTTP 200
    app.send_signal(signal.SIGINT)
    assert app.wait(10) == 0, app_log(app)
    assert "Traceback" not in app_log(app), app_log(app)

    app = start_app(data, slow_sim.base_url, port)
    store = RunStore(data / "history.sqlite3")
    try:
        Client(f"http://127.0.0.1:{port}/", verbose=False).submit(
            "a paper boat in the rain", "veo3.1-fast-official", 4, api_name="/generate"
        )
        (record,) = wait_for(lambda: [r for r in store.unfinished() if r.task_id], 30, "the task id in the history")
        leases = Leases(store.db, "someone else")
        assert leases.holding(run_lease(record.run_id)) is not None, "the app holds the run it follows"
        stopped = time.monotonic()
        app.send_signal(signal.SIGTERM)
        assert app.wait(10) == 0, app_log(app)
        assert "Traceback" not in app_log(app) and " ERROR " not in app_log(app), app_log(app)
    finally:
        if app.poll() is None:
            app.kill()
            app.wait(10)
    assert time.monotonic() - stopped < 10
    assert leases.holding(run_lease(record.run_id)) is None, "its lease is let go, not left to run out"
    assert store.get(record.run_id).phase in ("queued", "processing"), "the run is left for the next replica"
    assert leases.claim(run_lease(record.run_id)), "another replica may follow it at once"
    assert len(slow_sim.sim.submissions()) == 1


def test_a_budget_cap_refuses_before_sending(sim: SimulatorServer, tmp_path: Path) -> None:
    settings = Settings(api_key=TEST_KEY, base_url=sim.base_url, budget_total=0.5, data_dir=tmp_path)
    playground = create_playground(settings, env={})
    _, url, _ = playground.launch(prevent_thread_lock=True, quiet=True)
    try:
        client = Client(url, verbose=False)
        with pytest.raises(Exception, match=r"Budget reached.*\$0\.64.*\$0\.00 of its \$0\.50"):
            client.predict("a lighthouse", "veo3.1-fast-official", 8, api_name="/generate")
        assert sim.sim.submissions() == []
        client.predict("a lighthouse", "veo3.1-fast-official", 4, api_name="/generate")  # $0.32 fits
        with pytest.raises(Exception, match=r"Budget reached.*\$0\.32 of its \$0\.50"):
            client.predict("a lighthouse", "veo3.1-fast-official", 4, api_name="/generate")
        assert len(sim.sim.submissions()) == 1
    finally:
        playground.close()
