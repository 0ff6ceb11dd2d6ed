"""The async client against the simulator over real loopback HTTP: lifecycle, both wire forms,
every error path, retries, and never submitting twice."""

from __future__ import annotations

import asyncio
import socket

import av
import httpx
import pytest
from fastapi import FastAPI, Request

from playground.net.loopback import ServerThread
from playground.simulator import key_fingerprint
from playground.veo import FormValues, build_request
from playground.wave import (
    RESEND,
    PollPolicy,
    Resend,
    RetryPolicy,
    TaskState,
    WaveClient,
    errors,
    to_epoch_seconds,
)

from .conftest import TEST_KEY

FAST_POLL = PollPolicy(min_interval=0.05, max_interval=0.1, expected_seconds=1.0, deadline=30)


def body(**kw) -> dict:
    kw.setdefault("prompt", "A golden retriever running on a beach at sunset")
    kw.setdefault("duration", 4)
    kw.setdefault("resolution", "720p")
    built = build_request(FormValues(**kw))
    assert built.ok, built.message()
    return built.body


async def finish(task, policy: PollPolicy = FAST_POLL) -> list[TaskState]:
    return [state.model_copy() async for state in task.wait(policy)]


async def test_generate_lifecycle_streams_every_change_and_yields_playable_videos(client, sim, tmp_path) -> None:
    task = await client.submit(body(sample_count=2, generate_audio=True))
    assert task.status == "queued" and task.id.startswith("task-wave") and task.state.progress == 0
    states = await finish(task)
    statuses = [s.status for s in states]
    assert statuses[0] == "queued" and statuses[-1] == "completed" and "processing" in statuses
    progress = [s.progress for s in states if s.status == "processing"]
    assert progress == sorted(progress) and any(0 < p < 100 for p in progress)
    final = states[-1]
    assert final.progress == 100 and final.completed_at and final.completed_at >= final.created_at
    urls = final.video_urls()
    assert len(urls) == 2 and all(u.startswith(sim.base_url) for u in urls)
    async with httpx.AsyncClient() as http:
        video = (await http.get(urls[0])).content
    path = tmp_path / "v.mp4"
    path.write_bytes(video)
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264"
        assert float(container.duration / av.time_base) == pytest.approx(4, abs=0.15)
        assert stream.width / stream.height == pytest.approx(16 / 9, rel=0.02)
        assert len(container.streams.audio) == 1


@pytest.mark.parametrize("url_form,time_unit", [("array", "ms"), ("string", "s")])
async def test_both_wire_forms_of_results_and_timestamps(client, sim, url_form, time_unit) -> None:
    sim.config.url_form, sim.config.time_unit = url_form, time_unit
    task = await client.submit(body())
    final = (await finish(task))[-1]
    assert len(final.video_urls()) == 1
    assert abs(final.created_at - __import__("time").time()) < 60  # seconds either way
    item = final.result.videos[0]
    assert item.expires_at > final.completed_at + 23 * 3600


def test_task_state_reads_rough_edges() -> None:
    state = TaskState.model_validate(
        {
            "task_id": "t1",
            "status": "COMPLETED",
            "progress": "100",
            "created_at": 1775285160040,
            "start_time": 1720000000,
            "completed_at": "1775285170",
            "surprise": {"x": 1},
            "result": {
                "videos": [
                    {"url": "https://a/1.mp4", "expires_at": 1775371560000},
                    {"url": ["https://a/2.mp4", "https://a/3.mp4"]},
                ]
            },
        }
    )
    assert state.status == "completed" and state.progress == 100
    assert state.created_at == pytest.approx(1775285160.04) and state.started_at == 1720000000
    assert state.video_urls() == ["https://a/1.mp4", "https://a/2.mp4", "https://a/3.mp4"]
    assert state.result.videos[0].expires_at == pytest.approx(1775371560)
    odd = TaskState.model_validate({"task_id": "t2", "status": "paused", "progress": None})
    assert not odd.is_known_status and not odd.is_terminal and odd.progress == 0
    assert to_epoch_seconds(None) is None and to_epoch_seconds("x") is None


async def test_cancel_queued_task_refunds(client, sim) -> None:
    sim.config.queue_seconds = 5
    task = await client.submit(body(model="veo3.1-quality-official"))
    await task.cancel()
    assert task.status == "cancelled" and task.state.progress == 0
    assert task.state.model_extra["refund"]["amount"] == pytest.approx(0.16 * 4)
    assert sim.sim.spent[key_fingerprint(TEST_KEY)] == pytest.approx(0)


async def test_cancel_started_task_is_refused(client, sim) -> None:
    sim.config.queue_seconds, sim.config.processing_seconds = 0.0, 5
    task = await client.submit(body())
    await asyncio.sleep(0.2)
    with pytest.raises(errors.CancelRefused) as err:
        await task.cancel()
    assert task.id in str(err.value)


async def test_missing_and_wrong_key_are_401(sim) -> None:
    sim.config.valid_keys = {TEST_KEY}
    async with WaveClient("wrong", sim.base_url) as c:
        with pytest.raises(errors.AuthenticationFailed) as err:
            await c.submit(body())
    assert "API key was refused" in str(err.value) and "wrong" not in str(err.value)
    async with httpx.AsyncClient(base_url=sim.base_url) as http:
        answer = await http.post("/v1/tasks", json=body())
    assert answer.status_code == 401 and answer.json()["error"]["code"] == "unauthorized"


async def test_invalid_parameters_are_400_with_the_catalog_message(client, sim) -> None:
    with pytest.raises(errors.InvalidRequest) as err:
        await client.submit({"model": "veo3.1-lite", "prompt": "x", "duration": 4})
    assert "8-second videos only" in str(err.value)
    assert not sim.sim.tasks


async def test_insufficient_balance_is_402(client, sim) -> None:
    sim.config.balances[key_fingerprint(TEST_KEY)] = 1.0
    await client.submit(body(model="veo3.1-fast-official", duration=8))  # $0.64
    with pytest.raises(errors.InsufficientBalance) as err:
        await client.submit(body(model="veo3.1-fast-official", duration=8))
    assert "nothing was charged" in str(err.value)


async def test_another_keys_task_is_404(client, sim) -> None:
    task = await client.submit(body())
    async with WaveClient("someone-else", sim.base_url) as other:
        with pytest.raises(errors.TaskNotFound):
            await other.get(task.id)


async def test_get_retries_429_honouring_retry_after_and_5xx(client, sim) -> None:
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    task = await client.submit(body())
    sim.faults.add("get", 429, retry_after=2.5)
    sim.faults.add("get", 503)
    sim.faults.add("get", 502, malformed=True)
    async with WaveClient(TEST_KEY, sim.base_url, sleep=sleep, retry=RetryPolicy(base_delay=0.01)) as c:
        again = await c.get(task.id)
    assert again.id == task.id
    assert slept[0] == 2.5 and len(slept) == 3


async def test_get_gives_up_after_its_attempts_with_a_transient_error(client, sim) -> None:
    task = await client.submit(body())
    sim.faults.add("get", 500, times=10)
    with pytest.raises(errors.ServiceUnavailable) as err:
        await client.get(task.id)
    assert err.value.transient and task.id in str(err.value)


async def test_submit_5xx_is_uncertain_and_never_resubmitted(client, sim) -> None:
    sim.faults.add("submit", 500)
    with pytest.raises(errors.SubmitUncertain) as err:
        await client.submit(body())
    assert "may have been created" in str(err.value) and err.value.body["prompt"]
    assert len(sim.sim.submissions()) == 1


async def test_submit_429_is_retried_because_nothing_was_created(client, sim) -> None:
    sim.faults.add("submit", 429, retry_after=0.01)
    task = await client.submit(body())
    assert task.status == "queued" and len(sim.sim.submissions()) == 2 and len(sim.sim.tasks) == 1


async def test_submit_timeout_after_sending_is_uncertain(sim) -> None:
    sim.faults.add("submit", 200, delay=1.0)
    async with WaveClient(TEST_KEY, sim.base_url, timeout=httpx.Timeout(0.3)) as c:
        with pytest.raises(errors.SubmitUncertain):
            await c.submit(body())
    await asyncio.sleep(0.8)
    assert len(sim.sim.submissions()) == 1


async def test_connection_refused_is_a_clear_error() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    async with WaveClient(TEST_KEY, f"http://127.0.0.1:{port}", retry=RetryPolicy(attempts=2, base_delay=0.01)) as c:
        with pytest.raises(errors.ConnectionFailed) as err:
            await c.submit(body())
    assert "Could not reach" in str(err.value)


async def test_failed_task_and_content_filter(client, sim) -> None:
    sim.faults.fail_next_task("Upstream render error", "task_failed")
    with pytest.raises(errors.TaskFailed) as err:
        await finish(await client.submit(body()))
    assert "Upstream render error" in str(err.value) and not isinstance(err.value, errors.ContentFiltered)
    sim.faults.fail_next_task("The prompt was blocked by the safety filter", "content_policy_violation")
    with pytest.raises(errors.ContentFiltered) as err:
        await finish(await client.submit(body()))
    assert "not charged" in str(err.value)


async def test_polling_past_the_deadline_says_so_and_keeps_the_task_id(client, sim) -> None:
    sim.config.queue_seconds = 10
    task = await client.submit(body())
    with pytest.raises(errors.PollTimeout) as err:
        await finish(task, PollPolicy(min_interval=0.05, max_interval=0.1, deadline=0.4))
    assert task.id in str(err.value)


async def test_polling_rides_out_a_burst_of_failures(client, sim) -> None:
    task = await client.submit(body())
    sim.faults.add("get", 503, times=6)  # more than one reload's retries
    states = await finish(task)
    assert states[-1].status == "completed"


async def test_sync_answers_the_result_or_a_poll_url(client, sim) -> None:
    done = await client.sync(body(), timeout=10)
    assert done.status == "completed" and done.state.video_urls()
    sim.config.queue_seconds = 5
    pending = await client.sync(body(), timeout=0.2)
    assert pending.status == "queued" and pending.state.model_extra["poll_url"].endswith(pending.id)


async def test_callback_is_posted_on_completion(client, sim) -> None:
    received: list[dict] = []
    app = FastAPI()

    @app.post("/cb")
    async def cb(request: Request) -> dict:
        received.append(await request.json())
        return {}

    with ServerThread(app) as receiver:
        # Sent as a raw body: the form refuses a loopback callback (the provider could not reach it),
        # but the service itself posts wherever it is told, and here that is this machine.
        task = await client.submit({**body(), "callback_url": f"{receiver.base_url}/cb"})
        await finish(task)
        for _ in range(50):
            if received:
                break
            await asyncio.sleep(0.05)
    assert received and received[0]["task_id"] == task.id and received[0]["status"] == "completed"


def test_client_repr_and_errors_never_show_the_key() -> None:
    c = WaveClient("sk-very-secret", "http://127.0.0.1:9")
    assert "sk-very-secret" not in repr(c)


# -- the retry layer, call by call -------------------------------------------------------------------


class Scripted:
    """A mock service answering each request with the next item of a script: a status or an exception."""

    def __init__(self, *script: int | Exception) -> None:
        self.script, self.sent = list(script), []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.sent.append(f"{request.method} {request.url.path}")
        step = self.script.pop(0) if len(self.script) > 1 else self.script[0]
        if isinstance(step, Exception):
            raise step
        return httpx.Response(step, json={"task_id": "task-1", "status": "cancelled"})


def scripted_client(service: Scripted) -> WaveClient:
    async def no_sleep(seconds: float) -> None:
        pass

    return WaveClient(
        TEST_KEY, "http://sim", transport=httpx.MockTransport(service), sleep=no_sleep, retry=RetryPolicy(attempts=3)
    )


def test_only_idempotent_methods_are_resent_by_default_and_a_mark_overrides_it() -> None:
    assert Resend.of(httpx.Request("GET", "http://sim/v1/tasks/t")) is Resend.IDEMPOTENT
    assert Resend.of(httpx.Request("POST", "http://sim/v1/tasks")) is Resend.UNTAKEN
    marked = httpx.Request("POST", "http://sim/v1/tasks/t/cancel", extensions={RESEND: Resend.IDEMPOTENT.value})
    assert Resend.of(marked) is Resend.IDEMPOTENT


async def test_a_submission_is_resent_only_while_no_connection_was_made() -> None:
    refused = Scripted(httpx.ConnectError("refused"))
    async with scripted_client(refused) as client:
        with pytest.raises(errors.ConnectionFailed):
            await client.submit(body())
    assert refused.sent == ["POST /v1/tasks"] * 3
    dropped = Scripted(httpx.ReadError("reset"), 200)
    async with scripted_client(dropped) as client:
        with pytest.raises(errors.SubmitUncertain) as err:
            await client.submit(body())
    assert dropped.sent == ["POST /v1/tasks"] and err.value.body["prompt"]


async def test_cancel_is_resent_like_a_read_because_cancelling_twice_is_harmless() -> None:
    service = Scripted(503, httpx.ReadError("reset"), 200)
    async with scripted_client(service) as client:
        task = await client.cancel("task-1")
    assert task.status == "cancelled" and service.sent == ["POST /v1/tasks/task-1/cancel"] * 3


async def test_sync_is_sent_once_and_an_unsendable_read_is_not_repeated() -> None:
    refused = Scripted(httpx.ConnectError("refused"))
    async with scripted_client(refused) as client:
        with pytest.raises(errors.ConnectionFailed):
            await client.sync(body())
    assert refused.sent == ["POST /v1/tasks/sync"]
    broken = Scripted(httpx.LocalProtocolError("bad header"))
    async with scripted_client(broken) as client:
        with pytest.raises(errors.RequestNotSent) as err:
            await client.get("task-1")
    assert broken.sent == ["GET /v1/tasks/task-1"] and err.value.task_id == "task-1"
