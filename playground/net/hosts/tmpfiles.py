"""tmpfiles.org: public, deleted after 60 minutes."""

from __future__ import annotations

import json
from urllib.parse import urlsplit, urlunsplit

import httpx

from ..http_client import DEFAULT_TIMEOUT_SECONDS
from .base import MINUTES, NOT_A_LINK, HostError, PostFileHost, is_link


def tmpfiles_direct_link(page_url: str) -> str:
    """tmpfiles.org answers with its viewer page; the file itself is under /dl/."""
    parts = urlsplit(page_url)
    path = parts.path if parts.path.startswith("/dl/") else "/dl" + parts.path
    # The API answers with http:// links; the same file is served over https.
    scheme = "https" if parts.hostname in ("tmpfiles.org", "www.tmpfiles.org") else parts.scheme
    return urlunsplit((scheme, parts.netloc, path, parts.query, ""))


class TmpfilesHost(PostFileHost):
    name = "tmpfiles.org"
    lifetime = MINUTES(count=60)
    lifetime_seconds = 3600

    def __init__(
        self,
        upload_url: str = "https://tmpfiles.org/api/v1/upload",
        *,
        name: str | None = None,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
    ) -> None:
        super().__init__(upload_url, name=name, timeout=timeout)

    def link_from(self, response: httpx.Response) -> str:
        try:
            answer = json.loads(response.text)
            link = answer["data"]["url"] if answer.get("status") == "success" else None
        except (ValueError, KeyError, TypeError, AttributeError):
            link = None
        if not isinstance(link, str) or not is_link(link):
            raise HostError(NOT_A_LINK(answer=repr(response.text[:60])))
        return tmpfiles_direct_link(link)
