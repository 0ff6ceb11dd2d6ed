"""Turning what the visitor gave (a file, a pasted URL, a remix source) into URLs the provider fetches.

Images are checked and normalised first (:mod:`playground.media.images`), then put on a public host
(:mod:`playground.net.hosting`); in demo mode the simulator's own loopback host stands in. A problem
raises :class:`FrameError` naming the field, before anything is submitted or paid for.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import httpx

from ..wave import errors
from ..net import hosting
from ..veo.catalog import FormValues
from ..media.images import ImageRejected, PreparedImage, check_against, compare_frames, prepare_image
from .ownership import Ownership, Refused

if TYPE_CHECKING:
    from ..web.form import ActionForm
    from .engine import Connection
    from ..settings import Settings

T = TypeVar("T")

#: Where a remix clip comes from: the choices of the Remix tab's source selector.
REMIX_FROM_RUN = "A finished run from this session"
REMIX_FROM_TASK = "A task id"
REMIX_FROM_URL = "A video URL"

#: Where a remix source goes in the request: the newer page lists ``first_frame_image`` as
#: "required for image2video / first_last_frame / remix", and documents nothing else for remix.
REMIX_SOURCE_FIELD = "first_frame_image"
#: Stands in for a frame the visitor gave but that is not uploaded yet, so validation and the
#: price readout see it as present; never sent (uploading replaces it).
PENDING_FRAME_URL = "https://pending-upload.invalid/frame.png"


class FrameError(Exception):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class FrameResolver:
    """Holds the operator's upload chain; the simulator's chain is used for demo connections."""

    def __init__(self, settings: "Settings", live_chain: hosting.UploadChain | None,
                 simulator_url: str | None, ownership: Ownership) -> None:
        self.settings = settings
        self.live_chain = live_chain
        self.simulator_url = simulator_url
        self.ownership = ownership
        self.demo_chain = hosting.UploadChain([hosting.SimulatorHost(simulator_url)]) if simulator_url else None

    def chain_for(self, conn: "Connection") -> hosting.UploadChain:
        chain = self.demo_chain if conn.simulated else self.live_chain
        if chain is None:
            raise FrameError("first_frame_image", "No image host is configured (see UPLOAD_HOSTS).")
        return chain

    def destination_text(self) -> str:
        live = hosting.describe_destination(self.live_chain) if self.live_chain else \
            "No public image host is configured."
        return f"Where your image goes: {live} In demo mode images stay on this machine."

    async def resolve(self, conn: "Connection", owner: str, form: "ActionForm", data: dict,
                      values: FormValues) -> tuple[dict[str, str | None], list[str]]:
        """URLs for the request's frame fields, and notes for the page (host used, warnings)."""
        if form.action == "remix":
            return {REMIX_SOURCE_FIELD: await self._remix_source(conn, owner, form, data)}, []
        frames: dict[str, str | None] = {}
        notes: list[str] = []
        prepared: dict[str, PreparedImage] = {}
        for which in ("first", "last"):
            if getattr(form, f"{which}_file") is None:
                continue
            field = f"{which}_frame_image"
            url, image, found = await self.frame_url(conn, field, form.get(data, f"{which}_file"),
                                                      form.get(data, f"{which}_url"), values.aspect_ratio or "16:9")
            frames[field] = url
            notes += found
            if image is not None:
                prepared[which] = image
        if "first" in prepared and "last" in prepared:
            notes += compare_frames(prepared["first"], prepared["last"])
        return frames, notes

    async def frame_url(self, conn: "Connection", field: str, path: str | None, url: str | None,
                         aspect_ratio: str) -> tuple[str | None, PreparedImage | None, list[str]]:
        url = (url or "").strip()
        label = field.replace("_", " ")
        try:
            if path:
                data, name = await asyncio.to_thread(Path(path).read_bytes), Path(path).name
            elif url:
                data, name = await hosting.fetch_pasted_url(url, allow_loopback=False), url.rsplit("/", 1)[-1]
            else:
                return None, None, []
            image = await asyncio.to_thread(prepare_image, data, name)  # Pillow work off the event loop
        except ImageRejected as exc:
            raise FrameError(field, f"{label}: {exc.message}") from exc
        notes = [f"{label}: {w}" for w in (*image.warnings, *check_against(image, aspect_ratio))]
        if url and not path:
            return url, image, notes  # the provider fetches the visitor's own link
        try:
            hosted = await self.chain_for(conn).host(image)
        except hosting.HostingFailed as exc:
            raise FrameError(field, f"{label} could not be uploaded: {exc}") from exc
        return hosted.url, image, [f"{label}: {hosted.summary()}", *notes]

    async def _remix_source(self, conn: "Connection", owner: str, form: "ActionForm", data: dict) -> str:
        choice = form.get(data, "remix_from")
        if choice == REMIX_FROM_RUN:
            reference = (form.get(data, "remix_run") or "").strip()
            if not reference:
                return ""  # the catalog says a source clip is needed
            return _allowed(await self.ownership.run_video(owner, reference))
        if choice == REMIX_FROM_URL:
            return await self.remix_url(conn, owner, form.get(data, "remix_url") or "")
        if choice == REMIX_FROM_TASK:
            return await self._video_of_task(conn, owner, (form.get(data, "remix_task") or "").strip())
        raise FrameError(REMIX_SOURCE_FIELD, f"unknown remix source {choice!r}")

    async def remix_url(self, conn: "Connection", owner: str, url: str) -> str:
        """A clip link the visitor gave, checked like a pasted image link before the provider is asked to
        fetch it. A result link of the embedded simulator is a task of this machine's own: it is taken
        as that task, and only when it is the visitor's own."""
        url = url.strip()
        if not url:
            return url  # the catalog says a source clip is needed
        task_id = self._simulator_task_of(url)
        if task_id is not None:
            if url not in await self._videos_of_task(conn, owner, task_id):
                raise FrameError(REMIX_SOURCE_FIELD, "source clip: that link is not a video of one of your runs.")
            return url
        try:
            await hosting.check_public_url(url, allow_loopback=False)
        except ImageRejected as exc:
            raise FrameError(REMIX_SOURCE_FIELD, f"source clip: {exc.message}") from exc
        return url

    def _simulator_task_of(self, url: str) -> str | None:
        """The task a link names when it points at the embedded simulator's result files."""
        prefix = f"{self.simulator_url}/files/" if self.simulator_url else None
        if prefix is None or not url.startswith(prefix):
            return None
        task_id, _, name = url[len(prefix):].partition("/")
        return task_id if task_id and name else None

    async def _video_of_task(self, conn: "Connection", owner: str, task_id: str) -> str:
        return (await self._videos_of_task(conn, owner, task_id))[0]

    async def _videos_of_task(self, conn: "Connection", owner: str, task_id: str) -> list[str]:
        if not task_id:
            raise FrameError(REMIX_SOURCE_FIELD, "Remix needs a source clip: enter a task id.")
        _allowed(await self.ownership.task(owner, conn, task_id))
        try:
            async with conn.client(self.settings) as client:
                task = await client.get(task_id)
        except errors.WaveError as exc:
            raise FrameError(REMIX_SOURCE_FIELD, f"task {task_id}: {exc}") from exc
        except httpx.HTTPError as exc:
            raise FrameError(REMIX_SOURCE_FIELD, f"task {task_id}: {type(exc).__name__}") from exc
        urls = task.state.video_urls()
        if task.status != "completed" or not urls:
            raise FrameError(REMIX_SOURCE_FIELD, f"task {task_id} has no finished video to remix ({task.status})")
        return urls


def _allowed(answer: T | Refused) -> T:
    """The value of an ownership answer; a refusal becomes the source field's problem."""
    if isinstance(answer, Refused):
        raise FrameError(REMIX_SOURCE_FIELD, answer.message)
    return answer
