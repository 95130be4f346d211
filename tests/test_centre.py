"""np.var reads the centred value the forward holds (Options.centre) where it centres.

Each program is checked numerically with the switch on and off; the forward
must compute `x - mu` once exactly when the subtraction centres along var's
axis.
"""

from __future__ import annotations

import numpy as np
import pytest

import bpgen
from bpgen.check import check_gradients

HEAD = "import numpy as np\n\n\ndef f(x, g):\n"

BN = "return (x - mu) / np.sqrt(var + 1e-5) * g"
CASES = {
    "batchnorm": (["mu = np.mean(x, axis=0)", "var = np.var(x, axis=0)", BN], True),
    "layernorm": (
        [
            "mu = x.mean(axis=1, keepdims=True)",
            "var = x.var(axis=1, keepdims=True)",
            BN,
        ],
        True,
    ),
    "whole": (["mu = np.mean(x)", "var = np.var(x)", BN], True),
    # the centring is staged before var: it stays, var moves after it
    "nested": (
        ["return (x - x.mean(axis=0)) / np.sqrt(x.var(axis=0) + 1e-5) * g"],
        True,
    ),
    # the mean comes after var: left as written
    "var-first": (["var = np.var(x, axis=0)", "mu = np.mean(x, axis=0)", BN], False),
    # mu lost axis 1: x - mu broadcasts it along the other axis (square x runs)
    "wrong-axis": (["mu = np.mean(x, axis=1)", "var = np.var(x, axis=1)", BN], False),
    "ddof": (["mu = np.mean(x, axis=0)", "var = np.var(x, axis=0, ddof=1)", BN], False),
    "axes-differ": (
        ["mu = np.mean(x, axis=0, keepdims=True)", "var = np.var(x, axis=1)", BN],
        False,
    ),
    "no-centring": (["var = np.var(x, axis=0)", "return x * g + var"], False),
}


def _source(lines):
    return HEAD + "".join(f"    {line}\n" for line in lines)


def _args():
    rng = np.random.default_rng(7)
    return [2.0 + rng.standard_normal((4, 4)), rng.standard_normal((4, 4))]


@pytest.mark.parametrize("name", sorted(CASES))
def test_var_reads_the_centred_value(name):
    lines, rewritten = CASES[name]
    source = _source(lines)
    on = check_gradients(source, _args(), "f", ["x", "g"])
    off = check_gradients(
        source, _args(), "f", ["x", "g"], options=bpgen.Options(centre=False)
    )
    forward = on.split("_forward(")[1].split("_backward(")[0]
    assert ("np.var" not in forward) is rewritten, on
    assert "np.var" in off.split("_forward(")[1] or ".var(" in off
    if not rewritten:
        assert on == off
