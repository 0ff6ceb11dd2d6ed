"""What comes back over the wire, turned into typed results: the one place that maps failures.

:func:`map_transport_errors` is to this client what httpx's ``map_httpcore_exceptions`` is to
httpx: every call's send runs inside it, so an httpx transport failure becomes the same
:class:`~playground.wave.errors.WaveError` whichever call met it. The readers below turn an answer
into a refusal (:func:`error_from_response`) or a task (:func:`parse_task`), with every word the
provider says redacted first.
"""

from __future__ import annotations

import contextlib
import datetime
import email.utils
import math
import re
import time
from collections.abc import Iterator
from typing import Any

import httpx

from ..texts import text
from . import errors
from .redact import Redactor
from .state import TaskState

#: Failures raised before a byte left: the request was never sent, so nothing can have been charged.
_NOT_SENT = (httpx.LocalProtocolError, httpx.UnsupportedProtocol)
#: Failures that mean no connection was made, so the service cannot have taken the request.
NO_CONNECTION = (httpx.ConnectError, httpx.ConnectTimeout)


@contextlib.contextmanager
def map_transport_errors(*, task_id: str | None = None, submission: dict[str, Any] | None = None) -> Iterator[None]:
    """Raise the :class:`~playground.wave.errors.WaveError` for an httpx transport failure inside.

    ``submission`` is the body of a call that creates a task: a failure after the connection was
    made may then have created (and charged) one, so it is :class:`SubmitUncertain` carrying the
    body; for any other call it is a :class:`ConnectionFailed` that may be tried again.
    """
    try:
        yield
    except _NOT_SENT as exc:
        raise errors.RequestNotSent(type(exc).__name__, task_id=task_id) from exc
    except NO_CONNECTION as exc:
        raise errors.ConnectionFailed(type(exc).__name__, task_id=task_id) from exc
    except httpx.TransportError as exc:
        if submission is not None:
            raise errors.SubmitUncertain(type(exc).__name__, body=submission, task_id=task_id) from exc
        raise errors.ConnectionFailed(type(exc).__name__, task_id=task_id) from exc


def may_resend_after(exc: httpx.TransportError) -> bool:
    """Whether a repeatable call may go again after ``exc``: not when it could not be sent at all."""
    return not isinstance(exc, _NOT_SENT)


def retry_after_seconds(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:  # the other form the header allows: an HTTP date
            parsed = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None  # junk: fall back to our own backoff rather than fail the call
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=datetime.UTC)  # HTTP dates are GMT
        seconds = parsed.timestamp() - time.time()
    return max(0.0, seconds) if math.isfinite(seconds) else None


def error_from_response(response: httpx.Response, redactor: Redactor, task_id: str | None = None) -> errors.WaveError:
    """The typed error for a refusal; all the provider's words in it are redacted (it may echo the key)."""
    message, code = "", None
    try:
        payload = redactor.value(response.json())
        err = payload.get("error") if isinstance(payload, dict) else None
        if isinstance(err, dict):
            message = str(err.get("message") or "")
            code = None if err.get("code") is None else str(err["code"])
        elif isinstance(err, str):
            message = err
    except ValueError:
        message = redactor.text(response.reason_phrase or "")
    return errors.error_for_status(
        response.status_code, message, code, retry_after=retry_after_seconds(response), task_id=task_id
    )


_TASK_ID = re.compile(r'"task_id"\s*:\s*"([A-Za-z0-9_.:-]{1,128})"')


def salvage_task_id(text: str) -> str | None:
    """The task id from an answer cut short or wrapped in junk, when it made it through."""
    match = _TASK_ID.search(text)
    return match.group(1) if match else None


UNREADABLE_TASK = text("wave.wire.unreadable_task", "unreadable task JSON: {reason}")


def parse_task(response: httpx.Response, redactor: Redactor, task_id: str | None = None) -> TaskState:
    """The task as answered, redacted before pydantic sees it, so no field, extra or error text keeps a key."""
    try:
        payload = redactor.value(response.json())
        return TaskState.model_validate(payload)
    except ValueError as exc:  # JSONDecodeError and pydantic's ValidationError are both ValueErrors
        # Redacted before cutting: a cut through the middle of a key would no longer match.
        reason = redactor.text(str(exc))[:200]
        raise errors.UnexpectedResponse(UNREADABLE_TASK(reason=reason), task_id=task_id) from None
