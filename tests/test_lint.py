"""The bar users of a tool like bpgen expect, kept by the tests: ruff and
black clean over the project, mypy clean over bpgen (opt-in: it takes tens of
seconds cold). Each check runs only where its tool is installed (ruff comes
with the test extras, black with bpgen itself, mypy with the dev extras)."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LONG = os.environ.get("BPGEN_LONG", "") not in ("", "0")


def _run(tool: str, *args: str) -> None:
    if importlib.util.find_spec(tool) is None:
        pytest.skip(f"{tool} is not installed")
    run = subprocess.run(
        [sys.executable, "-m", tool, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, f"{tool} {' '.join(args)}:\n{run.stdout}{run.stderr}"


def test_ruff_clean():
    _run("ruff", "check", "bpgen", "tests", "benchmarks")


def test_black_clean():
    # the project's [tool.black] leaves out bpgen/rules.py (a table laid out
    # by hand) and the data in tests/corpus and tests/snapshots
    _run("black", "--check", "--quiet", ".")


@pytest.mark.slow
def test_mypy_clean(request):
    if not LONG and "slow" not in (request.config.getoption("markexpr") or ""):
        pytest.skip("slow: BPGEN_LONG=1 or -m slow")
    _run("mypy", "bpgen")
