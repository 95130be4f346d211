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
    assert "for t, cache" in code and "dWx += dWx_t" in code
    # each step returns the gradient of its slice; the loop puts it in place
    assert "dx[:, t] += dx_t" in code and "np.zeros_like(x)" in code


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
        (
            "    if x > 1:\n        x = x * 2\n    elif x > 0:\n        return x\n"
            "    else:\n        x = x + 1\n",
            "`return`",
        ),
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


ROWS = """
import numpy as np


def implicit_indexing(x):
    res = 0.0
    for a in x:
        res += a
    return res


def rows(X, w):
    total = 0.0
    for row in X:
        total = total + np.tanh(row @ w)
    return total


def rows_branch(X, w):
    total = 0.0
    for row in X:
        s = row @ w
        if s > 0:
            total = total + s * s
    return total


def zipped(X, Y):
    s = 0.0
    for a, b in zip(X, Y):
        s = s + a * b
    return s
"""


@pytest.mark.parametrize(
    "name, args",
    [
        ("implicit_indexing", [rng.standard_normal(4)]),
        ("rows", [rng.standard_normal((3, 4)), rng.standard_normal(4)]),
        ("rows_branch", [rng.standard_normal((5, 4)), rng.standard_normal(4)]),
    ],
)
def test_for_row_in_a_differentiated_array(name, args):
    code = check_gradients(ROWS, args, function=name)
    assert "in reversed(list(enumerate(" in code  # dX[i] += drow


def test_zip_over_differentiated_arrays_gives_each_its_rows():
    # refused until the zip's rows were paired with their arrays; now each
    # row's gradient goes to its own array's row
    args = [rng.standard_normal((3, 4)), rng.standard_normal((3, 4))]
    code = check_gradients(ROWS, args, function="zipped")
    assert "dX[i] += da" in code and "dY[i] += db" in code


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


def test_continue_and_a_branch_in_nested_loops_cs231n_svm():
    W, X = rng.standard_normal((5, 3)), rng.standard_normal((4, 5))
    y = np.array([0, 2, 1, 1])
    code = check(SVM_NAIVE, W, X, y, 0.1)
    assert "continue" not in code  # the rest of the body sits under the `else`


BREAKS = """
import numpy as np


def first_positive(x):
    total = 0.0
    for i in range(x.shape[0]):
        if x[i] > 0:
            total = total + x[i] * 2.0
            break
        total = total + x[i]
    return total


def at_once(a):
    for i in range(3):
        a = a * a
        break
    return a


def settle(x, tol: float):
    y = x
    while True:
        y = 0.5 * (y + x / y)
        if np.abs(y * y - x) < tol:
            break
    return y


def skip_small(x, w):
    s = 0.0
    for i in range(x.shape[0]):
        if x[i] < 0.1:
            if x[i] < -0.5:
                break
            continue
        s = s + x[i] * w
    return s
"""


@pytest.mark.parametrize(
    "name, args",
    [
        ("first_positive", [np.array([-0.5, -0.2, 0.7, 0.3])]),
        ("first_positive", [np.array([-0.5, -0.2, -0.7, -0.3])]),
        ("at_once", [0.7]),
        ("settle", [2.0, 1e-6]),
        ("skip_small", [np.array([0.5, -0.2, 0.3, -0.8, 0.9]), 1.5]),
        ("skip_small", [np.array([0.5, -0.2, 0.3, 0.8, 0.9]), 1.5]),
    ],
)
def test_break_and_continue(name, args):
    wrt = ["x"] if name == "settle" else None
    code = check_gradients(BREAKS, args, function=name, wrt=wrt)
    forward = code.split(f"def {name}_forward")[1].split("def ")[0]
    # a `break` leaves the loop after recording the iteration it ran
    lines = forward.splitlines()
    for k, line in enumerate(lines):
        if line.strip() == "break":
            assert ".append(" in lines[k - 1] or "+= 1" in lines[k - 1], forward


WRITES = """
import numpy as np


def active_subscript(x):
    y = np.zeros_like(x)
    for i in range(len(x)):
        y[i] = x[i]
    return np.sum(y)


def init_array_grad_maybe_active(x):
    h = np.zeros((len(x), 3))
    for t in range(len(h)):
        h[t] = x[t]
    return np.sum(h * h)


def conv_forward_naive(x, w, b):
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    Ho = H - HH + 1
    Wo = W - WW + 1
    out = np.zeros((N, F, Ho, Wo))
    for n in range(N):
        for f in range(F):
            for i in range(Ho):
                for j in range(Wo):
                    out[n, f, i, j] = np.sum(x[n, :, i:i + HH, j:j + WW] * w[f]) + b[f]
    return out


def max_pool_forward_naive(x, ph: int, pw: int):
    N, C, H, W = x.shape
    out = np.zeros((N, C, H // ph, W // pw))
    for i in range(H // ph):
        for j in range(W // pw):
            window = x[:, :, i * ph:(i + 1) * ph, j * pw:(j + 1) * pw]
            out[:, :, i, j] = np.max(window, axis=(2, 3))
    return out


def into_a_parameter(x, n: int):
    for i in range(n):
        x[i] = x[i] * 2.0
    return np.sum(x)
"""


@pytest.mark.parametrize(
    "name, args",
    [
        ("active_subscript", [rng.standard_normal(4)]),
        ("init_array_grad_maybe_active", [rng.standard_normal(4)]),
        (
            "conv_forward_naive",
            [
                rng.standard_normal((2, 2, 4, 4)),
                rng.standard_normal((3, 2, 2, 2)),
                rng.standard_normal(3),
            ],
        ),
        ("max_pool_forward_naive", [rng.standard_normal((2, 2, 4, 4)), 2, 2]),
    ],
)
def test_item_writes_into_the_functions_own_array_in_a_loop(name, args):
    # CS231n's naive layers: a fresh zeros array filled item by item
    check_gradients(WRITES, args, function=name)


def test_item_writes_into_a_parameter_in_a_loop_stay_refused():
    with pytest.raises(bpgen.BpgenError) as info:
        bpgen.generate(WRITES, "into_a_parameter")
    assert "would change the parameter `x`" in str(info.value)
    assert (
        info.value.lineno == WRITES.splitlines().index("        x[i] = x[i] * 2.0") + 1
    )


# -- more shapes of the same features (the loops3 branch) ---------------------------

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


@pytest.mark.parametrize("source", [SLICES, SLICE_AND_WHOLE, SHIFTED])
def test_slices_that_overlap_have_other_routes_or_start_later(source):
    check(source, rng.standard_normal((5, 3)), rng.standard_normal(3))


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
def test_cs231n_naive_losses_for_weights_and_inputs(source, wrt):
    gen = np.random.default_rng(1)
    W, X = gen.standard_normal((5, 4)) * 0.5, gen.standard_normal((20, 5))
    y = gen.integers(0, 4, 20)
    scores = X @ W
    margins = scores - scores[np.arange(20), y][:, None] + 1
    assert np.min(np.abs(margins)) > 1e-4  # away from the svm's switch points
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


def test_continue_after_work_and_nested_in_a_branch():
    check(CONTINUE_AFTER_WORK, rng.standard_normal((5, 3)), rng.standard_normal(3), 5)
    check(NESTED_CONTINUE, rng.standard_normal(5), 5)


def test_iterating_over_a_vector_gives_scalars_their_gradients():
    check(IMPLICIT_1D, rng.standard_normal(30))


IMPLICIT_1D = """
import numpy as np


def f(x):
    res = 0.0
    for a in x:
        res += a * a
    return res
"""


NO_GRADIENT_LOOP = """
import numpy as np


def f(x, w, n: int):
    h = np.zeros(3)
    s = 0.0
    for i in range(n):
        s = s * 0.5 + np.sum(np.cos(h))
    return s + np.sum(x * w)
"""


def test_a_loop_no_gradient_passes_through_has_no_backward_loop():
    # found by tests/test_flow_properties.py: an empty `for` body in the backward
    code = check(NO_GRADIENT_LOOP, rng.standard_normal(3), rng.standard_normal(3), 4)
    assert "reversed(" not in code


GUARDED_SLICE = """
import numpy as np


def skip_big(x, w):
    s = 0.0
    for i in range(x.shape[0]):
        v = x[i] * w
        if v > 0:
            if v > 1.0:
                continue
            s = s + v
        s = s + 0.1 * v * v
    return s
"""


@pytest.mark.parametrize(
    "x", [np.array([0.9, -0.8, 0.1, 0.7, -0.2]), np.array([0.2, 0.3, 0.4])]
)
def test_a_slice_input_whose_gradient_may_be_none_is_scattered_under_the_guard(x):
    # `continue` leaves dv None on some iterations: dx[i] += dx_i sits in the
    # `if dv is not None:` block (it was indented twice: an internal error)
    code = check_gradients(GUARDED_SLICE, [x, 1.7])
    assert "dx = dx.copy()" not in code  # dx stays the loop's own array


SHARED_WRITES = """
import numpy as np


def chain(x, n: int):
    z = x
    y = z
    for i in range(n):
        y[i] = y[i] * 2.0
    return np.sum(y * y)


def view(x, n: int):
    y = x.reshape(-1)
    for i in range(n):
        y[i] = y[i] * 2.0
    return np.sum(y * y)


def row_view(x, n: int):
    y = x[0]
    for i in range(n):
        y[i] = y[i] * 2.0
    return np.sum(y * y)


def own_aliased(x, n: int):
    y = np.zeros_like(x)
    z = y[1:]
    for i in range(n):
        y[i] = x[i] * 2.0
    return np.sum(z * z)


def view_after(x, W):
    out = np.zeros((x.shape[0], W.shape[1]))
    for n in range(x.shape[0]):
        out[n] = np.tanh(x[n] @ W)
    flat = out.reshape(-1)
    return np.sum(flat * flat)
"""


@pytest.mark.parametrize(
    "name, held",
    [
        ("chain", "the parameter `x`"),
        ("view", "the parameter `x`"),
        ("row_view", "the parameter `x`"),
        ("own_aliased", "another array"),
    ],
)
def test_item_writes_into_an_array_another_name_holds_are_refused(name, held):
    # the part writes into a copy: a parameter (through `z = x`, a reshape or a
    # row) kept its old values and z of `z = y[1:]` did not see the writes
    with pytest.raises(bpgen.BpgenError) as info:
        bpgen.generate(SHARED_WRITES, name)
    assert held in str(info.value) and info.value.hint
    source_line = SHARED_WRITES.splitlines()[info.value.lineno - 1]
    assert source_line.strip().startswith("y[i] = ")


def test_a_view_taken_after_the_loop_does_not_stop_item_writes():
    x, W = rng.standard_normal((3, 2)), rng.standard_normal((2, 2))
    check_gradients(SHARED_WRITES, [x, W], function="view_after")
