"""The ``replicas`` section: two replicas (``python app.py`` each, its own data folder) on one
PostgreSQL database and one S3 bucket (moto), on the server's key against the simulator in this
process, which outlives them as the real provider would. Runs are started through the MCP tool
``start_video`` from a separate process (the agents); what became of them is read from the
database and the simulator's log:

- ``--replica-concurrent`` (200) runs started at once, spread over both replicas, their tasks long
  enough to overlap: completed, lost (not completed within a grace after the provider finished the
  task, or never started), duplicated (provider submissions beyond one per run, and tasks with two
  runs), wall time, and how many the provider held at once;
- the cost readout ``/estimate`` timed against both replicas, from another process, while those
  runs stream (p50, p95), beside the same before any run (what the machine alone costs it);
- takeover: min(20, that many) runs started on replica A, A SIGKILLed once the provider has them
  all, the time until B has completed every one, and that none was submitted twice; also runs one
  replica took over from the other while both were alive (a lease that ran out under load);
- each replica's RSS before any run, after the first 50, its peak (sampled every 0.5 s), after
  ``--replica-runs`` (1,000) runs in batches (the concurrent one among them) and after a short
  idle, the ratios to the reading after 50, and both replicas' CPU seconds per run.

The PostgreSQL and moto servers are the tests' own (:mod:`tests.servers`). The simulator renders
one clip and copies it for every later task (see :func:`render_once`), so that what is measured is
the replicas, not the renderer.
"""

from .plan import ReplicaPlan
from .section import replicas

__all__ = ["ReplicaPlan", "replicas"]
