"""Calls to functions of the same module (issue 12, item 2): the helper's body
is staged at each call, so each call keeps its own intermediates, activity
flows through it, and recursion is a located error.
"""

from __future__ import annotations

import textwrap

import numpy as np
import pytest

import bpgen
from bpgen.check import check_gradients
from bpgen.errors import BpgenError

LAYERS = textwrap.dedent(
    """\
    import numpy as np


    def affine_forward(x, w, b):
        out = x.reshape(x.shape[0], -1).dot(w) + b
        return out


    def relu_forward(x):
        return np.maximum(0, x)


    def affine_relu_forward(x, w, b):
        a = affine_forward(x, w, b)
        return relu_forward(a)


    def two_layer(x, w1, b1, w2, b2):
        h = affine_relu_forward(x, w1, b1)
        return affine_forward(h, w2, b2)


    def pair(x, y):
        return x * y, x + y


    def uses_pair(x, y):
        a, b = pair(x, y)
        c, d = pair(a, b)
        return c * d


    def returns_pair(x, y):
        return pair(y, x)


    def scaled(x, p, k=2):
        return x * p.get("scale", 2.0) + k


    def uses_dict(x, p):
        return scaled(x, p) + scaled(x * x, p, k=3)


    def first(x, n):
        return x[:n] * 3.0


    def uses_int(x):
        return first(x, 2).sum()


    def rec(x):
        return twice(x)


    def twice(x):
        return rec(x) * 2.0
    """
)


def rng() -> np.random.Generator:
    return np.random.default_rng(0)


def test_helpers_calling_helpers() -> None:
    r = rng()
    args = [r.normal(size=(4, 3, 2)), r.normal(size=(6, 5)), r.normal(size=5)]
    args += [r.normal(size=(5, 3)), r.normal(size=3)]
    check_gradients(LAYERS, args, "two_layer")


def test_each_call_keeps_its_own_intermediates() -> None:
    code = bpgen.generate(LAYERS, "two_layer")
    forward = code[
        code.index("def two_layer_forward(") : code.index("def two_layer_backward(")
    ]
    # affine_forward staged twice: two reshapes, two products, each cached apart
    assert forward.count(".reshape(") == 2
    assert "t1.dot(w1)" in forward and "t3.dot(w2)" in forward
    assert "np.maximum(0, out)" in forward


def test_helpers_returning_tuples() -> None:
    r = rng()
    check_gradients(LAYERS, [r.normal(size=3), r.normal(size=3)], "uses_pair")
    code = bpgen.generate(LAYERS, "returns_pair")
    assert "return (out, out_1), " in code or "return (t1, t2), " in code, code
    check_gradients(LAYERS, [r.normal(size=3), r.normal(size=3)], "returns_pair")


def test_dict_and_int_parameters_carry_no_gradient() -> None:
    r = rng()
    check_gradients(LAYERS, [r.normal(size=3), {"scale": 1.5}], "uses_dict")
    # _unbroadcast and _like too
    assert bpgen.generate(LAYERS, "uses_dict").count("def ") == 4
    check_gradients(LAYERS, [r.normal(size=4)], "uses_int")


def test_activity_flows_through_the_call() -> None:
    r = rng()
    args = [r.normal(size=(4, 6)), r.normal(size=(6, 5)), r.normal(size=5)]
    check_gradients(LAYERS, args, "affine_relu_forward", ["w"])
    code = bpgen.generate(LAYERS, "affine_relu_forward", ["w"])
    assert "dx" not in code and "db" not in code


def test_recursion_through_helpers_is_located() -> None:
    with pytest.raises(BpgenError) as info:
        bpgen.generate(LAYERS, "rec", filename="layers.py")
    error = info.value
    line = LAYERS.splitlines().index("    return rec(x) * 2.0") + 1
    assert (error.lineno, error.col_offset) == (line, 11)
    assert "`rec()` is called recursively (rec -> twice -> rec)" in error.message


def test_a_missing_argument_is_located() -> None:
    source = LAYERS + "\n\ndef bad(x):\n    return relu_forward()\n"
    with pytest.raises(BpgenError) as info:
        bpgen.generate(source, "bad", filename="layers.py")
    assert info.value.lineno == source.count("\n")
    assert "missing argument `x`" in info.value.message


def test_a_helper_called_by_a_module_constant_is_located() -> None:
    source = (
        "def g(t):\n    return t * 2.0\n\n\nC = g(3.0)\n\n\n"
        "def f(x):\n    return x * C\n"
    )
    with pytest.raises(BpgenError) as info:
        bpgen.generate(source, "f", filename="m.py")
    assert (info.value.lineno, info.value.col_offset) == (5, 4)
    assert "not in module constants" in info.value.message
