"""Turning what the visitor gave (a file, a pasted URL, a remix source) into URLs the provider fetches.

Images are checked and normalised first (:mod:`playground.media.images`), then put on a public host
(:mod:`playground.net.uploads`); in demo mode the simulator's own loopback host stands in. A problem
raises :class:`FrameError` naming the field, before anything is submitted or paid for.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import httpx

from ..media import ImageRejected, PreparedImage, check_against, compare_frames, prepare_image
from ..net import HostingFailed, SimulatorHost, UploadChain, check_public_url, describe_destination, fetch_pasted_url
from ..texts import text
from ..veo import REQUIRED_IMAGES, FormValues, field_words, split_urls
from ..wave import errors
from .ownership import Ownership, Refused

if TYPE_CHECKING:
    from ..settings import Settings
    from .connection import Connection

T = TypeVar("T")


class RemixFrom(StrEnum):
    """Where a remix clip comes from: the values of the Remix tab's source selector (its labels are translated)."""

    RUN = "A finished run from this session"
    TASK = "A task id"
    URL = "A video URL"


REMIX_FROM_RUN, REMIX_FROM_TASK, REMIX_FROM_URL = RemixFrom.RUN, RemixFrom.TASK, RemixFrom.URL

#: Where a remix source goes in the request: the newer page lists ``first_frame_image`` as
#: "required for image2video / first_last_frame / remix", and documents nothing else for remix.
REMIX_SOURCE_FIELD = "first_frame_image"
#: Stands in for a frame the visitor gave but that is not uploaded yet, so validation and the
#: price readout see it as present; never sent (uploading replaces it).
PENDING_FRAME_URL = "https://pending-upload.invalid/frame.png"


@dataclass(frozen=True)
class FrameInputs:
    """What the visitor gave for a run's frames or remix source, as plain values read off the page.

    A tab without a control leaves its value ``None``; which frames a run takes comes from its action.
    """

    #: Paths of uploaded images.
    first_file: str | None = None
    first_url: str | None = None
    last_file: str | None = None
    last_url: str | None = None
    #: A :class:`RemixFrom` value, and what that choice names.
    remix_from: str | None = None
    remix_run: str | None = None
    remix_task: str | None = None
    remix_url: str | None = None
    #: Reference images (``image_urls``): paths of uploaded images, and pasted links as text, one a line.
    reference_files: Sequence[str] | None = None
    reference_urls: str | None = None


class FrameError(Exception):
    """A frame or remix source that cannot be used; ``message`` is what the visitor reads (a Message)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


NO_HOST = text("runs.frames.no_host", "No image host is configured (see UPLOAD_HOSTS).")
NO_PUBLIC_HOST = text("runs.frames.no_public_host", "No public image host is configured.")
WHERE_IT_GOES = text(
    "runs.frames.where_it_goes", "Where your image goes: {live} In demo mode images stay on this machine."
)
# One frame's refusal or note, said of the frame (``{label}``: which one, in words).
FRAME_REFUSED = text("runs.frames.frame_refused", "{label}: {problem}")
FRAME_NOTE = text("runs.frames.frame_note", "{label}: {note}")
FRAME_HOSTED = text("runs.frames.frame_hosted", "{label}: {summary}")
NOT_UPLOADED = text("runs.frames.not_uploaded", "{label} could not be uploaded: {problem}")
# What is wrong with a remix source.
UNKNOWN_SOURCE = text("runs.frames.unknown_source", "unknown remix source {choice}")
NOT_YOUR_VIDEO = text("runs.frames.not_your_video", "source clip: that link is not a video of one of your runs.")
CLIP_REFUSED = text("runs.frames.clip_refused", "source clip: {problem}")
NEEDS_TASK_ID = text("runs.frames.needs_task_id", "Remix needs a source clip: enter a task id.")
TASK_PROBLEM = text("runs.frames.task_problem", "task {task_id}: {problem}")
NO_VIDEO_TO_REMIX = text("runs.frames.no_video_to_remix", "task {task_id} has no finished video to remix ({status})")
#: A reference image of ``image_urls`` in words, counted from 1 in the order given (files first, then links).
REFERENCE_LABEL = text("runs.frames.reference_label", "reference image {number}")


class FrameResolver:
    """Holds the operator's upload chain; the simulator's chain is used for demo connections."""

    def __init__(
        self, settings: Settings, live_chain: UploadChain | None, simulator_url: str | None, ownership: Ownership
    ) -> None:
        self.settings = settings
        self.live_chain = live_chain
        self.simulator_url = simulator_url
        self.ownership = ownership
        self.demo_chain = UploadChain([SimulatorHost(simulator_url)]) if simulator_url else None

    def chain_for(self, conn: Connection) -> UploadChain:
        chain = self.demo_chain if conn.simulated else self.live_chain
        if chain is None:
            raise FrameError("first_frame_image", NO_HOST())
        return chain

    def destination_text(self) -> str:
        live = describe_destination(self.live_chain) if self.live_chain else NO_PUBLIC_HOST()
        return WHERE_IT_GOES(live=live)

    async def resolve(
        self, conn: Connection, owner: str, inputs: FrameInputs, values: FormValues
    ) -> tuple[dict[str, str | list[str] | None], list[str]]:
        """URLs for the request's image fields (the frames ``values.action`` takes, and ``image_urls`` where
        ``values`` has reference images), and notes for the page (host used, warnings)."""
        frames, notes = await self._frames(conn, owner, inputs, values)
        if values.image_urls:
            given = [(path, None) for path in inputs.reference_files or ()]
            given += [(None, url) for url in split_urls(inputs.reference_urls or "")]
            frames["image_urls"], found = await self.reference_urls(conn, given, values.aspect_ratio or "16:9")
            notes += found
        return frames, notes

    async def reference_urls(
        self, conn: Connection, given: Sequence[tuple[str | None, str | None]], aspect_ratio: str
    ) -> tuple[list[str], list[str]]:
        """URLs for ``image_urls``, one per reference image given as (uploaded file's path, pasted link),
        each checked, hosted and refused exactly as a frame is; and the notes for the page."""
        urls: list[str] = []
        notes: list[str] = []
        for number, (path, url) in enumerate(given, start=1):
            label = REFERENCE_LABEL(number=number)
            hosted, _, found = await self.frame_url(conn, "image_urls", path, url, aspect_ratio, label=label)
            urls += [hosted] if hosted else []
            notes += found
        return urls, notes

    async def _frames(
        self, conn: Connection, owner: str, inputs: FrameInputs, values: FormValues
    ) -> tuple[dict[str, str | list[str] | None], list[str]]:
        if values.action == "remix":
            return {REMIX_SOURCE_FIELD: await self._remix_source(conn, owner, inputs)}, []
        frames: dict[str, str | list[str] | None] = {}
        notes: list[str] = []
        prepared: dict[str, PreparedImage] = {}
        for field in REQUIRED_IMAGES.get(values.action, ()):
            which = field.removesuffix("_frame_image")
            url, image, found = await self.frame_url(
                conn,
                field,
                getattr(inputs, f"{which}_file"),
                getattr(inputs, f"{which}_url"),
                values.aspect_ratio or "16:9",
            )
            frames[field] = url
            notes += found
            if image is not None:
                prepared[which] = image
        if "first" in prepared and "last" in prepared:
            notes += compare_frames(prepared["first"], prepared["last"])
        return frames, notes

    async def frame_url(
        self, conn: Connection, field: str, path: str | None, url: str | None, aspect_ratio: str, label: str = ""
    ) -> tuple[str | None, PreparedImage | None, list[str]]:
        url = (url or "").strip()
        label = label or field_words(field)
        try:
            if path:
                data, name = await asyncio.to_thread(Path(path).read_bytes), Path(path).name
            elif url:
                data, name = await fetch_pasted_url(url, allow_loopback=False), url.rsplit("/", 1)[-1]
            else:
                return None, None, []
            image = await asyncio.to_thread(prepare_image, data, name)  # Pillow work off the event loop
        except ImageRejected as exc:
            raise FrameError(field, FRAME_REFUSED(label=label, problem=exc.message)) from exc
        notes = [FRAME_NOTE(label=label, note=w) for w in (*image.warnings, *check_against(image, aspect_ratio))]
        if url and not path:
            return url, image, notes  # the provider fetches the visitor's own link
        try:
            hosted = await self.chain_for(conn).host(image)
        except HostingFailed as exc:
            raise FrameError(field, NOT_UPLOADED(label=label, problem=exc.message)) from exc
        return hosted.url, image, [FRAME_HOSTED(label=label, summary=hosted.summary()), *notes]

    async def _remix_source(self, conn: Connection, owner: str, inputs: FrameInputs) -> str:
        choice = inputs.remix_from
        if choice == RemixFrom.RUN:
            reference = (inputs.remix_run or "").strip()
            if not reference:
                return ""  # the catalog says a source clip is needed
            return _allowed(await self.ownership.run_video(owner, reference))
        if choice == RemixFrom.URL:
            return await self.remix_url(conn, owner, inputs.remix_url or "")
        if choice == RemixFrom.TASK:
            return await self._video_of_task(conn, owner, (inputs.remix_task or "").strip())
        raise FrameError(REMIX_SOURCE_FIELD, UNKNOWN_SOURCE(choice=repr(choice)))

    async def remix_url(self, conn: Connection, owner: str, url: str) -> str:
        """A clip link the visitor gave, checked like a pasted image link before the provider is asked to
        fetch it. A result link of the embedded simulator is a task of this machine's own: it is taken
        as that task, and only when it is the visitor's own."""
        url = url.strip()
        if not url:
            return url  # the catalog says a source clip is needed
        task_id = self._simulator_task_of(url)
        if task_id is not None:
            if url not in await self._videos_of_task(conn, owner, task_id):
                raise FrameError(REMIX_SOURCE_FIELD, NOT_YOUR_VIDEO())
            return url
        try:
            await check_public_url(url, allow_loopback=False)
        except ImageRejected as exc:
            raise FrameError(REMIX_SOURCE_FIELD, CLIP_REFUSED(problem=exc.message)) from exc
        return url

    def _simulator_task_of(self, url: str) -> str | None:
        """The task a link names when it points at the embedded simulator's result files."""
        prefix = f"{self.simulator_url}/files/" if self.simulator_url else None
        if prefix is None or not url.startswith(prefix):
            return None
        task_id, _, name = url[len(prefix) :].partition("/")
        return task_id if task_id and name else None

    async def _video_of_task(self, conn: Connection, owner: str, task_id: str) -> str:
        return (await self._videos_of_task(conn, owner, task_id))[0]

    async def _videos_of_task(self, conn: Connection, owner: str, task_id: str) -> list[str]:
        if not task_id:
            raise FrameError(REMIX_SOURCE_FIELD, NEEDS_TASK_ID())
        _allowed(await self.ownership.task(owner, conn, task_id))
        try:
            async with conn.client(self.settings) as client:
                task = await client.get(task_id)
        except errors.WaveError as exc:
            raise FrameError(REMIX_SOURCE_FIELD, TASK_PROBLEM(task_id=task_id, problem=exc.message)) from exc
        except httpx.HTTPError as exc:
            raise FrameError(REMIX_SOURCE_FIELD, TASK_PROBLEM(task_id=task_id, problem=type(exc).__name__)) from exc
        urls = task.state.video_urls()
        if task.status != "completed" or not urls:
            raise FrameError(REMIX_SOURCE_FIELD, NO_VIDEO_TO_REMIX(task_id=task_id, status=task.status))
        return urls


def _allowed(answer: T | Refused) -> T:
    """The value of an ownership answer; a refusal becomes the source field's problem."""
    if isinstance(answer, Refused):
        raise FrameError(REMIX_SOURCE_FIELD, answer.message)
    return answer
