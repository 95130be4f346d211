"""Random programs with their shapes declared: gradients still right, and
the declared-shape backward never longer than the general one.

Each random NumPy program (tests/programs.py) is generated twice: as it is,
and with every array argument's shape declared from the arguments drawn for
it (a size-1 axis as 1, every other size by name, so equal sizes share a
name, as broadcasting requires). `BPGEN_LONG=1` runs many more.
"""

from __future__ import annotations

import ast
import os

import numpy as np
from hypothesis import HealthCheck, given, note, settings
from programs import programs
from test_properties import _arguments

import bpgen
from bpgen.check import check_gradients

LONG = os.environ.get("BPGEN_LONG", "") not in ("", "0")
STATS = {"checked": 0, "shorter": 0, "rejected": 0}


def declared(program, args) -> dict[str, str]:
    shapes = {}
    for param, value in zip(program.params, args, strict=True):
        if isinstance(value, np.ndarray):
            shapes[param.name] = " ".join(
                "1" if n == 1 else f"S{n}" for n in value.shape
            )
        elif isinstance(value, float):
            shapes[param.name] = ""
    return shapes


def _backward_lines(code: str) -> int:
    """Statements of the backward up to the hand-out block: that block (a
    float made a float, a shared array copied) keeps the gradient contract,
    and a declared float may need one the general code does not. Statements,
    not lines: black may wrap a longer but plainer one."""
    backward = code.split("def f_backward", 1)[1]
    kept = backward.split("    # new arrays the caller may write into")[0]
    body = ast.parse("def f_backward" + kept).body[0].body
    return sum(not isinstance(statement, ast.Return) for statement in body)


@settings(
    max_examples=1000 if LONG else 60,
    deadline=None,
    derandomize=not LONG,
    database=None,
    suppress_health_check=list(HealthCheck),
)
@given(programs("numpy"))
def test_declared_shapes_keep_gradients_right_and_code_short(program):
    args = _arguments(program, 0)
    if args is None:
        STATS["rejected"] += 1
        return
    shapes = declared(program, args)
    note(f"shapes={shapes}")
    general = bpgen.generate(program.source, "f", program.wrt)
    code = check_gradients(program.source, args, "f", program.wrt, shapes=shapes)
    assert _backward_lines(code) <= _backward_lines(general)
    STATS["checked"] += 1
    STATS["shorter"] += _backward_lines(code) < _backward_lines(general)
