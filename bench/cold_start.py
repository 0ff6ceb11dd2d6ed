"""The ``cold-start`` section: seconds from launching ``app.py`` in demo mode to its first HTTP 200,
beside a bare Gradio Blocks hello-world launched the same way (best of ``--runs`` each)."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from tests.processes import free_port

from .report import REPO, Figure, note

HELLO_WORLD = 'import gradio as gr\nwith gr.Blocks() as demo:\n    gr.Markdown("Hello")\ndemo.launch()\n'


def seconds_to_first_200(script: Path, data_dir: Path, timeout: float = 120.0) -> float:
    """Launch ``script`` as `python script` would be launched, and time it to its first HTTP 200."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WAVE_", "GRADIO_"))}
    env.update(
        GRADIO_SERVER_PORT=str(port),
        GRADIO_SERVER_NAME="127.0.0.1",
        WAVE_DEMO="1",
        PLAYGROUND_DATA_DIR=str(data_dir),
        GRADIO_ANALYTICS_ENABLED="False",
    )
    url = f"http://127.0.0.1:{port}/"
    started = time.monotonic()
    process = subprocess.Popen(
        [sys.executable, str(script)], cwd=script.parent, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        with httpx.Client(timeout=2.0) as http:
            while time.monotonic() - started < timeout:
                if process.poll() is not None:
                    raise RuntimeError(f"{script.name} exited with {process.returncode} before answering")
                try:
                    if http.get(url).status_code == 200:
                        return time.monotonic() - started
                except httpx.TransportError:
                    pass
                time.sleep(0.02)
        raise RuntimeError(f"{script.name} did not answer within {timeout:g} s")
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def cold_start(runs_each: int = 3) -> list[Figure]:
    with tempfile.TemporaryDirectory(prefix="bench-cold-") as tmp:
        hello = Path(tmp) / "hello_world.py"
        hello.write_text(HELLO_WORLD)
        app_times: list[float] = []
        hello_times: list[float] = []
        for attempt in range(runs_each):  # alternated, so a busy moment hurts both alike
            app_times.append(seconds_to_first_200(REPO / "app.py", Path(tmp) / f"data-{attempt}"))
            hello_times.append(seconds_to_first_200(hello, Path(tmp) / f"hello-{attempt}"))
            note(f"cold start {attempt + 1}: app.py {app_times[-1]:.2f} s, hello world {hello_times[-1]:.2f} s")
    best_app, best_hello = min(app_times), min(hello_times)
    return [
        Figure("cold-start", "app.py to first HTTP 200 (best)", best_app, "s"),
        Figure("cold-start", "hello-world Blocks to first HTTP 200 (best)", best_hello, "s"),
        Figure("cold-start", "ratio app / hello world", best_app / best_hello, "", 1.2),
    ]
