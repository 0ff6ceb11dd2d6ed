"""What the run service needs of a ``gr.Request``: the session, the peer, the headers and any sign-in."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import gradio as gr

from ..runs import RequestFacts
from ..texts import Lang, lang_of


def session_id(request: gr.Request | None) -> str:
    """Gradio's session hash; API calls without one share the ``anonymous`` session."""
    return request.session_hash if request is not None and request.session_hash else "anonymous"


def _oauth_userinfo(request: gr.Request) -> Mapping[str, Any] | None:
    """The userinfo "Sign in with Hugging Face" left in the session cookie, if it has not expired.

    Read the way Gradio injects ``gr.OAuthProfile``: from the Starlette session, which exists only
    when the page has a ``gr.LoginButton`` (Gradio then installs the session middleware).
    """
    underlying = getattr(request, "request", None)
    scope = getattr(underlying, "scope", None)
    session = scope.get("session") if isinstance(scope, dict) else None
    info = session.get("oauth_info") if isinstance(session, Mapping) else None
    if not isinstance(info, Mapping):
        return None
    expires_at = info.get("expires_at")
    if isinstance(expires_at, (int, float)) and expires_at < time.time():
        return None
    userinfo = info.get("userinfo")
    return userinfo if isinstance(userinfo, Mapping) else None


def request_facts(request: gr.Request | None, profile: gr.OAuthProfile | None = None) -> RequestFacts:
    """The facts of one request, handed to the run service (which decides what to believe)."""
    if request is None:
        return RequestFacts(session_id(None))
    client = getattr(request, "client", None)
    peer = getattr(client, "host", "") or ""
    headers = dict(getattr(request, "headers", {}) or {})
    userinfo = dict(profile) if profile is not None else _oauth_userinfo(request)
    return RequestFacts(session_id(request), peer, headers, userinfo)


def language(request: gr.Request | None) -> Lang:
    """The visitor's language, from their browser's ``Accept-Language`` (the page's locale comes from
    the same browser setting); API calls that send none are answered in English."""
    headers = getattr(request, "headers", None) if request is not None else None
    return lang_of(headers.get("accept-language") if headers is not None else None)
