"""Realistic programs with control flow (tests/realistic_flow.py) against the
two oracles and the contract, with tests/test_realistic.py's classifier.

A program that hits an open bug is a strict xfail naming why. The figures are
printed with -s.
"""

from __future__ import annotations

from collections import Counter

import pytest
from realistic import Program
from realistic_flow import FLOW
from test_realistic import classify

OUTCOMES: Counter = Counter()


def _param(program: Program):
    marks = []
    if program.bug:
        marks.append(pytest.mark.xfail(strict=True, reason=f"bug: {program.bug}"))
    return pytest.param(program, id=program.name, marks=marks)


@pytest.mark.parametrize("program", [_param(p) for p in FLOW])
def test_realistic_flow(program: Program):
    outcome, detail = classify(program)
    OUTCOMES[outcome] += 1
    assert outcome in ("checked", "refused"), f"{outcome}: {detail}"


def test_flow_corpus_size():
    assert len(FLOW) >= 80


@pytest.fixture(scope="module", autouse=True)
def _summary():
    yield
    print(
        f"\nrealistic flow corpus: {len(FLOW)} programs; "
        + ", ".join(f"{k}: {v}" for k, v in sorted(OUTCOMES.items()))
    )
