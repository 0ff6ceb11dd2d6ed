"""The linter, as a test: ``ruff check`` over the code with the rules in ``pyproject.toml``.

Run through this interpreter (``python -m ruff``), so the version is the one requirements-test.txt
pins rather than whatever ``ruff`` comes first on the PATH.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: What the rules cover: the app, the benchmark, the tests and the entry point.
LINTED = ("playground", "bench", "tests", "app.py")


def test_ruff_finds_nothing() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", "--output-format", "concise", *LINTED],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, f"ruff check {' '.join(LINTED)} failed:\n{done.stdout}{done.stderr}"
