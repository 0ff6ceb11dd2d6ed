"""Links to a visitor's videos and posters that name no server path and stop working after a while.

Gradio would serve a saved file at ``/gradio_api/file=<absolute path>`` (or a copy of it in its own cache
under ``/tmp/gradio/...``) to anyone who has the link, for ever, and the link shows the server's folders.
Instead a link is ``/media/v/<token>/<name>``: the token names the run, which of its files (a sample's
index or ``poster``) and when the link expires, with an HMAC over all three. The file itself is found
through the run's record in the history, so a link reaches only what the history lists, inside the media
folder. The page and History sign fresh links each time they show a run, so a visitor's own page keeps
playing after a restart (the signing key is derived from the server's persistent secret).

A link is a bearer link: whoever has it can play the file until it expires (:data:`DEFAULT_LIFETIME_HOURS`).
Status cards (the tiles of runs without a video) are the same for everyone and are served plainly.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import math
import re
import time
from dataclasses import dataclass
from pathlib import Path

from fastapi import APIRouter
from starlette.responses import FileResponse, Response

from ..media import status_card
from .media_files import MediaFiles
from .phases import GroupKind, Phase
from .store import RunStore
from .tracker import board_file

#: A link lasts this long from the moment it is shown (rounded up, see :data:`_EXPIRY_STEP`).
DEFAULT_LIFETIME_HOURS = 24.0
LINK_PREFIX = "/media/v"
CARD_PREFIX = "/media/card"
POSTER = "poster"
#: The joined video of a storyboard, named by its first shot's run.
BOARD = "board"
#: Expiries are rounded up to this step, so a page that lists its runs again gets the same links
#: (and the browser's cached posters) instead of new ones every time.
_EXPIRY_STEP = 900
_RUN_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
_WHICH = re.compile(r"poster|board|[0-9]{1,2}")
_PHASES = frozenset(Phase)
_SECURITY_HEADERS = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}


@dataclass(frozen=True)
class MediaRef:
    """What a verified token names."""

    run_id: str
    which: str
    expires: int

    @property
    def name(self) -> str:
        """The file name the link ends with: what a download is saved as."""
        if self.which == BOARD:
            return "storyboard.mp4"
        return "poster.jpg" if self.which == POSTER else f"sample-{int(self.which) + 1}.mp4"

    @property
    def media_type(self) -> str:
        return "image/jpeg" if self.which == POSTER else "video/mp4"


def _not_found() -> Response:
    # One body for every refusal: a forged, expired or unknown link must not tell which it was.
    return Response(
        "Not found.",
        status_code=404,
        media_type="text/plain",
        headers={"Cache-Control": "no-store", **_SECURITY_HEADERS},
    )


class MediaLinks:
    """Signs and serves links to the files of runs in ``store``, kept under ``media_dir``."""

    def __init__(
        self,
        key: bytes,
        store: RunStore,
        media: MediaFiles | Path,
        lifetime_hours: float = DEFAULT_LIFETIME_HOURS,
    ) -> None:
        # ``key`` is for media links only (``identity.derived_key``): a link can never be replayed as an
        # identity or anything else signed.
        self._key = key
        if lifetime_hours <= 0:
            raise ValueError(f"Media links must last some time; PLAYGROUND_MEDIA_LINK_HOURS is {lifetime_hours}.")
        self.store = store
        self.media = media if isinstance(media, MediaFiles) else MediaFiles(media)
        self.media_dir = self.media.media_dir
        self.lifetime_seconds = lifetime_hours * 3600.0

    def __repr__(self) -> str:  # the key stays out of logs and tracebacks
        return f"MediaLinks(media_dir={self.media_dir!r})"

    # -- signing -------------------------------------------------------------------------------

    def _mac(self, run_id: str, which: str, expires: int) -> str:
        digest = hmac.new(self._key, f"{run_id}.{which}.{expires}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest[:16]).rstrip(b"=").decode()

    def path(self, run_id: str, which: str, now: float | None = None) -> str:
        """``/media/v/<token>/<name>`` for a file of a run: a sample's index as a string, or ``poster``."""
        now = time.time() if now is None else now
        expires = math.ceil((now + self.lifetime_seconds) / _EXPIRY_STEP) * _EXPIRY_STEP
        ref = MediaRef(run_id, which, expires)
        return f"{LINK_PREFIX}/{run_id}.{which}.{expires}.{self._mac(run_id, which, expires)}/{ref.name}"

    def video(self, root: str, run_id: str, index: int) -> str:
        return root + self.path(run_id, str(index))

    def board(self, root: str, first_shot_run_id: str) -> str:
        """The joined video of the storyboard whose first shot is ``first_shot_run_id``."""
        return root + self.path(first_shot_run_id, BOARD)

    def poster(self, root: str, run_id: str) -> str:
        return root + self.path(run_id, POSTER)

    @staticmethod
    def card(root: str, phase: str) -> str:
        return f"{root}{CARD_PREFIX}/{phase}.png"

    def verify(self, token: str, name: str, now: float | None = None) -> MediaRef | None:
        parts = token.split(".")
        if (
            len(parts) != 4
            or not _RUN_ID.fullmatch(parts[0])
            or not _WHICH.fullmatch(parts[1])
            or not parts[2].isdigit()
        ):
            return None
        ref = MediaRef(parts[0], parts[1], int(parts[2]))
        if not hmac.compare_digest(parts[3], self._mac(ref.run_id, ref.which, ref.expires)):
            return None
        if ref.expires <= (time.time() if now is None else now) or name != ref.name:
            return None
        return ref

    # -- serving -------------------------------------------------------------------------------

    async def file_of(self, ref: MediaRef) -> Path | None:
        """The saved file a verified link names, if its run still lists it (fetched from the bucket if need be)."""
        record = await self.store.call(self.store.get, ref.run_id)
        if record is None:
            return None
        if ref.which == BOARD:
            first_shot = record.group_kind == GroupKind.STORYBOARD and record.group_index == 0
            stored = str(board_file(self.media_dir, record.owner, record.group_id or "")) if first_shot else None
        elif ref.which == POSTER:
            stored = record.poster
        else:
            index = int(ref.which)
            stored = record.files[index] if index < len(record.files) else None
        return await self.media.fetch(stored)

    def router(self) -> APIRouter:
        router = APIRouter()

        @router.api_route(LINK_PREFIX + "/{token}/{name}", methods=["GET", "HEAD"], include_in_schema=False)
        async def media(token: str, name: str) -> Response:
            ref = self.verify(token, name)
            path = await self.file_of(ref) if ref is not None else None
            if ref is None or path is None:
                return _not_found()
            left = max(0, int(ref.expires - time.time()))
            # FileResponse answers Range requests with 206, which is what lets a video seek.
            return FileResponse(
                path,
                media_type=ref.media_type,
                filename=ref.name,
                content_disposition_type="inline",
                headers={"Cache-Control": f"private, max-age={min(left, 3600)}", **_SECURITY_HEADERS},
            )

        @router.api_route(CARD_PREFIX + "/{name}", methods=["GET", "HEAD"], include_in_schema=False)
        async def card(name: str) -> Response:
            phase, _, ext = name.partition(".")
            if ext != "png" or phase not in _PHASES:
                return _not_found()
            path = await asyncio.to_thread(status_card, phase, self.media_dir / "_cards")
            return FileResponse(
                path, media_type="image/png", headers={"Cache-Control": "public, max-age=86400", **_SECURITY_HEADERS}
            )

        # Only under our own prefix: /media/tmp/ belongs to the image self-hosting router.
        @router.api_route(LINK_PREFIX + "/{anything:path}", methods=["GET", "HEAD"], include_in_schema=False)
        async def mangled(anything: str) -> Response:
            return _not_found()  # a mangled link looks like any other refused one

        return router
