"""Typed failures of the Wave API, each with a message a non-technical person understands.

``str(error)`` is always safe to show in the page: it never contains the API key. ``error.message`` is
the same words as a :class:`~playground.texts.Message`, which the page says in the visitor's language
(the provider's own words in it stay as they came).

The tree (``†`` marks ``transient``: the same call may succeed later)::

    WaveError
    ├── refused, nothing charged
    │   ├── InvalidRequest            400
    │   ├── AuthenticationFailed      401, 403
    │   ├── InsufficientBalance       402
    │   ├── TaskNotFound              404
    │   ├── CancelRefused             400/409 to a cancel: the task has started
    │   └── RequestRefused            any other 4xx
    ├── RateLimited †                 429
    ├── ServiceUnavailable †          5xx (to a read; to a submission see SubmitUncertain)
    ├── ConnectionFailed †            no answer: connection refused, dropped or timed out
    ├── UnexpectedResponse †          an answer that cannot be read
    ├── SubmitUncertain               a submission the service may have taken: never re-sent
    ├── RequestNotSent                nothing left this machine
    │   └── UnusableKey
    ├── TaskFailed                    the task ended ``failed``
    │   └── ContentFiltered
    ├── PollTimeout                   still running past the wait's deadline
    └── DownloadFailed †              the video exists, its download broke off
        └── ResultLinkRefused         ... because the link refused (expired): not transient
"""

from __future__ import annotations

from typing import Any

from ..texts import text

# How an explanation is joined with what the service said and the task it is about.
SERVICE_SAID = text("wave.errors.service_said", "{message} (service said: {detail})")
WITH_TASK_ID = text("wave.errors.with_task_id", "{message} Task id: {task_id}.")
FAILED_BECAUSE = text("wave.errors.failed_because", "{message} {detail}")
WITH_CODE = text("wave.errors.with_code", "{message} [{code}]")
WITH_STATUS = text("wave.errors.with_status", "{message} [HTTP {status}]")
NOT_SENT_BECAUSE = text(
    "wave.errors.not_sent_because", "The request could not be sent ({detail}), so nothing was charged."
)


class WaveError(Exception):
    """Base of everything the client raises. ``user_message`` is written for the page."""

    user_message = text("wave.errors.generic", "Something went wrong talking to the video service.")()
    #: True when trying the same call again later may succeed.
    transient = False

    def __init__(
        self,
        detail: str = "",
        *,
        status: int | None = None,
        code: str | None = None,
        task_id: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        self.detail = detail
        self.status = status
        self.code = code
        self.task_id = task_id
        self.retry_after = retry_after
        #: What the page shows, as a Message (``str(error)`` is its English).
        self.message = self.describe()
        super().__init__(self.message)

    def describe(self) -> str:
        said = self.user_message
        if self.detail and self.detail not in said:
            said = SERVICE_SAID(message=said, detail=self.detail)
        if self.task_id:
            said = WITH_TASK_ID(message=said, task_id=self.task_id)
        return said


class InvalidRequest(WaveError):
    user_message = text(
        "wave.errors.invalid_request", "The service refused the request as invalid. Nothing was charged."
    )()


class AuthenticationFailed(WaveError):
    user_message = text(
        "wave.errors.key_refused",
        "The API key was refused. Check the key (it may be mistyped, revoked or for another service).",
    )()


class InsufficientBalance(WaveError):
    user_message = text(
        "wave.errors.balance",
        "Your Wave account has too little balance for this video. Top it up and try again; nothing was charged.",
    )()


class TaskNotFound(WaveError):
    user_message = text(
        "wave.errors.task_not_found", "The service does not know this task, or it belongs to another API key."
    )()


class RateLimited(WaveError):
    user_message = text(
        "wave.errors.rate_limited", "The service is rate limiting requests. Wait a little and try again."
    )()
    transient = True


class ServiceUnavailable(WaveError):
    user_message = text("wave.errors.unavailable", "The video service had an internal error. Try again in a moment.")()
    transient = True


class ConnectionFailed(WaveError):
    user_message = text("wave.errors.unreachable", "Could not reach the video service (network error or time-out).")()
    transient = True


class UnexpectedResponse(WaveError):
    user_message = text("wave.errors.unreadable", "The video service sent an answer the playground could not read.")()
    transient = True


class SubmitUncertain(WaveError):
    """The submission may have created a task: the connection broke after the request was sent.

    Retrying could pay twice, so the client never does; the page tells the person to check their
    task list before submitting again.
    """

    user_message = text(
        "wave.errors.submit_uncertain",
        "The connection broke after the request was sent, so the task may have been created "
        "(and charged). Check your Wave console before submitting again.",
    )()

    def __init__(self, detail: str = "", *, body: dict[str, Any] | None = None, **kwargs: Any) -> None:
        self.body = body
        super().__init__(detail, **kwargs)


class TaskFailed(WaveError):
    user_message = text("wave.errors.task_failed", "The provider could not make this video.")()

    def describe(self) -> str:
        said = FAILED_BECAUSE(message=self.user_message, detail=self.detail) if self.detail else self.user_message
        if self.code:
            said = WITH_CODE(message=said, code=self.code)
        if self.task_id:
            said = WITH_TASK_ID(message=said, task_id=self.task_id)
        return said


class ContentFiltered(TaskFailed):
    user_message = text(
        "wave.errors.content_filtered",
        "The provider's safety filter blocked this video. You were not charged: rephrase the "
        "prompt (or change the image) and try again.",
    )()


class PollTimeout(WaveError):
    user_message = text(
        "wave.errors.poll_timeout",
        "The task is taking longer than the playground waits. It may still finish: keep the task id "
        "and resume it later.",
    )()


class CancelRefused(WaveError):
    user_message = text(
        "wave.errors.cancel_refused", "Only a task that is still queued can be cancelled; this one has already started."
    )()


class RequestRefused(WaveError):
    """A 4xx the API does not document: the service's final word, so trying again will not help."""

    user_message = text("wave.errors.request_refused", "The video service refused the request.")()

    def describe(self) -> str:
        said = WITH_STATUS(message=self.user_message, status=self.status) if self.status else self.user_message
        if self.detail:
            said = SERVICE_SAID(message=said, detail=self.detail)
        return WITH_TASK_ID(message=said, task_id=self.task_id) if self.task_id else said


class RequestNotSent(WaveError):
    """Something in the request could not go on the wire; it was never sent, so nothing was charged."""

    user_message = text("wave.errors.not_sent", "The request could not be sent, so nothing was charged.")()

    def describe(self) -> str:
        return NOT_SENT_BECAUSE(detail=self.detail) if self.detail else self.user_message


class UnusableKey(RequestNotSent):
    """A key no service would accept. Never shown back: the message must not repeat the key."""

    user_message = text(
        "wave.errors.unusable_key",
        "This API key cannot be used: it has spaces, line breaks or characters other than plain "
        "letters, digits and punctuation. Paste the key again; nothing was sent.",
    )()

    def describe(self) -> str:
        return self.user_message


class DownloadFailed(WaveError):
    """The video exists but could not be brought to this server; its links still work for a while."""

    user_message = text(
        "wave.errors.download_failed", "The download broke off (network error, time-out or a stalled transfer)."
    )()
    transient = True


class ResultLinkRefused(DownloadFailed):
    user_message = text(
        "wave.errors.link_refused",
        "The provider's link to the video refused the download; links expire (24 hours to "
        "3 days after the task finished).",
    )()
    transient = False


_BY_STATUS: dict[int, type[WaveError]] = {
    400: InvalidRequest,
    401: AuthenticationFailed,
    402: InsufficientBalance,
    403: AuthenticationFailed,
    404: TaskNotFound,
    429: RateLimited,
}

_CONTENT_FILTER_HINTS = ("content", "safety", "filter", "policy", "blocked", "moderation", "prohibited")


def error_for_status(
    status: int,
    message: str = "",
    code: str | None = None,
    *,
    retry_after: float | None = None,
    task_id: str | None = None,
) -> WaveError:
    cls = _BY_STATUS.get(status)
    if cls is None:
        cls = ServiceUnavailable if status >= 500 else RequestRefused if status >= 400 else UnexpectedResponse
    return cls(message, status=status, code=code, retry_after=retry_after, task_id=task_id)


def task_failure(message: str, code: str | None, task_id: str | None) -> TaskFailed:
    """A failed task's error; safety blocks get their own type because they are not charged."""
    text = f"{code or ''} {message or ''}".lower()
    cls = ContentFiltered if any(h in text for h in _CONTENT_FILTER_HINTS) else TaskFailed
    return cls(message, code=code, task_id=task_id)
