"""The visitor's key never leaks: not into logs, the page's HTML, error messages, the request JSON, the
curl display, the gradio_client answers, the page's own files or the run history.

Every path is driven with a recognisable key (one per path, all sharing a random canary core): the
success path, each error the service gives, each fault of ``test_faults``, and the same again through
the whole app's documented endpoints. Everything a person or an operator could see is collected and
searched for each key, its canary core and their base64 forms. Logging runs at DEBUG for the root,
httpx, httpcore, uvicorn, gradio and playground loggers; stdout and stderr are searched too.

The two-browser part (each request carries its own visitor's key; neither page shows the other's
tasks) is in ``test_browser_secrets.py``.

``python -m pytest tests/test_secrets.py -s`` prints the figures at the end.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import secrets
import traceback
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from gradio_client import Client

from playground.runs.engine import RunUpdate, attach_task, cancel_task, curl_command, run_task
from playground.simulator import SimulatorConfig, SimulatorServer, key_fingerprint
from playground.veo import FormValues, build_request
from playground.wave import RetryPolicy, WaveClient
from playground.web.view import status_panel

from .test_faults import CASES, Outcome, fast_downloads, fast_poll, rendered_once, run_cases
from .visitor_app import VisitorApp, visitor_app

#: Shared by every key of the run, so a leak of any of them, whole or cut, is found by one search.
CANARY = f"LEAKCANARY{secrets.token_hex(12)}"
LOGGERS = (
    "",
    "httpx",
    "httpcore",
    "uvicorn",
    "uvicorn.error",
    "uvicorn.access",
    "gradio",
    "gradio_client",
    "playground",
    "asyncio",
    "fastapi",
)
POLL = fast_poll()


def canary_key(path: str) -> str:
    return f"sk-{CANARY}-{path}"


# --------------------------------------------------------------------------- searching


@dataclass
class Scan:
    """Everything collected, by where it was seen, and the keys to look for."""

    keys: set[str] = field(default_factory=set)
    texts: list[tuple[str, str]] = field(default_factory=list)
    paths: set[str] = field(default_factory=set)

    def add(self, where: str, value: Any) -> None:
        text = value if isinstance(value, str) else json.dumps(value, default=repr, ensure_ascii=False)
        self.texts.append((where, text))

    def needles(self) -> set[str]:
        found = {CANARY, CANARY[:16]}
        for key in self.keys:
            found |= {key, base64.b64encode(key.encode()).decode(), base64.b64encode(f"Bearer {key}".encode()).decode()}
        return found

    def leaks(self) -> list[str]:
        needles = self.needles()
        return [
            f"{where}: …{text[max(0, text.find(n) - 60) : text.find(n) + 60]}…"
            for where, text in self.texts
            for n in needles
            if n in text
        ]


SCAN = Scan()


class Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.lines.append(self.format(record))
        except Exception as exc:  # a record that cannot be formatted is itself worth seeing
            self.lines.append(f"unformattable record from {record.name}: {exc!r}")


@contextmanager
def logs_at_debug() -> Iterator[Collect]:
    handler = Collect()
    saved = {name: logging.getLogger(name).level for name in LOGGERS}
    logging.getLogger().addHandler(handler)
    for name in LOGGERS:
        logging.getLogger(name).setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        logging.getLogger().removeHandler(handler)
        for name, level in saved.items():
            logging.getLogger(name).setLevel(level)


@pytest.fixture(scope="module", autouse=True)
def figures(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    capture = request.config.pluginmanager.getplugin("capturemanager")
    with capture.global_and_fixture_disabled():
        print("\n\nSecrets: figures")
        print(f"  {'paths driven, each with its own key:':38} {len(SCAN.paths)}")
        print(f"  {'texts searched:':38} {len(SCAN.texts)} ({sum(len(t) for _, t in SCAN.texts) / 1e6:.1f} MB)")
        print(f"  {'sources:':38} {', '.join(sorted({w.split(':')[0] for w, _ in SCAN.texts}))}")
        print(f"  {'leaks found:':38} {len(SCAN.leaks())}")


def update_texts(update: RunUpdate) -> Iterable[tuple[str, Any]]:
    """What the page shows of an update (the status panel), and what the update carries."""
    yield "status panel HTML", status_panel(update)
    yield "update message", update.message
    yield "update repr", repr(update)
    if update.task_json is not None:
        yield "task JSON", update.task_json
    if update.error is not None:
        yield "error message", str(update.error)
        yield "error repr", repr(update.error)
        yield "error traceback", "".join(traceback.format_exception(update.error))


def request_texts(base_url: str, body: dict[str, Any]) -> Iterable[tuple[str, Any]]:
    yield "request JSON", json.dumps(body, indent=2, ensure_ascii=False)
    yield "curl display", curl_command(base_url, body)


def _body(**kw: Any) -> dict[str, Any]:
    kw.setdefault("prompt", "A lighthouse in a storm")
    built = build_request(FormValues(duration=4, resolution="720p", **kw))
    assert built.ok
    return built.body


# --------------------------------------------------------------------------- the client and run paths


def test_every_fault_path_keeps_the_key_out_of_sight(tmp_path: Path, capfd: pytest.CaptureFixture) -> None:
    """The 44 fault cases of test_faults, each on its own canary key."""
    config = SimulatorConfig(queue_seconds=0.05, processing_seconds=0.1, progress_steps=2)
    with (
        logs_at_debug() as logs,
        fast_downloads(),
        rendered_once(),
        SimulatorServer.start_new(tmp_path / "sim", config) as sim,
    ):
        results = asyncio.run(run_cases(sim, CASES, tmp_path / "runs", key=lambda c: canary_key(c.name)))
        senders = {r.key for r in sim.sim.requests}
    assert {key_fingerprint(canary_key(c.name)) for c in CASES} <= senders, "a path never used its key"
    for case in CASES:
        SCAN.keys.add(canary_key(case.name))
        SCAN.paths.add(f"fault {case.name}")
        outcome = results[case.name]
        if not isinstance(outcome, Outcome):
            SCAN.add(f"exception: {case.name}", "".join(traceback.format_exception(outcome)))
            continue
        for update in outcome.updates:
            for where, text in update_texts(update):
                SCAN.add(f"{where}: {case.name}", text)
        for where, text in request_texts(sim.base_url, _body()):
            SCAN.add(f"{where}: {case.name}", text)
    _add_logs(logs, capfd)
    leaks = SCAN.leaks()
    assert not leaks, leaks
    assert len(results) == len(CASES) and all(isinstance(r, Outcome) for r in results.values())


@dataclass(frozen=True)
class ErrorPath:
    name: str
    phase: str
    says: str
    body: dict[str, Any] | None = None


ERRORS = [
    ErrorPath("wrong key (401)", "error", "API key was refused"),
    ErrorPath("no balance (402)", "error", "too little balance"),
    ErrorPath(
        "invalid parameters (400)",
        "error",
        "refused the request as invalid",
        body={"model": "veo3.1-lite", "action": "generate", "prompt": "x", "duration": 4},
    ),
    ErrorPath("task failed", "failed", "could not make this video"),
    ErrorPath("content filter", "failed", "safety filter"),
    ErrorPath("key with a space", "error", "cannot be used"),
]


async def _error_path(sim: SimulatorServer, path: ErrorPath, folder: Path) -> list[RunUpdate]:
    key = canary_key(path.name.replace(" ", "-")) if path.name != "key with a space" else f"sk {CANARY} spaced"
    SCAN.keys.add(key)
    owner = key_fingerprint(key)
    if path.name == "no balance (402)":
        sim.config.balances[owner] = 0.0
    if path.name == "task failed":
        sim.faults.fail_next_task("Upstream render error", "task_failed")
    if path.name == "content filter":
        sim.faults.fail_next_task("Blocked by the safety filter", "content_policy_violation")
    if path.name != "wrong key (401)" and sim.config.valid_keys is not None:
        sim.config.valid_keys.add(key)
    async with WaveClient(key, sim.base_url, retry=RetryPolicy(attempts=2, base_delay=0.01)) as client:
        SCAN.add(f"client repr: {path.name}", repr(client))
        return [u async for u in run_task(client, path.body or _body(), folder, POLL)]


async def _cancel_and_lookup_paths(sim: SimulatorServer, folder: Path) -> list[tuple[str, str]]:
    """Cancel a queued task, cancel a started one, look up a task that is not there."""
    key = canary_key("cancel-and-lookup")
    SCAN.keys.add(key)
    sim.config.valid_keys.add(key)
    said: list[tuple[str, str]] = []
    async with WaveClient(key, sim.base_url, retry=RetryPolicy(attempts=2, base_delay=0.01)) as client:
        sim.config.queue_seconds = 5.0
        queued = await client.submit(_body())
        said.append(("cancel queued", await cancel_task(client, queued.id)))
        said.append(("cancel unknown", await cancel_task(client, "task-does-not-exist")))
        async for update in attach_task(client, "task-does-not-exist", folder, POLL):
            for where, text in update_texts(update):
                said.append((f"{where}: attach unknown", text))
        sim.config.queue_seconds = 0.05
    return said


def test_every_error_path_keeps_the_key_out_of_sight(tmp_path: Path, capfd: pytest.CaptureFixture) -> None:
    config = SimulatorConfig(queue_seconds=0.05, processing_seconds=0.1, progress_steps=2, valid_keys=set())
    with logs_at_debug() as logs, SimulatorServer.start_new(tmp_path / "sim", config) as sim:
        finals = {}
        for path in ERRORS:  # one at a time: "the next task fails" must meet the right task
            updates = asyncio.run(_error_path(sim, path, tmp_path / "runs"))
            finals[path.name] = updates[-1]
            SCAN.paths.add(f"error {path.name}")
            for update in updates:
                for where, text in update_texts(update):
                    SCAN.add(f"{where}: {path.name}", text)
        said = asyncio.run(_cancel_and_lookup_paths(sim, tmp_path / "runs"))
    SCAN.paths.update({"cancel queued", "cancel unknown", "attach unknown"})
    for where, text in said:
        SCAN.add(where, text)
    _add_logs(logs, capfd)
    for path in ERRORS:
        assert (finals[path.name].phase, path.says in finals[path.name].message) == (path.phase, True), finals[
            path.name
        ].message
    assert "Cancelled task" in dict(said)["cancel queued"]
    leaks = SCAN.leaks()
    assert not leaks, leaks


def test_the_search_finds_a_planted_key(capfd: pytest.CaptureFixture) -> None:
    """The control: a key put where the suite looks (a log line, stdout, the status panel) is found,
    whole, base64-encoded inside a header, or cut short."""
    key = canary_key("planted")
    scan = Scan(keys={key})
    with logs_at_debug() as logs:
        logging.getLogger("playground.control").debug("sending Authorization: Bearer %s", key)
        print(base64.b64encode(f"Bearer {key}".encode()).decode())
    out, _ = capfd.readouterr()
    scan.add("log records", "\n".join(logs.lines))
    scan.add("stdout", out)
    scan.add("status panel HTML", status_panel(RunUpdate("error", f"refused key {key[:20]}…")))
    assert {leak.split(":")[0] for leak in scan.leaks()} == {"log records", "stdout", "status panel HTML"}


def _add_logs(logs: Collect, capfd: pytest.CaptureFixture) -> None:
    out, err = capfd.readouterr()
    SCAN.add("log records", "\n".join(logs.lines))
    SCAN.add("stdout", out)
    SCAN.add("stderr", err)
    assert any(line.startswith("httpcore") and " DEBUG " in line for line in logs.lines), (
        "no DEBUG lines from httpcore: the capture is not working"
    )


# --------------------------------------------------------------------------- the whole app


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[VisitorApp]:
    folder = tmp_path_factory.mktemp("secrets-app")
    with logs_at_debug() as logs, visitor_app(folder) as running:
        running.service.config.valid_keys = set()
        running.logs = logs  # type: ignore[attr-defined]
        running.folder = folder  # type: ignore[attr-defined]
        yield running


@dataclass(frozen=True)
class ApiPath:
    name: str
    says: str | None  # None: the call succeeds
    kwargs: dict[str, Any] = field(default_factory=dict)
    api: str = "/generate"
    faults: tuple[dict[str, Any], ...] = ()
    accepted: bool = True  # the service knows the key
    balance: float | None = None
    sent: bool = True  # the request reaches the service (with this path's key)


API_PATHS = [
    ApiPath("success", None),
    ApiPath("two samples", None, {"sample_count": 2}),
    # The service answers 401 before its request log sees the request.
    ApiPath("wrong key", "API key was refused", accepted=False, sent=False),
    ApiPath("no balance", "too little balance", balance=0.0),
    ApiPath("refused before sending", "Not submitted", {"duration": 5}, sent=False),
    ApiPath(
        "hostile image link",
        "Not submitted",
        {"first_frame_url": "http://127.0.0.1:9/x.png"},
        api="/image2video",
        sent=False,
    ),
    ApiPath("submit 500", "may have been created", faults=({"route": "submit", "status": 500},)),
    ApiPath("submit reset", "may have been created", faults=({"route": "submit", "kind": "reset"},)),
    ApiPath("poll 503 then fine", None, faults=({"route": "get", "status": 503, "times": 3},)),
    ApiPath("poll reset then fine", None, faults=({"route": "get", "kind": "reset", "times": 2},)),
    ApiPath("task turns 404", "does not know this task", faults=({"route": "get", "kind": "gone", "times": 100},)),
    ApiPath("download 403", "could not be saved", faults=({"route": "media", "status": 403, "times": 10},)),
    ApiPath("download cut then fine", None, faults=({"route": "media", "kind": "cut"},)),
]


def _api_call(client: Client, live: VisitorApp, path: ApiPath) -> Any:
    key = canary_key(path.name.replace(" ", "-"))
    SCAN.keys.add(key)
    owner = key_fingerprint(key)
    if path.accepted:
        live.sim.config.valid_keys.add(key)
    if path.balance is not None:
        live.sim.config.balances[owner] = path.balance
    for fault in path.faults:
        live.sim.faults.add(**fault, owner=owner)
    kwargs = {"duration": 4, "resolution": "720p", "api_key": key, **path.kwargs}
    return client.submit("A lighthouse in a storm", api_name=path.api, **kwargs)


def test_the_endpoints_never_show_the_key(live: VisitorApp, capfd: pytest.CaptureFixture) -> None:
    client = Client(live.url, verbose=False)
    jobs = {p.name: _api_call(client, live, p) for p in API_PATHS}
    answers: dict[str, tuple[str, Any]] = {}
    for name, job in jobs.items():
        try:
            answers[name] = ("ok", job.result(timeout=60))
        except Exception as exc:
            answers[name] = ("refused", f"{exc}\n{exc!r}")
    failed = _failed_task_through_the_api(client, live)
    answers[failed[0]] = failed[1]
    for name, (kind, answer) in answers.items():
        SCAN.paths.add(f"api {name}")
        SCAN.add(f"gradio_client answer: {name}", answer)
        if kind == "ok":
            SCAN.add(f"saved video names: {name}", [str(p) for p in answer[0]])
    _add_page_and_files(live)
    _add_logs(live.logs, capfd)  # type: ignore[attr-defined]
    senders = {r.key for r in live.sim.requests}
    for path in API_PATHS:
        fingerprint = key_fingerprint(canary_key(path.name.replace(" ", "-")))
        assert (fingerprint in senders) == path.sent, f"{path.name}: the service saw its key: {not path.sent}"
        kind, answer = answers[path.name]
        assert kind == ("ok" if path.says is None else "refused"), f"{path.name}: {answer}"
        if path.says:
            assert path.says in answer, f"{path.name}: {answer}"
    leaks = SCAN.leaks()
    assert not leaks, leaks


def _failed_task_through_the_api(client: Client, live: VisitorApp) -> tuple[str, tuple[str, Any]]:
    key = canary_key("task-failed-api")
    SCAN.keys.add(key)
    live.sim.config.valid_keys.add(key)
    live.sim.faults.fail_next_task("Upstream render error", "task_failed")
    try:
        answer = (
            "ok",
            client.predict("A lighthouse in a storm", api_name="/generate", duration=4, resolution="720p", api_key=key),
        )
    except Exception as exc:
        answer = ("refused", f"{exc}\n{exc!r}")
    assert answer[0] == "refused" and "could not make this video" in answer[1], answer
    return "task failed", answer


def _add_page_and_files(live: VisitorApp) -> None:
    """The page as served, its config and API description, and every file the app wrote."""
    with httpx.Client(base_url=live.url, timeout=30) as http:
        for path in ("/", "/config", "/gradio_api/info", "/gradio_api/info?all_endpoints=true"):
            answer = http.get(path)
            assert answer.status_code == 200, path
            SCAN.add(f"served {path}", answer.text)
    written = [p for p in live.folder.rglob("*") if p.is_file()]  # type: ignore[attr-defined]
    assert any(p.suffix in (".sqlite3", ".db") for p in written), "the run history was not found"
    for p in written:
        if p.suffix != ".mp4":
            SCAN.add(f"file {p.name}", p.read_bytes().decode("latin-1"))
