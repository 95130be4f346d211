"""Everyday loop code (tests/realistic_flow3.py) is accepted with correct
gradients: against central differences and autograd in float64, and the
gradient contract. Unlike tests/test_realistic_flow.py a refusal fails here."""

from __future__ import annotations

import pytest
from realistic_flow import FLOW
from realistic_flow2 import FLOW2
from realistic_flow3 import FLOW3
from test_realistic import classify

import bpgen

# programs autograd cannot run (central differences alone decide there)
AUTOGRAD_CANNOT = {
    "enumerate_rows_into_output": "autograd does not support `out[i] = ...`",
}


# programs of the other flow corpora refused before this work, accepted now
NOW_ACCEPTED = {
    "append_expression_concatenate",
    "attention_heads_append",
    "attention_heads_concat",
    "batchnorm_mode_raise",  # else: raise ValueError (train mode)
    "batchnorm_mode_train",
    "cross_entropy_enumerate_labels",
    "cumulative_append_expression",
    "enumerate_constant_weights",
    "loss_accumulate_list_sum",
    "mlp_zip_helper",
    "polyval_enumerate_weights",
    "zip_lists",
    "zip_two_arrays",
}
ACCEPTED = [p for p in FLOW + FLOW2 if p.name in NOW_ACCEPTED]


def test_the_programs_named_accepted_exist():
    assert len(ACCEPTED) == len(NOW_ACCEPTED)


@pytest.mark.parametrize("program", FLOW3 + ACCEPTED, ids=lambda p: p.name)
def test_everyday_loop_code(program):
    outcome, detail = classify(program)
    assert outcome == "checked", f"{outcome}: {detail}"
    if program.name in AUTOGRAD_CANNOT:
        assert detail.startswith("cannot"), detail
    else:
        assert detail == "agrees" or detail.startswith("wrong"), detail


SEARCH = """
import numpy as np


def f(x):
    for i in range(len(x)):
        if x[i] > 1.0:
            return x[i] * 2
    return np.sum(x)
"""

NESTED = """
import numpy as np


def f(x, n):
    y = x
    for k in range(n):
        for j in range(2):
            y = np.sin(y)
            if np.max(y) < 0.1:
                return y
    return y
"""


@pytest.mark.parametrize(
    "source, message",
    [
        (SEARCH, "the function's last statement, right after the loop"),
        (NESTED, "`return` inside a nested loop is not supported"),
    ],
)
def test_a_return_that_is_no_early_exit_is_refused_where_it_is(source, message):
    with pytest.raises(bpgen.BpgenError) as info:
        bpgen.generate(source, "f", filename="model.py")
    line = next(i for i, text in enumerate(source.splitlines(), 1) if "return" in text)
    assert info.value.lineno == line and message in info.value.message
    assert "break" in info.value.hint


def test_a_raise_arm_still_raises_and_leaves_no_branch_in_the_backward():
    program = next(p for p in FLOW3 if p.name == "cs231n_batchnorm_raise_test_mode")
    code = bpgen.generate(program.source, "batchnorm_forward")
    namespace: dict = {}
    exec(compile(code, "<generated>", "exec"), namespace)
    x, gamma, beta, _ = program.args()
    with pytest.raises(ValueError, match="Invalid forward batchnorm mode"):
        namespace["batchnorm_forward_forward"](x, gamma, beta, {"mode": "eval"})
    backward = code.split("def batchnorm_forward_backward")[1]
    assert "raise" not in backward and backward.count("if ") == 1
