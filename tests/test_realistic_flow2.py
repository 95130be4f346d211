"""The second control-flow corpus (tests/realistic_flow2.py), judged as
tests/test_realistic.py judges its own: refused with a located error, or right
against central differences, autograd and the gradient contract. A program
hitting an open bug is a strict xfail naming it. Figures print with -s."""

from __future__ import annotations

from collections import Counter

import pytest
from realistic import Program
from realistic_flow2 import FLOW2
from test_realistic import classify

OUTCOMES: Counter = Counter()


def _param(program: Program):
    marks = []
    if program.bug:
        marks.append(pytest.mark.xfail(strict=True, reason=f"bug: {program.bug}"))
    return pytest.param(program, id=program.name, marks=marks)


@pytest.mark.parametrize("program", [_param(p) for p in FLOW2])
def test_realistic_flow2(program: Program):
    outcome, detail = classify(program)
    OUTCOMES[outcome] += 1
    assert outcome in ("checked", "refused"), f"{outcome}: {detail}"


def test_flow2_corpus_size():
    assert len(FLOW2) >= 80


@pytest.fixture(scope="module", autouse=True)
def _summary():
    yield
    print(
        f"\nrealistic flow corpus 2: {len(FLOW2)} programs; "
        + ", ".join(f"{k}: {v}" for k, v in sorted(OUTCOMES.items()))
    )
