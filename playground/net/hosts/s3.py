"""Your S3-compatible bucket: a private object behind a presigned GET link (botocore only signs)."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

import httpx

from ...media import PreparedImage
from ...texts import text
from ..http_client import DEFAULT_TIMEOUT_SECONDS
from .base import HostedImage, HostError, human_duration

BUCKET = text("net.hosts.s3_bucket", "S3 bucket {bucket}")
BUCKET_REFUSED = text("net.hosts.s3_refused", "the bucket refused the upload: HTTP {status}")
BUCKET_REFUSED_CODE = text("net.hosts.s3_refused_code", "the bucket refused the upload: HTTP {status} ({code})")

#: The upload link is used at once; it only has to outlive a slow start and some clock skew.
S3_PUT_LINK_SECONDS = 300
_S3_ERROR_CODE = re.compile(r"<Code>([^<]{1,64})</Code>")


class S3Host:
    """Private object in an S3-compatible bucket, shared through a short-lived presigned GET link.

    botocore only signs: it presigns a PUT for the upload (sent with httpx, so the request path
    stays async) and a GET with ``expires_seconds`` for the provider. The presigned link expires;
    the object itself stays until a bucket lifecycle rule removes it.
    """

    public = False

    def __init__(
        self,
        *,
        endpoint: str,
        bucket: str,
        region: str,
        access_key_id: str,
        secret_access_key: str,
        expires_seconds: int = 3600,
        prefix: str = "veo-playground/",
        path_style: bool = True,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not 1 <= expires_seconds <= 7 * 24 * 3600:
            raise ValueError("S3 presigned links last between 1 second and 7 days")
        self.endpoint = endpoint.rstrip("/")
        self.bucket, self.region, self.prefix = bucket, region, prefix
        self.expires_seconds, self.path_style = int(expires_seconds), path_style
        self.timeout, self.clock = timeout, clock
        self.name = BUCKET(bucket=bucket)
        self.lifetime = human_duration(self.expires_seconds)
        # The secret lives only inside the signer, never on an attribute of ours.
        self._signer = self._build_signer(access_key_id, secret_access_key)

    def __repr__(self) -> str:  # keeps the secret out of logs
        return f"S3Host(endpoint={self.endpoint!r}, bucket={self.bucket!r}, region={self.region!r})"

    def _build_signer(self, access_key_id: str, secret_access_key: str) -> Any:
        # Imported here: an app without S3 configured never pays botocore's import at start-up.
        import botocore.session
        from botocore.config import Config
        from botocore.exceptions import BotoCoreError

        config = Config(signature_version="s3v4", s3={"addressing_style": "path" if self.path_style else "virtual"})
        try:
            return botocore.session.Session().create_client(
                "s3",
                region_name=self.region,
                endpoint_url=self.endpoint,
                config=config,
                aws_access_key_id=access_key_id,
                aws_secret_access_key=secret_access_key,
            )
        except (BotoCoreError, ValueError) as exc:
            raise ValueError(f"the S3 settings cannot be used: {exc}") from None

    def object_key(self, image: PreparedImage) -> str:
        return f"{self.prefix}{image.sha256}.{image.extension}"

    def presigned_get(self, key: str) -> str:
        return self._signer.generate_presigned_url(
            "get_object", Params={"Bucket": self.bucket, "Key": key}, ExpiresIn=self.expires_seconds
        )

    def presigned_put(self, key: str, content_type: str) -> str:
        # Content-Type is signed, so the object is stored with exactly the type the provider checks.
        return self._signer.generate_presigned_url(
            "put_object",
            Params={"Bucket": self.bucket, "Key": key, "ContentType": content_type},
            ExpiresIn=S3_PUT_LINK_SECONDS,
        )

    async def upload(self, image: PreparedImage, client: httpx.AsyncClient) -> HostedImage:
        key = self.object_key(image)
        started = self.clock()  # counting from before signing errs on the side of an earlier expiry
        response = await client.put(
            self.presigned_put(key, image.mime),
            content=image.data,
            headers={"content-type": image.mime},
            timeout=self.timeout,
            follow_redirects=False,
        )
        if response.status_code >= 300:
            code = _S3_ERROR_CODE.search(response.text)
            status = response.status_code
            raise HostError(
                BUCKET_REFUSED_CODE(status=status, code=code.group(1)) if code else BUCKET_REFUSED(status=status)
            )
        return HostedImage(self.presigned_get(key), self.name, started + self.expires_seconds, self.lifetime)
