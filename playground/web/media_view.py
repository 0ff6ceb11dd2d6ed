"""Handing signed media links (:mod:`playground.runs.media_links`) to Gradio without Gradio fetching the file.

How Gradio 6.31 treats a file value on its way to the browser (``processing_utils.async_move_files_to_cache``):

- a local path is copied into Gradio's cache and served at ``/gradio_api/file=/tmp/gradio/<hash>/<name>``
  to anyone, for as long as the server runs; with the folder in ``allowed_paths`` the original is served too;
- a plain ``http(s)`` string given to ``gr.Video`` becomes ``FileData(path=url)`` with no ``url``, which is
  *downloaded* into that same cache (through an SSRF guard that refuses loopback, so on 127.0.0.1 it fails);
- a relative URL is taken for a local path and refused, since it is in no allowed folder;
- ``FileData`` whose ``url`` is an absolute ``http(s)`` link is passed to the browser as it is: nothing is
  fetched or copied. ``gr.Gallery`` already builds that from a URL string; ``gr.Video`` does not, hence
  :class:`LinkedVideo`.

So links are absolute, on the root the request reached this server at. ``gradio_client`` downloads a result
file from ``/gradio_api/file=<path>`` unless the file is marked as a stream, when it fetches ``url`` itself:
API results are marked so (:func:`api_file`).
"""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any
from urllib.parse import urlsplit

import gradio as gr
from gradio import route_utils
from gradio.data_classes import FileData
from gradio_client.utils import is_http_url_like


def page_root(request: gr.Request | None) -> str:
    """Where the caller reached this app, without a trailing slash ("" when there is no request)."""
    inner = getattr(request, "request", None) if request is not None else None
    if inner is None:
        return ""
    # Gradio's own rule (honours X-Forwarded-Host/-Proto and the app's root path), as for its file links.
    app = inner.scope.get("app") if hasattr(inner, "scope") else None
    return route_utils.get_root_url(inner, inner.url.path, getattr(app, "root_path", None) or None)


def linked_file(url: str, mime_type: str, *, stream: bool = False) -> FileData:
    """A file the browser (or gradio_client) fetches from ``url`` itself."""
    return FileData(
        path=url, url=url, mime_type=mime_type, orig_name=PurePosixPath(urlsplit(url).path).name, is_stream=stream
    )


def api_file(url: str) -> FileData:
    # gradio_client fetches ``url`` directly only for streams; for anything else it would ask
    # /gradio_api/file= for the path, which no longer serves media.
    return linked_file(url, "video/mp4", stream=True)


class LinkedVideo(gr.Video):
    """``gr.Video`` that hands an absolute link to the browser instead of letting Gradio download it."""

    is_template = True  # drawn by gr.Video's own frontend

    def postprocess(self, value: Any) -> FileData | None:
        if isinstance(value, str) and is_http_url_like(value):
            return linked_file(value, "video/mp4")
        return super().postprocess(value)
