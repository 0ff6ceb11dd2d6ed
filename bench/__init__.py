"""The performance benchmark: ``python -m bench [--only SECTION]``.

Every figure is measured in this one run, on this machine, against the embedded simulator over
real loopback HTTP, and printed in a table beside its target:

- ``cold-start``: seconds from launching ``app.py`` in demo mode to its first HTTP 200, beside a
  bare Gradio Blocks hello-world launched the same way (best of ``--runs`` each), and the ratio.
- ``completion``: simulated tasks of 5 s to 90 s run at once through :func:`runs.run_task`, the
  generator the page consumes; from the simulator marking each task completed to the generator
  yielding the finished video (p50, p95), and polls per task-minute from the simulator's log.
- ``callbacks``: the same, with a :class:`CallbackHub` on a loopback server as the public URL.
- ``many-tasks``: the whole app in demo mode; 50 concurrent ``/generate`` calls through
  ``gradio_client`` while the cost readout is timed, through ``/estimate`` and through the
  page's own readout event (``/estimate`` with a session and without one, as an MCP tool or a
  plain HTTP call asks); the process's RSS, tasks completed, lost and submitted twice.
- ``large-result``: peak RSS growth while :func:`runs.download_results` streams a 200 MB result.
- ``compare``: an 8-cell compare grid's overhead over one run, in-process on the demo run service:
  from the simulator marking the last cell completed to :func:`runs.merged_updates` yielding the
  last cell finished, beside the same for one run (median, max, over ``--grids``); the grid's time
  from submit to every cell holding a task id.
- ``join``: :func:`media.join_clips` on ten 8 s 1080p clips rendered by the simulator's renderer:
  time to join by stream copy, the join's peak RSS growth (in a fresh process) beside the clips'
  total size, the output's duration against the sum, and the same join forced to re-encode.
- ``replicas``: two ``app.py`` replicas on one PostgreSQL database and one S3 bucket (the tests'
  own servers, :mod:`tests.servers`): 200 concurrent runs (completed, lost, submitted twice), the
  cost readout's p95 during them, the takeover after one replica is SIGKILLed, each replica's RSS
  before, after the first 50 runs, at its peak and after 1,000 (see :mod:`bench.replicas`).

It lives outside the ``playground`` package: the app never imports it. The tests reuse what they
share with it: :func:`load_app` (``tests/test_load.py``), :func:`served_hub` and
:func:`request_body` (``tests/test_callbacks.py``).
"""

from __future__ import annotations

from .completion import request_body, served_hub
from .load import LoadResult, load_app
from .report import Figure, table

__all__ = ["Figure", "LoadResult", "load_app", "request_body", "served_hub", "table"]
