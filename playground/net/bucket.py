"""The media bucket (``PLAYGROUND_MEDIA_URL=s3://bucket/prefix``): where replicas keep videos, posters and joins.

Every replica writes what it makes here and fetches what it lacks, so a page served by one replica can play
a video another made. The local media folder stays as a cache in front of it (the caller's business).

botocore only signs (SigV4 in the ``Authorization`` header) and httpx sends, so the request path stays
async, as for :class:`~playground.net.hosts.S3Host`. Header signing rather than presigned links: nothing
here is handed to anyone else. The payload goes as ``UNSIGNED-PAYLOAD``, so a big file streams from disk
without being read twice to hash it first (TLS protects it in transit; boto3 does the same for streams).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import secrets
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import httpx

from . import http_client

MEDIA_URL = "PLAYGROUND_MEDIA_URL"
#: Connecting and waiting for a pool slot fail fast; reading and writing wait longer, per chunk (not in
#: total), since a video may take a while to move over a slow link.
BUCKET_TIMEOUT = httpx.Timeout(connect=10.0, read=60.0, write=60.0, pool=10.0)
#: How much of a file is in memory at once while it streams up or down.
CHUNK_BYTES = 1024 * 1024
#: S3's own rule for bucket names (3-63 lowercase letters, digits, dots and hyphens).
_BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_S3_ERROR_CODE = re.compile(rb"<Code>([^<]{1,64})</Code>")
#: An S3 error answer is a few hundred bytes; read no more than this of one to find its code.
_ERROR_BODY_BYTES = 16 * 1024


class BucketError(Exception):
    """The media bucket could not be reached or refused a request. The message names the object, never a secret."""

    def __init__(self, message: str, *, status: int | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.status, self.code = status, code


@dataclass(frozen=True)
class BucketConfig:
    """Where the media bucket is and the keys that open it (from ``PLAYGROUND_MEDIA_URL`` and ``S3_*``)."""

    endpoint: str
    bucket: str
    #: Put before every key: empty, or ending with "/".
    prefix: str
    region: str
    access_key_id: str
    secret_access_key: str = field(repr=False)
    #: ``endpoint/bucket/key`` rather than ``bucket.endpoint/key``: what most S3-compatible services want.
    path_style: bool = True


def parse_media_url(url: str, env: Mapping[str, str]) -> BucketConfig | None:
    """``s3://bucket/prefix`` with the ``S3_*`` settings; None when unset (media stays in the local folder).

    Uses the same S3_ENDPOINT, S3_REGION and keys as the image upload bucket (S3_BUCKET), which may be
    another bucket. Raises ValueError, naming the setting, for anything it cannot use.
    """
    raw = url.strip()
    if not raw:
        return None
    shape = f"{MEDIA_URL} must look like s3://bucket/prefix"
    try:
        parts = urlsplit(raw)
        has_port = parts.port is not None
    except ValueError:  # a bracket or port urllib cannot read; its message would quote the whole URL
        raise ValueError(shape) from None
    # Checked first, and the URL never quoted: what stands before "@" may be a secret.
    if parts.username is not None or parts.password is not None:
        raise ValueError(
            f"{MEDIA_URL} names only the bucket and prefix; keys go in S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY"
        )
    if parts.scheme.lower() != "s3":
        raise ValueError(f"{shape}; it starts with {parts.scheme or 'no scheme'}:// instead")
    if has_port or parts.query or parts.fragment:
        raise ValueError(f"{shape}, with no port, ?… or #…")
    bucket = parts.hostname or ""
    if not _BUCKET_NAME.fullmatch(bucket) or ".." in bucket:
        raise ValueError(f"{MEDIA_URL} names the bucket {bucket!r}, which is not a valid S3 bucket name")
    prefix = _prefix(parts.path)
    missing = [name for name in ("S3_ACCESS_KEY_ID", "S3_SECRET_ACCESS_KEY") if not env.get(name, "").strip()]
    if missing:
        raise ValueError(f"{MEDIA_URL} is set, so {' and '.join(missing)} must be too")
    region = env.get("S3_REGION", "").strip() or "us-east-1"
    endpoint = (env.get("S3_ENDPOINT", "").strip() or f"https://s3.{region}.amazonaws.com").rstrip("/")
    where = urlsplit(endpoint)
    if where.scheme not in ("http", "https") or not where.hostname:
        raise ValueError(f"S3_ENDPOINT must be an http(s) address, not {endpoint!r}")
    return BucketConfig(
        endpoint=endpoint,
        bucket=bucket,
        prefix=prefix,
        region=region,
        access_key_id=env["S3_ACCESS_KEY_ID"].strip(),
        secret_access_key=env["S3_SECRET_ACCESS_KEY"].strip(),
        # As for the upload bucket: AWS prefers virtual-hosted names, other services mostly need path style.
        # A dotted name on AWS too: bucket.with.dots.s3.amazonaws.com fails the TLS certificate's wildcard.
        path_style="amazonaws.com" not in endpoint or "." in bucket,
    )


def _prefix(path: str) -> str:
    segments = path.strip("/").split("/")
    if segments == [""]:
        return ""
    if any(s in ("", ".", "..") for s in segments) or any(ord(c) < 32 for c in path):
        raise ValueError(f"{MEDIA_URL} has the prefix {path!r}; use plain folder names like s3://bucket/veo/media")
    return "/".join(segments) + "/"


class Bucket:
    """Files in the media bucket under the configured prefix: put, get (into a file) and exists.

    Given no client, it makes one (``http_client.default_client``) on first use and closes it in :meth:`aclose`;
    a client it is given stays the caller's to close.
    """

    def __init__(
        self,
        config: BucketConfig,
        *,
        client: httpx.AsyncClient | None = None,
        timeout: httpx.Timeout = BUCKET_TIMEOUT,
    ) -> None:
        self.endpoint, self.bucket, self.prefix = config.endpoint.rstrip("/"), config.bucket, config.prefix
        self.region, self.path_style, self.timeout = config.region, config.path_style, timeout
        self._client, self._owns_client = client, client is None
        # The secret lives only in botocore's Credentials (whose repr does not show it), never on an attribute of ours.
        self._credentials = _credentials(config.access_key_id, config.secret_access_key)

    def __repr__(self) -> str:  # keeps the secret out of logs
        return f"Bucket(endpoint={self.endpoint!r}, bucket={self.bucket!r}, prefix={self.prefix!r})"

    async def __aenter__(self) -> Bucket:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._owns_client and self._client is not None:
            await self._client.aclose()
            self._client = None

    # -- the three verbs ---------------------------------------------------------------------------

    async def put_file(self, key: str, path: Path, content_type: str) -> None:
        """Stores the file at ``key`` (under the prefix), streamed from disk a chunk at a time."""
        size = (await asyncio.to_thread(path.stat)).st_size
        headers = {"Content-Type": content_type, "Content-Length": str(size)}
        # Content-Length given, httpx sends the stream as it is rather than chunked, which S3 refuses.
        async with self._request("PUT", key, headers, content=_read_chunks(path)) as response:
            if response.status_code >= 300:
                raise await self._refused("PUT", key, response)

    async def get_file(self, key: str, dest: Path) -> bool:
        """Writes the object at ``key`` to ``dest``; False, and ``dest`` untouched, when there is no such object.

        It is written beside ``dest`` under a hidden name and renamed once complete, so a download cut short
        never looks like the file. (On AWS a missing object reads as 404 only to keys allowed s3:ListBucket;
        to others it is 403, which is raised.)
        """
        async with self._request("GET", key, {}) as response:
            if response.status_code == 404:
                return False
            if response.status_code >= 300:
                raise await self._refused("GET", key, response)
            await asyncio.to_thread(dest.parent.mkdir, parents=True, exist_ok=True)
            partial = dest.with_name(f".{dest.name}.{secrets.token_hex(4)}.part")
            try:
                # Raw: the stored bytes as they are, even for an object stored with a Content-Encoding.
                written = await _write_chunks(partial, response.aiter_raw(CHUNK_BYTES))
                expected = response.headers.get("content-length")
                if expected is not None and int(expected) != written:
                    raise BucketError(f"the media bucket {self.bucket} sent {written} of {expected} bytes of {key}")
                await asyncio.to_thread(os.replace, partial, dest)
            except BaseException:
                with contextlib.suppress(OSError):
                    await asyncio.to_thread(partial.unlink, missing_ok=True)
                raise
        return True

    async def exists(self, key: str) -> bool:
        async with self._request("HEAD", key, {}) as response:
            if response.status_code == 404:
                return False
            if response.status_code >= 300:
                raise await self._refused("HEAD", key, response)
            return True

    # -- signing and sending -------------------------------------------------------------------------

    def object_url(self, key: str) -> str:
        """The object's address, the key percent-encoded once as SigV4 expects (``/`` kept)."""
        path = quote(self.prefix + _checked_key(key), safe="/~")
        if self.path_style:
            return f"{self.endpoint}/{self.bucket}/{path}"
        parts = urlsplit(self.endpoint)
        return f"{parts.scheme}://{self.bucket}.{parts.netloc}/{path}"

    @contextlib.asynccontextmanager
    async def _request(
        self, method: str, key: str, headers: dict[str, str], content: AsyncIterator[bytes] | None = None
    ) -> AsyncIterator[httpx.Response]:
        url = self.object_url(key)
        signed = self._sign(method, url, headers)
        if self._client is None:
            self._client = http_client.default_client(http_client.DEFAULT_TIMEOUT_SECONDS)
        request = self._client.build_request(method, url, headers=signed, content=content, timeout=self.timeout)
        try:
            response = await self._client.send(request, stream=True, follow_redirects=False)
        except httpx.HTTPError as exc:  # the URL names no secret (the signature is in a header)
            reason = type(exc).__name__
            raise BucketError(
                f"the media bucket {self.bucket} at {self.endpoint} could not be reached: {reason}"
            ) from None
        try:
            yield response
        except httpx.HTTPError as exc:
            reason = type(exc).__name__
            raise BucketError(f"the media bucket {self.bucket} broke off {method} {key}: {reason}") from None
        finally:
            await response.aclose()

    def _sign(self, method: str, url: str, headers: dict[str, str]) -> dict[str, str]:
        from botocore.auth import S3SigV4Auth
        from botocore.awsrequest import AWSRequest
        from botocore.config import Config

        request = AWSRequest(method=method, url=url, headers=headers)
        # Left to itself the signer hashes the body over plain HTTP (a local S3), and a stream has none to hash.
        request.context["client_config"] = Config(s3={"payload_signing_enabled": False})
        S3SigV4Auth(self._credentials, "s3", self.region).add_auth(request)
        return dict(request.headers.items())

    async def _refused(self, method: str, key: str, response: httpx.Response) -> BucketError:
        body = b""
        with contextlib.suppress(httpx.HTTPError):
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) >= _ERROR_BODY_BYTES:
                    break
        found = _S3_ERROR_CODE.search(body)
        code = found.group(1).decode(errors="replace") if found else None
        status = response.status_code
        answer = f"HTTP {status} ({code})" if code else f"HTTP {status}"
        message = f"the media bucket {self.bucket} answered {answer} to {method} {key}"
        return BucketError(message, status=status, code=code)


def _credentials(access_key_id: str, secret_access_key: str) -> Any:
    # Imported here: an app without a media bucket never pays botocore's import at start-up.
    from botocore.credentials import Credentials

    return Credentials(access_key_id, secret_access_key)


def _checked_key(key: str) -> str:
    if not key or key.startswith("/") or any(ord(c) < 32 for c in key) or ".." in key.split("/"):
        raise ValueError(f"not a media key: {key!r}")
    return key


async def _read_chunks(path: Path) -> AsyncIterator[bytes]:
    handle = await asyncio.to_thread(path.open, "rb")
    try:
        while chunk := await asyncio.to_thread(handle.read, CHUNK_BYTES):
            yield chunk
    finally:
        await asyncio.to_thread(handle.close)


async def _write_chunks(path: Path, chunks: AsyncIterator[bytes]) -> int:
    written = 0
    handle = await asyncio.to_thread(path.open, "wb")
    try:
        async for chunk in chunks:
            await asyncio.to_thread(handle.write, chunk)
            written += len(chunk)
    finally:
        await asyncio.to_thread(handle.close)
    return written
