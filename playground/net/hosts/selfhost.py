"""This app serves the bytes itself, under an unguessable name, for a while."""

from __future__ import annotations

import re
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpx
from fastapi import APIRouter
from fastapi.responses import Response

from ...media import PreparedImage
from ...texts import text
from .. import addresses
from .base import HostedImage, HostError, human_duration


@dataclass(frozen=True)
class StoredFile:
    data: bytes = field(repr=False)
    mime: str
    expires_at: float


_STORED_NAME = re.compile(r"[A-Za-z0-9_-]{20,64}\.(jpg|png|webp)")


class TemporaryFileStore:
    """Bounded in-memory store of files served for a limited time; oldest go first when full."""

    def __init__(
        self, *, max_bytes: int = 256 * 1024 * 1024, max_files: int = 200, clock: Callable[[], float] = time.time
    ) -> None:
        self.max_bytes, self.max_files, self.clock = max_bytes, max_files, clock
        self._files: OrderedDict[str, StoredFile] = OrderedDict()
        self._lock = threading.Lock()  # Gradio handlers and the HTTP server run in other threads

    def put(self, data: bytes, extension: str, mime: str, ttl_seconds: float) -> str:
        if len(data) > self.max_bytes:
            raise ValueError("file larger than the whole temporary store")
        name = f"{secrets.token_urlsafe(24)}.{extension}"
        with self._lock:
            self._purge_expired()
            while self._files and (len(self._files) >= self.max_files or self.total_bytes + len(data) > self.max_bytes):
                self._files.popitem(last=False)
            self._files[name] = StoredFile(data, mime, self.clock() + ttl_seconds)
        return name

    def get(self, name: str) -> StoredFile | None:
        with self._lock:
            item = self._files.get(name)
            if item is not None and item.expires_at <= self.clock():
                del self._files[name]
                return None
            return item

    @property
    def total_bytes(self) -> int:
        return sum(len(f.data) for f in self._files.values())

    def __len__(self) -> int:
        return len(self._files)

    def _purge_expired(self) -> None:
        now = self.clock()
        for name in [n for n, f in self._files.items() if f.expires_at <= now]:
            del self._files[name]


def self_host_router(store: TemporaryFileStore) -> APIRouter:
    """GET/HEAD ``/media/tmp/{name}``: the stored bytes with their type, 404 once expired."""
    router = APIRouter()

    @router.api_route("/media/tmp/{name}", methods=["GET", "HEAD"], include_in_schema=False)
    async def serve_temporary(name: str) -> Response:
        item = store.get(name) if _STORED_NAME.fullmatch(name) else None
        if item is None:
            return Response("Not found (temporary links expire).", status_code=404, media_type="text/plain")
        remaining = max(0, int(item.expires_at - store.clock()))
        return Response(
            item.data,
            media_type=item.mime,
            headers={
                "Cache-Control": f"private, max-age={remaining}",
                "X-Content-Type-Options": "nosniff",
                "Content-Disposition": "inline",
            },
        )

    return router


def _known_unreachable(hostname: str | None) -> bool:
    """True when the classifier can tell, without DNS, that the provider could not reach this host."""
    try:
        kind = addresses.parse_host(hostname or "").kind
    except ValueError:
        return True
    return kind is not None and not kind.reachable()  # a DNS name: assume the operator configured a reachable one


UNREACHABLE_BASE = text("net.hosts.unreachable_base", "its address {base} cannot be reached from the internet")


class SelfHost:
    """This app serves the image at ``{public_base_url}/media/tmp/{unguessable}.{ext}``."""

    name = text("net.hosts.this_app", "this app")()
    public = False

    def __init__(
        self,
        public_base_url: str,
        store: TemporaryFileStore,
        *,
        lifetime_seconds: float = 3600,
        allow_private_base: bool = False,
    ) -> None:
        self.base = public_base_url.rstrip("/")
        self.store = store
        self.lifetime_seconds = lifetime_seconds
        self.lifetime = human_duration(lifetime_seconds)
        self.allow_private_base = allow_private_base

    async def upload(self, image: PreparedImage, client: httpx.AsyncClient) -> HostedImage:
        if not self.allow_private_base and _known_unreachable(urlsplit(self.base).hostname):
            raise HostError(UNREACHABLE_BASE(base=self.base))
        expires = self.store.clock() + self.lifetime_seconds
        name = self.store.put(image.data, image.extension, image.mime, self.lifetime_seconds)
        return HostedImage(f"{self.base}/media/tmp/{name}", self.name, expires, self.lifetime)
