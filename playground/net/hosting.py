"""Temporary public hosting of prepared reference images, and safe fetching of pasted links.

The provider only takes images by URL, so a dropped file must be put somewhere it can fetch.
``UploadChain`` tries the configured hosts in order, checks that the link really serves the
image (a link that 404s or serves a web page would still cost a video) and falls back to the
next host on any failure, remembering every attempt for the page.

Hosts:
* ``LitterboxHost`` - litterbox.catbox.moe, public, deleted after 1 hour.
* ``TmpfilesHost``  - tmpfiles.org, public, deleted after 60 minutes.
* ``S3Host``        - your S3-compatible bucket, private object behind a presigned GET link.
* ``SelfHost``      - this app serves the bytes itself under an unguessable name for a while.
* ``SimulatorHost`` - the embedded simulator's loopback upload endpoint (demo mode).
* ``PostFileHost``  - base for "POST a multipart file, get a link back" services.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import secrets
import socket
import threading
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol, TypeVar, runtime_checkable
from urllib.parse import urljoin, urlsplit, urlunsplit

import httpx
from fastapi import APIRouter
from fastapi.responses import Response

from . import addresses
from .addresses import Kind
from ..media.images import MAX_BYTES, ImageRejected, PreparedImage
from .tls import shared_tls

log = logging.getLogger(__name__)
T = TypeVar("T")

USER_AGENT = f"veo-playground/1.0 (+https://github.com/; python-httpx/{httpx.__version__})"
DEFAULT_TIMEOUT_SECONDS = 30.0
VERIFY_TIMEOUT_SECONDS = 10.0
#: A cached link is reused only while it stays alive at least this long (the provider
#: may fetch the image a few minutes after submission).
REUSE_MARGIN_SECONDS = 300.0

Resolver = Callable[[str, int], Awaitable[list[str]]]
ClientFactory = Callable[[], httpx.AsyncClient]


# --------------------------------------------------------------------------- results and errors


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


class HostingFailed(Exception):
    """No host worked; the message names every host tried and why it failed."""

    def __init__(self, attempts: Sequence[Attempt]) -> None:
        self.attempts = tuple(attempts)
        if attempts:
            tried = "; ".join(f"{a.host}: {a.reason}" for a in attempts)
            self.message = (f"The image could not be put online ({tried}). Try again in a few minutes, "
                            "or paste a public link to the image instead.")
        else:
            self.message = "The image could not be put online: no image host is configured."
        super().__init__(self.message)


class UnsafeURL(ImageRejected):
    """A pasted link points somewhere this app must not fetch from (local or private network)."""


@dataclass(frozen=True)
class HostedImage:
    url: str
    host: str
    expires_at: float | None
    lifetime: str
    attempts: tuple[Attempt, ...] = ()
    reused: bool = False

    def summary(self) -> str:
        """One sentence for the page, e.g. 'Uploaded to tmpfiles.org (kept 60 minutes) after ...'."""
        if self.reused:
            return f"Reusing the earlier upload to {self.host} (kept {self.lifetime})."
        failed = [f"{a.host} failed: {a.reason}" for a in self.attempts if not a.ok]
        after = f" after {'; '.join(failed)}" if failed else ""
        return f"Uploaded to {self.host} (kept {self.lifetime}){after}."


@runtime_checkable
class ImageHost(Protocol):
    name: str
    lifetime: str
    public: bool

    async def upload(self, image: PreparedImage, client: httpx.AsyncClient) -> HostedImage: ...


def human_duration(seconds: float) -> str:
    minutes = round(seconds / 60)
    if seconds < 60:
        return f"{seconds:g} seconds"
    if minutes % 60 == 0:
        hours = minutes // 60
        return "1 hour" if hours == 1 else f"{hours} hours"
    return "1 minute" if minutes == 1 else f"{minutes} minutes"


def upload_filename(image: PreparedImage) -> str:
    # Never the visitor's own file name: it can carry names, dates or places.
    return f"{image.sha256[:16]}.{image.extension}"


def _is_link(text: str) -> bool:
    parts = urlsplit(text)
    return (parts.scheme in ("http", "https") and bool(parts.netloc) and len(text) < 2048
            and not any(c.isspace() for c in text) and "<" not in text)


def _check_answer(response: httpx.Response) -> None:
    if response.status_code >= 400:
        raise HostError(f"answered HTTP {response.status_code}")
    kind = response.headers.get("content-type", "")
    if "html" in kind or response.text.lstrip().startswith("<"):
        raise HostError("answered with a web page instead of a link")


# --------------------------------------------------------------------------- multipart hosts


class PostFileHost:
    """A service that takes ``POST`` multipart with one file field and answers with a link."""

    name = "upload service"
    lifetime = "a while"
    lifetime_seconds: float | None = None
    public = True
    file_field = "file"

    def __init__(self, upload_url: str, *, name: str | None = None,
                 timeout: float = DEFAULT_TIMEOUT_SECONDS) -> None:
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
        response = await client.post(self.upload_url, data=self.form_fields(), files=files,
                                     timeout=self.timeout, follow_redirects=False)
        _check_answer(response)
        link = self.link_from(response)
        if not _is_link(link):
            raise HostError(f"answered something that is not a link: {link[:60]!r}")
        expires = started + self.lifetime_seconds if self.lifetime_seconds else None
        return HostedImage(link, self.name, expires, self.lifetime)


class LitterboxHost(PostFileHost):
    name = "litterbox.catbox.moe"
    file_field = "fileToUpload"
    _LIFETIMES = {"1h": 3600, "12h": 12 * 3600, "24h": 24 * 3600, "72h": 72 * 3600}

    def __init__(self, upload_url: str = "https://litterbox.catbox.moe/resources/internals/api.php",
                 *, keep: str = "1h", name: str | None = None,
                 timeout: float = DEFAULT_TIMEOUT_SECONDS) -> None:
        if keep not in self._LIFETIMES:
            raise ValueError(f"litterbox keeps files for one of {', '.join(self._LIFETIMES)}, not {keep!r}")
        super().__init__(upload_url, name=name, timeout=timeout)
        self.keep = keep
        self.lifetime_seconds = self._LIFETIMES[keep]
        self.lifetime = human_duration(self.lifetime_seconds)

    def form_fields(self) -> dict[str, str]:
        return {"reqtype": "fileupload", "time": self.keep}


class SimulatorHost(PostFileHost):
    """The embedded simulator's loopback upload host (``POST {base}/uploads``): demo images stay local."""

    name = "the demo simulator on this machine"
    lifetime = "until the app stops"
    public = False

    def __init__(self, base_url: str, *, timeout: float = DEFAULT_TIMEOUT_SECONDS) -> None:
        super().__init__(f"{base_url.rstrip('/')}/uploads", timeout=timeout)


def tmpfiles_direct_link(page_url: str) -> str:
    """tmpfiles.org answers with its viewer page; the file itself is under /dl/."""
    parts = urlsplit(page_url)
    path = parts.path if parts.path.startswith("/dl/") else "/dl" + parts.path
    # The API answers with http:// links; the same file is served over https.
    scheme = "https" if parts.hostname in ("tmpfiles.org", "www.tmpfiles.org") else parts.scheme
    return urlunsplit((scheme, parts.netloc, path, parts.query, ""))


class TmpfilesHost(PostFileHost):
    name = "tmpfiles.org"
    lifetime = "60 minutes"
    lifetime_seconds = 3600

    def __init__(self, upload_url: str = "https://tmpfiles.org/api/v1/upload", *,
                 name: str | None = None, timeout: float = DEFAULT_TIMEOUT_SECONDS) -> None:
        super().__init__(upload_url, name=name, timeout=timeout)

    def link_from(self, response: httpx.Response) -> str:
        try:
            answer = json.loads(response.text)
            link = answer["data"]["url"] if answer.get("status") == "success" else None
        except (ValueError, KeyError, TypeError, AttributeError):
            link = None
        if not isinstance(link, str) or not _is_link(link):
            raise HostError(f"answered something that is not a link: {response.text[:60]!r}")
        return tmpfiles_direct_link(link)


# --------------------------------------------------------------------------- S3 (presigned by botocore)


#: The upload link is used at once; it only has to outlive a slow start and some clock skew.
S3_PUT_LINK_SECONDS = 300
_S3_ERROR_CODE = re.compile(r"<Code>([^<]{1,64})</Code>")


class S3Host:
    """Private object in an S3-compatible bucket, shared through a short-lived presigned GET link.

    botocore only signs: it presigns a PUT for the upload (sent with httpx, so the request path
    stays async) and a GET with ``expires_seconds`` for the provider. The presigned link expires;
    the object itself stays until a bucket lifecycle rule removes it.
    """

    public = False

    def __init__(self, *, endpoint: str, bucket: str, region: str, access_key_id: str,
                 secret_access_key: str, expires_seconds: int = 3600, prefix: str = "veo-playground/",
                 path_style: bool = True, timeout: float = DEFAULT_TIMEOUT_SECONDS,
                 clock: Callable[[], float] = time.time) -> None:
        if not 1 <= expires_seconds <= 7 * 24 * 3600:
            raise ValueError("S3 presigned links last between 1 second and 7 days")
        self.endpoint = endpoint.rstrip("/")
        self.bucket, self.region, self.prefix = bucket, region, prefix
        self.expires_seconds, self.path_style = int(expires_seconds), path_style
        self.timeout, self.clock = timeout, clock
        self.name = f"S3 bucket {bucket}"
        self.lifetime = human_duration(self.expires_seconds)
        # The secret lives only inside the signer, never on an attribute of ours.
        self._signer = self._build_signer(access_key_id, secret_access_key)

    def __repr__(self) -> str:  # keeps the secret out of logs
        return f"S3Host(endpoint={self.endpoint!r}, bucket={self.bucket!r}, region={self.region!r})"

    def _build_signer(self, access_key_id: str, secret_access_key: str) -> Any:
        # Imported here: an app without S3 configured never pays botocore's import at start-up.
        import botocore.session
        from botocore.config import Config
        from botocore.exceptions import BotoCoreError

        config = Config(signature_version="s3v4",
                        s3={"addressing_style": "path" if self.path_style else "virtual"})
        try:
            return botocore.session.Session().create_client(
                "s3", region_name=self.region, endpoint_url=self.endpoint, config=config,
                aws_access_key_id=access_key_id, aws_secret_access_key=secret_access_key)
        except (BotoCoreError, ValueError) as exc:
            raise ValueError(f"the S3 settings cannot be used: {exc}") from None

    def object_key(self, image: PreparedImage) -> str:
        return f"{self.prefix}{image.sha256}.{image.extension}"

    def presigned_get(self, key: str) -> str:
        return self._signer.generate_presigned_url(
            "get_object", Params={"Bucket": self.bucket, "Key": key}, ExpiresIn=self.expires_seconds)

    def presigned_put(self, key: str, content_type: str) -> str:
        # Content-Type is signed, so the object is stored with exactly the type the provider checks.
        return self._signer.generate_presigned_url(
            "put_object", Params={"Bucket": self.bucket, "Key": key, "ContentType": content_type},
            ExpiresIn=S3_PUT_LINK_SECONDS)

    async def upload(self, image: PreparedImage, client: httpx.AsyncClient) -> HostedImage:
        key = self.object_key(image)
        started = self.clock()  # counting from before signing errs on the side of an earlier expiry
        response = await client.put(self.presigned_put(key, image.mime), content=image.data,
                                    headers={"content-type": image.mime}, timeout=self.timeout,
                                    follow_redirects=False)
        if response.status_code >= 300:
            code = _S3_ERROR_CODE.search(response.text)
            detail = f" ({code.group(1)})" if code else ""
            raise HostError(f"the bucket refused the upload: HTTP {response.status_code}{detail}")
        return HostedImage(self.presigned_get(key), self.name, started + self.expires_seconds, self.lifetime)


# --------------------------------------------------------------------------- served by this app


@dataclass(frozen=True)
class StoredFile:
    data: bytes = field(repr=False)
    mime: str
    expires_at: float


_STORED_NAME = re.compile(r"[A-Za-z0-9_-]{20,64}\.(jpg|png|webp)")


class TemporaryFileStore:
    """Bounded in-memory store of files served for a limited time; oldest go first when full."""

    def __init__(self, *, max_bytes: int = 256 * 1024 * 1024, max_files: int = 200,
                 clock: Callable[[], float] = time.time) -> None:
        self.max_bytes, self.max_files, self.clock = max_bytes, max_files, clock
        self._files: OrderedDict[str, StoredFile] = OrderedDict()
        self._lock = threading.Lock()  # Gradio handlers and the HTTP server run in other threads

    def put(self, data: bytes, extension: str, mime: str, ttl_seconds: float) -> str:
        if len(data) > self.max_bytes:
            raise ValueError("file larger than the whole temporary store")
        name = f"{secrets.token_urlsafe(24)}.{extension}"
        with self._lock:
            self._purge_expired()
            while self._files and (len(self._files) >= self.max_files
                                   or self.total_bytes + len(data) > self.max_bytes):
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
        return Response(item.data, media_type=item.mime, headers={
            "Cache-Control": f"private, max-age={remaining}",
            "X-Content-Type-Options": "nosniff",
            "Content-Disposition": "inline",
        })

    return router


def _private_hostname(hostname: str | None) -> bool:
    try:
        kind = addresses.parse_host(hostname or "").kind
    except ValueError:
        return True
    return kind is not None and not kind.public  # a DNS name: assume the operator configured a reachable one


class SelfHost:
    """This app serves the image at ``{public_base_url}/media/tmp/{unguessable}.{ext}``."""

    name = "this app"
    public = False

    def __init__(self, public_base_url: str, store: TemporaryFileStore, *, lifetime_seconds: float = 3600,
                 allow_private_base: bool = False) -> None:
        self.base = public_base_url.rstrip("/")
        self.store = store
        self.lifetime_seconds = lifetime_seconds
        self.lifetime = human_duration(lifetime_seconds)
        self.allow_private_base = allow_private_base

    async def upload(self, image: PreparedImage, client: httpx.AsyncClient) -> HostedImage:
        if not self.allow_private_base and _private_hostname(urlsplit(self.base).hostname):
            raise HostError(f"its address {self.base} cannot be reached from the internet")
        expires = self.store.clock() + self.lifetime_seconds
        name = self.store.put(image.data, image.extension, image.mime, self.lifetime_seconds)
        return HostedImage(f"{self.base}/media/tmp/{name}", self.name, expires, self.lifetime)


# --------------------------------------------------------------------------- the chain


def _default_client(timeout: float) -> httpx.AsyncClient:
    # Proxies from the environment apply, except to this machine (the simulator, a SelfHost check).
    direct = {f"all://{host}": httpx.AsyncHTTPTransport() for host in ("127.0.0.1", "localhost", "[::1]")}
    return httpx.AsyncClient(headers={"User-Agent": USER_AGENT}, timeout=httpx.Timeout(timeout),
                             follow_redirects=False, mounts=direct, verify=shared_tls())


def _content_total(response: httpx.Response) -> int | None:
    ranged = re.fullmatch(r"bytes \d+-\d+/(\d+)", response.headers.get("content-range", ""))
    length = ranged.group(1) if ranged else (None if response.status_code == 206
                                             else response.headers.get("content-length"))
    return int(length) if length and length.isdigit() else None


def _judge_link(response: httpx.Response, expected: bytes) -> str | None:
    """Why this answer is not our image, or None when it is."""
    if response.status_code not in (200, 206):
        return f"its link answered HTTP {response.status_code}"
    kind = response.headers.get("content-type", "").split(";")[0].strip().lower()
    if not kind.startswith("image/"):
        return f"its link serves {kind or 'no content type'}, not an image"
    total = _content_total(response)
    if total is not None and total != len(expected):
        return f"its link serves {total} bytes instead of {len(expected)}"
    return None


async def verify_link(url: str, expected: bytes, client: httpx.AsyncClient,
                      timeout: float = VERIFY_TIMEOUT_SECONDS) -> None:
    """Raise HostError unless ``url`` serves our bytes as ``image/*`` (HEAD, else a 1 KB ranged GET)."""
    headers = {"Accept": "image/*", "Accept-Encoding": "identity"}
    head = await client.head(url, headers=headers, timeout=timeout, follow_redirects=True)
    if head.status_code == 200 and _judge_link(head, expected) is None:
        return
    # HEAD is refused by some servers (and by S3 for a link presigned for GET), so try a small GET.
    async with client.stream("GET", url, headers={**headers, "Range": "bytes=0-1023"},
                             timeout=timeout, follow_redirects=True) as response:
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
            raise HostError("its link serves different bytes than were uploaded")


def _failure_reason(exc: BaseException, timeout: float) -> str:
    if isinstance(exc, HostError):
        return exc.reason
    if isinstance(exc, (asyncio.TimeoutError, httpx.TimeoutException)):
        return f"timed out after {timeout:g} s"
    if isinstance(exc, httpx.ConnectError):
        return "could not connect"
    if isinstance(exc, httpx.HTTPError):
        return f"network error ({type(exc).__name__})"
    return f"unexpected error ({type(exc).__name__})"


class UploadChain:
    """Hosts tried in order until one gives a link that verifiably serves the image."""

    def __init__(self, hosts: Sequence[ImageHost], *, timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
                 verify_timeout_seconds: float = VERIFY_TIMEOUT_SECONDS,
                 client_factory: ClientFactory | None = None, clock: Callable[[], float] = time.time,
                 reuse_margin_seconds: float = REUSE_MARGIN_SECONDS) -> None:
        self.hosts = list(hosts)
        self.timeout_seconds = timeout_seconds
        self.verify_timeout_seconds = verify_timeout_seconds
        self._client_factory = client_factory or (lambda: _default_client(timeout_seconds))
        self.clock = clock
        self.reuse_margin_seconds = reuse_margin_seconds
        self._cache: dict[str, HostedImage] = {}
        #: Attempts of the most recent ``host`` call (also on the HostedImage / HostingFailed).
        self.attempts: tuple[Attempt, ...] = ()

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
        hit = self.cached(image.sha256)
        if hit:
            self.attempts = ()
            return replace(hit, reused=True, attempts=())
        attempts: list[Attempt] = []
        async with self._client_factory() as client:
            for candidate in self.hosts:
                hosted, attempt = await self._try(candidate, image, client)
                attempts.append(attempt)
                if hosted:
                    self.attempts = tuple(attempts)
                    result = replace(hosted, attempts=self.attempts)
                    self._prune()
                    self._cache[image.sha256] = result
                    return result
        self.attempts = tuple(attempts)
        raise HostingFailed(attempts)

    async def _try(self, candidate: ImageHost, image: PreparedImage,
                   client: httpx.AsyncClient) -> tuple[HostedImage | None, Attempt]:
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


def _destination_phrase(host: ImageHost) -> str:
    if host.public:
        return f"{host.name} (public, deleted after {host.lifetime})"
    return f"{host.name} (unguessable private link, kept {host.lifetime})"


def describe_destination(chain: UploadChain) -> str:
    """The sentence shown before anything is uploaded."""
    if not chain.hosts:
        return "Dropped images cannot be uploaded: no image host is configured; paste a public image link instead."
    phrases = [_destination_phrase(h) for h in chain.hosts]
    text = f"Images are uploaded to {phrases[0]}"
    if len(phrases) > 1:
        text += f"; if that fails, {phrases[1]}"
    for phrase in phrases[2:]:
        text += f"; then {phrase}"
    return text + "."


# --------------------------------------------------------------------------- configuration


HOST_NAMES = ("self", "litterbox", "tmpfiles", "s3", "loopback")


def upload_timeout_from_env(env: Mapping[str, str]) -> float:
    raw = env.get("UPLOAD_TIMEOUT_SECONDS", "").strip()
    try:
        value = float(raw) if raw else DEFAULT_TIMEOUT_SECONDS
    except ValueError:
        raise ValueError(f"UPLOAD_TIMEOUT_SECONDS must be a number of seconds, not {raw!r}") from None
    if value <= 0:
        raise ValueError("UPLOAD_TIMEOUT_SECONDS must be positive")
    return value


def _s3_from_env(env: Mapping[str, str], timeout: float) -> S3Host | None:
    needed = ("S3_BUCKET", "S3_ACCESS_KEY_ID", "S3_SECRET_ACCESS_KEY")
    if not all(env.get(n, "").strip() for n in needed):
        return None
    region = env.get("S3_REGION", "").strip() or "us-east-1"
    endpoint = env.get("S3_ENDPOINT", "").strip() or f"https://s3.{region}.amazonaws.com"
    raw_expiry = env.get("S3_EXPIRES_SECONDS", "").strip() or "3600"
    if not raw_expiry.isdigit():
        raise ValueError(f"S3_EXPIRES_SECONDS must be a whole number of seconds, not {raw_expiry!r}")
    # AWS prefers virtual-hosted names; other S3-compatible services mostly need path style.
    return S3Host(endpoint=endpoint, bucket=env["S3_BUCKET"].strip(), region=region,
                  access_key_id=env["S3_ACCESS_KEY_ID"].strip(),
                  secret_access_key=env["S3_SECRET_ACCESS_KEY"].strip(),
                  expires_seconds=int(raw_expiry), path_style="amazonaws.com" not in endpoint,
                  timeout=timeout)


def hosts_from_env(env: Mapping[str, str], *, public_base_url: str | None,
                   store: TemporaryFileStore | None, loopback_host: ImageHost | None = None) -> list[ImageHost]:
    """Hosts in the order of ``UPLOAD_HOSTS`` (comma-separated: self, litterbox, tmpfiles, s3, loopback).

    Without ``UPLOAD_HOSTS``: only the loopback host when one is given (demo mode keeps images on
    this machine); otherwise "s3" first when S3_* is configured, then "self" when the app has a
    public base URL, then litterbox and tmpfiles. Named hosts that are not configured are skipped.
    """
    timeout = upload_timeout_from_env(env)
    s3 = _s3_from_env(env, timeout)
    raw = env.get("UPLOAD_HOSTS", "").strip()
    if raw:
        names = [n.strip().lower() for n in raw.split(",") if n.strip()]
    elif loopback_host is not None:
        names = ["loopback"]
    else:
        names = (["s3"] if s3 else []) + (["self"] if public_base_url else []) + ["litterbox", "tmpfiles"]
    unknown = [n for n in names if n not in HOST_NAMES]
    if unknown:
        raise ValueError(f"UPLOAD_HOSTS names unknown host(s) {', '.join(unknown)}; "
                         f"choose from {', '.join(HOST_NAMES)}")
    hosts: list[ImageHost] = []
    for name in dict.fromkeys(names):
        host = _make_host(name, timeout, s3, public_base_url, store, loopback_host)
        if host is None:
            log.warning("UPLOAD_HOSTS lists %r but it is not configured; skipping it", name)
        else:
            hosts.append(host)
    return hosts


def _make_host(name: str, timeout: float, s3: S3Host | None, public_base_url: str | None,
               store: TemporaryFileStore | None, loopback_host: ImageHost | None) -> ImageHost | None:
    if name == "litterbox":
        return LitterboxHost(timeout=timeout)
    if name == "tmpfiles":
        return TmpfilesHost(timeout=timeout)
    if name == "s3":
        return s3
    if name == "self":
        return SelfHost(public_base_url, store) if public_base_url and store is not None else None
    return loopback_host


def chain_from_env(env: Mapping[str, str], *, public_base_url: str | None, store: TemporaryFileStore | None,
                   loopback_host: ImageHost | None = None) -> UploadChain:
    hosts = hosts_from_env(env, public_base_url=public_base_url, store=store, loopback_host=loopback_host)
    return UploadChain(hosts, timeout_seconds=upload_timeout_from_env(env))


# --------------------------------------------------------------------------- pasted links


async def system_resolver(hostname: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(hostname, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


#: A name that takes longer than this to resolve is treated like one that does not resolve.
RESOLVE_TIMEOUT_SECONDS = 10.0


def address_problem(address: str, *, allow_loopback: bool = False) -> str | None:
    """Why this app must not connect to ``address``, or None when it is a public address."""
    kind = addresses.address_kind(address)
    if kind is None:
        return "an address that cannot be checked"
    if kind.public or (allow_loopback and kind is Kind.LOOPBACK):
        return None
    return kind.value


@dataclass(frozen=True)
class Wording:
    """How refusals of one kind of link read.

    ``unusable`` is the one sentence for every failure that must not be told apart: no such name, a
    name that leads somewhere private, connection refused, a timeout, an error status, a web page.
    Told apart, they would let anyone map which names and ports answer on the server's own network.
    ``refused`` names what the visitor typed (``{what}``: a literal address or a local-only name),
    which tells them nothing they did not already know.
    """

    unusable: str
    refused: str


IMAGE_LINK = Wording("The link could not be used: it must be a public http(s) link that opens in a browser "
                     "and serves the image.", "The link points to {what}, which this app does not fetch from.")
CLIP_LINK = Wording("The link could not be used: it must be a public http(s) link that opens in a browser "
                    "and serves the video clip.", "The link points to {what}, which this app does not fetch from.")
CALLBACK_LINK = Wording("callback_url: the provider could not post there; give a public http(s) address it can "
                        "reach from the internet.",
                        "callback_url points to {what}; give an address the provider can reach from the internet.")


@dataclass(frozen=True)
class Allowance:
    """Where besides the public internet a fetch may connect: nowhere (the app, on a visitor's say-so),
    any loopback port (a test simulator, for which this machine stands in for the internet), or one
    loopback origin only (the embedded demo simulator, reaching its own uploads and result files)."""

    any_loopback: bool = False
    origin: tuple[str, str, int] | None = None  # scheme, address, port

    @classmethod
    def of(cls, allow_loopback: bool, loopback_only_to: str | None) -> "Allowance":
        if not loopback_only_to:
            return cls(any_loopback=allow_loopback)
        parts = urlsplit(loopback_only_to)
        host = addresses.parse_host(parts.hostname or "")
        if host.address is None or host.kind is not Kind.LOOPBACK:
            raise ValueError(f"{loopback_only_to} is not a loopback address")
        return cls(allow_loopback, (parts.scheme, host.text, parts.port or _default_port(parts.scheme)))

    def permits(self, kind: Kind, scheme: str, address: str, port: int) -> bool:
        if kind.public:
            return True
        if kind is not Kind.LOOPBACK:
            return False
        return self.any_loopback or self.origin == (scheme, address, port)


def _default_port(scheme: str) -> int:
    return 443 if scheme == "https" else 80


@dataclass(frozen=True)
class _Target:
    url: str              # the URL actually requested: the host replaced by the checked address
    host_header: str
    sni: str | None

    @property
    def extensions(self) -> dict[str, Any]:
        """httpx request extensions that keep TLS checking the name while connecting to the address."""
        return {"sni_hostname": self.sni} if self.sni else {}


async def _checked_target(url: str, resolver: Resolver, allowance: Allowance, words: Wording) -> _Target:
    try:
        parts = urlsplit(url)
        hostname, port = parts.hostname, parts.port or _default_port(parts.scheme)
    except ValueError:
        raise UnsafeURL("The link is not a valid web address (check its site name and port).") from None
    if parts.scheme not in ("http", "https"):
        raise UnsafeURL("Only http:// and https:// links can be used.")
    if not hostname:
        raise UnsafeURL("The link has no site name.")
    try:
        host = addresses.parse_host(hostname)
    except ValueError:
        raise ImageRejected(words.unusable) from None
    found = await _judged_addresses(host, parts.scheme, port, resolver, allowance, words)
    # Connect to the address just checked, so DNS cannot answer differently a moment later.
    pinned = f"[{found[0]}]" if ":" in found[0] else found[0]
    netloc = f"{pinned}:{parts.port}" if parts.port else pinned
    named = f"[{host.text}]" if ":" in host.text else host.text
    host_header = f"{named}:{parts.port}" if parts.port else named
    return _Target(urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, "")), host_header,
                   host.text if parts.scheme == "https" else None)


async def _judged_addresses(host: addresses.Host, scheme: str, port: int, resolver: Resolver,
                            allowance: Allowance, words: Wording) -> list[str]:
    """Every address ``host`` leads to, each one allowed; raises UnsafeURL or ImageRejected."""
    kind = host.kind
    if kind is not None and not allowance.permits(kind, scheme, host.text, port):
        raise UnsafeURL(words.refused.format(what=f"{host.text}, {kind.value}"))
    if host.address is not None:
        return [host.text]
    try:
        answered = await asyncio.wait_for(resolver(host.text, port), RESOLVE_TIMEOUT_SECONDS)
    except (OSError, UnicodeError, asyncio.TimeoutError):
        raise ImageRejected(words.unusable) from None
    found = [addresses.parse_address(a) for a in answered]
    if not found:
        raise ImageRejected(words.unusable)
    for answer, ip in zip(answered, found):
        if ip is None or not allowance.permits(addresses.classify(ip), scheme, str(ip), port):
            # Said only in the log: the page must not learn what this server's DNS answers.
            log.info("refused a link to %s: it resolves to %s", host.text, answer)
            raise UnsafeURL(words.unusable)
    return [str(ip) for ip in found if ip is not None]


async def _read_capped(response: httpx.Response, max_bytes: int) -> bytes:
    too_big = ImageRejected(f"The image at that link is over the {max_bytes // (1024 * 1024)} MB limit.")
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise too_big
    body = bytearray()
    async for chunk in response.aiter_bytes():
        body += chunk
        if len(body) > max_bytes:
            raise too_big
    return bytes(body)


def _serves_a_page(response: httpx.Response) -> bool:
    """A web page, text or an API answer, never a picture or a clip (SVG is left to the image checks)."""
    kind = response.headers.get("content-type", "").split(";")[0].strip().lower()
    return kind.startswith("text/") or kind.endswith(("/json", "/xml", "+json", "html")) \
        or (kind.endswith("+xml") and not kind.startswith("image/"))


async def fetch_pasted_url(url: str, client_factory: ClientFactory | None = None, *,
                           allow_loopback: bool = False, loopback_only_to: str | None = None,
                           resolver: Resolver | None = None, max_bytes: int = MAX_BYTES, max_redirects: int = 5,
                           timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS) -> bytes:
    """Download an image link a visitor pasted, refusing anything aimed at local or private networks.

    Every redirect hop is resolved and checked again; raises UnsafeURL or ImageRejected, with one
    sentence for every failure that would otherwise describe the target (see :class:`Wording`).
    ``loopback_only_to`` allows loopback at that one origin only. ``resolver(hostname, port) ->
    [addresses]`` is injectable for tests.
    """
    factory = client_factory or (lambda: _default_client(timeout_seconds))
    allowance = Allowance.of(allow_loopback, loopback_only_to)
    fetch = _follow(url.strip(), factory, resolver or system_resolver, allowance, max_bytes, max_redirects)
    return await _within(fetch, timeout_seconds, IMAGE_LINK)


async def _within(walk: Awaitable[T], timeout_seconds: float, words: Wording) -> T:
    """A whole walk along a link's redirects under one deadline; a slow or failed connection reads as
    any other unusable link."""
    try:
        return await asyncio.wait_for(walk, timeout_seconds)
    except (asyncio.TimeoutError, httpx.HTTPError):
        raise ImageRejected(words.unusable) from None


async def _follow(current: str, factory: ClientFactory, resolve: Resolver, allowance: Allowance,
                  max_bytes: int, max_redirects: int) -> bytes:
    async with factory() as client:
        for _ in range(max_redirects + 1):
            target = await _checked_target(current, resolve, allowance, IMAGE_LINK)
            headers = {"Host": target.host_header, "Accept": "image/*"}
            async with client.stream("GET", target.url, headers=headers, extensions=target.extensions,
                                     follow_redirects=False) as response:
                if response.is_redirect and response.headers.get("location"):
                    current = urljoin(current, response.headers["location"])
                    continue
                if response.status_code != 200 or _serves_a_page(response):
                    raise ImageRejected(IMAGE_LINK.unusable)
                return await _read_capped(response, max_bytes)
    raise ImageRejected(f"The link redirects more than {max_redirects} times.")


# --------------------------------------------------------------------------- links others fetch


async def pinned_request(url: str, *, allow_loopback: bool = False, loopback_only_to: str | None = None,
                         resolver: Resolver | None = None,
                         words: Wording = CLIP_LINK) -> tuple[str, dict[str, str], dict[str, Any]]:
    """``url`` checked like a pasted link (every address its name resolves to), as the URL naming the
    checked address, the headers and the request extensions to reach it: the request then goes to the
    address that was judged, however DNS answers a moment later. Raises UnsafeURL or ImageRejected."""
    allowance = Allowance.of(allow_loopback, loopback_only_to)
    target = await _checked_target(url.strip(), resolver or system_resolver, allowance, words)
    return target.url, {"Host": target.host_header}, target.extensions


async def callback_refusal(url: str | None, *, resolver: Resolver | None = None) -> str | None:
    """Why the provider must not be asked to post to a visitor's ``callback_url``, judged as resolved
    (a name is judged by every address it leads to), or None. Loopback is refused: in demo mode the
    simulator would post from this very server."""
    if not url:
        return None
    try:
        await pinned_request(url, resolver=resolver, words=CALLBACK_LINK)
    except ImageRejected as exc:
        return exc.message if exc.message.startswith("callback_url") else f"callback_url: {exc.message}"
    return None


async def check_public_url(url: str, client_factory: ClientFactory | None = None, *,
                           allow_loopback: bool = False, loopback_only_to: str | None = None,
                           resolver: Resolver | None = None, max_redirects: int = 5,
                           timeout_seconds: float = VERIFY_TIMEOUT_SECONDS) -> str:
    """Check a link a visitor gives for the provider to fetch (a remix clip) without downloading it.

    Each hop is resolved and checked as in :func:`fetch_pasted_url`, then asked with HEAD, or with a
    one-byte ranged GET where HEAD is refused; redirects are followed and checked again. Returns the
    last URL; raises UnsafeURL, or ImageRejected when the link cannot be opened.
    """
    factory = client_factory or (lambda: _default_client(timeout_seconds))
    allowance = Allowance.of(allow_loopback, loopback_only_to)
    probe = _probe(url.strip(), factory, resolver or system_resolver, allowance, max_redirects)
    return await _within(probe, timeout_seconds, CLIP_LINK)


async def _probe(current: str, factory: ClientFactory, resolve: Resolver, allowance: Allowance,
                 max_redirects: int) -> str:
    async with factory() as client:
        for _ in range(max_redirects + 1):
            answer = await _ask(client, await _checked_target(current, resolve, allowance, CLIP_LINK))
            if answer.is_redirect and answer.headers.get("location"):
                current = urljoin(current, answer.headers["location"])
                continue
            if answer.status_code >= 400 or _serves_a_page(answer):
                raise ImageRejected(CLIP_LINK.unusable)
            return current
    raise ImageRejected(f"The link redirects more than {max_redirects} times.")


async def _ask(client: httpx.AsyncClient, target: _Target) -> httpx.Response:
    """The answer's status and headers only: HEAD, else a one-byte ranged GET whose body is never read
    (some servers, and links presigned for GET, refuse HEAD)."""
    extensions = target.extensions
    headers = {"Host": target.host_header, "Accept-Encoding": "identity"}
    head = await client.head(target.url, headers=headers, extensions=extensions, follow_redirects=False)
    if head.status_code < 400:
        return head
    async with client.stream("GET", target.url, headers={**headers, "Range": "bytes=0-0"},
                             extensions=extensions, follow_redirects=False) as response:
        return response
