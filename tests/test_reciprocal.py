"""A gradient divided by a proven per-column vector is multiplied by its
reciprocal (Options.reciprocal). Each program is checked numerically
(float64) with the switch on and off; the forward keeps its division."""

from __future__ import annotations

import ast
import textwrap

import numpy as np
import pytest

import bpgen
from bpgen.blocks import Block
from bpgen.check import check_gradients
from bpgen.reciprocal import multiply_by_reciprocals
from bpgen.shapes import Into, Shapes

BATCHNORM = """
import numpy as np


def f(x, gamma, beta, eps):
    mu = np.mean(x, axis=0)
    var = np.var(x, axis=0)
    xhat = (x - mu) / np.sqrt(var + eps)
    return gamma * xhat + beta
"""
SHAPES = {"x": "N D", "gamma": "D", "beta": "D", "eps": ""}
WRT = ["x", "gamma", "beta"]


def _args():
    rng = np.random.default_rng(2)
    x = 1.0 + rng.standard_normal((6, 4))
    return [x, rng.uniform(0.5, 1.5, 4), rng.standard_normal(4), 1e-5]


def _body(code: str, part: str) -> str:
    text = code.split(f"def f_{part}(")[1].split('"""')[2]
    return textwrap.dedent(text).strip()


def test_the_batchnorm_gradient_is_multiplied_by_the_reciprocal():
    code = check_gradients(BATCHNORM, _args(), "f", WRT, shapes=SHAPES)
    assert "xhat = t1 / t3\n" in _body(code, "forward")
    backward = _body(code, "backward")
    assert "dt1 = dxhat * (1 / t3)\n" in backward
    # a vector divided by the vector stays a division
    assert "dt3 = -np.sum(dxhat * xhat, axis=0) / t3\n" in backward


def test_off_the_division_stays_and_the_gradients_agree():
    args = _args()
    off = bpgen.Options(reciprocal=False)
    plain = check_gradients(BATCHNORM, args, "f", WRT, shapes=SHAPES, options=off)
    assert "dt1 = dxhat / t3\n" in plain
    fast = bpgen.generate(BATCHNORM, "f", WRT, shapes=SHAPES)
    assert fast.replace("dxhat * (1 / t3)", "dxhat / t3") == plain
    dout = np.random.default_rng(4).standard_normal((6, 4))
    grads = []
    for text in (plain, fast):
        namespace: dict = {}
        exec(text, namespace)  # noqa: S102
        grads.append(namespace["f_backward"](dout, namespace["f_forward"](*args)[1]))
    for a, b in zip(*grads, strict=True):
        np.testing.assert_allclose(b, a, rtol=1e-13, atol=1e-13)


CASES = {
    # a column vector (the axis-0 sum): proven smaller
    "column": ("return x / np.sum(x, axis=0)", {"x": "N D"}, 1),
    # a row vector kept as (N, 1)
    "keepdims": ("return x / np.sum(x, axis=1, keepdims=True)", {"x": "N D"}, 1),
    # a divisor of the dividend's own shape: nothing to gain
    "same-shape": ("return x / np.exp(x)", {"x": "N D"}, 0),
    # no shapes declared: a column sum still broadcasts into x
    "undeclared": ("return x / np.sum(x, axis=0)", None, 1),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_only_a_proven_smaller_divisor_is_inverted(name):
    line, shapes, count = CASES[name]
    source = f"import numpy as np\n\n\ndef f(x):\n    {line}\n"
    args = [np.random.default_rng(8).uniform(1, 2, (5, 3))]
    code = check_gradients(source, args, "f", ["x"], shapes=shapes)
    assert _body(code, "backward").count("* (1 / ") == count, code


def test_without_declared_shapes_eps_is_taken_for_a_number():
    # sqrt(var + eps): var is proven a column vector, eps is outside wrt
    code = check_gradients(BATCHNORM, _args(), "f", WRT)
    assert "dt1 = _unbroadcast(dxhat * (1 / t3), np.shape(t1))\n" in code
    # should eps be as large as x after all, the gradients are still right
    args = _args()
    args[3] = np.random.default_rng(5).uniform(1e-5, 1e-3, (6, 4))
    check_gradients(BATCHNORM, args, "f", WRT)


def test_without_declared_shapes_a_differentiated_unknown_divisor_is_divided():
    # eps in wrt is an array someone differentiates: its size is not guessed
    code = check_gradients(BATCHNORM, _args()[:3] + [np.full(4, 1e-3)], "f")
    assert "(1 / " not in code
    # nor is a divisor the program does not show to be smaller
    source = "import numpy as np\n\n\ndef f(x, s):\n    return x / np.sqrt(s)\n"
    args = [np.random.default_rng(6).standard_normal((5, 3)), np.ones(3)]
    assert "(1 / " not in check_gradients(source, args, "f", ["x"])


def test_the_pass_alone_rewrites_only_a_gradient_over_a_smaller_forward_value():
    shapes = Shapes(rank={"x": 2, "v": 1}, klass={"x": 2, "v": 3})
    shapes.into["v"] = Into(2, (0,), False)
    source = "dx = dy / v\ndv = dw / v\ndx = dy / dv\ndz = dy / v"
    block = Block(statements=ast.parse(source).body)
    owner = {"dx": "x", "dv": "v", "dy": "y", "dw": "w", "dz": "z"}
    out = multiply_by_reciprocals([block], owner, shapes)
    assert [ast.unparse(s) for s in out[0].statements] == [
        "dx = dy * (1 / v)",  # v broadcasts into x
        "dv = dw / v",  # v into v: the same shape
        "dx = dy / dv",  # a gradient, not a forward value
        "dz = dy / v",  # z's shape unknown
    ]


def test_a_number_divides_as_written():
    source = "import numpy as np\n\n\ndef f(x, p):\n    return x / p\n"
    args = [np.random.default_rng(1).uniform(1, 2, (5, 3)), 0.5]
    code = check_gradients(source, args, "f", ["x"], shapes={"x": "N D", "p": ""})
    assert "dx = dout / p\n" in code


def test_likely_is_a_hint_beside_into_never_in_it():
    from bpgen.generate import _parse
    from bpgen.parse import find_function
    from bpgen.shapes import infer
    from bpgen.stage import stage

    parsed = _parse(BATCHNORM, "<test>", 0)
    program = stage(parsed, find_function(parsed, "f"), WRT)
    column = infer(program)
    assert "t3" not in column.into  # eps may be any array: nothing proven
    assert column.likely["t2"] == column.likely["t3"] == column.into["var"]
    # eps differentiated: no guess about its size
    program = stage(parsed, find_function(parsed, "f"), [*WRT, "eps"])
    assert "t3" not in infer(program).likely
