"""Where a link may lead: every address its name resolves to judged, and the request pinned to one of them.

Pasted image links, remix clips and callback URLs are all judged here, by the one classifier in
:mod:`playground.net.addresses`, with the wording of each refusal chosen so it tells a visitor
nothing about this server's own network.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from ..media import ImageRejected
from ..texts import Template, text
from . import addresses
from .addresses import Kind

log = logging.getLogger(__name__)

#: ``resolver(hostname, port) -> [addresses]``, as :func:`playground.net.fetch.system_resolver` answers.
Resolver = Callable[[str, int], Awaitable[list[str]]]


class UnsafeURL(ImageRejected):
    """A pasted link points somewhere this app must not fetch from (local or private network)."""


#: A name that takes longer than this to resolve is treated like one that does not resolve.
RESOLVE_TIMEOUT_SECONDS = 10.0


UNCHECKABLE = text("net.targets.uncheckable", "an address that cannot be checked")


def address_problem(address: str, *, allow_loopback: bool = False) -> str | None:
    """Why this app must not connect to ``address``, or None when it is a public address."""
    kind = addresses.address_kind(address)
    if kind is None:
        return UNCHECKABLE()
    return None if kind.reachable(loopback=allow_loopback) else kind.value


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
    refused: Template  # filled with ``host`` (as typed, normalised) and ``kind`` (what it is, in words)


#: Said of every link this app fetches itself (images, clips): it names only what the visitor typed.
REFUSED_LINK = text(
    "net.targets.refused_link", "The link points to {host}, {kind}, which this app does not fetch from."
)
IMAGE_LINK = Wording(
    text(
        "net.targets.image_unusable",
        "The link could not be used: it must be a public http(s) link that opens in a browser and serves the image.",
    )(),
    REFUSED_LINK,
)
CLIP_LINK = Wording(
    text(
        "net.targets.clip_unusable",
        "The link could not be used: it must be a public http(s) link that opens in a browser and serves the video "
        "clip.",
    )(),
    REFUSED_LINK,
)
CALLBACK_LINK = Wording(
    text(
        "net.targets.callback_unusable",
        "callback_url: the provider could not post there; give a public http(s) address it can reach from the "
        "internet.",
    )(),
    text(
        "net.targets.callback_refused",
        "callback_url points to {host}, {kind}; give an address the provider can reach from the internet.",
    ),
)
NOT_A_WEB_ADDRESS = text(
    "net.targets.not_a_web_address", "The link is not a valid web address (check its site name and port)."
)
NOT_HTTP = text("net.targets.not_http", "Only http:// and https:// links can be used.")
NO_SITE_NAME = text("net.targets.no_site_name", "The link has no site name.")


@dataclass(frozen=True)
class Allowance:
    """Where besides the public internet a fetch may connect: nowhere (the app, on a visitor's say-so),
    any loopback port (a test simulator, for which this machine stands in for the internet), or one
    loopback origin only (the embedded demo simulator, reaching its own uploads and result files)."""

    any_loopback: bool = False
    origin: tuple[str, str, int] | None = None  # scheme, address, port

    @classmethod
    def of(cls, allow_loopback: bool, loopback_only_to: str | None) -> Allowance:
        if not loopback_only_to:
            return cls(any_loopback=allow_loopback)
        parts = urlsplit(loopback_only_to)
        host = addresses.parse_host(parts.hostname or "")
        if host.address is None or host.kind is not Kind.LOOPBACK:
            raise ValueError(f"{loopback_only_to} is not a loopback address")
        return cls(allow_loopback, (parts.scheme, host.text, parts.port or _default_port(parts.scheme)))

    def permits(self, kind: Kind, scheme: str, address: str, port: int) -> bool:
        return kind.reachable(loopback=self.any_loopback or self.origin == (scheme, address, port))


def _default_port(scheme: str) -> int:
    return 443 if scheme == "https" else 80


@dataclass(frozen=True)
class Target:
    url: str  # the URL actually requested: the host replaced by the checked address
    host_header: str
    sni: str | None

    @property
    def extensions(self) -> dict[str, Any]:
        """httpx request extensions that keep TLS checking the name while connecting to the address."""
        return {"sni_hostname": self.sni} if self.sni else {}


async def checked_target(url: str, resolver: Resolver, allowance: Allowance, words: Wording) -> Target:
    try:
        parts = urlsplit(url)
        hostname, port = parts.hostname, parts.port or _default_port(parts.scheme)
    except ValueError:
        raise UnsafeURL(NOT_A_WEB_ADDRESS()) from None
    if parts.scheme not in ("http", "https"):
        raise UnsafeURL(NOT_HTTP())
    if not hostname:
        raise UnsafeURL(NO_SITE_NAME())
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
    return Target(
        urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, "")),
        host_header,
        host.text if parts.scheme == "https" else None,
    )


async def _judged_addresses(
    host: addresses.Host, scheme: str, port: int, resolver: Resolver, allowance: Allowance, words: Wording
) -> list[str]:
    """Every address ``host`` leads to, each one allowed; raises UnsafeURL or ImageRejected."""
    kind = host.kind
    if kind is not None and not allowance.permits(kind, scheme, host.text, port):
        raise UnsafeURL(words.refused(host=host.text, kind=kind.value))
    if host.address is not None:
        return [host.text]
    try:
        answered = await asyncio.wait_for(resolver(host.text, port), RESOLVE_TIMEOUT_SECONDS)
    except (TimeoutError, OSError, UnicodeError):
        raise ImageRejected(words.unusable) from None
    found = [addresses.parse_address(a) for a in answered]
    if not found:
        raise ImageRejected(words.unusable)
    for answer, ip in zip(answered, found, strict=True):
        if ip is None or not allowance.permits(addresses.classify(ip), scheme, str(ip), port):
            # Said only in the log: the page must not learn what this server's DNS answers.
            log.info("refused a link to %s: it resolves to %s", host.text, answer)
            raise UnsafeURL(words.unusable)
    return [str(ip) for ip in found if ip is not None]
