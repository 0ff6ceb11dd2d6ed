"""What every upload host has in common: the protocol, its answer, its errors, and the multipart base."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Protocol, runtime_checkable
from urllib.parse import urlsplit

import httpx

from ...media import PreparedImage
from ...texts import text
from ..http_client import DEFAULT_TIMEOUT_SECONDS

REUSED = text("net.hosts.reused", "Reusing the earlier upload to {host} (kept {lifetime}).")
UPLOADED = text("net.hosts.uploaded", "Uploaded to {host} (kept {lifetime}).")
UPLOADED_AFTER = text("net.hosts.uploaded_after", "Uploaded to {host} (kept {lifetime}) after {failed}.")
#: The hosts that failed before one worked, each joining the ones before it.
FIRST_FAILED = text("net.hosts.first_failed", "{host} failed: {reason}")
NEXT_FAILED = text("net.hosts.next_failed", "{before}; {host} failed: {reason}")
# How long a host keeps an image, in words.
SECONDS = text("net.hosts.seconds", "{count} seconds")
ONE_HOUR = text("net.hosts.one_hour", "1 hour")
HOURS = text("net.hosts.hours", "{count} hours")
ONE_MINUTE = text("net.hosts.one_minute", "1 minute")
MINUTES = text("net.hosts.minutes", "{count} minutes")
A_WHILE = text("net.hosts.a_while", "a while")()
# Why one host could not take the image (:class:`HostError`'s reason).
ANSWERED_STATUS = text("net.hosts.answered_status", "answered HTTP {status}")
ANSWERED_PAGE = text("net.hosts.answered_page", "answered with a web page instead of a link")
NOT_A_LINK = text("net.hosts.not_a_link", "answered something that is not a link: {answer}")


class HostError(Exception):
    """One host could not take the image; ``reason`` is short text for the page."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Attempt:
    host: str
    ok: bool
    reason: str = ""
    seconds: float = 0.0


@dataclass(frozen=True)
class HostedImage:
    """A link that serves the image. From :meth:`UploadChain.host` it also carries that call's own
    attempts (and whether an earlier upload was reused): one chain serves every visitor at once, so
    what a call tried is answered to that call, never kept on the chain."""

    url: str
    host: str
    expires_at: float | None
    lifetime: str
    attempts: tuple[Attempt, ...] = ()
    reused: bool = False

    def summary(self) -> str:
        """One sentence for the page, e.g. 'Uploaded to tmpfiles.org (kept 60 minutes) after ...'."""
        if self.reused:
            return REUSED(host=self.host, lifetime=self.lifetime)
        failed = ""
        for a in self.attempts:
            if not a.ok:
                said = {"host": a.host, "reason": a.reason}
                failed = NEXT_FAILED(before=failed, **said) if failed else FIRST_FAILED(**said)
        if failed:
            return UPLOADED_AFTER(host=self.host, lifetime=self.lifetime, failed=failed)
        return UPLOADED(host=self.host, lifetime=self.lifetime)


@runtime_checkable
class ImageHost(Protocol):
    name: str
    lifetime: str
    public: bool

    async def upload(self, image: PreparedImage, client: httpx.AsyncClient) -> HostedImage: ...


def human_duration(seconds: float) -> str:
    minutes = round(seconds / 60)
    if seconds < 60:
        return SECONDS(count=f"{seconds:g}")
    if minutes % 60 == 0:
        hours = minutes // 60
        return ONE_HOUR() if hours == 1 else HOURS(count=hours)
    return ONE_MINUTE() if minutes == 1 else MINUTES(count=minutes)


def upload_filename(image: PreparedImage) -> str:
    # Never the visitor's own file name: it can carry names, dates or places.
    return f"{image.sha256[:16]}.{image.extension}"


def is_link(text: str) -> bool:
    parts = urlsplit(text)
    return (
        parts.scheme in ("http", "https")
        and bool(parts.netloc)
        and len(text) < 2048
        and not any(c.isspace() for c in text)
        and "<" not in text
    )


def check_answer(response: httpx.Response) -> None:
    if response.status_code >= 400:
        raise HostError(ANSWERED_STATUS(status=response.status_code))
    kind = response.headers.get("content-type", "")
    if "html" in kind or response.text.lstrip().startswith("<"):
        raise HostError(ANSWERED_PAGE())


class PostFileHost:
    """A service that takes ``POST`` multipart with one file field and answers with a link."""

    name = text("net.hosts.upload_service", "upload service")()
    lifetime = A_WHILE
    lifetime_seconds: float | None = None
    public = True
    file_field = "file"

    def __init__(self, upload_url: str, *, name: str | None = None, timeout: float = DEFAULT_TIMEOUT_SECONDS) -> None:
        self.upload_url = upload_url
        self.timeout = timeout
        if name:
            self.name = name

    def form_fields(self) -> dict[str, str]:
        return {}

    def link_from(self, response: httpx.Response) -> str:
        return response.text.strip()

    async def upload(self, image: PreparedImage, client: httpx.AsyncClient) -> HostedImage:
        started = time.time()  # counting from the start errs on the side of an earlier expiry
        files = {self.file_field: (upload_filename(image), image.data, image.mime)}
        response = await client.post(
            self.upload_url, data=self.form_fields(), files=files, timeout=self.timeout, follow_redirects=False
        )
        check_answer(response)
        link = self.link_from(response)
        if not is_link(link):
            raise HostError(NOT_A_LINK(answer=repr(link[:60])))
        expires = started + self.lifetime_seconds if self.lifetime_seconds else None
        return HostedImage(link, self.name, expires, self.lifetime)
