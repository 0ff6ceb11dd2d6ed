"""Share links: an unguessable ``/share/<token>`` page for one finished run, readable by anyone who has it.

A token names one run and nothing else: the page, its videos and its poster are served through the
token (``/share/<token>/video/<n>.mp4``, ``/share/<token>/poster.jpg``), found through the run's record
inside the media folder, so a share link never opens another run or file. The page carries no key,
owner id or server path: only the prompt, the model, the settings a visitor chose, the price and the
date. The owner lists and revokes their links; a revoked or made-up token answers 404 like any other.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, Response

from ..texts import lang_of
from .database import one, rows, run
from .media_files import MediaFiles
from .phases import Phase
from .record import RunRecord
from .share_page import share_page
from .store import RunStore

SHARE_PREFIX = "/share"
_HEADERS = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer", "Cache-Control": "no-store"}


@dataclass(frozen=True)
class Share:
    token: str
    run_id: str
    created_at: float


def _not_found() -> Response:
    return Response("Not found.", status_code=404, media_type="text/plain", headers=_HEADERS)


class Shares:
    """The share links of runs in ``store`` (kept in the same database), and the routes that serve them."""

    def __init__(self, store: RunStore, media: MediaFiles | Path, public_base_url: str | None = None) -> None:
        self.store = store
        self.media = media if isinstance(media, MediaFiles) else MediaFiles(media)
        self.base = (public_base_url or "").rstrip("/")
        self.db = store.db  # the table is made by the store's migrations

    # -- the owner's side ------------------------------------------------------------------------

    def url(self, token: str, root: str = "") -> str:
        """The link to a share page: absolute on the public address when there is one, else on ``root``."""
        return f"{self.base or root}{SHARE_PREFIX}/{token}"

    def share(self, owner: str, run_id: str) -> Share | None:
        """The link of one of ``owner``'s finished runs (the same one each time); None for anything else."""
        record = self.store.owned_run(owner, run_id)
        if record is None or record.phase != Phase.COMPLETED or not record.files:
            return None
        with self.db.connect() as db:
            row = one(
                db,
                "SELECT * FROM shares WHERE owner = :owner AND run_id = :run_id AND revoked_at IS NULL",
                {"owner": owner, "run_id": run_id},
            )
            if row is None:
                token, now = secrets.token_urlsafe(18), time.time()
                run(
                    db,
                    "INSERT INTO shares (token, run_id, owner, created_at) VALUES (:token, :run_id, :owner, :now)",
                    {"token": token, "run_id": run_id, "owner": owner, "now": now},
                )
                return Share(token, run_id, now)
        return Share(row["token"], row["run_id"], row["created_at"])

    def revoke(self, owner: str, run_id: str) -> bool:
        """Revoke every live link of one of ``owner``'s runs; whether there was one."""
        with self.db.connect() as db:
            done = run(
                db,
                "UPDATE shares SET revoked_at = :now WHERE owner = :owner AND run_id = :run_id AND revoked_at IS NULL",
                {"now": time.time(), "owner": owner, "run_id": run_id},
            )
        return done > 0

    def of(self, owner: str) -> list[Share]:
        """``owner``'s live links, newest first."""
        with self.db.connect() as db:
            found = rows(
                db,
                "SELECT * FROM shares WHERE owner = :owner AND revoked_at IS NULL ORDER BY created_at DESC",
                {"owner": owner},
            )
        return [Share(r["token"], r["run_id"], r["created_at"]) for r in found]

    # -- anyone's side ---------------------------------------------------------------------------

    def record_of(self, token: str) -> RunRecord | None:
        """The run a live token names, if it still has its videos; None for a revoked or made-up token."""
        if not token or len(token) > 64:
            return None
        with self.db.connect() as db:
            row = one(db, "SELECT * FROM shares WHERE token = :token AND revoked_at IS NULL", {"token": token})
        record = self.store.owned_run(row["owner"], row["run_id"]) if row else None
        return record if record is not None and record.phase == Phase.COMPLETED and record.files else None

    async def _file(self, record: RunRecord, which: str) -> Path | None:
        if which == "poster":
            return await self.media.fetch(record.poster)
        index = int(which)
        return await self.media.fetch(record.files[index] if index < len(record.files) else None)

    def router(self) -> APIRouter:
        router = APIRouter()

        @router.get(SHARE_PREFIX + "/{token}", include_in_schema=False)
        async def page(token: str, request: Request) -> Response:
            record = await asyncio.to_thread(self.record_of, token)
            if record is None:
                return _not_found()
            own_url = self.url(token)  # absolute on the public address, so the tags unfold; relative without one
            lang = lang_of(request.headers.get("accept-language"))
            return HTMLResponse(share_page(record, own_url, token, lang), headers=_HEADERS)

        @router.api_route(SHARE_PREFIX + "/{token}/{name}", methods=["GET", "HEAD"], include_in_schema=False)
        async def share_media(token: str, name: str) -> Response:
            which = "poster" if name == "poster.jpg" else name.removeprefix("video-").removesuffix(".mp4")
            if which != "poster" and not (which.isdigit() and len(which) <= 2 and name.startswith("video-")):
                return _not_found()
            record = await asyncio.to_thread(self.record_of, token)
            path = await self._file(record, which) if record is not None else None
            if path is None:
                return _not_found()
            kind = "image/jpeg" if which == "poster" else "video/mp4"
            return FileResponse(path, media_type=kind, headers={**_HEADERS, "Cache-Control": "public, max-age=300"})

        return router
