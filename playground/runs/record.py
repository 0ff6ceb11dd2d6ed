"""One run as the history keeps it, and how its fields map to the columns of a row."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, fields
from enum import Enum
from typing import Any

from ..texts import message_data, message_from_data
from .phases import Mode, Phase

#: Fields stored under another column name or type: name -> (column, encoder).
_ENCODED: dict[str, tuple[str, Callable[[Any], Any]]] = {
    "request": ("request_json", lambda v: json.dumps(v, ensure_ascii=False)),
    "files": ("files_json", json.dumps),
    "urls": ("urls_json", json.dumps),
    "charged": ("charged", int),
}


def _columns(name: str, value: Any) -> Iterator[tuple[str, Any]]:
    if name == "message":  # the English as written, and what saying it again needs
        data = message_data(value)
        yield "message", str(value)
        yield "message_json", None if data is None else json.dumps(data, ensure_ascii=False, default=str)
        return
    column, encode = _ENCODED.get(name, (name, lambda v: v))
    # An enum goes in as its word: drivers differ on what they make of one (its name, or its value).
    yield column, value.value if isinstance(value, Enum) else encode(value)


def record_row(values: dict[str, Any]) -> dict[str, Any]:
    return {column: v for name, value in values.items() for column, v in _columns(name, value)}


#: Every column a record is read from.
_ROW_COLUMNS = [
    "run_id",
    "task_id",
    "owner",
    "mode",
    "key_fingerprint",
    "action",
    "model",
    "request_json",
    "estimated_cost",
    "charged",
    "phase",
    "message",
    "message_json",
    "queued_seconds",
    "processing_seconds",
    "files_json",
    "urls_json",
    "expires_at",
    "poster",
    "created_at",
    "updated_at",
    "address",
    "sent_at",
    "group_id",
    "group_kind",
    "group_index",
    "callback_hash",
]


@dataclass
class RunRecord:
    """One run as the history keeps it. ``request`` is the exact body that was (or would be) sent."""

    owner: str
    mode: Mode
    key_fingerprint: str
    action: str
    model: str
    request: dict[str, Any]
    estimated_cost: float | None = None
    phase: Phase = Phase.SUBMITTING
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    task_id: str | None = None
    #: False once the provider is known not to bill it (never accepted, refunded, filtered).
    charged: bool = True
    message: str = ""
    queued_seconds: float = 0.0
    processing_seconds: float = 0.0
    files: list[str] = field(default_factory=list)
    urls: list[str] = field(default_factory=list)
    expires_at: float | None = None
    poster: str | None = None
    created_at: float = field(default_factory=time.time)
    updated_at: float = field(default_factory=time.time)
    #: The keyed hash of the address an anonymous visitor ran it from (see :mod:`.visitors`), for the
    #: cap every browser on that address shares; None when signed in or when no cap counts it.
    address: str | None = None
    #: When the request was about to leave, written before it does: a run still ``submitting`` at
    #: start-up without it was never sent; with it, the provider may have it (see :meth:`RunStore.stranded`).
    sent_at: float | None = None
    #: The runs started together with this one (a compare grid), and this run's place among them.
    group_id: str | None = None
    group_kind: str | None = None
    group_index: int | None = None
    #: The hash of the callback route's token sent with it, so a callback reaching any replica finds it.
    callback_hash: str | None = None

    def __post_init__(self) -> None:
        # Rows hold the words; a record holds the enums, which compare equal to them.
        self.mode, self.phase = Mode(self.mode), Phase(self.phase)

    @property
    def finished(self) -> bool:
        return self.phase.finished

    def to_row(self) -> dict[str, Any]:
        return record_row({f.name: getattr(self, f.name) for f in fields(self)})

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> RunRecord:
        # Columns that are no field of a record (a lease, a callback) belong to other readers.
        data = {name: row[name] for name in _ROW_COLUMNS if name in row}
        data["request"] = json.loads(data.pop("request_json"))
        data["files"] = json.loads(data.pop("files_json"))
        data["urls"] = json.loads(data.pop("urls_json"))
        data["charged"] = bool(data["charged"])
        stored = data.pop("message_json", None)
        if stored:
            data["message"] = message_from_data(json.loads(stored), data["message"])
        return cls(**data)
