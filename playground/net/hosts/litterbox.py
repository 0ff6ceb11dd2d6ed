"""litterbox.catbox.moe: public, deleted after 1 hour (or 12, 24 or 72)."""

from __future__ import annotations

from ..http_client import DEFAULT_TIMEOUT_SECONDS
from .base import PostFileHost, human_duration


class LitterboxHost(PostFileHost):
    name = "litterbox.catbox.moe"
    file_field = "fileToUpload"
    _LIFETIMES = {"1h": 3600, "12h": 12 * 3600, "24h": 24 * 3600, "72h": 72 * 3600}

    def __init__(
        self,
        upload_url: str = "https://litterbox.catbox.moe/resources/internals/api.php",
        *,
        keep: str = "1h",
        name: str | None = None,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
    ) -> None:
        if keep not in self._LIFETIMES:
            raise ValueError(f"litterbox keeps files for one of {', '.join(self._LIFETIMES)}, not {keep!r}")
        super().__init__(upload_url, name=name, timeout=timeout)
        self.keep = keep
        self.lifetime_seconds = self._LIFETIMES[keep]
        self.lifetime = human_duration(self.lifetime_seconds)

    def form_fields(self) -> dict[str, str]:
        return {"reqtype": "fileupload", "time": self.keep}
