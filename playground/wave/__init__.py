"""The Wave API: the client, the task lifecycle, polling with its one forecast, and the error tree.

* :mod:`.client`: :class:`WaveClient`, the calls (submit, get, cancel, sync) over one send path;
* :mod:`.retry`: retry as its own layer under every call, never repeating a POST the service may have taken;
* :mod:`.wire`: transport failures mapped to typed errors in one place, answers read (and redacted);
* :mod:`.task`: :class:`Task` and its lifecycle (reload, cancel, wait); :mod:`.polling`: :class:`PollPolicy`
  and :class:`FinishForecast`, the one ETA model;
* :mod:`.state`: :class:`TaskState` as the service answers it; :mod:`.redact`: keys out of what it says;
* :mod:`.errors`: the typed failures, each with a sentence for the page.

Other layers import from this package (``from ..wave import WaveClient, errors``), never from its modules.
"""

# Submodules in dependency order, so importing the package never meets a half-built module.
# isort: off
from . import errors
from .state import KNOWN_STATUSES, TERMINAL_STATUSES, MediaItem, TaskError, TaskResult, TaskState, to_epoch_seconds
from .redact import MARKER, Redactor
from .wire import map_transport_errors
from .retry import RESEND, RETRYABLE_METHODS, Resend, RetryingSender, RetryPolicy
from .polling import FinishForecast, PollPolicy
from .task import Pause, Task, TaskCalls, pause_until_woken
from .client import DEFAULT_BASE_URL, DEFAULT_TIMEOUT, WaveClient
# isort: on

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_TIMEOUT",
    "KNOWN_STATUSES",
    "MARKER",
    "RESEND",
    "RETRYABLE_METHODS",
    "TERMINAL_STATUSES",
    "FinishForecast",
    "MediaItem",
    "Pause",
    "PollPolicy",
    "Redactor",
    "Resend",
    "RetryPolicy",
    "RetryingSender",
    "Task",
    "TaskCalls",
    "TaskError",
    "TaskResult",
    "TaskState",
    "WaveClient",
    "errors",
    "map_transport_errors",
    "pause_until_woken",
    "to_epoch_seconds",
]
