"""Loops the stager does not unroll (a run-time trip count, `while`, more than
16 iterations), composed of straight-line parts by flow.py, with the branches
inside them; checked numerically in float64 away from branch switch points."""

import textwrap

import numpy as np
import pytest

import bpgen
from bpgen.check import check_gradients

rng = np.random.default_rng(0)


def check(source: str, *args, wrt=None) -> str:
    return check_gradients(textwrap.dedent(source), list(args), wrt=wrt)


PIECEWISE = """
import numpy as np


def piecewise(x, y):
    a = x * y
    if np.sum(a) > 0:
        b = np.tanh(a)
    else:
        b = a ** 2
    return np.sum(b * y)
"""


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_if_else_takes_the_branch_the_forward_took(sign):
    x = np.abs(rng.standard_normal((3, 4))) + 0.1
    y = sign * (np.abs(rng.standard_normal((3, 4))) + 0.1)
    check(PIECEWISE, x, y)  # a branch alone: the stager's own (see test_flow.py)


ELIF = """
import numpy as np


def f(x, k: float):
    if k > 1.0:
        y = np.exp(x)
        z = y * x
    elif k > 0.0:
        z = np.sin(x) * k
    else:
        z = x
    return np.sum(z * z)
"""


@pytest.mark.parametrize("k", [2.0, 0.5, -1.0])
def test_elif_chain_and_an_arm_that_only_passes_through(k):
    check(ELIF, rng.standard_normal(5), k)


ONE_ARM = """
def f(x, y):
    z = x * y
    if x > 0:
        z = z * z + y
    return z * x
"""


@pytest.mark.parametrize("x", [1.5, -0.7])
def test_if_without_else_on_scalars(x):
    check(ONE_ARM, x, 0.3)


RNN = """
import numpy as np


def rnn(x, h0, Wx, Wh, b):
    h = h0
    for t in range(x.shape[1]):
        h = np.tanh(x[:, t] @ Wx + h @ Wh + b)
    return np.sum(h * h)
"""


def test_for_range_carries_h_and_accumulates_shared_weights():
    N, T, D, H = 2, 3, 4, 5
    args = [
        rng.standard_normal(s) * 0.5 for s in [(N, T, D), (N, H), (D, H), (H, H), (H,)]
    ]
    code = check(RNN, *args)
    assert "for t in reversed(range(len(caches))):" in code and "dWx += dWx_t" in code
    assert "dx[:, t] = dx_t" in code  # the slice's gradient, written in place


SLICES = """
import numpy as np


def f(x, w):
    h = np.zeros(3)
    for t in range(x.shape[0] - 1):
        h = np.tanh(x[t : t + 2].sum(axis=0) * w + h)
    return np.sum(h * h)
"""

SLICE_AND_WHOLE = """
import numpy as np


def f(x, w):
    h = np.zeros(3)
    for t in range(x.shape[0]):
        h = np.tanh(x[t] * w + h)
        if t > 0:
            h = h * np.mean(x)  # another part: x's gradient has two routes
    return np.sum(h * h)
"""

SHIFTED = """
import numpy as np


def f(x, w):
    h = np.zeros(3)
    for t in range(1, x.shape[0]):
        h = np.tanh(x[t] * w + h)
    return np.sum(h * h)
"""


@pytest.mark.parametrize(
    "source, written",
    [
        (SLICES, "dx[t : t + 2] += dx_t"),  # overlapping slices: added
        (SLICE_AND_WHOLE, "dx[t] += dx_t"),  # x also read whole in the step
        (SHIFTED, "dx += dx_t"),  # range(1, n): iteration k is not t == k
    ],
)
def test_slice_gradients_are_scattered_only_where_that_is_right(source, written):
    x, w = rng.standard_normal((5, 3)), rng.standard_normal(3)
    assert written in check(source, x, w)


SUM = """
def f(x, w, n: int):
    s = 0.0
    for i in range(n):
        s += w * x ** i
    return s
"""


def test_accumulation_with_plus_equals():
    check(SUM, 0.7, 1.3, 4, wrt=["x", "w"])


def test_loop_that_runs_zero_times():
    check(SUM, 0.7, 1.3, 0, wrt=["x", "w"])


NEWTON = """
def sqrt_newton(a):
    x = a
    for _ in range(6):
        x = 0.5 * (x + a / x)
    return x
"""


def test_fixed_count_newton_iteration():
    check(NEWTON, 2.0)


WHILE = """
def f(x, limit: float):
    y = x
    while y < limit:
        y = y * 1.5 + x
    return y * y
"""


def test_while_with_a_data_dependent_trip_count():
    check(WHILE, 0.4, 5.0, wrt=["x"])


NESTED = """
import numpy as np


def f(x, W):
    h = x
    for i in range(3):
        h = h @ W
        if np.sum(h) > 0:
            h = np.tanh(h)
        else:
            h = h * 0.5
    return np.sum(h)
"""


def test_branch_nested_in_a_loop():
    check(NESTED, rng.standard_normal((2, 3)), rng.standard_normal((3, 3)) * 0.5)


@pytest.mark.parametrize(
    "body, message",
    [
        ("    for i in range(3):\n        if x > 0:\n            break\n", "`break`"),
        ("    if x > 0:\n        return x\n", "`return`"),
        (
            "    for i in range(3):\n        try:\n            x = x * 2\n"
            "        except Exception:\n            pass\n",
            "`try`",
        ),
    ],
)
def test_refusals_are_located(body, message):
    source = f"def f(x):\n{body}    return x * x\n"
    with pytest.raises(bpgen.BpgenError) as info:
        bpgen.generate(source)
    assert message in str(info.value)
    assert info.value.lineno is not None and info.value.lineno > 1


RNN_STACK = """
import numpy as np


def rnn_forward(x, h0, Wx, Wh, b):
    h = h0
    hs = []
    for t in range(x.shape[1]):
        h = np.tanh(x[:, t, :] @ Wx + h @ Wh + b)
        hs.append(h)
    return np.stack(hs, axis=1)
"""


def test_list_appended_in_a_loop_then_stacked():
    N, T, D, H = 2, 4, 3, 5
    shapes = [(N, T, D), (N, H), (D, H), (H, H), (H,)]
    args = [rng.standard_normal(s) * 0.5 for s in shapes]
    code = check(RNN_STACK, *args)
    assert "dhs.pop()" in code


def test_a_list_read_other_than_by_stack_is_refused():
    source = (
        "def f(x, n: int):\n    xs = []\n    for i in range(n):\n"
        "        xs.append(x)\n        y = xs[0]\n    return y\n"
    )
    with pytest.raises(bpgen.BpgenError) as info:
        bpgen.generate(source)
    assert info.value.lineno == 5 and "np.stack" in str(info.value)


def test_iterating_over_a_computed_differentiated_array_is_refused_not_dropped():
    source = (
        "def f(X):\n    s = 0.0\n    Y = X * 2\n    for row in Y:\n"
        "        s = s + row * row\n    return s\n"
    )
    with pytest.raises(bpgen.BpgenError) as info:
        bpgen.generate(source)
    assert (info.value.lineno, info.value.col_offset) == (4, 15)
    assert "carries a gradient" in str(info.value)


INDEXED = """
import numpy as np


def f(X, w):
    s = 0.0
    for i in range(len(X)):
        row = X[i]
        s = s + np.sum(np.tanh(row * w))
    for j, v in enumerate([1.0, 2.0]):
        s = s * v + j
    return s
"""


def test_rows_by_index_and_enumerate_over_constants():
    check(INDEXED, rng.standard_normal((3, 4)), rng.standard_normal(4))


CLIP = """
def f(x):
    y = x * 2.0
    if y > 1.0:
        y = 1.0
    else:
        y = y
    return y * x
"""


@pytest.mark.parametrize("x", [0.3, 0.8])
def test_a_constant_assigned_in_a_branch_stops_the_gradient(x):
    check(CLIP, x)


WHILE_NP = """
import numpy as np


def while_big(a):
    while np.abs(a) > 0.1:
        a = a * 0.5
    return a
"""


def test_a_loop_test_reads_the_modules_imports():
    check(WHILE_NP, 0.7)


def test_writing_items_of_a_parameter_in_a_loop_is_refused_where_it_happens():
    source = (
        "import numpy as np\n\n\ndef f(x, y):\n    z = x * 2\n"
        "    for i in range(len(x)):\n        y[i] = z[i]\n    return np.sum(y)\n"
    )
    with pytest.raises(bpgen.BpgenError) as info:
        bpgen.generate(source)
    assert info.value.lineno == 7 and "y[...]" in str(info.value)


LONG = """
def f(a):
    for i in range(100):
        a = a * 1.01 + 0.001 * a * a
    return a
"""


def test_a_loop_too_long_to_unroll_is_composed():
    code = check(LONG, 0.5)
    assert "for cache1 in reversed(caches):" in code


ALIAS_LOOP = """
def f(a, n: int):
    b = a * 2.0
    for i in range(n):
        b = a
    return b * a
"""


@pytest.mark.parametrize("n", [0, 2])
def test_a_loop_of_aliases_passes_the_gradient_back(n):
    check(ALIAS_LOOP, 0.7, n, wrt=["a"])


NESTED_RUNTIME = """
import numpy as np


def f(x, W, n: int, m: int):
    h = x
    V = W * 0.5
    for i in range(n):
        for j in range(m):
            h = np.tanh(h @ V)
            if np.sum(h) > 0:
                h = h * 1.5
        h = h + x
    return np.sum(h * h)
"""


def test_nested_loops_with_run_time_trip_counts_and_a_branch():
    x = rng.standard_normal((2, 3))
    W = rng.standard_normal((3, 3))
    check(NESTED_RUNTIME, x, W, 2, 3, wrt=["x", "W"])


# -- item writes into the function's own array inside run-time loops --------------

ACTIVE_SUBSCRIPT = """
import numpy as np


def active_subscript(x):
    y = np.zeros_like(x)
    for i in range(len(x)):
        y[i] = x[i]
    return np.sum(y * y)
"""

INIT_ARRAY = """
import numpy as np


def init_array(x):
    h = np.zeros((len(x), 3))
    for t in range(len(h)):
        h[t] = x[t] * x[t]
    return np.sum(h)
"""


@pytest.mark.parametrize("source", [ACTIVE_SUBSCRIPT, INIT_ARRAY])
def test_item_writes_into_an_array_the_function_made(source):
    check(source, rng.standard_normal((20, 3)))


PARAMETER_WRITE = """
import numpy as np


def f(x, y):
    for i in range(len(x)):
        y[i] = x[i]
    return np.sum(y)
"""


def test_item_writes_into_a_parameter_in_a_loop_stay_refused():
    with pytest.raises(bpgen.BpgenError, match="would change the parameter `y`"):
        check(PARAMETER_WRITE, rng.standard_normal(20), rng.standard_normal(20))


CONV_NAIVE = """
import numpy as np


def conv_naive(x, w, b):
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    s = 1
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    H_out = 1 + (H + 2 - HH) // s
    W_out = 1 + (W + 2 - WW) // s
    out = np.zeros((N, F, H_out, W_out))
    for n in range(N):
        for f in range(F):
            for i in range(H_out):
                for j in range(W_out):
                    window = xp[n, :, i * s : i * s + HH, j * s : j * s + WW]
                    out[n, f, i, j] = np.sum(window * w[f]) + b[f]
    return np.sum(out * out)
"""


def test_naive_convolution_in_nested_run_time_loops():
    x = rng.standard_normal((2, 2, 4, 4))
    w = rng.standard_normal((2, 2, 3, 3))
    b = rng.standard_normal(2)
    check(CONV_NAIVE, x, w, b)


MAX_POOL_NAIVE = """
import numpy as np


def max_pool_naive(x):
    N, C, H, W = x.shape
    out = np.zeros((N, C, H // 2, W // 2))
    for n in range(N):
        for c in range(C):
            for i in range(H // 2):
                for j in range(W // 2):
                    window = x[n, c, 2 * i : 2 * i + 2, 2 * j : 2 * j + 2]
                    out[n, c, i, j] = np.max(window)
    return np.sum(out * out)
"""


def test_naive_max_pool_in_nested_run_time_loops():
    check(MAX_POOL_NAIVE, rng.standard_normal((2, 2, 4, 4)))  # ties: probability 0


# -- `continue`: the rest of the body becomes the branch's other arm ---------------

SVM_NAIVE = """
import numpy as np


def svm_loss_naive(W, X, y, reg):
    num_classes = W.shape[1]
    num_train = X.shape[0]
    loss = 0.0
    for i in range(num_train):
        scores = X[i].dot(W)
        correct_class_score = scores[y[i]]
        for j in range(num_classes):
            if j == y[i]:
                continue
            margin = scores[j] - correct_class_score + 1
            if margin > 0:
                loss += margin
    loss /= num_train
    loss += reg * np.sum(W * W)
    return loss
"""

SOFTMAX_NAIVE = """
import numpy as np


def softmax_loss_naive(W, X, y, reg):
    num_train = X.shape[0]
    loss = 0.0
    for i in range(num_train):
        scores = X[i].dot(W)
        scores -= np.max(scores)
        probs = np.exp(scores) / np.sum(np.exp(scores))
        loss += -np.log(probs[y[i]])
    loss /= num_train
    loss += reg * np.sum(W * W)
    return loss
"""


@pytest.mark.parametrize("source", [SVM_NAIVE, SOFTMAX_NAIVE])
@pytest.mark.parametrize("wrt", [["W"], ["W", "X"]])
def test_cs231n_naive_losses_with_nested_loops_and_continue(source, wrt):
    gen = np.random.default_rng(1)  # margins well away from 0 (checked below)
    W, X = gen.standard_normal((5, 4)) * 0.5, gen.standard_normal((20, 5))
    y = gen.integers(0, 4, 20)
    scores = X @ W
    margins = scores - scores[np.arange(20), y][:, None] + 1
    assert np.min(np.abs(margins)) > 1e-4
    check(source, W, X, y, 0.1, wrt=wrt)


CONTINUE_AFTER_WORK = """
import numpy as np


def f(x, w, n: int):
    s = 0.0
    for i in range(n):
        a = x[i] * w
        if i % 2 == 0:
            s = s + np.sum(a * a)
            continue
        s = s + np.sum(np.sin(a))
    return s
"""


def test_continue_after_work_in_its_branch():
    check(CONTINUE_AFTER_WORK, rng.standard_normal((5, 3)), rng.standard_normal(3), 5)


NESTED_CONTINUE = """
import numpy as np


def f(x, n: int):
    s = 0.0
    for i in range(n):
        if i > 1:
            if i > 2:
                continue
            s = s + x[i]
        s = s * x[i]
    return s
"""


def test_a_continue_nested_deeper_is_refused_where_it_is():
    with pytest.raises(bpgen.BpgenError) as info:
        bpgen.generate(textwrap.dedent(NESTED_CONTINUE))
    assert info.value.lineno == 10 and "continue" in str(info.value)


# -- `for row in X`: row i's gradient is dX[i] -------------------------------------

IMPLICIT_INDEXING = """
import numpy as np


def f(x):
    res = 0.0
    for a in x:
        res += a
    return np.sum(res * res)
"""

ROWS_CARRY = """
import numpy as np


def g(X, w):
    h = np.zeros(3)
    for row in X:
        if np.sum(row) > 0:
            h = np.tanh(row * w + h)
        else:
            h = h * w
    return np.sum(h)
"""


@pytest.mark.parametrize("shape", [(30, 3), (30,)])
def test_iterating_over_a_differentiated_array(shape):
    code = check(IMPLICIT_INDEXING, rng.standard_normal(shape))
    assert "dx[i] += da" in code


def test_iterating_over_rows_with_a_branch_inside():
    X = rng.standard_normal((25, 3))
    X[np.abs(X.sum(axis=1)) < 0.1] += 0.5  # away from the switch
    check(ROWS_CARRY, X, rng.standard_normal(3))
