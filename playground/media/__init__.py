"""Pictures: checking and normalising the images visitors give, the posters shown for videos, and
joining video clips into one (``join``).

No network and no Gradio: the upload hosts (``net``) and the run service (``runs``) call in here.
"""

from .framing import check_against, compare_frames, preview_resize
from .images import (
    MAX_BYTES,
    ImageRejected,
    PreparedImage,
    prepare_image,
)
from .join import JoinFailed, JoinResult, join_clips
from .posters import make_poster, status_card

__all__ = [
    "MAX_BYTES",
    "ImageRejected",
    "JoinFailed",
    "JoinResult",
    "PreparedImage",
    "check_against",
    "compare_frames",
    "join_clips",
    "make_poster",
    "prepare_image",
    "preview_resize",
    "status_card",
]
