"""The performance benchmark's command: ``python -m bench [--only SECTION]`` (see ``bench``)."""

from __future__ import annotations

import argparse
import os
import sys

from . import __doc__ as OVERVIEW
from .cold_start import cold_start
from .compare import compare
from .completion import CompletionPlan, completion
from .join import join
from .large_result import large_result
from .load import drive_and_print, many_tasks
from .replicas import ReplicaPlan, replicas
from .report import Figure, table

SECTIONS = ("cold-start", "completion", "callbacks", "many-tasks", "large-result", "compare", "join", "replicas")


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=OVERVIEW.split("\n")[0])
    parser.add_argument(
        "--only",
        action="append",
        choices=SECTIONS,
        metavar="SECTION",
        help=f"run only this section (repeatable): {', '.join(SECTIONS)}",
    )
    parser.add_argument("--runs", type=int, default=3, help="cold starts of each kind (best is kept)")
    parser.add_argument("--tasks", type=int, default=24, help="simulated 5-90 s tasks per completion mode")
    parser.add_argument("--expected", type=float, default=90.0, help="PollPolicy.expected_seconds for them")
    parser.add_argument("--load-tasks", type=int, default=50, help="concurrent tasks through the app")
    parser.add_argument("--large-mb", type=int, default=200, help="size of the large result")
    parser.add_argument("--grids", type=int, default=5, help="8-cell grids (and single runs) for compare")
    parser.add_argument(
        "--replica-runs", type=int, default=1000, help="runs in batches over two replicas, for their RSS"
    )
    parser.add_argument(
        "--replica-concurrent",
        type=int,
        default=200,
        help="runs at once on two replicas (and the batch size); the takeover kills one under min(20, this)",
    )
    # The load driver's own process (see load_app): not a section, so left out of --help.
    parser.add_argument("--drive", metavar="URL", help=argparse.SUPPRESS)
    parser.add_argument("--prefix", default="load", help=argparse.SUPPRESS)
    parser.add_argument("--timeout", type=float, default=300.0, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def run(args: argparse.Namespace) -> list[Figure]:
    chosen = [s for s in SECTIONS if s in (args.only or SECTIONS)]
    figures: list[Figure] = []
    if "cold-start" in chosen:
        figures += cold_start(args.runs)
    modes = [m for m in ("completion", "callbacks") if m in chosen]
    if modes:
        figures += completion(modes, CompletionPlan(args.tasks, args.expected))
    if "many-tasks" in chosen:
        figures += many_tasks(args.load_tasks)
    if "large-result" in chosen:
        figures += large_result(args.large_mb)
    if "compare" in chosen:
        figures += compare(args.grids)
    if "join" in chosen:
        figures += join()
    if "replicas" in chosen:
        concurrent = args.replica_concurrent
        figures += replicas(ReplicaPlan(concurrent, args.replica_runs, min(50, concurrent), min(20, concurrent)))
    return figures


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # the benchmark never leaves this machine
    args = parse(argv)
    if args.drive:
        drive_and_print(args.drive, args.load_tasks, args.prefix, args.timeout)
        return 0
    figures = run(args)
    print(table(figures))
    return 1 if any(f.verdict == "FAIL" for f in figures) else 0


if __name__ == "__main__":
    sys.exit(main())
