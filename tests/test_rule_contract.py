"""Every rule case of test_rules.py against autograd and the gradient contract.

test_rules.py checks each gate's gradient against central differences and
its dtype with an array dout. Here the same cases also go through the
second oracle (autograd, tests/oracle.py) and the whole contract: float16/32/64
inputs, a Python-float and a 0-d/array dout, each gradient writable, of its
argument's kind and dtype, and sharing memory with nothing else. A case that
breaks it today is a strict xfail naming the bug (minimal repro in
tests/test_regressions.py); where autograd itself is wrong, central
differences decide and the case says why.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from oracle import check_contract, check_oracles
from test_rules import RULE_CASES, _differentiable, _source

NEG_TRANSPOSE = "autograd's transpose mishandles negative axes"

# case id -> why autograd's own gradient is wrong there
AUTOGRAD_WRONG = {
    "where:np.where(x > 0, x, y)": "autograd's where does not sum a broadcast back",
    "transpose:x.transpose(0, -1, 1, 2)": NEG_TRANSPOSE,
    "transpose:x.transpose((-2, -1, 0))": NEG_TRANSPOSE,
    "sinc:np.sinc(x * 0.0) * y": "autograd's sinc is NaN at 0",
    "tile:np.tile(x, 2) * y#2": "autograd's tile backward is wrong",
    "repeat:x.repeat(3, axis=-1) * y": "autograd's repeat mishandles a negative axis",
    "diag:np.diag(x, 1) * y": "autograd's diag with an offset has the wrong shape",
    "triu:np.triu(x)": "autograd's triu of a vector has the wrong shape",
    "cross:np.cross(x, y)": "autograd's cross does not sum a broadcast operand back",
}

# case id -> open bug (strict xfail; see tests/test_regressions.py)
OPEN = {
    "add:x + y#3": "float-scalar-dtype",
    "sub:x - y#2": "float-scalar-dtype",
    "clip:np.clip(x, a, b)": "float-scalar-dtype",
    "clip:np.clip(x, None, b)": "float-scalar-dtype",
    "setitem:out[idx] = y": "float-scalar-dtype",
    "setitem:out[x > 0] += y": "float-scalar-dtype",
    "dot:np.dot(x, y)#3": "pyfloat-dout-dtype",
    "amax:x.max()": "pyfloat-dout-dtype",
    "nanmin:np.nanmin(x)": "pyfloat-dout-dtype",
    "atleast_1d:np.atleast_1d(x) * y": "0d-array-kind",
    "broadcast_to:np.broadcast_to(x, (3,)) * y": "0d-array-kind",
}


def case_keys() -> list[str]:
    """`gate:body`, with `#n` on the n-th case of the same gate and body."""
    keys: list[str] = []
    for gate, _, body, _ in RULE_CASES:
        key = f"{gate}:{body}"
        n = sum(k.split("#")[0] == key for k in keys)
        keys.append(key if n == 0 else f"{key}#{n + 1}")
    return keys


def _cases():
    for key, (_, template, body, params) in zip(case_keys(), RULE_CASES, strict=True):
        marks = []
        if key in OPEN:
            reason = f"bug: {OPEN[key]} (tests/test_regressions.py)"
            marks.append(pytest.mark.xfail(strict=True, reason=reason))
        yield pytest.param(key, template, body, params, id=key, marks=marks)


@pytest.mark.parametrize("key, template, body, params", list(_cases()))
def test_rule_contract(key, template, body, params):
    rng = np.random.default_rng(0)
    args = [make(rng) for make in params.values()]
    source = _source(template, body, params)
    wrt = _differentiable(params)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        check_oracles(source, args, "f", wrt, autograd_wrong=AUTOGRAD_WRONG.get(key))
        check_contract(source, args, "f", wrt)


def test_lists_name_cases():
    keys = set(case_keys())
    assert set(AUTOGRAD_WRONG) <= keys and set(OPEN) <= keys
