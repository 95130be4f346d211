"""Realistic programs (tests/realistic.py) against two oracles and the contract.

Each program either is refused with a located `BpgenError` (counted as
refused, not wrong), or its gradients agree in float64 with central
differences and with autograd (tests/oracle.py; where autograd is wrong the
program says why), and every returned gradient keeps the contract for
float16/32/64 inputs and a Python-float or array `dout`: its argument's
shape and dtype, writable, sharing memory with nothing else.

A program that hits an open bug is a strict xfail naming its minimal
reproduction in tests/test_regressions.py. The figures are printed with -s.
"""

from __future__ import annotations

import warnings
from collections import Counter

import numpy as np
import pytest
from oracle import check_contract, check_oracles
from realistic import PROGRAMS, Program

import bpgen
from bpgen.errors import InternalError

OUTCOMES: Counter = Counter()


def classify(program: Program) -> tuple[str, str]:
    """("checked" | "refused" | "wrong" | "crash" | "contract", detail)."""
    args = program.args()
    try:
        bpgen.generate(
            program.source, program.function, program.wrt, filename="model.py"
        )
    except InternalError as exc:
        return "crash", f"internal error: {exc}"
    except bpgen.BpgenError as exc:
        if exc.lineno is None or not str(exc).startswith(f"model.py:{exc.lineno}:"):
            return "crash", f"refused without a location: {exc}"
        return "refused", str(exc).splitlines()[0]
    except Exception as exc:
        return "crash", f"generate raised {type(exc).__name__}: {exc}"
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        try:
            verdict = check_oracles(
                program.source,
                args,
                program.function,
                program.wrt,
                autograd_wrong=program.autograd_wrong,
            )
        except AssertionError as exc:
            return "wrong", str(exc).split("\n#")[0]
        except Exception as exc:
            return "crash", f"{type(exc).__name__}: {exc}"
        if (
            program.expect_wrt is not None
            and tuple(verdict.names) != program.expect_wrt
        ):
            return (
                "wrong",
                f"default wrt is {verdict.names}, expected {list(program.expect_wrt)}",
            )
        try:
            check_contract(program.source, args, program.function, program.wrt)
        except AssertionError as exc:
            return "contract", str(exc).split("\n#")[0]
    return "checked", verdict.autograd


def _param(program: Program):
    marks = []
    if program.bug:
        marks.append(
            pytest.mark.xfail(
                strict=True, reason=f"bug: {program.bug} (tests/test_regressions.py)"
            )
        )
    return pytest.param(program, id=program.name, marks=marks)


@pytest.mark.parametrize("program", [_param(p) for p in PROGRAMS])
def test_realistic(program: Program):
    outcome, detail = classify(program)
    OUTCOMES[outcome] += 1
    if outcome == "checked" and detail.startswith("wrong"):
        OUTCOMES["autograd wrong, central differences decided"] += 1
    if outcome == "checked" and detail.startswith("cannot"):
        OUTCOMES["autograd cannot run it"] += 1
    assert outcome in ("checked", "refused"), f"{outcome}: {detail}"


def test_corpus_size():
    assert len(PROGRAMS) >= 100


@pytest.fixture(scope="module", autouse=True)
def _summary():
    yield
    print(
        f"\nrealistic corpus: {len(PROGRAMS)} programs; "
        + ", ".join(f"{k}: {v}" for k, v in sorted(OUTCOMES.items()))
    )
