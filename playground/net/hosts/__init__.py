"""The places an upload can go, one module each; :class:`~playground.net.uploads.UploadChain` tries them in turn.

* ``LitterboxHost`` - litterbox.catbox.moe, public, deleted after 1 hour.
* ``TmpfilesHost``  - tmpfiles.org, public, deleted after 60 minutes.
* ``S3Host``        - your S3-compatible bucket, private object behind a presigned GET link.
* ``SelfHost``      - this app serves the bytes itself under an unguessable name for a while.
* ``SimulatorHost`` - the embedded simulator's loopback upload endpoint (demo mode).
* ``PostFileHost``  - base for "POST a multipart file, get a link back" services.
"""

from __future__ import annotations

from .base import Attempt, HostedImage, HostError, ImageHost, PostFileHost, human_duration, upload_filename
from .litterbox import LitterboxHost
from .s3 import S3_PUT_LINK_SECONDS, S3Host
from .selfhost import SelfHost, StoredFile, TemporaryFileStore, self_host_router
from .simulator import SimulatorHost
from .tmpfiles import TmpfilesHost, tmpfiles_direct_link

__all__ = [
    "S3_PUT_LINK_SECONDS",
    "Attempt",
    "HostError",
    "HostedImage",
    "ImageHost",
    "LitterboxHost",
    "PostFileHost",
    "S3Host",
    "SelfHost",
    "SimulatorHost",
    "StoredFile",
    "TemporaryFileStore",
    "TmpfilesHost",
    "human_duration",
    "self_host_router",
    "tmpfiles_direct_link",
    "upload_filename",
]
