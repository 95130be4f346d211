"""Bugs the fourth hunt found (tests/realistic4.py), each with its minimal
reproduction, fixed."""

from __future__ import annotations

import numpy as np
import pytest

import bpgen
from bpgen.check import check_gradients, load
from bpgen.generate import default_wrt

ELU = """import numpy as np


def elu(z, alpha=1.0):
    return np.where(z > 0, z, alpha * (np.exp(z) - 1))
"""


def test_check_gradients_fills_in_defaults():
    """`alpha=1.0` is in the default wrt; the check varies it at its default
    when the call leaves it out (it raised IndexError)."""
    z = np.array([[-1.0, 0.5], [2.0, -0.3]])
    check_gradients(ELU, [z])
    check_gradients(ELU, [z, 0.7])


SCALED = """import numpy as np


def attention(q, k):
    scores = np.einsum('qd,kd->qk', q, k) / np.sqrt(q.shape[-1])
    return np.exp(scores - scores.max(-1, keepdims=True))
"""

BIGRAM = """import numpy as np


def loss(xs, W):
    logits = np.eye(5)[xs] @ W
    return np.sum(logits ** 2) + np.linalg.norm(W.T @ W - np.eye(W.shape[1]))
"""

GAMMALN = """import numpy as np
from scipy.special import gammaln


def nll(beta, X, counts):
    eta = X @ beta
    return -np.sum(counts * eta - np.exp(eta) - gammaln(counts + 1))
"""


RANKED = """import numpy as np


def ranked(x, y):
    s = np.sort(x)
    return np.sum(s * np.arange(1, x.size + 1)) + np.sum(x[np.arange(x.size) != y])
"""

SMOOTHED = """import numpy as np


def loss(logits, y, eps=0.1):
    n, k = logits.shape
    target = np.full((n, k), eps / (k - 1))
    target[np.arange(n), y] = 1.0 - eps
    return -(target * (logits - np.log(np.exp(logits).sum(1, keepdims=True)))).sum()
"""


@pytest.mark.parametrize(
    "source, make",
    [
        (SCALED, lambda rng, t: [rng.random((2, 3)).astype(t)] * 2),
        (BIGRAM, lambda rng, t: [np.array([0, 3, 1]), rng.random((5, 5)).astype(t)]),
        (
            GAMMALN,
            lambda rng, t: [
                rng.random(3).astype(t),
                rng.random((4, 3)).astype(t),
                np.array([0.0, 1.0, 2.0, 3.0], t),
            ],
        ),
        (SMOOTHED, lambda rng, t: [rng.random((3, 4)).astype(t), np.array([0, 3, 1])]),
        (RANKED, lambda rng, t: [rng.random(5).astype(t), 2]),
    ],
    ids=[
        "np_sqrt_of_a_size",
        "np_eye",
        "scipy_gammaln",
        "np_full_of_a_parameter",
        "int_arange_times_values",
    ],
)
def test_gradients_keep_float32_and_16_where_a_numpy_constant_upcasts(source, make):
    """A NumPy float64 scalar or array without gradient (`np.sqrt(d_k)`,
    `np.eye(n)`, an int64 `np.arange`) or a SciPy call makes the forward
    float64 for float32 arrays; the gradients of parameters read as arrays
    (`q.shape`, `@`) came out float64 too."""
    rng = np.random.default_rng(0)
    name = {SCALED: "attention", GAMMALN: "nll", RANKED: "ranked"}.get(source, "loss")
    wrt = ["logits"] if source is SMOOTHED else None  # eps: a hyperparameter
    check_gradients(source, make(rng, np.float64), wrt=wrt)
    forward, backward = load(bpgen.generate(source, name, wrt), name)
    for dtype in (np.float16, np.float32):  # gammaln of float16 is float32
        out, cache = forward(*make(rng, dtype))
        for grad in backward(np.ones_like(out), cache):
            assert grad.dtype == dtype


SOFTMAX_DIM = """import numpy as np


def softmax(X, dim=-1):
    e_X = np.exp(X - np.max(X, axis=dim, keepdims=True))
    return e_X / e_X.sum(axis=dim, keepdims=True)
"""


def test_axis_from_a_parameter_is_refused_naming_the_parameter():
    """numpy-ml's softmax(X, dim=-1): the refusal said the axis was "computed
    from values being differentiated"; it is the parameter `dim`."""
    with pytest.raises(bpgen.BpgenError) as caught:
        bpgen.generate(SOFTMAX_DIM, filename="layers.py")
    message = str(caught.value)
    assert message.startswith("layers.py:5:22: error: `axis=` must be written as a")
    assert "not read from the parameter `dim`" in message
    assert "differentiated" not in message and "AXIS" in message


REDUCTION = """import numpy as np


def loss(pred, target, weights=None, reduction='mean'):
    err = (pred - target) ** 2
    if weights is not None:
        err = err * weights
    if reduction == 'mean':
        return err.mean()
    elif reduction == 'sum':
        return err.sum()
    return err
"""

PIECEWISE = """import numpy as np


def piecewise(x, t):
    s = np.sum(x * t)
    if s > 1.0:
        return s * 2.0
    elif s < -1.0:
        return -s
    return s ** 2
"""


def test_early_returns_in_an_elif_chain():
    """`if ...: return a` / `elif ...: return b` / `return c` (numpy-ml's
    `reduction=`) was refused as "`return` in only one branch of an `if`":
    the statements after the chain are its `else:`, as after a lone `if`."""
    rng = np.random.default_rng(0)
    pred, target, w = rng.standard_normal((3, 4))
    check_gradients(REDUCTION, [pred, target], wrt=["pred"])
    for reduction in ("mean", "sum", "none"):
        check_gradients(REDUCTION, [pred, target, w, reduction], wrt=["pred"])
    for v in (2.0, -2.0, 0.3):  # each branch at run time
        check_gradients(PIECEWISE, [np.array([v / 2, v / 2]), np.ones(2)])


CROSS_ENTROPY = """import numpy as np


def cross_entropy(y, y_pred):
    eps = np.finfo(float).eps
    tiny = np.finfo(y_pred.dtype).tiny
    return -np.sum(y * np.log(y_pred + eps)) + tiny * np.sum(y_pred)
"""


def test_machine_limits_are_constants():
    """numpy-ml's `eps = np.finfo(float).eps` was refused as "`numpy.finfo`
    is not a function bpgen can differentiate"."""
    rng = np.random.default_rng(0)
    y = np.eye(3)[[0, 2, 1, 1]]
    check_gradients(CROSS_ENTROPY, [y, rng.uniform(0.1, 0.9, (4, 3))])
    with pytest.raises(bpgen.BpgenError, match="`.bits` is not a machine limit"):
        bpgen.generate(CROSS_ENTROPY.replace(").tiny", ").bits"))


MHA = """import math

import numpy as np


def mha(x, Wqkv, n_head=2):
    B, T, C = x.shape
    qkv = x @ Wqkv
    q, k, v = np.split(qkv, 3, axis=-1)
    hs = C // n_head
    q = q.reshape(B, T, n_head, hs).transpose(0, 2, 1, 3)
    k = k.reshape(B, T, n_head, hs).transpose(0, 2, 1, 3)
    att = q @ k.transpose(0, 1, 3, 2) / math.sqrt(hs)
    return np.sum(att ** 2)
"""


def test_an_int_parameter_used_as_a_size_is_left_out_of_the_default_wrt():
    """`hs = C // n_head` with `n_head=2`: refused as "`C // n_head` has no
    gradient" because the default wrt took the int `n_head` for a value to
    differentiate; an int parameter (default or annotation) used where no
    gradient flows is a size. A parameter without int default still gets
    the refusal, and so does an explicit wrt naming it."""
    rng = np.random.default_rng(0)
    assert default_wrt(MHA) == ["x", "Wqkv"]
    check_gradients(MHA, [rng.standard_normal((2, 3, 4)), rng.standard_normal((4, 12))])
    with pytest.raises(bpgen.BpgenError, match="`C // n_head` has no gradient"):
        bpgen.generate(MHA, wrt=["x", "n_head"])
    with pytest.raises(bpgen.BpgenError, match="`x // 2` has no gradient"):
        bpgen.generate("import numpy as np\n\n\ndef f(x):\n    return x // 2 + x\n")


FULL_FILL = """import numpy as np


def f(x, c):
    t = np.full((3,), c)
    t[0] = 1.0 - c
    return np.sum(t * x)
"""


def test_np_full_of_a_differentiated_fill_value_is_refused():
    """np.full(shape, c) and np.full_like(a, c) were taken for builders
    without gradient, so c's gradient through the fill was dropped: wrong dc
    (label smoothing's `np.full((n, k), eps / (k - 1))`), or c silently left
    out of the default wrt. Refused, located, with the product that works."""
    with pytest.raises(bpgen.BpgenError, match="`full\\(\\)` of a value") as caught:
        bpgen.generate(FULL_FILL, filename="m.py")
    assert str(caught.value).startswith("m.py:5:9: ")
    like = FULL_FILL.replace("np.full((3,), c)", "np.full_like(x, fill_value=c)")
    with pytest.raises(bpgen.BpgenError, match="c \\* np.ones_like"):
        bpgen.generate(like)
    x = np.array([0.3, -0.2, 0.5])
    check_gradients(FULL_FILL.replace("np.full((3,), c)", "c * np.ones(3)"), [x, 0.7])
    check_gradients(
        FULL_FILL.replace("np.full((3,), c)", "np.full_like(x, 2.0)"), [x, 0.7]
    )


GRID = """import numpy as np


def f(x, L):
    g = np.linspace(0.0, L, 3)
    return np.sum(g * x) + L
"""


def test_linspace_and_arange_of_differentiated_end_points_are_refused():
    """np.linspace(0.0, L, n) was a builder without gradient: dL missed the
    grid's part (a wrong gradient when L is also used elsewhere, else L
    silently out of the default wrt). So was np.arange(t0, t1, dt) in t0 and
    dt. A count (np.arange(n)) and a stop still carry no gradient."""
    with pytest.raises(bpgen.BpgenError, match="`linspace\\(\\)` of a value"):
        bpgen.generate(GRID)
    arange = GRID.replace("np.linspace(0.0, L, 3)", "np.arange(0.0, 1.0, L)")
    with pytest.raises(bpgen.BpgenError, match="`arange\\(\\)` of a value"):
        bpgen.generate(arange)
    x = np.array([0.3, -0.2, 0.5])
    unit = GRID.replace("np.linspace(0.0, L, 3)", "L * np.linspace(0.0, 1.0, 3)")
    check_gradients(unit, [x, 0.7])
    count = GRID.replace("np.linspace(0.0, L, 3)", "np.arange(3) + np.arange(0, 3)")
    check_gradients(count, [x, 0.7])


KEYWORD_ONLY = """import numpy as np


def scaled(x, *, scale=2.0, shift=0.0):
    return x * scale + shift


def f(x, s):
    return np.sum(scaled(x, scale=s) ** 2) + np.sum(scaled(x, shift=s))
"""


@pytest.mark.parametrize("inline", [False, True])
def test_a_helper_with_keyword_only_parameters(inline):
    """`def scaled(x, *, scale=2.0)`: the bare `*` was refused as "takes
    *args or **kwargs"; keyword-only parameters bind like the others."""
    options = bpgen.Options(inline_helpers=inline)
    x = np.array([0.3, -0.2, 0.5])
    check_gradients(KEYWORD_ONLY, [x, 0.7], "f", options=options)
    with pytest.raises(bpgen.BpgenError, match="takes \\*args or \\*\\*kwargs"):
        bpgen.generate(KEYWORD_ONLY.replace("*, scale", "*rest, scale"), "f")


def test_einsum_of_three_operands_says_how_to_split_it():
    """`np.einsum('i,j,ij->', x, y, W)` was refused as "too many arguments
    for this call" with the rule's parameter names as the only hint."""
    source = "import numpy as np\n\n\ndef f(x, y, W):\n"
    with pytest.raises(bpgen.BpgenError) as caught:
        bpgen.generate(source + "    return np.einsum('i,j,ij->', x, y, W)\n")
    assert "np.einsum takes one or two operands here" in str(caught.value)
    assert str(caught.value).startswith("<source>:5:12: ")
    rng = np.random.default_rng(0)
    split = "    return np.einsum('i,i->', x, np.einsum('j,ij->i', y, W))\n"
    args = [rng.standard_normal(3), rng.standard_normal(4), rng.standard_normal((3, 4))]
    check_gradients(source + split, args)
