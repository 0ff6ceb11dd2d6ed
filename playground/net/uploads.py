"""Putting a prepared reference image online: the hosts tried in order, each link checked.

The provider only takes images by URL, so a dropped file must be put somewhere it can fetch.
``UploadChain`` tries the configured hosts in order, checks that the link really serves the
image (a link that 404s or serves a web page would still cost a video) and falls back to the
next host on any failure, answering every attempt of that call for the page.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import replace

import httpx

from ..media import PreparedImage
from ..texts import text
from . import http_client
from .hosts import Attempt, HostedImage, HostError, ImageHost
from .http_client import DEFAULT_TIMEOUT_SECONDS, VERIFY_TIMEOUT_SECONDS, ClientFactory

log = logging.getLogger(__name__)

#: A cached link is reused only while it stays alive at least this long (the provider
#: may fetch the image a few minutes after submission).
REUSE_MARGIN_SECONDS = 300.0

NOT_ONLINE = text(
    "net.uploads.not_online",
    "The image could not be put online ({tried}). Try again in a few minutes, or paste a public link to the image "
    "instead.",
)
NO_HOST = text("net.uploads.no_host", "The image could not be put online: no image host is configured.")
#: Every host tried, each joining the ones before it.
FIRST_TRIED = text("net.uploads.first_tried", "{host}: {reason}")
NEXT_TRIED = text("net.uploads.next_tried", "{before}; {host}: {reason}")


class HostingFailed(Exception):
    """No host worked; the message names every host tried and why it failed."""

    def __init__(self, attempts: Sequence[Attempt]) -> None:
        self.attempts = tuple(attempts)
        tried = ""
        for a in attempts:
            said = {"host": a.host, "reason": a.reason}
            tried = NEXT_TRIED(before=tried, **said) if tried else FIRST_TRIED(**said)
        self.message = NOT_ONLINE(tried=tried) if tried else NO_HOST()
        super().__init__(self.message)


def _content_total(response: httpx.Response) -> int | None:
    ranged = re.fullmatch(r"bytes \d+-\d+/(\d+)", response.headers.get("content-range", ""))
    length = (
        ranged.group(1) if ranged else (None if response.status_code == 206 else response.headers.get("content-length"))
    )
    return int(length) if length and length.isdigit() else None


LINK_STATUS = text("net.uploads.link_status", "its link answered HTTP {status}")
LINK_NOT_IMAGE = text("net.uploads.link_not_image", "its link serves {kind}, not an image")
NO_CONTENT_TYPE = text("net.uploads.no_content_type", "no content type")()
LINK_SIZE = text("net.uploads.link_size", "its link serves {served} bytes instead of {expected}")
LINK_BYTES = text("net.uploads.link_bytes", "its link serves different bytes than were uploaded")


def _judge_link(response: httpx.Response, expected: bytes) -> str | None:
    """Why this answer is not our image, or None when it is."""
    if response.status_code not in (200, 206):
        return LINK_STATUS(status=response.status_code)
    kind = response.headers.get("content-type", "").split(";")[0].strip().lower()
    if not kind.startswith("image/"):
        return LINK_NOT_IMAGE(kind=kind or NO_CONTENT_TYPE)
    total = _content_total(response)
    if total is not None and total != len(expected):
        return LINK_SIZE(served=total, expected=len(expected))
    return None


async def verify_link(
    url: str, expected: bytes, client: httpx.AsyncClient, timeout: float = VERIFY_TIMEOUT_SECONDS
) -> None:
    """Raise HostError unless ``url`` serves our bytes as ``image/*`` (HEAD, else a 1 KB ranged GET)."""
    headers = {"Accept": "image/*", "Accept-Encoding": "identity"}
    head = await client.head(url, headers=headers, timeout=timeout, follow_redirects=True)
    if head.status_code == 200 and _judge_link(head, expected) is None:
        return
    # HEAD is refused by some servers (and by S3 for a link presigned for GET), so try a small GET.
    async with client.stream(
        "GET", url, headers={**headers, "Range": "bytes=0-1023"}, timeout=timeout, follow_redirects=True
    ) as response:
        problem = _judge_link(response, expected)
        if problem:
            raise HostError(problem)
        first = b""
        async for chunk in response.aiter_raw():
            first += chunk
            if len(first) >= 1024:
                break
        n = min(len(first), 1024)
        if first[:n] != expected[:n]:
            raise HostError(LINK_BYTES())


TIMED_OUT = text("net.uploads.timed_out", "timed out after {seconds} s")
NO_CONNECTION = text("net.uploads.no_connection", "could not connect")
NETWORK_ERROR = text("net.uploads.network_error", "network error ({error})")
UNEXPECTED_ERROR = text("net.uploads.unexpected_error", "unexpected error ({error})")


def _failure_reason(exc: BaseException, timeout: float) -> str:
    if isinstance(exc, HostError):
        return exc.reason
    if isinstance(exc, (asyncio.TimeoutError, httpx.TimeoutException)):
        return TIMED_OUT(seconds=f"{timeout:g}")
    if isinstance(exc, httpx.ConnectError):
        return NO_CONNECTION()
    if isinstance(exc, httpx.HTTPError):
        return NETWORK_ERROR(error=type(exc).__name__)
    return UNEXPECTED_ERROR(error=type(exc).__name__)


class UploadChain:
    """Hosts tried in order until one gives a link that verifiably serves the image."""

    def __init__(
        self,
        hosts: Sequence[ImageHost],
        *,
        timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
        verify_timeout_seconds: float = VERIFY_TIMEOUT_SECONDS,
        client_factory: ClientFactory | None = None,
        clock: Callable[[], float] = time.time,
        reuse_margin_seconds: float = REUSE_MARGIN_SECONDS,
    ) -> None:
        self.hosts = list(hosts)
        self.timeout_seconds = timeout_seconds
        self.verify_timeout_seconds = verify_timeout_seconds
        self._client_factory = client_factory or (lambda: http_client.default_client(timeout_seconds))
        self.clock = clock
        self.reuse_margin_seconds = reuse_margin_seconds
        # The only state kept between calls; what one call tried is answered to that call alone.
        self._cache: dict[str, HostedImage] = {}

    def cached(self, sha256: str) -> HostedImage | None:
        hit = self._cache.get(sha256)
        if hit and (hit.expires_at is None or hit.expires_at - self.clock() > self.reuse_margin_seconds):
            return hit
        self._cache.pop(sha256, None)
        return None

    def _prune(self) -> None:
        for sha in [sha for sha, hit in self._cache.items() if hit.expires_at and hit.expires_at < self.clock()]:
            del self._cache[sha]

    def forget(self, sha256: str | None = None) -> None:
        if sha256 is None:
            self._cache.clear()
        else:
            self._cache.pop(sha256, None)

    async def host(self, image: PreparedImage) -> HostedImage:
        """A verified link with this call's attempts; raises HostingFailed holding them when no host worked."""
        hit = self.cached(image.sha256)
        if hit:
            return replace(hit, reused=True, attempts=())
        attempts: list[Attempt] = []
        async with self._client_factory() as client:
            for candidate in self.hosts:
                hosted, attempt = await self._try(candidate, image, client)
                attempts.append(attempt)
                if hosted:
                    result = replace(hosted, attempts=tuple(attempts))
                    self._prune()
                    self._cache[image.sha256] = result
                    return result
        raise HostingFailed(attempts)

    async def _try(
        self, candidate: ImageHost, image: PreparedImage, client: httpx.AsyncClient
    ) -> tuple[HostedImage | None, Attempt]:
        started = time.monotonic()
        limit = self.timeout_seconds
        try:
            hosted = await asyncio.wait_for(candidate.upload(image, client), self.timeout_seconds)
            limit = self.verify_timeout_seconds
            await asyncio.wait_for(verify_link(hosted.url, image.data, client, limit), limit)
        except Exception as exc:  # any failure of one host is a reason to try the next
            if not isinstance(exc, (HostError, httpx.HTTPError, asyncio.TimeoutError)):
                log.warning("image host %s failed unexpectedly", candidate.name, exc_info=True)
            reason = _failure_reason(exc, limit)
            return None, Attempt(candidate.name, False, reason, time.monotonic() - started)
        return hosted, Attempt(candidate.name, True, "", time.monotonic() - started)


PUBLIC_HOST = text("net.uploads.public_host", "{host} (public, deleted after {lifetime})")
PRIVATE_HOST = text("net.uploads.private_host", "{host} (unguessable private link, kept {lifetime})")
NOWHERE = text(
    "net.uploads.nowhere",
    "Dropped images cannot be uploaded: no image host is configured; paste a public image link instead.",
)
GOES_TO = text("net.uploads.goes_to", "Images are uploaded to {first}.")
GOES_TO_OR = text("net.uploads.goes_to_or", "Images are uploaded to {first}; if that fails, {second}.")
GOES_TO_OR_THEN = text("net.uploads.goes_to_or_then", "Images are uploaded to {first}; if that fails, {second}{then}.")
#: The hosts after the second, each joining the ones before it.
FIRST_THEN = text("net.uploads.first_then", "; then {host}")
NEXT_THEN = text("net.uploads.next_then", "{before}; then {host}")


def _destination_phrase(host: ImageHost) -> str:
    return (PUBLIC_HOST if host.public else PRIVATE_HOST)(host=host.name, lifetime=host.lifetime)


def describe_destination(chain: UploadChain) -> str:
    """The sentence shown before anything is uploaded."""
    if not chain.hosts:
        return NOWHERE()
    phrases = [_destination_phrase(h) for h in chain.hosts]
    if len(phrases) == 1:
        return GOES_TO(first=phrases[0])
    then = ""
    for phrase in phrases[2:]:
        then = NEXT_THEN(before=then, host=phrase) if then else FIRST_THEN(host=phrase)
    if then:
        return GOES_TO_OR_THEN(first=phrases[0], second=phrases[1], then=then)
    return GOES_TO_OR(first=phrases[0], second=phrases[1])
