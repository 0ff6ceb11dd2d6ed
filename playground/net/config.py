"""Which upload hosts the operator configured (``UPLOAD_HOSTS``, ``S3_*``, ``UPLOAD_TIMEOUT_SECONDS``)."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from .hosts import ImageHost, LitterboxHost, S3Host, SelfHost, TemporaryFileStore, TmpfilesHost
from .http_client import DEFAULT_TIMEOUT_SECONDS
from .uploads import UploadChain

log = logging.getLogger(__name__)

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
    return S3Host(
        endpoint=endpoint,
        bucket=env["S3_BUCKET"].strip(),
        region=region,
        access_key_id=env["S3_ACCESS_KEY_ID"].strip(),
        secret_access_key=env["S3_SECRET_ACCESS_KEY"].strip(),
        expires_seconds=int(raw_expiry),
        path_style="amazonaws.com" not in endpoint,
        timeout=timeout,
    )


def hosts_from_env(
    env: Mapping[str, str],
    *,
    public_base_url: str | None,
    store: TemporaryFileStore | None,
    loopback_host: ImageHost | None = None,
) -> list[ImageHost]:
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
        raise ValueError(
            f"UPLOAD_HOSTS names unknown host(s) {', '.join(unknown)}; choose from {', '.join(HOST_NAMES)}"
        )
    hosts: list[ImageHost] = []
    for name in dict.fromkeys(names):
        host = _make_host(name, timeout, s3, public_base_url, store, loopback_host)
        if host is None:
            log.warning("UPLOAD_HOSTS lists %r but it is not configured; skipping it", name)
        else:
            hosts.append(host)
    return hosts


def _make_host(
    name: str,
    timeout: float,
    s3: S3Host | None,
    public_base_url: str | None,
    store: TemporaryFileStore | None,
    loopback_host: ImageHost | None,
) -> ImageHost | None:
    if name == "litterbox":
        return LitterboxHost(timeout=timeout)
    if name == "tmpfiles":
        return TmpfilesHost(timeout=timeout)
    if name == "s3":
        return s3
    if name == "self":
        return SelfHost(public_base_url, store) if public_base_url and store is not None else None
    return loopback_host


def chain_from_env(
    env: Mapping[str, str],
    *,
    public_base_url: str | None,
    store: TemporaryFileStore | None,
    loopback_host: ImageHost | None = None,
) -> UploadChain:
    hosts = hosts_from_env(env, public_base_url=public_base_url, store=store, loopback_host=loopback_host)
    return UploadChain(hosts, timeout_seconds=upload_timeout_from_env(env))
