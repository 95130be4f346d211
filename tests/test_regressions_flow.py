"""Regressions found by the realistic control-flow corpus (tests/realistic_flow.py):
one minimal program each, checked against central differences."""

from __future__ import annotations

import numpy as np
import pytest
from oracle import check_contract, load

import bpgen
from bpgen.check import check_gradients

LINE_SEARCH = """
import numpy as np


def f(x):
    return np.sum(x ** 4) + np.sum(x ** 2)


def step(x, t0):
    g = 4 * x ** 3 + 2 * x
    t = t0
    while f(x - t * g) > f(x) - 0.5 * t * np.sum(g * g):
        t = t * 0.5
    return x - t * g
"""


def test_a_loop_whose_backward_is_empty_is_left_out():
    # wrt=x: nothing in the while loop reaches dx; the backward had a `for`
    # with no body (an IndentationError reported as an internal error)
    x = np.array([0.6, 0.8, 0.9])
    code = check_gradients(LINE_SEARCH, [x, 1.0], function="step", wrt=["x"])
    backward = code.split("def step_backward")[1]
    assert "for " not in backward


def test_a_module_helper_called_in_a_loop_test_is_in_the_generated_module():
    x = np.array([0.6, 0.8, 0.9])
    code = check_gradients(LINE_SEARCH, [x, 1.0], function="step")
    assert "\ndef f(x):" in code


FIXED_POINT = """
import math


def fixed_point(x0, c):
    x = x0
    for i in range(20):
        x = c * math.cos(x)
    return x
"""

FIXED_POINT_NP = """
import numpy as np


def fixed_point(x0, c, n: int):
    x = x0
    for i in range(n):
        x = c * np.cos(x)
    return x
"""


def test_a_python_float_parameter_of_a_loop_gets_a_float():
    # the loop's zeros were np.zeros_like(c): a 0-d array for a float c
    check_contract(FIXED_POINT, [0.5, 0.7])
    check_contract(FIXED_POINT_NP, [np.array([0.5, 0.2]), 0.7, 3])
    forward, backward = load(bpgen.generate(FIXED_POINT_NP), "fixed_point")
    _, cache = forward(np.array([0.5, 0.2]), 0.7, 3)
    dx0, dc = backward(np.ones(2), cache)
    assert type(dc) is float and dx0.dtype == np.float64


RNN_HISTORY = """
import numpy as np


def rnn_forward(x, h0, Wx, Wh, b):
    N, T, D = x.shape
    h = np.zeros((N, T, h0.shape[1]))
    prev_h = h0
    for t in range(T):
        next_h = np.tanh(x[:, t, :].dot(Wx) + prev_h.dot(Wh) + b)
        h[:, t, :] = next_h
        prev_h = next_h
    return h
"""


def test_a_carried_gradient_is_handed_out_in_its_parameters_dtype():
    # the float64 history array made dprev_h float64; dh0 must be h0's dtype
    rng = np.random.default_rng(0)
    args = [rng.standard_normal(s) for s in [(2, 3, 4), (2, 5), (4, 5), (5, 5), (5,)]]
    check_gradients(RNN_HISTORY, args)
    forward, backward = load(bpgen.generate(RNN_HISTORY), "rnn_forward")
    args32 = [a.astype(np.float32) for a in args]
    out, cache = forward(*args32)
    grads = backward(np.ones_like(out), cache)
    assert [g.dtype for g in grads] == [np.float32] * 5


STRIDE = """
import numpy as np


def f(x, stride):
    N, C = x.shape
    Hp = (N - 1) // stride + 1
    out = np.zeros((Hp, C))
    for i in range(Hp):
        out[i] = x[i * stride] * 2.0
    return out
"""


def test_floor_division_by_a_parameter_left_out_of_wrt_in_a_loop_function():
    # the part's default wrt counted `stride` as differentiated and refused
    # `(N - 1) // stride`, though wrt=["x"] leaves it out
    x = np.random.default_rng(1).standard_normal((5, 3))
    check_gradients(STRIDE, [x, 2], wrt=["x"])


def test_floor_division_of_a_differentiated_value_is_still_refused():
    source = STRIDE.replace("x[i * stride] * 2.0", "y[i * stride]").replace(
        "    out = np.zeros", "    y = x % 2.0\n    out = np.zeros"
    )
    try:
        bpgen.generate(source, None, ["x"])
    except bpgen.BpgenError as exc:
        assert exc.lineno == 8 and "`x % 2.0`" in str(exc)
    else:
        raise AssertionError("refusal expected")


UPCAST = """
import numpy as np


def f(A):
    v = np.ones(A.shape[0])
    v = A @ v
    return v @ A @ v
"""


def test_a_float64_constant_upcasting_the_forward_keeps_the_parameters_dtype():
    """Was a bug: handout.py cast no gradient of a parameter proven an array,
    so np.ones(n) upcasting the forward gave a float64 dA for a float32 A."""
    check_contract(UPCAST, [np.eye(3) + 0.1])


GRU_OUTPUTS = """
import numpy as np


def gru(xs, h, W, U):
    outputs = []
    for t in range(xs.shape[0]):
        h = np.tanh(xs[t] @ W + h @ U)
        outputs.append(h)
    return np.array(outputs)
"""


def test_np_array_of_a_list_built_in_a_loop_is_its_stack():
    rng = np.random.default_rng(2)
    args = [rng.standard_normal(s) for s in [(4, 3), (2,), (3, 2), (2, 2)]]
    check_gradients(GRU_OUTPUTS, args)
    keyword = GRU_OUTPUTS.replace("np.array(outputs)", "np.array(outputs, dtype=float)")
    with pytest.raises(bpgen.BpgenError, match="stack it first"):
        bpgen.generate(keyword)


EMA = """
import numpy as np


def ema(x, alpha):
    s = x[0]
    smoothed = [s]
    for t in range(1, len(x)):
        s = alpha * x[t] + (1 - alpha) * s
        smoothed.append(s)
    return np.array(smoothed)
"""


def test_a_list_appended_in_a_loop_that_starts_with_items_is_refused_at_its_line():
    # the refusal pointed at a line of bpgen's own part text, past the function
    with pytest.raises(bpgen.BpgenError) as info:
        bpgen.generate(EMA)
    assert info.value.lineno == 7, str(info.value)
    assert "smoothed = []" in str(info.value)


LAST_FROM_BRANCH = """
import numpy as np


def f(x, w):
    y = 0.0
    for i in range(x.shape[0]):
        if x[i] > 0:
            y = x[i] * 3.0
        else:
            y = y * w + x[i]
    return y
"""


@pytest.mark.parametrize(
    "x",
    [[0.5, -1.2, 0.8, -0.4], [-0.5, -1.2, 0.8, -0.4], [0.5, 1.2, -0.8, 0.4]],
)
def test_a_part_reading_and_writing_a_gradient_that_may_be_none(x):
    # `y = y * w + x[i]` after an arm that cuts y's gradient: the backward set
    # dy = None before `if dy is not None:` (a zero gradient for x[2])
    check_gradients(LAST_FROM_BRANCH, [np.array(x), 0.7])


@pytest.mark.parametrize("plus_arm", ["then", "else"])
def test_gradients_one_arm_passes_through_are_not_handed_out_twice(plus_arm):
    # `y = x + w` hands dy to both dx and dw: on that arm the second must be a
    # copy, whichever arm it is (the hand-out once read the arms as one path
    # and kept only the last arm's view, so dx and dw shared memory)
    plus, times = ("x + w", "x * w") if plus_arm == "then" else ("x * w", "x + w")
    source = f"""
import numpy as np

def f(x, w, train):
    if train:
        y = {plus}
    else:
        y = {times}
    return np.sum(y * y)
"""
    for train in (True, False):
        args = [np.linspace(0.5, 1.5, 4), np.linspace(-1.0, 2.0, 4), train]
        check_gradients(source, args, "f", ["x", "w"])
        check_contract(source, args, "f", ["x", "w"])


ALIAS_ARMS = """
import numpy as np


def f(x, z, n):
    s = 0.0
    for k in range(n):
        if k % 2 == 0:
            y = x
        else:
            y = z
        s = s + np.sin(y)
    return s
"""


def test_a_branch_of_aliases_is_recorded_and_undone():
    # `y = x` / `y = z` in the arms: the branch was not recorded (aliases were
    # taken for values without gradient), so dx and dz came back as zeros
    x, z = np.array([0.3, -0.7]), np.array([1.1, 0.4])
    code = check_gradients(ALIAS_ARMS, [x, z, 3], function="f", wrt=["x", "z"])
    assert "if c1:" in code.split("def f_backward")[1]


EARLY_EXIT_ALIAS = """
import numpy as np


def sqrt_newton(x, tol):
    y = x
    for k in range(50):
        y_next = 0.5 * (y + x / y)
        if np.max(np.abs(y_next - y)) < tol:
            y = y_next
            break
        y = y_next
    return y
"""


def test_the_same_alias_in_both_arms_passes_the_gradient_once():
    # both arms `y = y_next`: the backward lost the loop (dx = dout only)
    x = np.array([2.0, 3.0, 0.5])
    code = check_gradients(EARLY_EXIT_ALIAS, [x, 1e-6], function="sqrt_newton")
    backward = code.split("def sqrt_newton_backward")[1]
    assert "dy_next = dy\n" in backward and "if c1" not in backward


NESTED_LIST = """\
import numpy as np


def f(x, w, n: int):
    s = 0.0
    for i in range(n):
        items = []
        for v in w:
            items.append(v * i)
        s = s + sum(items) * x
    return s
"""


def test_an_inner_loop_row_reaches_its_place_before_it_is_reset():
    # `dw[i] += dv` ran after `dv = None` (TypeError in the generated backward)
    rng = np.random.default_rng(0)
    check_gradients(NESTED_LIST, [0.3, rng.standard_normal(3), 3])
    check_gradients(NESTED_LIST, [0.3, rng.standard_normal(4), 1])
