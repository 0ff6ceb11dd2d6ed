"""The simulator's HTTP face: the Wave task endpoints, result files, and a loopback upload host."""

from __future__ import annotations

import asyncio
import json
import mimetypes
import secrets
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request, UploadFile
from fastapi.responses import FileResponse, JSONResponse, PlainTextResponse, Response

from .engine import Route, ServiceError, Simulator, key_fingerprint
from .wire import WireFaultsAPI

_UPLOAD_LIMIT = 25 * 1024 * 1024


def _error(status: int, message: str, code: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": {"message": message, "code": code}}, status_code=status, headers=headers)


async def _apply_fault(sim: Simulator, route: Route, owner: str | None = None) -> Response | None:
    fault = sim.faults.take(route, owner)
    if fault is None:
        return None
    if fault.delay:
        await asyncio.sleep(fault.delay)
    if fault.malformed:
        return Response("<html>Bad Gateway</html>", status_code=fault.status, media_type="text/html")
    if fault.status < 400:
        return None  # a pure delay
    headers = {"Retry-After": _retry_after_text(fault.retry_after)} if fault.retry_after is not None else None
    code = "rate_limited" if fault.status == 429 else "internal_error"
    return _error(fault.status, fault.message, code, headers)


def _retry_after_text(value: float | str) -> str:
    return value if isinstance(value, str) else f"{value:g}"


async def _json_body(request: Request) -> Any:
    try:
        return await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ServiceError(400, "The request body is not valid JSON", "invalid_json") from None


def create_app(sim: Simulator) -> FastAPI:  # noqa: C901 - one small closure per route
    app = WireFaultsAPI(sim, title="Wave API simulator", docs_url=None, redoc_url=None, openapi_url=None)

    @app.exception_handler(ServiceError)
    async def service_error(_: Request, exc: ServiceError) -> JSONResponse:
        return _error(exc.status, exc.message, exc.code)

    async def guarded(request: Request, route: Route, body: bool = False) -> tuple[str, Any, Response | None]:
        owner = sim.authenticate(request.headers.get("authorization"))
        payload = await _json_body(request) if body else None
        sim.record(request.method, request.url.path, owner, payload if isinstance(payload, dict) else None)
        return owner, payload, await _apply_fault(sim, route, owner)

    @app.post("/v1/tasks")
    async def submit(request: Request) -> Response:
        owner, body, fault = await guarded(request, "submit", body=True)
        if fault:
            return fault
        return JSONResponse(sim.to_json(sim.submit(owner, body)))

    @app.post("/v1/tasks/sync")
    async def submit_sync(request: Request) -> Response:
        owner, body, fault = await guarded(request, "sync", body=True)
        if fault:
            return fault
        timeout = sim.config.sync_default_timeout
        if isinstance(body, dict) and isinstance(body.get("timeout"), (int, float)):
            timeout = float(body.pop("timeout"))
        task = sim.submit(owner, body)
        if await sim.wait_done(task, timeout):
            return JSONResponse(sim.to_json(task))
        return JSONResponse({**sim.to_json(task), "poll_url": f"{sim.public_url}/v1/tasks/{task.id}"})

    @app.get("/v1/tasks/{task_id}")
    async def get_task(task_id: str, request: Request) -> Response:
        owner, _, fault = await guarded(request, "get")
        return fault or JSONResponse(sim.to_json(sim.find(owner, task_id)))

    @app.post("/v1/tasks/{task_id}/cancel")
    async def cancel_task(task_id: str, request: Request) -> Response:
        owner, _, fault = await guarded(request, "cancel")
        return fault or JSONResponse(sim.to_json(sim.cancel(owner, task_id)))

    @app.get("/files/{task_id}/{name}")
    async def media(task_id: str, name: str) -> Response:
        fault = await _apply_fault(sim, "media", sim.owner_of(task_id))
        if fault:
            return fault
        return FileResponse(sim.media_path(task_id, name), media_type="video/mp4")

    _mount_upload_host(app, sim)
    return app


def _mount_upload_host(app: FastAPI, sim: Simulator) -> None:
    """A stand-in for the public image hosts, so demo mode needs no network."""
    folder: Path = sim.media_dir / "uploads"
    folder.mkdir(parents=True, exist_ok=True)

    @app.post("/uploads")
    async def upload(file: UploadFile) -> Response:
        """Multipart ``file`` in, the plain link out: the shape of the public temporary hosts."""
        fault = await _apply_fault(sim, "upload")
        if fault:
            return fault
        data = await file.read(_UPLOAD_LIMIT + 1)
        if not data or len(data) > _UPLOAD_LIMIT:
            return _error(413 if data else 400, "Upload must be between 1 byte and 25 MB", "bad_upload")
        kind = (file.content_type or "application/octet-stream").split(";")[0]
        extension = mimetypes.guess_extension(kind) or ".bin"
        name = f"{secrets.token_urlsafe(16)}{extension}"
        (folder / name).write_bytes(data)
        return PlainTextResponse(f"{sim.public_url}/uploads/{name}")

    @app.get("/uploads/{name}")
    @app.head("/uploads/{name}")
    async def uploaded(name: str) -> Response:
        path = folder / Path(name).name
        if not path.is_file():
            return _error(404, "No such upload", "not_found")
        return FileResponse(path, media_type=mimetypes.guess_type(path.name)[0] or "application/octet-stream")


__all__ = ["create_app", "key_fingerprint"]
