"""Everyday loop code (tests/realistic_flow3.py) is accepted with correct
gradients: against central differences and autograd in float64, and the
gradient contract. Unlike tests/test_realistic_flow.py a refusal fails here."""

from __future__ import annotations

import pytest
from realistic_flow3 import FLOW3
from test_realistic import classify

# programs autograd cannot run (central differences alone decide there)
AUTOGRAD_CANNOT = {
    "enumerate_rows_into_output": "autograd does not support `out[i] = ...`",
}


@pytest.mark.parametrize("program", FLOW3, ids=[p.name for p in FLOW3])
def test_everyday_loop_code(program):
    outcome, detail = classify(program)
    assert outcome == "checked", f"{outcome}: {detail}"
    if program.name in AUTOGRAD_CANNOT:
        assert detail.startswith("cannot"), detail
    else:
        assert detail == "agrees" or detail.startswith("wrong"), detail
