"""The simulated Wave service: tasks, their lifecycle, balances, faults and the request log.

It runs on the event loop of the simulator's own server (see :mod:`.server`), validates
submissions with the same catalog the form uses, and renders real MP4 files for finished tasks.
Tests steer it through :attr:`Simulator.config` and :attr:`Simulator.faults`.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import httpx

from .. import veo
from ..media import ImageRejected
from ..net import pinned_request, shared_tls
from .sources import ReferenceUnavailable, fetch_input, fetch_reference

log = logging.getLogger(__name__)
Route = Literal["submit", "get", "cancel", "sync", "media", "upload"]
#: How a fault shows. ``status``: an error answer. The rest happen below the routes (see http.py):
#: ``reset`` drops the connection without an answer; ``truncate`` answers the real JSON cut in half
#: (well-formed HTTP, malformed JSON); ``cut`` sends the real headers and half the body, then drops
#: the connection; ``odd_status`` reports ``status_value`` as the task's status; ``gone`` answers
#: 404 as if the service had lost the task; ``trickle`` sends the real body ``chunk_bytes`` at a
#: time with ``delay`` between (a very slow, or with a long delay a stalled, download).
FaultKind = Literal["status", "reset", "truncate", "cut", "odd_status", "gone", "trickle"]
WIRE_KINDS = frozenset({"reset", "truncate", "cut", "odd_status", "gone", "trickle"})


def key_fingerprint(api_key: str) -> str:
    """Who sent a request, without keeping the key itself."""
    return hashlib.sha256(api_key.encode()).hexdigest()[:16]


@dataclass
class SimulatorConfig:
    queue_seconds: float = 1.0
    processing_seconds: float = 3.0
    #: How many progress updates processing shows (progress rises in this many steps).
    progress_steps: int = 10
    time_unit: Literal["ms", "s"] = "ms"  # newer pages use ms, an older one seconds
    url_form: Literal["array", "string"] = "array"  # newer page: array; older page: plain string
    link_lifetime: float = 24 * 3600.0
    #: Keys the service knows; ``None`` accepts any non-empty key (demo mode).
    valid_keys: set[str] | None = None
    #: Balance in USD per key fingerprint; a key not listed has unlimited balance.
    balances: dict[str, float] = field(default_factory=dict)
    #: Per-call tiers and older models publish no price; the simulator charges this per video.
    unpublished_price: float = 0.0
    sync_default_timeout: float = 30.0
    #: Per-task (queue, processing) seconds from the request body, so one run can mix short and
    #: long tasks (the benchmark); ``None`` gives every task the two fixed values above.
    timing: Callable[[dict[str, Any]], tuple[float, float]] | None = None
    #: Pad each result file to this many bytes (a sparse file, streamed like any other), so the
    #: benchmark can download a large result without rendering one.
    result_bytes: int | None = None
    #: Reference fetches and callbacks reach public addresses, and loopback, which for a test simulator
    #: stands in for the internet. The embedded demo simulator runs on a shared server, where loopback is
    #: the server itself: set, it reaches loopback only at its own address (its /uploads and /files).
    loopback_own_origin_only: bool = False
    #: Finished tasks kept (newest first), with their result files: an older one is forgotten as the service
    #: forgets old tasks (GET answers 404), so a long-running demo holds a bounded number. ``None``: all.
    finished_tasks_kept: int | None = 1000
    #: Requests kept in :attr:`Simulator.requests` (the newest); ``None``: all.
    requests_kept: int | None = 20_000


@dataclass
class Fault:
    """One scripted misbehaviour, used ``times`` times on requests to ``route``."""

    route: Route
    status: int = 500
    times: int = 1
    #: Seconds, or any text (an HTTP date, or junk a client must survive).
    retry_after: float | str | None = None
    delay: float = 0.0
    #: Answer with a body that is not JSON.
    malformed: bool = False
    message: str = "simulated fault"
    #: ``status`` answers with an HTTP status; the other kinds misbehave on the wire (see WIRE_KINDS).
    kind: FaultKind = "status"
    #: For ``reset``: the service did the work (a submission created its task) before the drop.
    after_work: bool = False
    #: For ``odd_status``: the status value GET reports instead of the real one.
    status_value: str = "rendering"
    #: For ``trickle``: bytes per write; ``delay`` is then the pause between writes.
    chunk_bytes: int = 16 * 1024
    #: Strike only this key's requests (a key fingerprint; result files count as their task owner's),
    #: so concurrent visitors, or concurrent test cases, each meet their own faults.
    owner: str | None = None


class Faults:
    """Thread-safe queue of faults; tests add them from their own thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self._task_failures: list[tuple[str, str]] = []

    def add(self, route: Route, status: int = 500, *, times: int = 1, **kwargs: Any) -> None:
        with self._lock:
            self._faults.append(Fault(route, status, times, **kwargs))

    def fail_next_task(self, message: str = "Video generation failed", code: str = "task_failed") -> None:
        """The next submitted task fails while processing, with this error."""
        with self._lock:
            self._task_failures.append((message, code))

    def take(self, route: Route, owner: str | None = None) -> Fault | None:
        """The route's next fault when it is an answer a route gives (``kind == "status"``)."""
        return self._take_first(route, wire=False, owner=owner)

    def take_wire(self, route: Route, owner: str | None = None) -> Fault | None:
        """The route's next fault when it is one only the wire can show (see ``WIRE_KINDS``).

        Faults of one route are used in the order they were added, whichever layer serves them.
        """
        return self._take_first(route, wire=True, owner=owner)

    def _take_first(self, route: Route, wire: bool, owner: str | None) -> Fault | None:
        with self._lock:
            fault = next((f for f in self._faults if f.route == route and f.owner in (None, owner)), None)
            if fault is None or (fault.kind in WIRE_KINDS) != wire:
                return None
            fault.times -= 1
            if fault.times <= 0:
                self._faults.remove(fault)
            return fault

    def take_task_failure(self) -> tuple[str, str] | None:
        with self._lock:
            return self._task_failures.pop(0) if self._task_failures else None

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()
            self._task_failures.clear()


@dataclass
class LoggedRequest:
    method: str
    path: str
    key: str  # fingerprint, never the key
    body: dict[str, Any] | None
    at: float = field(default_factory=time.time)


@dataclass
class SimTask:
    id: str
    owner: str
    body: dict[str, Any]
    resolved: veo.Resolved
    cost: float
    created_at: float = field(default_factory=time.time)
    status: str = "queued"
    progress: int = 0
    started_at: float | None = None
    completed_at: float | None = None
    #: When the service finished the task: the benchmark measures from here to the page.
    completed_monotonic: float | None = None
    error: dict[str, str] | None = None
    files: list[Path] = field(default_factory=list)
    expires_at: float | None = None
    refund: float | None = None
    runner: asyncio.Task[None] | None = field(default=None, repr=False)
    done: asyncio.Event = field(default_factory=asyncio.Event, repr=False)


class ServiceError(Exception):
    """An error answer of the service: ``{"error": {"message", "code"}}`` with an HTTP status."""

    def __init__(self, status: int, message: str, code: str) -> None:
        super().__init__(message)
        self.status, self.message, self.code = status, message, code


class Simulator:
    def __init__(self, media_dir: Path, config: SimulatorConfig | None = None, *, public_url: str = "") -> None:
        self.config = config or SimulatorConfig()
        self.faults = Faults()
        self.media_dir = media_dir
        self.media_dir.mkdir(parents=True, exist_ok=True)
        #: Where clients reach the simulator; set by the server once its port is known.
        self.public_url = public_url
        self.tasks: dict[str, SimTask] = {}
        self.requests: list[LoggedRequest] = []
        self.spent: dict[str, float] = {}
        self._log_lock = threading.Lock()
        #: Finished tasks' ids, oldest first (see ``SimulatorConfig.finished_tasks_kept``).
        self._finished: deque[str] = deque()

    # -- bookkeeping -------------------------------------------------------------------------

    def record(self, method: str, path: str, key: str, body: dict[str, Any] | None) -> None:
        with self._log_lock:
            self.requests.append(LoggedRequest(method, path, key, body))
            kept = self.config.requests_kept
            if kept is not None and len(self.requests) > kept + max(1, kept // 10):
                del self.requests[: len(self.requests) - kept]  # now and then, not on every request

    def submissions(self) -> list[LoggedRequest]:
        with self._log_lock:
            return [r for r in self.requests if r.method == "POST" and r.path in ("/v1/tasks", "/v1/tasks/sync")]

    def authenticate(self, authorization: str | None) -> str:
        scheme, _, key = (authorization or "").partition(" ")
        key = key.strip()
        if scheme.lower() != "bearer" or not key:
            raise ServiceError(401, "Missing API key: send Authorization: Bearer <key>", "unauthorized")
        if self.config.valid_keys is not None and key not in self.config.valid_keys:
            raise ServiceError(401, "Invalid API key", "invalid_api_key")
        return key_fingerprint(key)

    def _stamp(self, seconds: float | None) -> int | None:
        if seconds is None:
            return None
        return int(seconds * 1000) if self.config.time_unit == "ms" else int(seconds)

    # -- the API -----------------------------------------------------------------------------

    def submit(self, owner: str, body: Any) -> SimTask:
        if not isinstance(body, dict):
            raise ServiceError(400, "The request body must be a JSON object", "invalid_request")
        form = veo.FormValues.from_body(body)
        problems = veo.check(form)
        if problems:
            raise ServiceError(400, "; ".join(str(p) for p in problems), "invalid_parameters")
        resolved = veo.resolve(form)
        cost = self._price(resolved)
        balance = self.config.balances.get(owner)
        if balance is not None and self.spent.get(owner, 0.0) + cost > balance + 1e-9:
            raise ServiceError(402, f"Insufficient balance: this task costs ${cost:.2f}", "insufficient_balance")
        self.spent[owner] = self.spent.get(owner, 0.0) + cost
        task = SimTask(
            id=f"task-wave{int(time.time())}{secrets.token_hex(6)}",
            owner=owner,
            body=body,
            resolved=resolved,
            cost=cost,
        )
        self.tasks[task.id] = task
        task.runner = asyncio.get_running_loop().create_task(self._run(task))
        return task

    def _price(self, resolved: veo.Resolved) -> float:
        est = veo.estimate(resolved)
        if est.total is not None:
            return est.total
        return self.config.unpublished_price * resolved.samples

    def owner_of(self, task_id: str) -> str | None:
        """Whose task this is (result files carry no key, so their faults go by the task's owner)."""
        task = self.tasks.get(task_id)
        return task.owner if task else None

    def find(self, owner: str, task_id: str) -> SimTask:
        task = self.tasks.get(task_id)
        if task is None or task.owner != owner:
            raise ServiceError(404, f"Task {task_id} not found", "task_not_found")
        return task

    def cancel(self, owner: str, task_id: str) -> SimTask:
        task = self.find(owner, task_id)
        if task.status != "queued":
            raise ServiceError(400, f"Only queued tasks can be cancelled; this task is {task.status}", "invalid_state")
        if task.runner:
            task.runner.cancel()
        task.status, task.completed_at = "cancelled", time.time()
        task.refund = task.cost
        self.spent[owner] = self.spent.get(owner, 0.0) - task.cost
        task.done.set()
        self._finished_one(task)
        return task

    async def wait_done(self, task: SimTask, timeout: float) -> bool:
        try:
            await asyncio.wait_for(asyncio.shield(task.done.wait()), timeout)
            return True
        except TimeoutError:
            return False

    # -- lifecycle ---------------------------------------------------------------------------

    async def _run(self, task: SimTask) -> None:
        try:
            queue_seconds, processing_seconds = self._timing(task)
            await asyncio.sleep(queue_seconds)
            task.status, task.started_at = "processing", time.time()
            failure = self.faults.take_task_failure()
            render = asyncio.create_task(self._render(task))
            steps = max(1, self.config.progress_steps)
            for step in range(1, steps):
                await asyncio.sleep(processing_seconds / steps)
                task.progress = int(100 * step / steps)
            await asyncio.sleep(processing_seconds / steps)
            if failure:
                render.cancel()
                self._finish(task, "failed", error={"message": failure[0], "code": failure[1]})
            else:
                task.files = await render
                self._finish(task, "completed")
        except asyncio.CancelledError:
            raise
        except ReferenceUnavailable as exc:
            self._finish(
                task, "failed", error={"message": f"The input could not be used: {exc}", "code": "invalid_input"}
            )
        except Exception as exc:  # a rendering bug must fail the task, not hang it
            log.exception("simulated task %s crashed", task.id)
            self._finish(task, "failed", error={"message": f"Simulator could not render: {exc}", "code": "task_failed"})
        await self._send_callback(task)

    def _timing(self, task: SimTask) -> tuple[float, float]:
        if self.config.timing is not None:
            return self.config.timing(task.body)
        return self.config.queue_seconds, self.config.processing_seconds

    def _finish(self, task: SimTask, status: str, error: dict[str, str] | None = None) -> None:
        task.completed_at = time.time()
        task.completed_monotonic = time.monotonic()
        if status == "completed":
            task.progress = 100
            task.expires_at = task.completed_at + self.config.link_lifetime
        else:
            task.progress, task.error = 0, error
        task.status = status
        task.done.set()
        self._finished_one(task)

    def _finished_one(self, task: SimTask) -> None:
        """Note a finished task; forget the oldest finished ones past ``finished_tasks_kept``, files and all."""
        self._finished.append(task.id)
        kept = self.config.finished_tasks_kept
        while kept is not None and len(self._finished) > kept:
            old = self.tasks.pop(self._finished.popleft(), None)
            if old is None:
                continue
            for path in old.files:
                with contextlib.suppress(OSError):
                    path.unlink()
            with contextlib.suppress(OSError):
                (self.media_dir / old.id).rmdir()  # left alone if anything else is in it

    async def _render(self, task: SimTask) -> list[Path]:
        from .workers import PREPEND_CLIP  # not at import: ``python -m`` runs workers.py after this package

        r = task.resolved
        refs, clip = await self._inputs(task)
        folder = self.media_dir / task.id
        folder.mkdir(parents=True, exist_ok=True)
        # A remix answers the source clip followed by the extension, unless ``raw`` asks for the extension alone.
        source = folder / ".remix-source.mp4" if clip is not None and r.form.raw is not True else None
        if source is not None:
            await asyncio.to_thread(source.write_bytes, clip)
        del clip
        paths = []
        try:
            for index in range(r.samples):
                spec: dict[str, Any] = dict(
                    prompt=r.prompt,
                    duration=r.duration,
                    aspect_ratio=r.aspect_ratio,
                    audio=r.audio,
                    model=r.model.id,
                    resolution=r.resolution,
                    sample_index=index,
                    sample_count=r.samples,
                    reference_images=tuple(x for x in refs if x),
                )
                if source is not None:
                    spec[PREPEND_CLIP] = str(source)
                path = folder / f"sample-{index + 1}.mp4"
                await _render_elsewhere(path, spec)
                if self.config.result_bytes and path.stat().st_size < self.config.result_bytes:
                    os.truncate(path, self.config.result_bytes)  # zeros past the MP4: sparse, so cheap
                paths.append(path)
        finally:
            if source is not None:
                source.unlink(missing_ok=True)
        return paths

    async def _inputs(self, task: SimTask) -> tuple[list[bytes], bytes | None]:
        """The reference images a render opens and closes on, and a remix's source clip (``None`` otherwise)."""
        rule = self._loopback_rule()
        first, refs = None, []
        if url := task.body.get("first_frame_image"):
            first = await fetch_input(url, **rule)
            refs.append(first.image)
        if url := task.body.get("last_frame_image"):
            refs.append(await fetch_reference(url, **rule))
        # Reference images are fetched as the provider would (a dead link fails the task); without a first
        # frame the first one opens the clip ("in some scenarios equivalent to first_frame_image").
        references = [await fetch_reference(url, **rule) for url in task.body.get("image_urls") or ()]
        clip = first.clip if first is not None and task.resolved.action == "remix" else None
        return refs or references[:1], clip

    async def _send_callback(self, task: SimTask) -> None:
        url = task.body.get("callback_url")
        events = task.body.get("callback_events") or ["completed", "failed"]
        if not url or task.status not in events:
            return
        # Only where the real service could post from outside: public addresses, and loopback where that
        # is the caller's own machine (tests and the benchmark listen there), never private neighbours.
        try:
            target, headers, extensions = await pinned_request(url, **self._loopback_rule())
        except ImageRejected as exc:
            log.warning("callback for %s to %s not sent: %s", task.id, url, exc.message)
            return
        try:
            async with httpx.AsyncClient(timeout=10.0, verify=shared_tls()) as http:
                await http.post(target, json=self.to_json(task), headers=headers, extensions=extensions)
        except httpx.HTTPError as exc:
            log.warning("callback for %s to %s failed: %s", task.id, url, exc)

    def _loopback_rule(self) -> dict[str, Any]:
        """How far into loopback fetches and callbacks may go: anywhere, or only this simulator's own origin."""
        if not self.config.loopback_own_origin_only:
            return {"allow_loopback": True}
        return {"allow_loopback": False, "loopback_only_to": self.public_url or None}

    # -- what GET answers --------------------------------------------------------------------

    def media_url(self, task: SimTask, index: int) -> str:
        return f"{self.public_url}/files/{task.id}/sample-{index + 1}.mp4"

    def to_json(self, task: SimTask) -> dict[str, Any]:
        data: dict[str, Any] = {
            "task_id": task.id,
            "model": task.resolved.model.id,
            "action": task.resolved.action,
            "status": task.status,
            "progress": task.progress,
            "created_at": self._stamp(task.created_at),
            "urls": {
                "get": f"{self.public_url}/v1/tasks/{task.id}",
                "cancel": f"{self.public_url}/v1/tasks/{task.id}/cancel",
            },
        }
        if self.config.time_unit == "s" and task.started_at:
            data["start_time"] = self._stamp(task.started_at)
        if task.status in ("completed", "failed", "cancelled"):
            data["completed_at"] = self._stamp(task.completed_at)
        if task.error:
            data["error"] = dict(task.error)
        if task.status == "completed":
            data["result"] = {"videos": [self._media_item(task, i) for i in range(len(task.files))]}
        if task.refund is not None:
            data["refund"] = {"amount": round(task.refund, 2), "currency": "USD"}
        return data

    def _media_item(self, task: SimTask, index: int) -> dict[str, Any]:
        url = self.media_url(task, index)
        return {"url": [url] if self.config.url_form == "array" else url, "expires_at": int(task.expires_at or 0)}

    def media_path(self, task_id: str, name: str) -> Path:
        """The file behind a result URL; 404 for unknown, 403 once the link has expired."""
        task = self.tasks.get(task_id)
        if task is None or task.status != "completed":
            raise ServiceError(404, "No such file", "not_found")
        if task.expires_at is not None and time.time() > task.expires_at:
            raise ServiceError(403, "This link has expired", "link_expired")
        for path in task.files:
            if path.name == name:
                return path
        raise ServiceError(404, "No such file", "not_found")


# -- rendering off the app's process ----------------------------------------------------------------


async def _render_elsewhere(path: Path, spec: dict[str, Any]) -> None:
    """Render in a worker process (see :mod:`.workers`); this thread only waits on its pipe."""
    from .workers import pool

    await asyncio.get_running_loop().run_in_executor(None, pool().render, path, spec)
