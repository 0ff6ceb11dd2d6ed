"""Provider callbacks: the route beside the app, its tokens, and a wait that a callback cuts short
but that still believes only what GET answers."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import gradio as gr
import httpx
import pytest

from bench import request_body, served_hub
from playground.runs import CallbackHub, engine as runs, with_callback
from playground.runs.callbacks import MAX_BODY_BYTES
from playground.wave import PollPolicy, Task, TaskState, WaveClient

from .conftest import TEST_KEY

#: Polls so sparse that anything quicker than them was the callback's doing.
SLOW_POLL = PollPolicy(min_interval=5.0, early_interval=5.0, max_interval=5.0, expected_seconds=30.0)


@pytest.fixture
def hub_server():
    with served_hub() as hub:  # the benchmark's: a hub on loopback as the public base URL
        yield hub


async def post(url: str, **kwargs) -> httpx.Response:
    async with httpx.AsyncClient(timeout=10) as http:
        return await http.post(url, **kwargs)


async def rung(ticket, within: float = 2.0) -> bool:
    try:
        await asyncio.wait_for(ticket.wake.wait(), within)
        return True
    except TimeoutError:
        return False


def test_tickets_are_unguessable_and_never_shown() -> None:
    hub = CallbackHub("https://play.example.org/", prefix="hooks/wave")
    tickets = [hub.open() for _ in range(50)]
    assert len({t.token for t in tickets}) == 50 and all(len(t.token) >= 40 for t in tickets)
    assert tickets[0].url == f"https://play.example.org/hooks/wave/{tickets[0].token}"
    assert tickets[0].token not in repr(tickets[0]) and hub.open_count == 50
    assert hub.owns(tickets[0].url) and not hub.owns("https://visitor.example/hooks/wave/x")
    hub.close(tickets[0])
    assert hub.open_count == 49


def test_with_callback_adds_ours_unless_the_visitor_set_their_own() -> None:
    ticket = CallbackHub("https://play.example.org").open()
    request = {"model": "veo3.1-fast-official", "prompt": "a fox"}
    assert with_callback(request, ticket) == {**request, "callback_url": ticket.url}
    assert "callback_url" not in request  # the original is left alone
    theirs = {**request, "callback_url": "https://visitor.example/hook"}
    assert with_callback(theirs, ticket)["callback_url"] == "https://visitor.example/hook"


async def test_unknown_and_closed_tokens_are_refused(hub_server: CallbackHub) -> None:
    assert (await post(hub_server.base + "/not-a-token", json={})).status_code == 404
    ticket = hub_server.open()
    hub_server.close(ticket)
    assert (await post(ticket.url, json={"task_id": "x"})).status_code == 404
    assert not ticket.wake.is_set()


async def test_a_callback_rings_its_ticket_across_threads_and_answers_nothing(hub_server: CallbackHub) -> None:
    ticket = hub_server.open()
    waiter = asyncio.create_task(rung(ticket))
    answer = await post(ticket.url, json={"task_id": "task-1", "status": "completed"})
    assert answer.status_code == 202 and answer.content == b""
    assert await waiter


async def test_a_bound_ticket_ignores_a_body_about_another_task(hub_server: CallbackHub) -> None:
    ticket = hub_server.open()
    hub_server.bind(ticket, "task-mine")
    assert (await post(ticket.url, json={"task_id": "task-other"})).status_code == 202
    assert not await rung(ticket, 0.3)
    assert (await post(ticket.url, json={"task_id": "task-mine", "status": "completed"})).status_code == 202
    assert await rung(ticket)


@pytest.mark.parametrize("content", [b"<html>not json</html>", b"[1, 2]", b"x" * (MAX_BODY_BYTES + 10)])
async def test_an_unreadable_or_oversized_body_is_still_a_hint(hub_server: CallbackHub, content: bytes) -> None:
    ticket = hub_server.open()
    hub_server.bind(ticket, "task-mine")
    started = time.monotonic()
    assert (await post(ticket.url, content=content)).status_code == 202
    assert await rung(ticket) and time.monotonic() - started < 2.0


async def test_a_wake_makes_the_wait_confirm_with_get_at_once() -> None:
    finished = False
    gets: list[float] = []

    def answer(request: httpx.Request) -> httpx.Response:
        gets.append(time.monotonic())
        status = "completed" if finished else "processing"
        return httpx.Response(200, json={"task_id": "task-1", "status": status, "progress": 50})

    wake = asyncio.Event()
    async with WaveClient("sk-test", "http://sim", transport=httpx.MockTransport(answer)) as client:
        task = Task(client, TaskState(task_id="task-1", status="processing", progress=40))
        statuses: list[str] = []

        async def follow() -> None:
            async for s in task.wait(SLOW_POLL, wake=wake):
                statuses.append(s.status)

        follower = asyncio.create_task(follow())
        await asyncio.sleep(0.1)
        finished = True
        woken_at = time.monotonic()
        wake.set()
        await asyncio.wait_for(follower, 2.0)
    assert statuses[-1] == "completed" and len(gets) == 1 and gets[0] - woken_at < 0.1


async def test_a_flood_of_early_wakes_cannot_become_a_flood_of_gets() -> None:
    gets: list[float] = []

    def answer(request: httpx.Request) -> httpx.Response:
        gets.append(time.monotonic())
        return httpx.Response(200, json={"task_id": "task-1", "status": "processing", "progress": 50})

    wake = asyncio.Event()
    policy = PollPolicy(min_interval=0.25, early_interval=5.0, max_interval=5.0, expected_seconds=30.0)

    async def flood() -> None:
        while True:
            wake.set()
            await asyncio.sleep(0.005)

    async with WaveClient("sk-test", "http://sim", transport=httpx.MockTransport(answer)) as client:
        task = Task(client, TaskState(task_id="task-1", status="processing", progress=50))
        flooder = asyncio.create_task(flood())
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(_drain(task.wait(policy, wake=wake)), 1.0)
        flooder.cancel()
    assert 2 <= len(gets) <= 6  # one GET per min_interval, not one per post


async def _drain(states) -> None:
    async for _ in states:
        pass


async def test_the_simulators_callback_shows_the_video_long_before_the_next_poll(sim, hub_server, tmp_path) -> None:
    ticket = hub_server.open()
    request = with_callback(request_body("A paper boat on a stream"), ticket)
    async with WaveClient(TEST_KEY, sim.base_url) as client:
        shown_at = None
        async for update in runs.run_task(client, request, tmp_path, SLOW_POLL, wake=ticket.wake):
            if update.task_id and ticket.task_id is None:
                hub_server.bind(ticket, update.task_id)
            if update.phase == "completed":
                shown_at = time.monotonic()
    hub_server.close(ticket)
    done = sim.sim.tasks[ticket.task_id]
    assert shown_at is not None and shown_at - done.completed_monotonic < 0.5  # the next poll was seconds away
    gets = [r for r in sim.sim.requests if r.method == "GET" and r.path.endswith(ticket.task_id)]
    assert gets and gets[-1].at >= done.completed_at  # what was shown came from a GET, not the callback
    assert Path(update.videos[0]).stat().st_size > 1000


def test_the_route_serves_beside_a_launched_gradio_app() -> None:
    with gr.Blocks() as blocks:
        gr.Markdown("beside")
    _, url, _ = blocks.launch(prevent_thread_lock=True, quiet=True)
    try:
        hub = CallbackHub(url)
        blocks.app.include_router(hub.router())
        ticket = hub.open()
        assert httpx.post(ticket.url, json={"task_id": "t"}, timeout=10).status_code == 202
        assert ticket.wake.is_set()
        assert httpx.post(hub.base + "/unknown", json={}, timeout=10).status_code == 404
        assert httpx.get(url, timeout=10).status_code == 200
    finally:
        blocks.close()
