"""Safe fetching of links a visitor gives: pasted images, remix clips, and callback URLs checked before use.

Every hop of a redirect is judged again (:mod:`playground.net.targets`) and connected to at the address
that was judged. ``system_resolver`` is looked up on this module at each call, so a test can stand in for DNS.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable
from typing import Any, TypeVar
from urllib.parse import urljoin

import httpx

from ..media import MAX_BYTES, ImageRejected
from ..texts import text
from . import http_client
from .http_client import DEFAULT_TIMEOUT_SECONDS, VERIFY_TIMEOUT_SECONDS, ClientFactory
from .targets import CALLBACK_LINK, CLIP_LINK, IMAGE_LINK, Allowance, Resolver, Target, Wording, checked_target

T = TypeVar("T")

LINKED_TOO_BIG = text("net.fetch.linked_too_big", "The image at that link is over the {limit} MB limit.")
TOO_MANY_REDIRECTS = text("net.fetch.too_many_redirects", "The link redirects more than {most} times.")
#: A link refusal that does not name the field yet, said of callback_url.
CALLBACK_PROBLEM = text("net.fetch.callback_problem", "callback_url: {problem}")


async def system_resolver(hostname: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(hostname, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


async def _read_capped(response: httpx.Response, max_bytes: int) -> bytes:
    too_big = ImageRejected(LINKED_TOO_BIG(limit=max_bytes // (1024 * 1024)))
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
    return (
        kind.startswith("text/")
        or kind.endswith(("/json", "/xml", "+json", "html"))
        or (kind.endswith("+xml") and not kind.startswith("image/"))
    )


async def fetch_pasted_url(
    url: str,
    client_factory: ClientFactory | None = None,
    *,
    allow_loopback: bool = False,
    loopback_only_to: str | None = None,
    resolver: Resolver | None = None,
    max_bytes: int = MAX_BYTES,
    max_redirects: int = 5,
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
) -> bytes:
    """Download an image link a visitor pasted, refusing anything aimed at local or private networks.

    Every redirect hop is resolved and checked again; raises UnsafeURL or ImageRejected, with one
    sentence for every failure that would otherwise describe the target (see :class:`Wording`).
    ``loopback_only_to`` allows loopback at that one origin only. ``resolver(hostname, port) ->
    [addresses]`` is injectable for tests.
    """
    factory = client_factory or (lambda: http_client.default_client(timeout_seconds))
    allowance = Allowance.of(allow_loopback, loopback_only_to)
    fetch = _follow(url.strip(), factory, resolver or system_resolver, allowance, max_bytes, max_redirects)
    return await _within(fetch, timeout_seconds, IMAGE_LINK)


async def _within(walk: Awaitable[T], timeout_seconds: float, words: Wording) -> T:
    """A whole walk along a link's redirects under one deadline; a slow or failed connection reads as
    any other unusable link."""
    try:
        return await asyncio.wait_for(walk, timeout_seconds)
    except (TimeoutError, httpx.HTTPError):
        raise ImageRejected(words.unusable) from None


async def _follow(
    current: str, factory: ClientFactory, resolve: Resolver, allowance: Allowance, max_bytes: int, max_redirects: int
) -> bytes:
    async with factory() as client:
        for _ in range(max_redirects + 1):
            target = await checked_target(current, resolve, allowance, IMAGE_LINK)
            headers = {"Host": target.host_header, "Accept": "image/*"}
            async with client.stream(
                "GET", target.url, headers=headers, extensions=target.extensions, follow_redirects=False
            ) as response:
                if response.is_redirect and response.headers.get("location"):
                    current = urljoin(current, response.headers["location"])
                    continue
                if response.status_code != 200 or _serves_a_page(response):
                    raise ImageRejected(IMAGE_LINK.unusable)
                return await _read_capped(response, max_bytes)
    raise ImageRejected(TOO_MANY_REDIRECTS(most=max_redirects))


async def pinned_request(
    url: str,
    *,
    allow_loopback: bool = False,
    loopback_only_to: str | None = None,
    resolver: Resolver | None = None,
    words: Wording = CLIP_LINK,
) -> tuple[str, dict[str, str], dict[str, Any]]:
    """``url`` checked like a pasted link (every address its name resolves to), as the URL naming the
    checked address, the headers and the request extensions to reach it: the request then goes to the
    address that was judged, however DNS answers a moment later. Raises UnsafeURL or ImageRejected."""
    allowance = Allowance.of(allow_loopback, loopback_only_to)
    target = await checked_target(url.strip(), resolver or system_resolver, allowance, words)
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
        return exc.message if exc.message.startswith("callback_url") else CALLBACK_PROBLEM(problem=exc.message)
    return None


async def check_public_url(
    url: str,
    client_factory: ClientFactory | None = None,
    *,
    allow_loopback: bool = False,
    loopback_only_to: str | None = None,
    resolver: Resolver | None = None,
    max_redirects: int = 5,
    timeout_seconds: float = VERIFY_TIMEOUT_SECONDS,
) -> str:
    """Check a link a visitor gives for the provider to fetch (a remix clip) without downloading it.

    Each hop is resolved and checked as in :func:`fetch_pasted_url`, then asked with HEAD, or with a
    one-byte ranged GET where HEAD is refused; redirects are followed and checked again. Returns the
    last URL; raises UnsafeURL, or ImageRejected when the link cannot be opened.
    """
    factory = client_factory or (lambda: http_client.default_client(timeout_seconds))
    allowance = Allowance.of(allow_loopback, loopback_only_to)
    probe = _probe(url.strip(), factory, resolver or system_resolver, allowance, max_redirects)
    return await _within(probe, timeout_seconds, CLIP_LINK)


async def _probe(
    current: str, factory: ClientFactory, resolve: Resolver, allowance: Allowance, max_redirects: int
) -> str:
    async with factory() as client:
        for _ in range(max_redirects + 1):
            answer = await _ask(client, await checked_target(current, resolve, allowance, CLIP_LINK))
            if answer.is_redirect and answer.headers.get("location"):
                current = urljoin(current, answer.headers["location"])
                continue
            if answer.status_code >= 400 or _serves_a_page(answer):
                raise ImageRejected(CLIP_LINK.unusable)
            return current
    raise ImageRejected(TOO_MANY_REDIRECTS(most=max_redirects))


async def _ask(client: httpx.AsyncClient, target: Target) -> httpx.Response:
    """The answer's status and headers only: HEAD, else a one-byte ranged GET whose body is never read
    (some servers, and links presigned for GET, refuse HEAD)."""
    extensions = target.extensions
    headers = {"Host": target.host_header, "Accept-Encoding": "identity"}
    head = await client.head(target.url, headers=headers, extensions=extensions, follow_redirects=False)
    if head.status_code < 400:
        return head
    async with client.stream(
        "GET", target.url, headers={**headers, "Range": "bytes=0-0"}, extensions=extensions, follow_redirects=False
    ) as response:
        return response
