"""Bugs the fifth hunt found (tests/realistic5.py), each with its minimal
reproduction, fixed."""

from __future__ import annotations

import numpy as np
import pytest

import bpgen
from bpgen.check import check_gradients


def _pair(source: str, function: str | None = None, wrt=None, **kw):
    code = bpgen.generate(source, function, wrt, **kw)
    namespace: dict = {}
    exec(compile(code, "<generated>", "exec"), namespace)
    name = function or next(  # the last pair is the function's own
        n[: -len("_forward")] for n in reversed(namespace) if n.endswith("_forward")
    )
    return namespace[f"{name}_forward"], namespace[f"{name}_backward"]


MATH_OF_0D = """import math

import numpy as np
import pytest


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


MOVING = """import numpy as np


def moving_average_loss(x, k):
    n = x.shape[0] - k + 1
    acc = np.zeros(n)
    for i in range(k):
        acc = acc + x[i:i + n]
    return np.sum((acc / k) ** 2)
"""


def test_a_range_count_is_not_in_the_default_wrt():
    """`for i in range(k)` proves `k` an int: the default wrt leaves it out
    (a gradient for it was returned and the check perturbed it into range)."""
    assert bpgen.generate(MOVING).count("with respect to x.") == 1
    x = np.random.default_rng(0).standard_normal(7)
    check_gradients(MOVING, [x, 3])
    forward, backward = _pair(MOVING)
    (dx,) = backward(1.0, forward(x, 3)[1])
    assert dx.shape == (7,)
    with_k = bpgen.generate(MOVING, wrt=["x", "k"])  # asked for, it is given
    assert "with respect to x, k." in with_k


KWONLY = """import numpy as np


def scaled_loss(x, *, scale=2.0, shift=0.0):
    return np.sum((x * scale + shift) ** 2)
"""


def test_check_gradients_varies_keyword_only_parameters():
    """Keyword-only parameters are in the default wrt; the check takes them
    after the others (it raised IndexError, and TypeError when given)."""
    x = np.arange(3.0)
    check_gradients(KWONLY, [x])
    check_gradients(KWONLY, [x, 1.5])
    check_gradients(KWONLY, [x, 1.5, -0.3], wrt=["shift", "x"])


GUARDED_DIVISION = """import numpy as np


def rates(counts, totals, w):
    rate = np.where(totals > 0, counts * w / totals, 0.0)
    return np.sum(rate ** 2)
"""


def test_a_where_guarding_a_division_keeps_its_gradients_finite():
    """`np.where(n > 0, x / n, 0.0)` at n == 0: the hand-written gradient is 0
    there; bpgen's was NaN (the where's mask was not applied to the division's
    gradient, whose inputs have other shapes than its output)."""
    forward, backward = _pair(GUARDED_DIVISION)
    counts = np.array([[1.0, 2.0, 3.0], [0.5, 0.0, 1.0]])
    totals, w = np.array([0.0, 2.0, 4.0]), np.array([[1.5], [-0.5]])
    with np.errstate(all="ignore"):  # the forward divides by zero too
        grads = backward(1.0, forward(counts, totals, w)[1])
    assert all(np.all(np.isfinite(g)) for g in grads)
    assert grads[0][0, 0] == 0.0 and grads[1][0] == 0.0
    check_gradients(GUARDED_DIVISION, [counts, totals + 0.5, w])


AFFINE = """import numpy as np


def f(x, W, b):
    return np.sum(np.tanh(x @ W + b))
"""


def test_an_array_where_a_scalar_is_declared_is_refused_at_run_time():
    """`b` declared 0-d (`""`) but given a (2,) array: the forward raises
    naming b's shape (it ran, and db came back a float, the sum of the
    right gradient)."""
    shapes = {"x": "N D", "W": "D M", "b": ""}
    forward, backward = _pair(AFFINE, shapes=shapes)
    rng = np.random.default_rng(0)
    x, W = rng.standard_normal((4, 3)), rng.standard_normal((3, 2))
    with pytest.raises(ValueError, match=r"b has shape \(2,\), declared \(\)"):
        forward(x, W, rng.standard_normal(2))
    for b in (0.5, np.array(0.5), np.float32(0.5)):
        out, cache = forward(x, W, b)
        assert np.shape(backward(1.0, cache)[2]) == ()
    check_gradients(AFFINE, [x, W, 0.5], shapes=shapes)


ROSEN = """import numpy as np


def rosen(x):
    x = np.asarray(x)
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2.0) ** 2.0 + (1 - x[:-1]) ** 2.0)
"""


def test_asarray_of_a_parameter_takes_a_list():
    """scipy's `rosen` starts `x = np.asarray(x)`: called with a list, the
    forward raised TypeError (np.asarray was dropped as a pass-through); the
    gradient is an array of the list's length."""
    forward, backward = _pair(ROSEN)
    out, cache = forward([1.2, 0.8, -0.5])
    (dx,) = backward(1.0, cache)
    assert isinstance(dx, np.ndarray) and dx.shape == (3,)
    check_gradients(ROSEN, [np.array([1.2, 0.8, -0.5])])
    x = np.array([1.2, 0.8, -0.5])
    (dx_array,) = backward(1.0, forward(x)[1])
    assert np.allclose(dx, dx_array) and not np.shares_memory(dx_array, x)


def test_asarray_of_a_parameter_is_a_view_not_written_into():
    source = ROSEN.replace("    return", "    x[0] = 1.0\n    return")
    with pytest.raises(bpgen.BpgenError):
        bpgen.generate(source)


PRODUCT = """import numpy as np


def f(x, w):
    return np.sum(x * w)
"""


def test_an_int_or_bool_array_argument_gets_a_float_gradient():
    """dx of an int64 (or bool) x was cast to x's dtype: [0.5, 0.1] came back
    [0, 0] (True, True for a mask). A gradient is never rounded."""
    forward, backward = _pair(PRODUCT)
    w = np.array([0.5, 0.1])
    for x in (np.array([1, 2]), np.array([True, False])):
        dx, dw = backward(1.0, forward(x, w)[1])
        assert dx.dtype == np.float64 and np.array_equal(dx, w)
        assert dw.dtype == np.float64 and np.array_equal(dw, x)
    x32 = np.array([1.0, 2.0], np.float32)
    dx, dw = backward(1.0, forward(x32, w.astype(np.float32))[1])
    assert dx.dtype == dw.dtype == np.float32


LISTED = """import numpy as np


def loss(X, w):
    X = np.asarray(X)
    return np.sum(np.log1p(np.exp(X @ w)))
"""


def test_a_list_argument_does_not_upcast_another_gradient():
    """A list X is float64: X @ w of a float32 w is float64, and dw came back
    float64; it has w's dtype."""
    forward, backward = _pair(LISTED)
    w = np.array([0.5, -0.2], np.float32)
    dX, dw = backward(1.0, forward([[1.0, 2.0], [0.5, 0.1]], w)[1])
    assert dw.dtype == np.float32 and dX.shape == (2, 2)


COUNTS = """import math

import numpy as np


def scal(a, x):
    return math.exp(a) * np.sum(x)


def loop(xs, k):
    s = 0.0
    for i in range(k):
        s = s + np.sum(xs[i] ** 2)
    return s
"""


def test_emitted_test_gives_counts_ints_and_math_arguments_floats(
    tmp_path, monkeypatch
):
    """`--emit-test` gave `k` of `range(k)` and `a` of `math.exp(a)` 3x3
    arrays: the emitted tests failed with TypeError on their first run."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    from bpgen.cli import main

    monkeypatch.chdir(tmp_path)
    (tmp_path / "model.py").write_text(COUNTS)
    assert main(["model.py", "--emit-test", "test_model.py", "-q"]) == 0
    text = (tmp_path / "test_model.py").read_text()
    assert '"k": 3,' in text and '"a": float(rng.uniform(0.2, 0.9)),' in text
    root = str(Path(__file__).resolve().parent.parent)
    env = dict(os.environ, PYTHONPATH=root, PYTEST_DISABLE_PLUGIN_AUTOLOAD="1")
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stdout


MASKED = """import numpy as np


def masked_mse(pred, target, valid):
    diff = np.where(valid, pred - target, np.nan)
    return np.nansum(diff ** 2) / np.sum(valid)
"""


def test_np_nan_is_a_constant():
    """`np.where(valid, d, np.nan)` then `np.nansum`: np.nan was refused as
    an unknown constant; the masked items get zero gradient, never NaN."""
    rng = np.random.default_rng(0)
    pred, target = rng.standard_normal(6), rng.standard_normal(6)
    valid = np.array([True, False, True, True, False, True])
    check_gradients(MASKED, [pred, target, valid], wrt=["pred", "target"])
    forward, backward = _pair(MASKED, wrt=["pred"])
    (dpred,) = backward(1.0, forward(pred, target, valid)[1])
    assert np.all(np.isfinite(dpred)) and np.all(dpred[~valid] == 0)


GUARDED = {
    "kl": (
        "def f(p, q):\n    return np.sum(np.where(p > 0, p * np.log(p / q), 0.0))\n",
        [np.array([0.0, 0.5, 0.2]), np.array([0.3, 0.5, 0.4])],
    ),
    "weighted_log": (
        "def f(x, w):\n    return np.sum(np.where(x > 0, w * np.log(x), 0.0))\n",
        [np.array([0.0, 2.0, 0.5]), np.array([1.0, 1.0, -2.0])],
    ),
    "arcsin_domain": (
        "def f(x):\n    return np.sum(np.where(np.abs(x) < 1, np.arcsin(x), 0.0))\n",
        [np.array([1.0, 0.5, -0.3])],
    ),
}


@pytest.mark.parametrize("name", sorted(GUARDED))
def test_a_where_guard_reaches_through_a_chain_of_gates(name):
    """`np.where(p > 0, p * np.log(p / q), 0.0)` at p == 0: the hand-written
    gradient is finite, bpgen's was NaN (the mask stopped at the product,
    whose inputs' shapes differ from the condition's)."""
    body, args = GUARDED[name]
    source = "import numpy as np\n\n\n" + body
    forward, backward = _pair(source)
    with np.errstate(all="ignore"):  # the forward's untaken branch
        grads = backward(1.0, forward(*args)[1])
    assert all(np.all(np.isfinite(g)) for g in grads)
    inside = [np.where(a == 0, 0.25, np.where(np.abs(a) >= 1, 0.5, a)) for a in args]
    check_gradients(source, inside)


FLOAT_LOSS = """import numpy as np


def objective(w, X, y):
    r = X @ w - y
    return float(0.5 * r @ r)
"""


def test_float_of_a_differentiated_value_is_a_gate():
    """scipy.optimize objectives `return float(loss)`: refused as dropping
    the gradient; it is the value itself, as a Python float."""
    rng = np.random.default_rng(0)
    args = [rng.standard_normal(3), rng.standard_normal((5, 3)), rng.standard_normal(5)]
    check_gradients(FLOAT_LOSS, args)
    forward, backward = _pair(FLOAT_LOSS, wrt=["w"])
    out, cache = forward(*args)
    assert type(out) is float
    (dw,) = backward(1.0, cache)
    assert dw.shape == (3,)
    item = "import numpy as np\n\n\ndef f(x, y):\n    return float(x[1]) * y\n"
    check_gradients(item, [rng.standard_normal(3), rng.standard_normal(2)])


ASSERTS = """import numpy as np


def dropout_layer(X, dropout, mask):
    assert 0 <= dropout <= 1
    if dropout == 1:
        return np.zeros_like(X)
    return mask * X / (1.0 - dropout)


def rnn(xs, h0, W):
    assert xs.ndim == 2, "xs is (T, D)"
    h = h0
    for x in xs:
        assert x.shape[0] == W.shape[0]
        h = np.tanh(x @ W + h)
    return np.sum(h)
"""


def test_assert_statements_are_accepted():
    """d2l's layers start with `assert 0 <= dropout <= 1`: refused; a check
    computes nothing with a gradient, so it is accepted (see below)."""
    rng = np.random.default_rng(0)
    X, mask = rng.standard_normal((3, 4)), (rng.random((3, 4)) > 0.5) * 1.0
    check_gradients(ASSERTS, [X, 0.5, mask], "dropout_layer", ["X"])
    xs, h0 = rng.standard_normal((3, 2)), rng.standard_normal(4)
    check_gradients(ASSERTS, [xs, h0, rng.standard_normal((2, 4))], "rnn")


LOGISTIC = """import numpy as np


def logistic(x, r, n=5):
    for _ in range(n):
        x = r * x * (1 - x)
    return x
"""


def test_a_parameter_the_loop_assigns_again_keeps_its_kind():
    """`x = r * x * (1 - x)` in a loop: the backward handed dx out in the kind
    of the value the loop left in x (a float for a 0-d array x, float64 for
    a float32 x and a float64 r), not the argument's."""
    forward, backward = _pair(LOGISTIC)
    dx, dr = backward(1.0, forward(np.array(0.3), np.array(2.5))[1])
    assert isinstance(dx, np.ndarray) and dx.shape == () and dr.shape == ()
    x32 = np.array([0.3, 0.6], np.float32)
    dx, dr = backward(np.ones(2), forward(x32, np.float64(2.5))[1])
    assert dx.dtype == np.float32 and type(dr) is float
    check_gradients(LOGISTIC, [np.array([0.3, 0.6]), 2.5])


BATCHNORM_GAIN = """import numpy as np


def bn(g, b, W, x):
    h = x.reshape(x.shape[0], -1) @ W
    return np.sum((g * h + b) ** 2)
"""


def test_a_declared_name_of_size_1_that_meets_an_unknown_size_is_refused():
    """makemore's `bngain` of shape (1, H) declared "A H" while x is not
    declared: bpgen took A (never 1, as declared names are) for the size of
    g * (h - m), and dg came back (N, H). The forward now refuses size 1
    there, naming the argument and the axis; `1` is the way to declare it."""
    rng = np.random.default_rng(0)
    g, b = rng.standard_normal((1, 5)), rng.standard_normal((1, 5))
    W, x = rng.standard_normal((3, 5)), rng.standard_normal((4, 3))
    declared = {"g": "A D", "b": "A D", "W": "K D"}
    forward, _ = _pair(BATCHNORM_GAIN, shapes=declared)
    with pytest.raises(ValueError, match="g has size 1 on axis 0, declared A"):
        forward(g, b, W, x)
    ones = {"g": "1 D", "b": "1 D", "W": "K D"}
    check_gradients(BATCHNORM_GAIN, [g, b, W, x], shapes=ones)
    g4, b4 = rng.standard_normal((4, 5)), rng.standard_normal((4, 5))
    check_gradients(BATCHNORM_GAIN, [g4, b4, W, x], shapes=declared)


DECAY = """import math


def decay(x, t, tau):
    return x * math.exp(-t / tau)
"""


def test_pure_float_code_checks_its_0d_declarations_too():
    """Pure-float code imports no NumPy, so its 0-d declarations went
    unchecked: an array x declared "" got array gradients for the floats t
    and tau. The forward now raises, without NumPy."""
    forward, backward = _pair(DECAY, shapes={"x": "", "t": "", "tau": ""})
    with pytest.raises(ValueError, match="declared 0-d"):
        forward(np.arange(3.0), 0.5, 1.5)
    grads = backward(1.0, forward(0.7, 0.5, 1.5)[1])
    assert all(type(g) is float for g in grads)
    code = bpgen.generate(DECAY, shapes={"x": ""})
    assert "import numpy" not in code


def test_leading_asserts_on_parameters_stay_in_the_forward():
    """A careful person keeps the input check: an `assert` on parameters
    before anything is computed is the forward's first line; one that reads
    a computed value is left out, as `python -O` leaves it out."""
    code = bpgen.generate(ASSERTS, "dropout_layer", ["X"])
    forward = code[code.index("def dropout_layer_forward") :]
    assert forward.splitlines()[2] == "    assert 0 <= dropout <= 1"
    namespace: dict = {}
    exec(code, namespace)
    X = np.ones((2, 3))
    with pytest.raises(AssertionError):
        namespace["dropout_layer_forward"](X, 1.5, X)
    later = (
        "import numpy as np\n\n\ndef f(x):\n    y = x * 2\n"
        "    assert np.all(y > -10), 'y too small'\n    return np.sum(y)\n"
    )
    assert "assert" not in bpgen.generate(later, "f")
    renamed = "def f(x, y):\n    x = y\n    assert x > 0\n    return x * 2.0\n"
    assert "assert" not in bpgen.generate(renamed, "f")
