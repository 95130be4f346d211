"""Realistic programs with control flow (tests/realistic_flow.py and
tests/realistic_flow2.py, written by two hunts, tests/realistic4.py,
tests/realistic5.py and tests/realistic6.py)
against the two oracles and the contract, with tests/test_realistic.py's
classifier.

A program that hits an open bug is a strict xfail naming why. The figures are
printed with -s.
"""

from __future__ import annotations

from collections import Counter

import pytest
from realistic import Program
from realistic4 import PROGRAMS4
from realistic5 import PROGRAMS5
from realistic6 import PROGRAMS6
from realistic_flow import FLOW
from realistic_flow2 import FLOW2
from test_realistic import classify

CORPORA = {
    "flow": FLOW,
    "flow2": FLOW2,
    "hunt4": PROGRAMS4,
    "hunt5": PROGRAMS5,
    "hunt6": PROGRAMS6,
}
OUTCOMES: Counter = Counter()


def _param(corpus: str, program: Program):
    marks = []
    if program.bug:
        marks.append(pytest.mark.xfail(strict=True, reason=f"bug: {program.bug}"))
    return pytest.param(program, id=f"{corpus}-{program.name}", marks=marks)


@pytest.mark.parametrize(
    "program", [_param(c, p) for c, programs in CORPORA.items() for p in programs]
)
def test_realistic_flow(program: Program):
    outcome, detail = classify(program)
    OUTCOMES[outcome] += 1
    assert outcome in ("checked", "refused"), f"{outcome}: {detail}"


@pytest.mark.parametrize("corpus", sorted(CORPORA))
def test_flow_corpus_size(corpus):
    assert len(CORPORA[corpus]) >= 80


@pytest.fixture(scope="module", autouse=True)
def _summary():
    yield
    print(
        f"\nrealistic flow corpora: {sum(map(len, CORPORA.values()))} programs; "
        + ", ".join(f"{k}: {v}" for k, v in sorted(OUTCOMES.items()))
    )
