"""The task as the Wave API returns it, read tolerantly.

The provider's pages disagree in places, and both forms occur in the wild: result ``url`` is an
array of strings on the newer page and a plain string on the older one; timestamps are Unix
milliseconds on the newer pages and seconds on the older one. Unknown fields are kept, not refused.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

TERMINAL_STATUSES = frozenset({"completed", "failed", "cancelled"})
KNOWN_STATUSES = ("queued", "processing") + tuple(sorted(TERMINAL_STATUSES))

#: Anything above this is taken as milliseconds: 1e11 seconds is the year 5138.
_MS_THRESHOLD = 1e11


def to_epoch_seconds(value: Any) -> float | None:
    """Read a Unix timestamp given in seconds or milliseconds (or as a numeric string)."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number / 1000.0 if number > _MS_THRESHOLD else number


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)


class MediaItem(_Lenient):
    """One result file. ``urls`` is always a list, whichever form the service sent."""

    urls: list[str] = Field(default_factory=list, alias="url")
    expires_at: float | None = None

    @field_validator("urls", mode="before")
    @classmethod
    def _url_array_or_string(cls, value: Any) -> list[str]:
        if value is None:
            return []
        if isinstance(value, str):
            return [value]
        return [str(v) for v in value if v]

    @field_validator("expires_at", mode="before")
    @classmethod
    def _epoch(cls, value: Any) -> float | None:
        return to_epoch_seconds(value)


class TaskResult(_Lenient):
    videos: list[MediaItem] = Field(default_factory=list)
    images: list[MediaItem] = Field(default_factory=list)
    audios: list[MediaItem] = Field(default_factory=list)

    def video_urls(self) -> list[str]:
        """Every video URL, in order; an item with several URLs contributes each of them."""
        return [u for item in self.videos for u in item.urls]


class TaskError(_Lenient):
    message: str = ""
    code: str | None = None


class TaskLinks(_Lenient):
    get: str | None = None
    cancel: str | None = None


class TaskState(_Lenient):
    """A snapshot of one task, as ``POST /v1/tasks`` or ``GET /v1/tasks/{id}`` answered it."""

    task_id: str = Field(validation_alias="task_id")
    #: Model id the task runs on.
    model: str | None = None
    action: str | None = None
    #: ``queued`` → ``processing`` → ``completed`` | ``failed``; or ``cancelled`` from ``queued``.
    #: Kept as text: an unknown status is shown as it is rather than refused.
    status: str = "queued"
    #: 0–100 as the provider reports it.
    progress: int = 0
    #: Unix seconds (converted from milliseconds where the service sent those).
    created_at: float | None = None
    started_at: float | None = Field(default=None, validation_alias="start_time")
    completed_at: float | None = None
    error: TaskError | None = None
    result: TaskResult | None = None
    urls: TaskLinks | None = None

    @field_validator("created_at", "started_at", "completed_at", mode="before")
    @classmethod
    def _epoch(cls, value: Any) -> float | None:
        return to_epoch_seconds(value)

    @field_validator("progress", mode="before")
    @classmethod
    def _progress(cls, value: Any) -> int:
        try:
            return max(0, min(100, int(float(value))))
        except (TypeError, ValueError):
            return 0

    @field_validator("status", mode="before")
    @classmethod
    def _status(cls, value: Any) -> str:
        return str(value or "queued").strip().lower()

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL_STATUSES

    @property
    def is_known_status(self) -> bool:
        return self.status in KNOWN_STATUSES

    def video_urls(self) -> list[str]:
        return self.result.video_urls() if self.result else []

    def fingerprint(self) -> tuple[str, int, bool]:
        """What counts as a change worth showing."""
        return (self.status, self.progress, self.result is not None)
