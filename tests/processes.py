"""What the tests and the benchmark need of the processes they start: a free port, and children that die with them."""

from __future__ import annotations

import ctypes
import signal
import socket

PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """A child's ``preexec_fn``: the kernel kills it when the process that started it dies.

    A test run or a benchmark killed from outside runs none of its clean-ups; without this, the app
    processes and servers it started would go on (polling, renewing leases) and load the next run.
    """
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def free_port() -> int:
    """A port nothing listens on now; the caller retries should another process take it first."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
