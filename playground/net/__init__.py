"""The network layer: where this app may connect, safe fetching of links visitors give, and upload hosts.

* ``addresses`` - the one classifier of what a host or address is (public, this machine, private ...).
* ``targets``   - a link judged by every address it resolves to, and pinned to the one judged.
* ``fetch``     - pasted image links, remix clips and callback URLs fetched or checked through ``targets``.
* ``hosts``     - the upload hosts, one module each; ``uploads`` tries them in turn and checks each link.
* ``config``    - the hosts the operator configured; ``tls``, ``http_client``, ``loopback`` - shared plumbing.
* ``bucket``    - the media bucket (``PLAYGROUND_MEDIA_URL``) where replicas keep videos, posters and joins.
"""

from __future__ import annotations

# In dependency order, not sorted: each module below imports only those above it.
# isort: off
from . import addresses
from .addresses import Kind
from .tls import shared_tls
from .loopback import ServerThread
from .http_client import USER_AGENT
from .hosts import (
    S3_PUT_LINK_SECONDS,
    Attempt,
    HostedImage,
    HostError,
    ImageHost,
    LitterboxHost,
    PostFileHost,
    S3Host,
    SelfHost,
    SimulatorHost,
    TemporaryFileStore,
    TmpfilesHost,
    self_host_router,
    tmpfiles_direct_link,
)
from .uploads import HostingFailed, UploadChain, describe_destination, verify_link
from .config import HOST_NAMES, chain_from_env, hosts_from_env, upload_timeout_from_env
from .bucket import MEDIA_URL, Bucket, BucketConfig, BucketError, parse_media_url
from .targets import CALLBACK_LINK, CLIP_LINK, IMAGE_LINK, UnsafeURL, Wording, address_problem

# ``fetch.system_resolver`` and ``http_client.default_client`` are not re-exported: they are looked up on
# their own modules at each call, which is where a test stands in for them.
from .fetch import callback_refusal, check_public_url, fetch_pasted_url, pinned_request
# isort: on

__all__ = [
    "CALLBACK_LINK",
    "CLIP_LINK",
    "HOST_NAMES",
    "IMAGE_LINK",
    "MEDIA_URL",
    "S3_PUT_LINK_SECONDS",
    "USER_AGENT",
    "Attempt",
    "Bucket",
    "BucketConfig",
    "BucketError",
    "HostError",
    "HostedImage",
    "HostingFailed",
    "ImageHost",
    "Kind",
    "LitterboxHost",
    "PostFileHost",
    "S3Host",
    "SelfHost",
    "ServerThread",
    "SimulatorHost",
    "TemporaryFileStore",
    "TmpfilesHost",
    "UnsafeURL",
    "UploadChain",
    "Wording",
    "address_problem",
    "addresses",
    "callback_refusal",
    "chain_from_env",
    "check_public_url",
    "describe_destination",
    "fetch_pasted_url",
    "hosts_from_env",
    "parse_media_url",
    "pinned_request",
    "self_host_router",
    "shared_tls",
    "tmpfiles_direct_link",
    "upload_timeout_from_env",
    "verify_link",
]
