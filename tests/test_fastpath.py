"""One shared rank test around a product's gradients (bpgen/fastpath.py).

Each arm is checked numerically: the matrix arm with matrices, the other
arm with every other rank the product accepts.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import bpgen
from bpgen.check import check_gradients, load
from bpgen.options import Options

PRODUCTS = {
    "method": "def f(W, X):\n    return np.sum(np.tanh(W.dot(X)))\n",
    "matmul": "def f(W, X):\n    return np.sum(np.tanh(W @ X))\n",
    "np.dot": "def f(W, X):\n    return np.sum(np.tanh(np.dot(W, X)))\n",
    "np.matmul": "def f(W, X):\n    return np.sum(np.tanh(np.matmul(W, X)))\n",
}


def _source(body: str) -> str:
    return "import numpy as np\n\n\n" + body


def _shapes(kind: str):
    """Operand shapes the product accepts, matrices first."""
    sizes = {0: (), 1: (3,), 2: (2, 3), 3: (4, 2, 3)}
    for rw, rx in itertools.product(range(4), repeat=2):
        w = sizes[rw]
        x = {0: (), 1: (3,), 2: (3, 2), 3: (4, 3, 2)}[rx]
        if kind in ("matmul", "np.matmul") and 0 in (rw, rx):
            continue  # matmul refuses a number
        if kind == "method" and 0 in (rw, rx):
            continue  # x.dot(y) is written for arrays (rules.py: it fails loudly)
        if kind in ("method", "np.dot") and rw == 3 and rx == 3:
            x = (2, 3, 5)  # dot pairs w's last axis with x's second-to-last
        yield w, x


@pytest.mark.parametrize("kind", list(PRODUCTS))
def test_both_arms_are_exact_for_every_rank(kind):
    source = _source(PRODUCTS[kind])
    rng = np.random.default_rng(len(kind))
    for w, x in _shapes(kind):
        W = rng.standard_normal(w) if w else float(rng.standard_normal())
        X = rng.standard_normal(x) if x else float(rng.standard_normal())
        try:
            check_gradients(source, [W, X], "f")
        except AssertionError as error:  # pragma: no cover - the message says which
            raise AssertionError(f"{kind} with shapes {w} and {x}") from error


def test_the_matrix_case_is_written_plainly_once():
    code = bpgen.generate(_source(PRODUCTS["method"]), "f")
    backward = code.split("def f_backward")[1]
    assert "    if W.ndim == 2 and X.ndim == 2:\n" in backward
    assert (
        "        dW = dt1.dot(X.T)\n        dX = W.T.dot(dt1)\n    else:\n" in backward
    )
    matmul = bpgen.generate(_source(PRODUCTS["matmul"]), "f")
    # a product of two matrices broadcasts nothing: no sum back, `.T`
    assert "        dW = dt1 @ X.T\n        dX = W.T @ dt1\n" in matmul


def test_a_name_that_may_be_a_number_is_read_with_np_ndim():
    # np.dot accepts a float: its rank is read the way that works for one
    code = bpgen.generate(_source(PRODUCTS["np.dot"]), "f")
    assert "if np.ndim(W) == 2 and np.ndim(X) == 2:" in code
    # and the gradient at a product of matrices is a matrix: no test of it
    assert "        dW = dt1.dot(X.T)\n        dX = W.T.dot(dt1)\n    else:" in code
    check_gradients(_source(PRODUCTS["np.dot"]), [2.0, np.ones((3, 2))], "f")


def test_one_tested_name_leaves_the_other_arm_knowing_it():
    source = _source("def f(x, w):\n    return np.sum(x.reshape(2, -1).dot(w))\n")
    code = bpgen.generate(source, "f")
    backward = code.split("def f_backward")[1]
    assert "if w.ndim == 2:" in backward
    orelse = backward.split("else:\n", 1)[1]
    assert "w.ndim == 2" not in orelse  # decided there: it is not
    rng = np.random.default_rng(1)
    for w in [(3, 4), (3,), (4, 3, 5)]:
        check_gradients(source, [rng.standard_normal((2, 3)), rng.standard_normal(w)])


def test_a_single_test_stays_where_it_is():
    # one read either way: nothing to share
    source = _source("def f(v):\n    return np.sum(np.diag(v) ** 2)\n")
    code = bpgen.generate(source, "f")
    backward = code.split("def f_backward")[1]
    assert "if np.ndim(v) == 1\n" in backward and "\n    if " not in backward


def test_switched_off_each_gradient_tests_on_its_own():
    source = _source(PRODUCTS["method"])
    off = bpgen.generate(source, "f", options=Options(fastpath=False))
    assert "\n    if " not in off.split("def f_backward")[1]
    assert "np.sum(dt1 * X)\n        if W.ndim == 0\n" in off


def test_a_zero_d_receiver_of_dot():
    # x.dot(W) of a 0-d array x is x * W: dx is a number, not W-shaped
    source = _source("def f(x, W):\n    return np.sum(np.tanh(x.dot(W)))\n")
    forward, backward = load(bpgen.generate(source, "f"), "f")
    rng = np.random.default_rng(3)
    for W in [rng.standard_normal((3, 4)), rng.standard_normal(3), np.array(1.3)]:
        _, cache = forward(np.array(0.7), W)
        dx, dW = backward(1.0, cache)
        local = 1 - np.tanh(0.7 * W) ** 2
        assert np.shape(dx) == () and np.allclose(dx, np.sum(local * W))
        assert np.allclose(dW, 0.7 * local)
