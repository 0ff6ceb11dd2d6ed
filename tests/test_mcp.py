"""The MCP tools, driven by the official ``mcp`` client over streamable HTTP against the running app."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client

from .conftest import RunningApp

TOOLS = {"list_models", "estimate_cost", "start_video", "get_video", "cancel_video"}


@asynccontextmanager
async def mcp_session(app: RunningApp, headers: dict[str, str] | None = None) -> AsyncIterator[ClientSession]:
    async with (
        httpx.AsyncClient(headers=headers, timeout=httpx.Timeout(30, read=60)) as http,
        streamable_http_client(f"{app.url}/gradio_api/mcp/", http_client=http) as (read, write, _),
        ClientSession(read, write) as session,
    ):
        await session.initialize()
        yield session


async def call(session: ClientSession, tool: str, **arguments: Any) -> dict[str, Any]:
    result = await session.call_tool(tool, arguments)
    text = "".join(getattr(part, "text", "") for part in result.content)
    assert not result.isError, text
    return json.loads(text)


async def call_error(session: ClientSession, tool: str, **arguments: Any) -> str:
    result = await session.call_tool(tool, arguments)
    assert result.isError, result.content
    return "".join(getattr(part, "text", "") for part in result.content)


async def until_finished(session: ClientSession, task_id: str, seconds: float = 60) -> dict[str, Any]:
    seen: list[str] = []
    for _ in range(int(seconds / 0.25)):
        report = await call(session, "get_video", task_id=task_id)
        seen.append(report["status"])
        if report["finished"]:
            return report | {"seen": seen}
        await asyncio.sleep(0.25)
    raise AssertionError(f"{task_id} did not finish: {seen}")


async def test_only_the_five_tools_are_listed_with_their_parameters(app: RunningApp) -> None:
    async with mcp_session(app) as session:
        tools = {tool.name: tool for tool in (await session.list_tools()).tools}
    assert set(tools) == TOOLS, "the page's events and the blocking /generate endpoints are not tools"
    start = tools["start_video"].inputSchema["properties"]
    for name in ("prompt", "action", "model", "duration", "resolution", "aspect_ratio", "generate_audio"):
        assert name in start
    assert "sample_count" in start and "first_frame_url" in start and "source_url" in start
    assert "x_wave_api_key" not in start and "request" not in start, "the key comes in a header"
    assert set(tools["get_video"].inputSchema["properties"]) == {"task_id"}
    assert "task id" in (tools["start_video"].description or "")


async def test_list_and_estimate_match_the_published_table(app: RunningApp) -> None:
    async with mcp_session(app) as session:
        models = {m["model"]: m for m in (await call(session, "list_models"))["models"]}
        fast = await call(
            session, "estimate_cost", model="veo3.1-fast-official", duration=4, resolution="720p", generate_audio=False
        )
        wrong = await call(session, "estimate_cost", model="veo3.1-fast-official", duration=5)
    assert "veo3.1-fast-official" in models and "remix" in models["veo3.1-fast-official"]["actions"]
    assert 4 in models["veo3.1-fast-official"]["durations"]
    assert fast["total_usd"] == pytest.approx(0.32) and fast["problems"] == []
    assert wrong["total_usd"] is None and wrong["problems"], "a duration the model cannot make is named"


async def test_start_returns_at_once_then_poll_until_done_and_download(app: RunningApp) -> None:
    sent_before = len(app.sim.submissions())
    async with mcp_session(app) as session:
        loop = asyncio.get_running_loop()
        began = loop.time()
        started = await call(session, "start_video", prompt="a paper boat on a stream", duration=4)
        assert loop.time() - began < 2.0, "start_video answers once the task is accepted, not when it is done"
        assert started["task_id"] and started["price_usd"] == pytest.approx(0.32)
        assert started["status"] in ("queued", "processing")
        done = await until_finished(session, started["task_id"])
    assert done["status"] == "completed" and done["progress"] == 100, done
    assert {"queued", "processing"} & set(done["seen"]) or done["seen"][0] == "completed"
    (url,) = done["video_urls"]
    async with httpx.AsyncClient(timeout=10) as http:  # a plain client: no cookie, no key
        video = await http.get(url)
    assert video.status_code == 200 and video.content[4:8] == b"ftyp"
    assert len(app.sim.submissions()) == sent_before + 1, "one tool call, one submission"


async def test_a_queued_video_is_cancelled_and_refunded(app: RunningApp) -> None:
    app.sim.config.queue_seconds = 30
    try:
        async with mcp_session(app) as session:
            started = await call(session, "start_video", prompt="a lighthouse in fog", duration=4)
            cancelled = await call(session, "cancel_video", task_id=started["task_id"])
            assert cancelled["cancelled"] is True and "refund" in cancelled["message"].lower()
            final = await until_finished(session, started["task_id"], seconds=20)
            again = await call(session, "cancel_video", task_id=started["task_id"])
    finally:
        app.sim.config.queue_seconds = 0.5
    assert final["status"] == "cancelled" and final["video_urls"] == []
    assert again["cancelled"] is False


async def test_another_callers_task_id_is_unknown_and_bad_input_sends_nothing(app: RunningApp) -> None:
    sent_before = len(app.sim.submissions())
    async with mcp_session(app, {"X-Wave-Api-Key": "sk-alice-own-key-0001"}) as alice:
        started = await call(alice, "start_video", prompt="alice's kite", duration=4)
        mine = await call(alice, "get_video", task_id=started["task_id"])
    assert mine["task_id"] == started["task_id"]
    async with mcp_session(app, {"X-Wave-Api-Key": "sk-mallory-key-0002"}) as mallory:
        assert "No video of yours" in await call_error(mallory, "get_video", task_id=started["task_id"])
        assert "No video of yours" in await call_error(mallory, "cancel_video", task_id=started["task_id"])
        refused = await call_error(mallory, "start_video", prompt="x", duration=5)
        missing = await call_error(mallory, "start_video", prompt="a cat", action="image2video", duration=4)
    async with mcp_session(app) as keyless:  # the server's own callers (demo mode here) are someone else too
        assert "No video of yours" in await call_error(keyless, "get_video", task_id=started["task_id"])
    assert "Not submitted" in refused and "Not submitted" in missing
    assert len(app.sim.submissions()) == sent_before + 1, "only alice's run was sent"
