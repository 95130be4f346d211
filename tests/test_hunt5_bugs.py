"""Bugs the fifth hunt found (tests/realistic5.py), each with its minimal
reproduction, fixed."""

from __future__ import annotations

import numpy as np

import bpgen
from bpgen.check import check_gradients


def _pair(source: str, function: str | None = None, wrt=None, **kw):
    code = bpgen.generate(source, function, wrt, **kw)
    namespace: dict = {}
    exec(compile(code, "<generated>", "exec"), namespace)
    name = function or next(
        n[: -len("_forward")] for n in namespace if n.endswith("_forward")
    )
    return namespace[f"{name}_forward"], namespace[f"{name}_backward"]


MATH_OF_0D = """import math

import numpy as np


def f(a, w):
    s = math.exp(a)
    return np.sum(w * s) + math.log(a)
"""


def test_math_of_a_0d_array_hands_out_a_0d_array():
    """`math.exp(a)` proves `a` a number, not a float: a 0-d array `a` gets
    a 0-d array gradient of its dtype (it got a Python float)."""
    forward, backward = _pair(MATH_OF_0D)
    for dtype in (np.float32, np.float64):
        a, w = np.array(0.7, dtype), np.arange(3, dtype=dtype)
        da, dw = backward(1.0, forward(a, w)[1])
        assert isinstance(da, np.ndarray) and da.shape == () and da.dtype == dtype
        assert dw.shape == (3,) and dw.dtype == dtype
    da, _ = backward(1.0, forward(0.7, np.arange(3.0))[1])
    assert type(da) is float
    check_gradients(MATH_OF_0D, [np.array(0.7), np.arange(3.0)])
    check_gradients(MATH_OF_0D, [0.7, np.arange(3.0)])


def test_annotated_float_still_hands_out_a_float():
    source = MATH_OF_0D.replace("def f(a, w)", "def f(a: float, w)")
    forward, backward = _pair(source)
    da, _ = backward(1.0, forward(np.float32(0.7), np.arange(3.0))[1])
    assert type(da) is float
