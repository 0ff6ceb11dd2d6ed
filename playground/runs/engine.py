"""One run from the form's point of view: submit, watch, download, as a stream of updates.

The page and the API endpoints both consume :func:`run_task`; neither knows the client's details.
Every update carries the task id once it exists, so nothing paid for is lost from view.
"""

from __future__ import annotations

import asyncio
import json
import shlex
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import httpx

from ..net import shared_tls
from ..texts import text
from ..wave import FinishForecast, PollPolicy, Task, TaskState, WaveClient, errors
from .phases import Phase

_HEARTBEAT = 1.0  # how often elapsed times refresh while nothing else changes

# Where a run stands, as its status line says it.
SUBMITTING = text("runs.engine.submitting", "Submitting the task…")
LOOKING_UP = text("runs.engine.looking_up", "Looking up task {task_id}…")
QUEUED = text("runs.engine.queued", "Queued: waiting for the provider to start")
PROCESSING = text("runs.engine.processing", "Processing: {progress}%")
#: A status the service names that the page has no words of its own for (``{status}`` as it came).
OTHER_STATUS = text("runs.engine.other_status", "Status: {status}")
SAVING = text("runs.engine.saving", "Finished: saving {count} video(s)…")
DONE = text("runs.engine.done", "Done: {count} video(s).")
CANCELLED_REFUNDED = text("runs.engine.cancelled_refunded", "Cancelled. Refunded {amount}.")
CANCELLED = text("runs.engine.cancelled", "Cancelled. The provider refunds a cancelled queued task.")
# The video exists but is not on this server: the error's explanation, then the provider's links.
NOT_SAVED = text("runs.engine.not_saved", "The video is ready but could not be saved: {error}. Its links: {links}")
NOT_SAVED_STOP = text(
    "runs.engine.not_saved_stop", "The video is ready but could not be saved: {error} Its links: {links}"
)
# Why a download broke off (the detail of :class:`~playground.wave.errors.DownloadFailed`).
STALLED = text("runs.engine.stalled", "the transfer stalled")
INCOMPLETE = text("runs.engine.incomplete", "still incomplete after {seconds} s")
# What Cancel answers.
TASK_CANCELLED_REFUNDED = text("runs.engine.task_cancelled_refunded", "Cancelled task {task_id}; {amount} refunded.")
TASK_CANCELLED = text(
    "runs.engine.task_cancelled", "Cancelled task {task_id}; the provider refunds cancelled queued tasks."
)


@dataclass(frozen=True)
class RunUpdate:
    phase: Phase
    message: str
    task_id: str | None = None
    progress: int = 0
    queued_seconds: float = 0.0
    processing_seconds: float = 0.0
    eta_seconds: float | None = None
    videos: tuple[Path, ...] = ()
    video_urls: tuple[str, ...] = ()
    task_json: dict[str, Any] | None = None
    error: errors.WaveError | None = None
    #: What the provider refunded on cancel, when it says.
    refund: float | None = None
    #: The request leaves as soon as the consumer asks for the next update: a consumer that keeps a
    #: ledger writes down that it was sent first, so a crash in between cannot hide a billed task.
    sending: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "phase", Phase(self.phase))  # a plain "error" is read as Phase.ERROR

    @property
    def finished(self) -> bool:
        return self.phase.finished


def curl_command(base_url: str, body: dict[str, Any]) -> str:
    """A copy-ready command; the key stays in the reader's environment, never in the page."""
    payload = json.dumps(body, ensure_ascii=False, indent=2)
    return (
        f"curl -X POST {shlex.quote(base_url.rstrip('/') + '/v1/tasks')} \\\n"
        f'  -H "Authorization: Bearer $WAVE_API_KEY" \\\n'
        f"  -H 'Content-Type: application/json' \\\n"
        f"  -d {shlex.quote(payload)}"
    )


class _Clock:
    """Separates time spent queued from time spent processing, as the page shows them."""

    def __init__(self) -> None:
        self.submitted = time.monotonic()
        self.started: float | None = None
        self.ended: float | None = None
        #: The forecast the task's wait plans its polls with; the ETA shown is read from it.
        self.forecast: FinishForecast | None = None

    def observe(self, status: str) -> None:
        now = time.monotonic()
        if status == "processing" and self.started is None:
            self.started = now
        if status in ("completed", "failed", "cancelled") and self.ended is None:
            self.ended = now
            if self.started is None and status != "cancelled":
                self.started = now

    def queued(self) -> float:
        end = self.started or self.ended or time.monotonic()
        return end - self.submitted

    def processing(self) -> float:
        if self.started is None:
            return 0.0
        return (self.ended or time.monotonic()) - self.started


def _eta(state: TaskState, clock: _Clock) -> float | None:
    """The end the polls aim at, so the page and the schedule share one ETA model (:class:`FinishForecast`)."""
    if state.status != "processing" or clock.forecast is None:
        return None
    return clock.forecast.seconds_left(time.monotonic())


def _status_update(state: TaskState, clock: _Clock) -> RunUpdate:
    if state.status == "queued":
        label = QUEUED()
    elif state.status == "processing":
        label = PROCESSING(progress=state.progress)
    else:
        label = OTHER_STATUS(status=state.status)
    phase = Phase.PROCESSING if state.status == "processing" else Phase.QUEUED
    return RunUpdate(
        phase=phase,
        message=label,
        task_id=state.task_id,
        progress=state.progress,
        queued_seconds=clock.queued(),
        processing_seconds=clock.processing(),
        eta_seconds=_eta(state, clock),
        task_json=state.model_dump(mode="json", by_alias=True),
    )


async def _pump(
    task: Task, policy: PollPolicy, queue: asyncio.Queue[Any], wake: asyncio.Event | None, forecast: FinishForecast
) -> None:
    try:
        async for state in task.wait(policy, wake=wake, forecast=forecast):
            await queue.put(state.model_copy())
        await queue.put(None)
    except Exception as exc:  # delivered to the consumer, which turns it into a visible state
        await queue.put(exc)


async def watch(
    task: Task, policy: PollPolicy, clock: _Clock, wake: asyncio.Event | None = None
) -> AsyncIterator[RunUpdate | TaskState | BaseException]:
    """Task states as they change, plus a heartbeat so elapsed times keep moving in the page."""
    queue: asyncio.Queue[Any] = asyncio.Queue()
    clock.forecast = policy.forecast()
    pumper = asyncio.create_task(_pump(task, policy, queue, wake, clock.forecast))
    last: RunUpdate | None = None
    try:
        while True:
            try:
                item = await asyncio.wait_for(queue.get(), _HEARTBEAT)
            except TimeoutError:
                if last is not None:
                    yield replace(
                        last,
                        queued_seconds=clock.queued(),
                        processing_seconds=clock.processing(),
                        eta_seconds=_eta(task.state, clock),
                    )
                continue
            if item is None:
                return
            if isinstance(item, BaseException):
                yield item
                return
            clock.observe(item.status)
            yield item
            last = _status_update(item, clock)
    finally:
        pumper.cancel()


@dataclass(frozen=True)
class DownloadPolicy:
    """How results are fetched: a stalled or endless transfer must end in a clear error, not a hang."""

    #: Nothing arriving for this long means the transfer has stalled (httpx applies it per read).
    read_timeout: float = 60.0
    connect_timeout: float = 15.0
    #: One file may take this long in all; a trickle slower than this will not finish usefully.
    deadline: float = 15 * 60.0
    #: Links are plain GETs and stay valid for a day or more, so a broken transfer is tried again.
    attempts: int = 3
    retry_delay: float = 1.0


async def download_results(urls: list[str], folder: Path, policy: DownloadPolicy = DownloadPolicy()) -> list[Path]:
    """Stream every result to disk at once: provider links expire (24 h to 3 days).

    Raises :class:`errors.ResultLinkRefused` when a link answers 403/404/410 (expired), else
    :class:`errors.DownloadFailed` once the attempts are spent; no half-written file is left.
    """
    folder.mkdir(parents=True, exist_ok=True)
    timeout = httpx.Timeout(policy.read_timeout, connect=policy.connect_timeout)
    paths: list[Path] = []
    async with httpx.AsyncClient(timeout=timeout, follow_redirects=True, verify=shared_tls()) as http:
        for index, url in enumerate(urls, start=1):
            path = folder / f"sample-{index}.mp4"
            await _download_with_retry(http, url, path, policy)
            paths.append(path)
    return paths


async def _download_with_retry(http: httpx.AsyncClient, url: str, path: Path, policy: DownloadPolicy) -> None:
    for attempt in range(1, policy.attempts + 1):
        try:
            await asyncio.wait_for(_download_once(http, url, path), policy.deadline)
            return
        except errors.ResultLinkRefused:
            raise
        except TimeoutError:
            failure = errors.DownloadFailed(INCOMPLETE(seconds=f"{policy.deadline:g}"))
        except (httpx.HTTPError, OSError) as exc:
            failure = errors.DownloadFailed(_transfer_problem(exc))
        finally:
            path.with_suffix(".part").unlink(missing_ok=True)
        if attempt < policy.attempts:
            await asyncio.sleep(policy.retry_delay * attempt)
    raise failure


def _transfer_problem(exc: BaseException) -> str:
    if isinstance(exc, httpx.ReadTimeout):
        return STALLED()
    if isinstance(exc, httpx.HTTPStatusError):
        return f"HTTP {exc.response.status_code}"
    return type(exc).__name__


async def _download_once(http: httpx.AsyncClient, url: str, path: Path) -> None:
    partial = path.with_suffix(".part")
    async with http.stream("GET", url) as response:
        if response.status_code in (403, 404, 410):
            raise errors.ResultLinkRefused(f"HTTP {response.status_code}", status=response.status_code)
        response.raise_for_status()
        with partial.open("wb") as out:
            async for chunk in response.aiter_bytes(1 << 16):
                out.write(chunk)
    partial.replace(path)


def _failure(phase: Phase, exc: errors.WaveError, clock: _Clock, task: Task | None) -> RunUpdate:
    return RunUpdate(
        phase=phase,
        message=exc.message,
        task_id=task.id if task else exc.task_id,
        queued_seconds=clock.queued(),
        processing_seconds=clock.processing(),
        error=exc,
        task_json=task.state.model_dump(mode="json", by_alias=True) if task else None,
    )


async def run_task(
    client: WaveClient, body: dict[str, Any], media_dir: Path, policy: PollPolicy, wake: asyncio.Event | None = None
) -> AsyncIterator[RunUpdate]:
    """Submit ``body`` and stream the run to its end. Never raises: failures are updates too.

    The first update says the request is about to be sent (``sending``); the POST goes out only
    when the consumer comes back for the next one, after it has recorded that.
    """
    clock = _Clock()
    yield RunUpdate(phase=Phase.SUBMITTING, message=SUBMITTING(), sending=True)
    try:
        task = await client.submit(body)
    except errors.SubmitUncertain as exc:
        yield _failure(Phase.UNCERTAIN, exc, clock, None)
        return
    except errors.WaveError as exc:
        yield _failure(Phase.ERROR, exc, clock, None)
        return
    async for update in follow_task(task, media_dir, policy, wake, clock):
        yield update


async def attach_task(
    client: WaveClient, task_id: str, media_dir: Path, policy: PollPolicy, wake: asyncio.Event | None = None
) -> AsyncIterator[RunUpdate]:
    """Pick up a task submitted earlier (a refreshed page, a restarted server, a pasted id)."""
    clock = _Clock()
    yield RunUpdate(phase=Phase.QUEUED, message=LOOKING_UP(task_id=task_id), task_id=task_id)
    try:
        task = await client.get(task_id)
    except errors.WaveError as exc:
        yield RunUpdate(phase=Phase.ERROR, message=exc.message, task_id=task_id, error=exc)
        return
    async for update in follow_task(task, media_dir, policy, wake, clock):
        yield update


async def follow_task(
    task: Task, media_dir: Path, policy: PollPolicy, wake: asyncio.Event | None = None, clock: _Clock | None = None
) -> AsyncIterator[RunUpdate]:
    """Watch a known task to its end and save its videos; the id is in every update."""
    clock = clock or _Clock()
    state: TaskState = task.state
    async for item in watch(task, policy, clock, wake):
        if isinstance(item, errors.PollTimeout):
            yield _failure(Phase.TIMEOUT, item, clock, task)
            return
        if isinstance(item, errors.TaskFailed):
            yield _failure(Phase.FAILED, item, clock, task)
            return
        if isinstance(item, errors.WaveError):
            yield _failure(Phase.ERROR, item, clock, task)
            return
        if isinstance(item, BaseException):
            yield _failure(Phase.ERROR, errors.UnexpectedResponse(repr(item), task_id=task.id), clock, task)
            return
        if isinstance(item, RunUpdate):
            yield item
            continue
        state = item
        if not state.is_terminal:
            yield _status_update(state, clock)
    async for update in _finish(task, state, clock, media_dir):
        yield update


async def _finish(task: Task, state: TaskState, clock: _Clock, media_dir: Path) -> AsyncIterator[RunUpdate]:
    task_json = state.model_dump(mode="json", by_alias=True)
    common = dict(
        task_id=task.id, queued_seconds=clock.queued(), processing_seconds=clock.processing(), task_json=task_json
    )
    if state.status == "cancelled":
        refund = (state.model_extra or {}).get("refund")
        amount = refund.get("amount") if isinstance(refund, dict) else None
        said = CANCELLED_REFUNDED(amount=f"${amount:.2f}") if isinstance(amount, (int, float)) else CANCELLED()
        yield RunUpdate(phase=Phase.CANCELLED, message=said, refund=amount, **common)
        return
    urls = state.video_urls()
    yield RunUpdate(
        phase=Phase.DOWNLOADING,
        message=SAVING(count=len(urls)),
        progress=100,
        video_urls=tuple(urls),
        **common,
    )
    try:
        paths = await download_results(urls, media_dir / task.id)
    except (httpx.HTTPError, errors.WaveError) as exc:
        error = exc if isinstance(exc, errors.WaveError) else errors.ConnectionFailed(type(exc).__name__)
        # The explanation keeps its own full stop where it ends with one; else the sentence gets one.
        not_saved = NOT_SAVED_STOP if error.message.endswith(".") else NOT_SAVED
        yield RunUpdate(
            phase=Phase.ERROR,
            progress=100,
            video_urls=tuple(urls),
            error=error,
            message=not_saved(error=error.message, links=" ".join(urls)),
            **common,
        )
        return
    yield RunUpdate(
        phase=Phase.COMPLETED,
        message=DONE(count=len(paths)),
        progress=100,
        videos=tuple(paths),
        video_urls=tuple(urls),
        **common,
    )


async def cancel_task(client: WaveClient, task_id: str) -> str:
    """Cancel from the page: a sentence saying what happened, refund included."""
    try:
        task = await client.cancel(task_id)
    except errors.WaveError as exc:
        return exc.message
    refund = (task.state.model_extra or {}).get("refund")
    if isinstance(refund, dict) and isinstance(refund.get("amount"), (int, float)):
        return TASK_CANCELLED_REFUNDED(task_id=task_id, amount=f"${refund['amount']:.2f}")
    return TASK_CANCELLED(task_id=task_id)
