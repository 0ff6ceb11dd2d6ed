"""Typed failures of the Wave API, each with a message a non-technical person understands.

``str(error)`` is always safe to show in the page: it never contains the API key.

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


class WaveError(Exception):
    """Base of everything the client raises. ``user_message`` is written for the page."""

    user_message = "Something went wrong talking to the video service."
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
        super().__init__(self.describe())

    def describe(self) -> str:
        text = self.user_message
        if self.detail and self.detail not in text:
            text = f"{text} (service said: {self.detail})"
        if self.task_id:
            text = f"{text} Task id: {self.task_id}."
        return text


class InvalidRequest(WaveError):
    user_message = "The service refused the request as invalid. Nothing was charged."


class AuthenticationFailed(WaveError):
    user_message = "The API key was refused. Check the key (it may be mistyped, revoked or for another service)."


class InsufficientBalance(WaveError):
    user_message = (
        "Your Wave account has too little balance for this video. Top it up and try again; nothing was charged."
    )


class TaskNotFound(WaveError):
    user_message = "The service does not know this task, or it belongs to another API key."


class RateLimited(WaveError):
    user_message = "The service is rate limiting requests. Wait a little and try again."
    transient = True


class ServiceUnavailable(WaveError):
    user_message = "The video service had an internal error. Try again in a moment."
    transient = True


class ConnectionFailed(WaveError):
    user_message = "Could not reach the video service (network error or time-out)."
    transient = True


class UnexpectedResponse(WaveError):
    user_message = "The video service sent an answer the playground could not read."
    transient = True


class SubmitUncertain(WaveError):
    """The submission may have created a task: the connection broke after the request was sent.

    Retrying could pay twice, so the client never does; the page tells the person to check their
    task list before submitting again.
    """

    user_message = (
        "The connection broke after the request was sent, so the task may have been created "
        "(and charged). Check your Wave console before submitting again."
    )

    def __init__(self, detail: str = "", *, body: dict[str, Any] | None = None, **kwargs: Any) -> None:
        self.body = body
        super().__init__(detail, **kwargs)


class TaskFailed(WaveError):
    user_message = "The provider could not make this video."

    def describe(self) -> str:
        text = f"{self.user_message} {self.detail}".strip() if self.detail else self.user_message
        if self.code:
            text += f" [{self.code}]"
        if self.task_id:
            text += f" Task id: {self.task_id}."
        return text


class ContentFiltered(TaskFailed):
    user_message = (
        "The provider's safety filter blocked this video. You were not charged: rephrase the "
        "prompt (or change the image) and try again."
    )


class PollTimeout(WaveError):
    user_message = (
        "The task is taking longer than the playground waits. It may still finish: keep the task id "
        "and resume it later."
    )


class CancelRefused(WaveError):
    user_message = "Only a task that is still queued can be cancelled; this one has already started."


class RequestRefused(WaveError):
    """A 4xx the API does not document: the service's final word, so trying again will not help."""

    user_message = "The video service refused the request."

    def describe(self) -> str:
        text = f"{self.user_message} [HTTP {self.status}]" if self.status else self.user_message
        if self.detail:
            text = f"{text} (service said: {self.detail})"
        return f"{text} Task id: {self.task_id}." if self.task_id else text


class RequestNotSent(WaveError):
    """Something in the request could not go on the wire; it was never sent, so nothing was charged."""

    user_message = "The request could not be sent, so nothing was charged."

    def describe(self) -> str:
        return (
            f"The request could not be sent ({self.detail}), so nothing was charged."
            if self.detail
            else self.user_message
        )


class UnusableKey(RequestNotSent):
    """A key no service would accept. Never shown back: the message must not repeat the key."""

    user_message = (
        "This API key cannot be used: it has spaces, line breaks or characters other than plain "
        "letters, digits and punctuation. Paste the key again; nothing was sent."
    )

    def describe(self) -> str:
        return self.user_message


class DownloadFailed(WaveError):
    """The video exists but could not be brought to this server; its links still work for a while."""

    user_message = "The download broke off (network error, time-out or a stalled transfer)."
    transient = True


class ResultLinkRefused(DownloadFailed):
    user_message = (
        "The provider's link to the video refused the download; links expire (24 hours to "
        "3 days after the task finished)."
    )
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
