"""A provider that echoes the key back never gets it shown, logged or stored (issue 13, finding 2).

The fake provider here answers every call with the request's ``Authorization`` header folded into
what it says: a 400's message and code, a 5xx answer to submit, a 401, a failed task's
``error.message``, extra fields of a task (as a value, as a dictionary key, base64-encoded and
percent-encoded), a task JSON that does not validate, and a cancel refusal. It is driven through
the whole app on the server's key (``gradio_client`` and Chromium) and on a visitor's key; then the
``gradio_client`` errors and answers, the page, the app log at DEBUG and the raw bytes of the
history database are searched for every key, its ``Bearer`` form and their base64.

``python -m pytest tests/test_isolation_redaction.py -s`` prints the figures at the end.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import secrets
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import fastapi
import httpx
import pytest
from fastapi import Request
from fastapi.responses import FileResponse, JSONResponse
from gradio_client import Client
from playwright.sync_api import Browser, Page, expect

from playground.app import Playground, create_playground
from playground.net.loopback import ServerThread
from playground.runs import Connection, cancel_task
from playground.settings import Settings
from playground.simulator.render import RenderSpec, render_video
from playground.wave import MARKER, Redactor, RetryPolicy, WaveClient, errors

from .conftest import opened_page
from .test_browser import choose
from .test_secrets import Collect, logs_at_debug

#: Every key of this file shares it, so a leak of any key, whole or in part, is found by one search.
CANARY = f"ECHOCANARY{secrets.token_hex(10)}"
SERVER_KEY = f"sk-{CANARY}-server"
VISITOR_KEY = f"sk-{CANARY}-visitor"
KEYS = (SERVER_KEY, VISITOR_KEY)


def run_async(coro: Any) -> Any:
    """Run a coroutine on a loop of its own thread: Playwright's sync API holds this thread's loop."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


# --------------------------------------------------------------------------- the echoing provider


@dataclass
class EchoTask:
    task_id: str
    scenario: str
    auth: str
    cancel_refused: bool = False


@dataclass
class EchoProvider:
    """Just enough of /v1/tasks. The prompt's first word chooses how it misbehaves."""

    video: Path
    seen: list[tuple[str, str]] = field(default_factory=list)  # (scenario, Authorization) received
    tasks: dict[str, EchoTask] = field(default_factory=dict)
    base_url: str = ""
    _ids: Iterator[int] = field(default_factory=itertools.count)

    def echo(self, auth: str) -> str:
        """The request's credentials as a careless provider repeats them, in several spellings."""
        return (
            f"Authorization: {auth} (trace {b64('Authorization: ' + auth)}, "
            f"url {quote(self.base_url + '/v1/tasks?key=' + auth.removeprefix('Bearer '), safe=':/')})"
        )

    def task_json(self, task: EchoTask, status: str, **more: Any) -> dict[str, Any]:
        key = task.auth.removeprefix("Bearer ")
        return {
            "task_id": task.task_id,
            "model": "veo3.1-fast",
            "action": "generate",
            "status": status,
            "progress": 100 if status == "completed" else 0,
            "created_at": int(time.time() * 1000),
            "debug": {
                "auth": task.auth,
                task.auth: "request header",
                "b64": b64(task.auth),
                "echo": [self.echo(task.auth)],
            },
            "urls": {"get": f"{self.base_url}/v1/tasks/{task.task_id}?key={quote(key)}"},
            **more,
        }

    def app(self) -> fastapi.FastAPI:
        app = fastapi.FastAPI()

        def refuse(status: int, message: str, code: str) -> JSONResponse:
            return JSONResponse({"error": {"message": message, "code": code}}, status_code=status)

        @app.post("/v1/tasks")
        async def submit(request: Request) -> Any:
            auth = request.headers.get("authorization", "")
            body = await request.json()
            scenario = str(body.get("prompt", "")).split()[0]
            self.seen.append((scenario, auth))
            key = auth.removeprefix("Bearer ")
            if scenario == "reject-400":
                return refuse(400, f"Invalid parameters in your request. {self.echo(auth)}", f"invalid:{key}")
            if scenario == "crash-500":
                return refuse(500, f"Internal error while handling {self.echo(auth)}", "internal_error")
            if scenario == "refuse-401":
                return refuse(401, f"Invalid API key {key!r}. {self.echo(auth)}", "invalid_api_key")
            task = EchoTask(f"task-echo{next(self._ids)}-{scenario}", scenario, auth)
            self.tasks[task.task_id] = task
            if scenario == "bad-json":  # a task id the schema cannot read: pydantic's error quotes it
                return {"task_id": {"auth": auth}, "status": "queued"}
            return self.task_json(task, "queued")

        @app.get("/v1/tasks/{task_id}")
        async def get(task_id: str, request: Request) -> Any:
            task = self.tasks.get(task_id)
            if task is None or request.headers.get("authorization") != task.auth:
                return refuse(
                    404, f"No task {task_id} for {self.echo(request.headers.get('authorization', ''))}", "not_found"
                )
            if task.scenario == "fail-task" or task.cancel_refused:
                return self.task_json(
                    task,
                    "failed",
                    error={
                        "message": f"Render failed: the upstream model rejected {self.echo(task.auth)}",
                        "code": "task_failed",
                    },
                )
            if task.scenario == "stay-queued":
                return self.task_json(task, "queued")
            return self.task_json(
                task,
                "completed",
                completed_at=int(time.time() * 1000),
                result={
                    "videos": [
                        {"url": [f"{self.base_url}/media/{task.task_id}.mp4"], "expires_at": int(time.time()) + 86400}
                    ]
                },
            )

        @app.post("/v1/tasks/{task_id}/cancel")
        async def cancel(task_id: str, request: Request) -> Any:
            task = self.tasks[task_id]
            task.cancel_refused = True  # the next poll sees it fail, so the run ends
            return refuse(409, f"Task already started, it cannot be cancelled. {self.echo(task.auth)}", "cannot_cancel")

        @app.get("/media/{name}")
        async def media(name: str) -> FileResponse:
            return FileResponse(self.video, media_type="video/mp4")

        return app


@pytest.fixture(scope="module")
def provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EchoProvider]:
    video = tmp_path_factory.mktemp("echo-media") / "clip.mp4"
    render_video(video, RenderSpec(prompt="echo", duration=1, aspect_ratio="16:9", audio=False, fps=12))
    fake = EchoProvider(video)
    with ServerThread(fake.app()) as server:
        fake.base_url = server.base_url
        yield fake


# --------------------------------------------------------------------------- searching


@dataclass
class Texts:
    """What was collected, by where it was seen."""

    items: list[tuple[str, str]] = field(default_factory=list)
    paths: set[str] = field(default_factory=set)

    def add(self, where: str, value: Any) -> None:
        text = value if isinstance(value, str) else json.dumps(value, default=repr, ensure_ascii=False)
        self.items.append((where, text))

    def leaks(self) -> list[str]:
        """Where any key shows, whole, as its ``Bearer`` header, base64-encoded or percent-encoded."""
        needles = {CANARY}
        for key in KEYS:
            needles |= {
                key,
                f"Bearer {key}",
                b64(key),
                b64(f"Bearer {key}"),
                b64(f"Authorization: Bearer {key}"),
                quote(key, safe=""),
            }
        return [
            f"{where}: …{text[max(0, text.find(n) - 80) : text.find(n) + 80]}…"
            for where, text in self.items
            for n in needles
            if n in text
        ]


SEEN = Texts()


@pytest.fixture(scope="module", autouse=True)
def figures(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    capture = request.config.pluginmanager.getplugin("capturemanager")
    with capture.global_and_fixture_disabled():
        print("\n\nRedaction of an echoing provider: figures")
        print(f"  {'paths driven:':24} {len(SEEN.paths)} ({', '.join(sorted(SEEN.paths))})")
        print(f"  {'texts searched:':24} {len(SEEN.items)} ({sum(len(t) for _, t in SEEN.items) / 1e6:.2f} MB)")
        print(f"  {'sources:':24} {', '.join(sorted({w.split(':')[0] for w, _ in SEEN.items}))}")
        print(f"  {'leaks found:':24} {len(SEEN.leaks())}")


@pytest.fixture(scope="module")
def logs() -> Iterator[Collect]:
    with logs_at_debug() as handler:
        yield handler


def add_stored(texts: Texts, settings: Settings, logs: Collect, capfd: pytest.CaptureFixture) -> None:
    """The app log so far, the process's output, and the history database byte for byte (its
    write-ahead log too), which must hold the redacted messages."""
    out, err = capfd.readouterr()
    texts.add("stdout", out)
    texts.add("stderr", err)
    texts.add("app log", "\n".join(logs.lines))
    assert any(line.startswith("httpcore") and " DEBUG " in line for line in logs.lines), (
        "no DEBUG lines from httpcore: the log capture is not working"
    )
    stored = [p for p in (settings.db_path, settings.db_path.with_name(settings.db_path.name + "-wal")) if p.exists()]
    assert settings.db_path in stored, "the run history was not found"
    texts.add("history database", "".join(path.read_bytes().decode("latin-1") for path in stored))


def assert_no_leaks(texts: Texts) -> None:
    """Nothing found; and the history did keep the redacted messages, so the search meant something."""
    SEEN.items += texts.items
    leaks = texts.leaks()
    assert not leaks, leaks
    assert MARKER in dict(texts.items)["history database"], "the history kept no redacted message"


# --------------------------------------------------------------------------- the apps


@dataclass
class LiveApp:
    url: str
    playground: Playground
    settings: Settings


def launch(settings: Settings, env: dict[str, str]) -> LiveApp:
    playground = create_playground(settings, env=env)
    _, url, _ = playground.launch(prevent_thread_lock=True, quiet=True)
    return LiveApp(url.rstrip("/"), playground, settings)


@pytest.fixture(scope="module")
def server_app(provider: EchoProvider, logs: Collect, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApp]:
    # Every page test here comes from loopback: the per-network run rate (tested in test_visitors) is off.
    settings = Settings(
        api_key=SERVER_KEY,
        base_url=provider.base_url,
        data_dir=tmp_path_factory.mktemp("echo-server-key"),
        runs_per_minute=0,
    )
    live = launch(settings, {})
    try:
        yield live
    finally:
        live.playground.close()


@pytest.fixture(scope="module")
def visitor_app(provider: EchoProvider, logs: Collect, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApp]:
    settings = Settings(
        base_url=provider.base_url,
        data_dir=tmp_path_factory.mktemp("echo-visitor-key"),
        sim_queue_seconds=0.05,
        sim_processing_seconds=0.2,
    )
    live = launch(settings, {"UPLOAD_HOSTS": "loopback"})  # a host name it does not configure: no uploads
    try:
        yield live
    finally:
        live.playground.close()


@dataclass(frozen=True)
class ApiPath:
    scenario: str
    #: What the answer must still say, besides the marker, for the redacted message to be of use.
    says: tuple[str, ...]
    ok: bool = False


API_PATHS = [
    ApiPath("reject-400", ("refused the request as invalid", "Invalid parameters in your request")),
    ApiPath("crash-500", ("may have been created", "Internal error while handling")),
    ApiPath("refuse-401", ("API key was refused", "Invalid API key")),
    ApiPath("fail-task", ("could not make this video", "Render failed: the upstream model rejected", "[task_failed]")),
    ApiPath("bad-json", ("may have been created", "unreadable task JSON")),
    ApiPath("extras", (), ok=True),
]


def drive_api(live: LiveApp, provider: EchoProvider, key: str, mode: str) -> dict[str, tuple[bool, str]]:
    """Every API path at once through ``/generate``; the answer or the error text of each."""
    client = Client(live.url, verbose=False)
    jobs = {
        p.scenario: client.submit(
            f"{p.scenario} a lighthouse in a storm {mode}",
            api_name="/generate",
            duration=4,
            resolution="720p",
            api_key="" if mode == "server" else key,
        )
        for p in API_PATHS
    }
    answers: dict[str, tuple[bool, str]] = {}
    for scenario, job in jobs.items():
        try:
            answers[scenario] = (True, json.dumps(job.result(timeout=60), default=repr))
        except Exception as exc:
            answers[scenario] = (False, f"{exc}\n{exc!r}")
    return answers


def check_answers(answers: dict[str, tuple[bool, str]], provider: EchoProvider, key: str, mode: str) -> None:
    sent = {scenario for scenario, auth in provider.seen if auth == f"Bearer {key}"}
    for path in API_PATHS:
        SEEN.paths.add(f"{mode} api {path.scenario}")
        ok, text = answers[path.scenario]
        SEEN.add(f"gradio_client answer: {mode} {path.scenario}", text)
        assert path.scenario in sent, f"{path.scenario}: the provider never got the key, so it echoed nothing"
        assert ok == path.ok, f"{path.scenario}: {text}"
        assert MARKER in text, f"{path.scenario}: the echo was dropped instead of redacted: {text}"
        for phrase in path.says:
            assert phrase in text, f"{path.scenario}: the message lost {phrase!r}: {text}"
    extras = json.loads(answers["extras"][1])[1]
    assert extras["debug"]["auth"] == MARKER and MARKER in extras["debug"], extras["debug"]


def test_the_server_key_echoed_back_is_never_shown_logged_or_stored(
    server_app: LiveApp, provider: EchoProvider, logs: Collect, capfd: pytest.CaptureFixture
) -> None:
    answers = drive_api(server_app, provider, SERVER_KEY, "server")
    texts = Texts()
    for scenario, (_, text) in answers.items():
        texts.add(f"gradio_client answer: {scenario}", text)
    add_stored(texts, server_app.settings, logs, capfd)
    assert_no_leaks(texts)
    check_answers(answers, provider, SERVER_KEY, "server")


def test_a_visitor_key_echoed_back_is_never_shown_logged_or_stored(
    visitor_app: LiveApp, provider: EchoProvider, logs: Collect, capfd: pytest.CaptureFixture
) -> None:
    answers = drive_api(visitor_app, provider, VISITOR_KEY, "visitor")
    texts = Texts()
    for scenario, (_, text) in answers.items():
        texts.add(f"gradio_client answer: {scenario}", text)
    add_stored(texts, visitor_app.settings, logs, capfd)
    assert_no_leaks(texts)
    check_answers(answers, provider, VISITOR_KEY, "visitor")


def test_a_cancel_refusal_that_echoes_the_key_is_redacted(provider: EchoProvider) -> None:
    """What the page's Cancel button shows (``cancel_task``) on a visitor's key, with the server's key
    also in play: neither is in the sentence, which still says why the cancel failed."""

    async def scenario() -> str:
        conn = Connection("visitor-key", provider.base_url, VISITOR_KEY)
        async with conn.client(Settings(api_key=SERVER_KEY)) as client:
            task = await client.submit({"prompt": "stay-queued and then cancelled"})
            return await cancel_task(client, task.id)

    said = run_async(scenario())
    SEEN.paths.add("visitor cancel refusal")
    SEEN.add("cancel sentence", said)
    assert "Only a task that is still queued can be cancelled" in said and MARKER in said, said
    assert "it cannot be cancelled" in said, said
    assert not Texts([("cancel sentence", said)]).leaks()


# --------------------------------------------------------------------------- the page


def run_in_page(page: Page, prompt: str) -> None:
    page.fill("#generate-prompt textarea", prompt)
    choose(page, "generate-duration", "4")
    page.locator("#generate-run").click()


@pytest.mark.browser
def test_the_page_never_shows_the_echoed_key(
    browser: Browser, server_app: LiveApp, provider: EchoProvider, logs: Collect, capfd: pytest.CaptureFixture
) -> None:
    texts = Texts()
    with opened_page(browser, server_app.url) as page:
        status = page.locator("#generate-status #run-status")
        run_in_page(page, "fail-task a lighthouse in the page")
        expect(status).to_have_attribute("data-phase", "failed", timeout=60_000)
        failed = page.locator("#generate-status").inner_text()
        texts.add("status panel: fail-task", failed)
        texts.add("page: fail-task", page.content())

        run_in_page(page, "stay-queued a lighthouse waiting")
        expect(status).to_have_attribute("data-phase", "queued", timeout=30_000)
        expect(page.locator("#generate-cancel")).to_be_enabled(timeout=15_000)
        page.locator("#generate-cancel").click()
        toast = page.get_by_text("Only a task that is still queued can be cancelled")
        expect(toast).to_be_visible(timeout=15_000)
        refusal = toast.inner_text()
        texts.add("cancel toast", refusal)
        expect(status).to_have_attribute("data-phase", "failed", timeout=60_000)
        texts.add("page: cancel refused", page.content())

        page.get_by_role("tab", name="History").click()
        expect(page.locator("#history-refresh")).to_be_visible()
        thumbnails = page.locator("#history-gallery .thumbnail-item")
        expect(thumbnails.first).to_be_visible(timeout=15_000)
        details: list[str] = []
        for index in range(min(thumbnails.count(), 2)):
            thumbnails.nth(index).click()
            expect(page.locator("#history-details")).to_contain_text("Task id", timeout=15_000)
            page.wait_for_timeout(500)  # the details of the run just clicked, not the previous one
            details.append(page.locator("#history-details").inner_text())
            texts.add(f"history details {index}", details[-1])
        texts.add("page: history", page.content())
    add_stored(texts, server_app.settings, logs, capfd)
    SEEN.paths |= {"page fail-task", "page cancel refused", "page history details"}
    assert_no_leaks(texts)
    assert "could not make this video" in failed and "Render failed" in failed and MARKER in failed, failed
    assert MARKER in refusal and "it cannot be cancelled" in refusal, refusal
    assert any("Render failed" in d and MARKER in d for d in details), details


# --------------------------------------------------------------------------- the client and the redactor


def _refusing(reason: bytes, body: bytes, status: int = 400) -> httpx.MockTransport:
    return httpx.MockTransport(
        lambda request: httpx.Response(status, content=body, extensions={"reason_phrase": reason})
    )


async def _submit_error(key: str, transport: httpx.MockTransport) -> errors.WaveError:
    async with WaveClient(key, "http://127.0.0.1:9", transport=transport, retry=RetryPolicy(attempts=1)) as client:
        try:
            await client.submit({"prompt": "x"})
        except errors.WaveError as exc:
            return exc
    raise AssertionError("the submission was accepted")


def test_a_reason_phrase_and_a_junk_body_are_redacted() -> None:
    """Not JSON: the reason phrase is what the error quotes; a 2xx junk body is searched for a task id."""
    key = VISITOR_KEY
    reason = f"Bad key Bearer {key}".encode()
    refused = str(run_async(_submit_error(key, _refusing(reason, b"<html>oops</html>"))))
    assert "Bad key" in refused and MARKER in refused, refused
    junk = f'proxy says Authorization: Bearer {key} {{"task_id": {{"k": "{key}"}}'.encode()
    uncertain = str(run_async(_submit_error(key, _refusing(b"OK", junk, 200))))
    assert "may have been created" in uncertain, uncertain
    texts = Texts([("reason phrase error", refused), ("junk body error", uncertain)])
    assert not texts.leaks(), texts.leaks()


def test_the_redactor_finds_every_spelling_of_a_key() -> None:
    redactor = Redactor.of(SERVER_KEY, "", None, VISITOR_KEY)
    spellings = [
        SERVER_KEY,
        f"Bearer {SERVER_KEY}",
        b64(SERVER_KEY),
        b64(f"Bearer {SERVER_KEY}"),
        b64(f"Authorization: Bearer {SERVER_KEY}"),
        b64(f"user:{VISITOR_KEY}"),
        b64(f"xy{VISITOR_KEY}z"),
        base64.urlsafe_b64encode(f"Bearer {VISITOR_KEY}".encode()).decode(),
        quote(VISITOR_KEY, safe=""),
        json.dumps({"auth": f"Bearer {VISITOR_KEY}"}),
    ]
    for spelling in spellings:
        redacted = redactor.text(f"before {spelling} after")
        assert redacted.startswith("before ") and redacted.endswith(" after") and MARKER in redacted, redacted
        assert not Texts([("redacted", redacted)]).leaks(), (spelling, redacted)
    assert redactor.value({f"Bearer {SERVER_KEY}": [VISITOR_KEY, 3, None]}) == {MARKER: [MARKER, 3, None]}
    assert redactor.text("nothing secret here") == "nothing secret here"
    assert CANARY not in repr(redactor)


def test_short_and_unusual_keys_are_redacted_and_empty_ones_ignored() -> None:
    assert Redactor.of("k3y").text("got Bearer k3y and k3y") == f"got {MARKER} and {MARKER}"
    odd = Redactor.of("a/b+c=d&e f")
    assert odd.text("u=a%2Fb%2Bc%3Dd%26e%20f v=a%2fb%2bc%3dd%26e+f") == f"u={MARKER} v={MARKER}"
    assert Redactor.of("", None).text("anything at all") == "anything at all"
