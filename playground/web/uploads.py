"""The named endpoints' uploads: a file argument counts only if this call uploaded it."""

from __future__ import annotations

from typing import Any

from gradio import utils as gradio_utils
from gradio.data_classes import FileData

from .. import veo


def uploaded(read: veo.Reader, name: str, upload: Any) -> FileData | dict | None:
    """An upload argument, if it names a file this request uploaded (gradio_client's ``handle_file`` puts
    it in Gradio's upload folder). gr.api passes the caller's JSON through unchecked, so
    ``{"path": "/any/file/on/the/server.png"}`` would otherwise be read, checked as an image and sent on:
    another visitor's frame, or any picture on this machine, in the caller's video."""
    if upload is None:
        return None
    path = upload.get("path") if isinstance(upload, dict) else getattr(upload, "path", None)
    if not isinstance(path, str) or not path:
        return read.refuse(name, f"{name} must be an uploaded file; got {veo.described(upload)}")
    if not gradio_utils.is_in_or_equal(gradio_utils.abspath(path), gradio_utils.get_upload_folder()):
        return read.refuse(
            name,
            f"{name} must be a file uploaded with this call (gradio_client's handle_file), not a path on the server",
        )
    return upload


def upload_path(upload: FileData | dict | None) -> str | None:
    """gr.api hands uploads over as FileData or as its dict form."""
    if upload is None:
        return None
    return upload.get("path") if isinstance(upload, dict) else upload.path
