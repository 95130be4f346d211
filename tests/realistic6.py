# ruff: noqa: E501
"""Realistic programs, sixth round: code as people paste it.

Modules with a docstring, imports, constants, type hints (`x: np.ndarray`,
`-> float`), comments and helpers calling helpers; `N, D = x.shape`,
`float(N)`, `x.reshape(N, -1)`, `x[:, None]`, `np.newaxis`, negative indices,
slices with steps, boolean masks, repeated fancy indices, `np.take`,
`np.split`, `np.pad`, `np.cumsum`, `np.diff`, `np.kron`, `np.trace`,
`np.linalg`, einsum with an ellipsis, `np.tile`/`repeat`/`flip`/`roll`,
`np.sort`, ties in `np.maximum`; loops and branches the way users write them
(an LSTM unrolled over `range(T)`, `while` with a tolerance, a `train=True`
flag, early `return`, `enumerate`, `zip`, a list then `np.stack`), declared
shapes on flow code. Checked by tests/test_realistic_flow.py with
tests/test_realistic.py's classifier.
"""

from __future__ import annotations

import numpy as np
from realistic import WHERE_NAN, A, F, K, L, N, Program, U, registrar
from realistic4 import D
from realistic5 import INT, Z

PROGRAMS6: list[Program] = []
P = registrar(PROGRAMS6)

TYPED = '"""Layers for a small classifier."""\nfrom __future__ import annotations\n\nimport numpy as np\n\n\n'
TYPING = "from typing import Optional, Tuple\n\nimport numpy as np\n\n\n"
NPT = "import numpy as np\nimport numpy.typing as npt\n\n\n"
SHAPED = "from __future__ import annotations\n\nfrom typing import TYPE_CHECKING\n\nimport numpy as np\n\nif TYPE_CHECKING:\n    from jaxtyping import Float\n\n\n"
ASTYPE_INT = "autograd passes the gradient through x.astype(int), a step function"
NORM_KEEPDIMS = (
    "autograd's norm backward with axis= and keepdims=True returns a (N, N, D) gradient"
)

# fmt: off
# -- pasted modules: docstrings, type hints, comments, helpers ---------------------------
P("typed_affine_softmax", '''
def affine(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Affine layer: flattens each example to a row first."""
    N = x.shape[0]
    return x.reshape(N, -1) @ w + b  # (N, M)


def softmax_loss(scores: np.ndarray, y: np.ndarray) -> float:
    """Mean cross-entropy of integer labels `y`."""
    N, C = scores.shape
    shifted = scores - scores.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return -log_probs[np.arange(N), y].sum() / float(N)


def loss(x: np.ndarray, w: np.ndarray, b: np.ndarray, y: np.ndarray) -> float:
    scores = affine(x, w, b)
    return softmax_loss(scores, y)
''', N(4, 2, 3), N(6, 5), N(5), L(4, 5), function="loss", header=TYPED, expect_wrt=["x", "w", "b"])
P("typed_two_layer_reg", '''
REG = 1e-3


def relu(x: np.ndarray) -> np.ndarray:
    # ReLU nonlinearity
    return np.maximum(0, x)


def two_layer(X: np.ndarray, W1: np.ndarray, b1: np.ndarray, W2: np.ndarray, b2: np.ndarray, y: np.ndarray) -> float:
    """Two-layer net, softmax loss plus L2 on the weights."""
    N, D = X.shape
    h = relu(X.dot(W1) + b1)
    scores = h.dot(W2) + b2
    scores -= np.max(scores, axis=1, keepdims=True)
    probs = np.exp(scores)
    probs /= np.sum(probs, axis=1, keepdims=True)
    data_loss = -np.sum(np.log(probs[range(N), y])) / N
    reg_loss = 0.5 * REG * (np.sum(W1 * W1) + np.sum(W2 * W2))
    return data_loss + reg_loss
''', N(5, 4), N(4, 6), A(6), N(6, 3), N(3), L(5, 3), function="two_layer", header=TYPED)
P("typing_optional_tuple_out", '''
def forward(x: np.ndarray, w: np.ndarray, mask: Optional[np.ndarray] = None) -> Tuple[float, np.ndarray]:
    z = np.tanh(x @ w)
    if mask is not None:
        z = z * mask
    return float(np.sum(z ** 2)), z
''', N(3, 4), N(4, 2), K(None), wrt=["x", "w"], header=TYPING)
P("npt_arraylike_annotations", '''
def mse(pred: npt.NDArray[np.float64], target: npt.NDArray[np.float64]) -> float:
    diff = pred - target
    return float(np.mean(diff ** 2))
''', N(6), N(6), header=NPT)
P("float_annotation_param", '''
def l2_loss(w: np.ndarray, lam: float = 0.1) -> float:
    return lam * float(np.linalg.norm(w)) ** 2
''', N(4, 3), F(0.3))
P("helpers_three_deep", '''
def sigmoid(z):
    """Logistic function."""
    return 1.0 / (1.0 + np.exp(-z))


def gate(x, W, b):
    return sigmoid(x @ W + b)


def glu(x, W, b, V, c):
    return gate(x, W, b) * (x @ V + c)


def model(x, W, b, V, c):
    return np.mean(glu(x, W, b, V, c) ** 2)
''', N(4, 3), N(3, 5), N(5), N(3, 5), N(5), function="model")
P("helper_with_int_arg_reshape", '''
def flatten(x: np.ndarray, n: int) -> np.ndarray:
    return x.reshape(n, -1)


def loss(x, W):
    N = x.shape[0]
    return np.sum(np.tanh(flatten(x, N) @ W))
''', N(3, 2, 2), N(4, 5), function="loss")
P("docstring_then_asserts", '''
def cosine_loss(a: np.ndarray, b: np.ndarray) -> float:
    """1 - cosine similarity, averaged over rows.

    a, b: (N, D)
    """
    assert a.shape == b.shape, "shape mismatch"
    num = np.sum(a * b, axis=-1)
    den = np.linalg.norm(a, axis=-1) * np.linalg.norm(b, axis=-1)
    return float(np.mean(1.0 - num / den))
''', N(4, 3), N(4, 3))
# -- indexing corners -------------------------------------------------------------------
P("none_column_broadcast", """
def pairwise_sq(x):
    return np.sum((x[:, None, :] - x[None, :, :]) ** 2)
""", N(4, 3))
P("newaxis_outer_scale", """
def scaled(x, s):
    return np.sum(x[:, np.newaxis] * s[np.newaxis, :] * x[np.newaxis, :])
""", N(4), N(4))
P("negative_index_last_row", """
def last_minus_first(H):
    return np.sum((H[-1] - H[0]) ** 2) + H[-2, -1] * 3.0
""", N(4, 3))
P("step_slices_even_odd", """
def even_odd(x):
    return np.sum(x[::2] * x[1::2]) + np.sum(x[::-3])
""", N(8))
P("step_slices_2d", """
def checker(X):
    return np.sum(X[::2, 1::2] ** 2) - np.sum(X[1::2, ::2])
""", N(5, 4))
P("bool_mask_param_select", """
def masked_mean(x, mask):
    return x[mask].sum() / max(mask.sum(), 1)
""", N(6), lambda rng: np.array([True, False, True, True, False, True]), expect_wrt=["x"])
P("bool_mask_computed_2d", """
def positive_sq(x):
    pos = x > 0
    return np.sum(x[pos] ** 2) + np.sum(np.abs(x[~pos]))
""", A(3, 4))
P("embedding_repeated_indices", """
def embed_loss(W, idx):
    E = W[idx]
    return np.sum(E ** 2) + np.sum(E[0] * E[-1])
""", N(5, 3), K(np.array([1, 3, 1, 1, 4])), expect_wrt=["W"])
P("np_take_repeated", """
def take_loss(W, idx):
    rows = np.take(W, idx, axis=0)
    return np.sum(np.tanh(rows))
""", N(5, 3), K(np.array([0, 2, 2, 4, 0])), expect_wrt=["W"])
P("np_take_flat", """
def take_flat(x, idx):
    return np.sum(np.take(x, idx) ** 2)
""", N(3, 4), K(np.array([0, 5, 5, 11])), expect_wrt=["x"])
P("fancy_2d_pairs_repeat", """
def pick(x):
    rows = np.array([0, 1, 1, 2])
    cols = np.array([2, 0, 0, 1])
    return np.sum(x[rows, cols] ** 3)
""", N(3, 3))
P("np_add_at_scatter", """
def scatter_loss(v, idx):
    out = np.zeros(4)
    np.add.at(out, idx, v)
    return np.sum(out ** 2)
""", N(5), K(np.array([0, 1, 1, 3, 0])), expect_wrt=["v"])
# -- array functions ----------------------------------------------------------------------
P("concatenate_axis_neg1", """
def cat(a, b, W):
    h = np.concatenate([a, b], axis=-1)
    return np.sum(np.tanh(h @ W))
""", N(3, 2), N(3, 4), N(6, 2))
P("split_three_axis1", """
def gates(z):
    i, f, o = np.split(z, 3, axis=1)
    return np.sum(np.tanh(i) * f + o ** 2)
""", N(2, 9))
P("pad_constant_2d", """
def padded_sum(x):
    xp = np.pad(x, ((1, 1), (2, 0)), mode="constant")
    return np.sum(xp[:-1, 1:] * xp[1:, :-1])
""", N(3, 3))
P("cumsum_diff_chain", """
def tv(x):
    c = np.cumsum(x)
    return np.sum(np.abs(np.diff(c))) + np.sum(np.diff(x, n=2) ** 2)
""", A(6))
P("cumsum_axis0_2d", """
def cum(X):
    return np.sum(np.cumsum(X, axis=0) ** 2)
""", N(4, 3))
P("outer_trace_kron", """
def mix(u, v, A):
    M = np.outer(u, v)
    return np.trace(M @ A) + np.sum(np.kron(A, M))
""", N(3), N(3), N(3, 3))
P("det_inv_solve", """
def stuff(A, b):
    S = A @ A.T + np.eye(3)
    return np.linalg.det(S) + np.sum(np.linalg.inv(S)) + np.sum(np.linalg.solve(S, b))
""", N(3, 3), N(3))
P("einsum_ellipsis_matmul", """
def bmm(x, W):
    return np.sum(np.einsum("...ij,jk->...ik", x, W) ** 2)
""", N(2, 3, 4), N(4, 2))
P("einsum_ellipsis_trace", """
def btrace(x):
    return np.sum(np.einsum("...ii->...", x) ** 2)
""", N(2, 3, 3))
P("tile_repeat_flip_roll", """
def shuffle(x):
    t = np.tile(x, (2, 1))
    r = np.repeat(x, 2, axis=1)
    return np.sum(t[:, ::-1] * np.flip(np.roll(r[:, :3], 1, axis=0), axis=1)[: t.shape[0] // 2].sum())
""", N(2, 3))
P("sort_then_weights", """
def ordered(x):
    s = np.sort(x)
    w = np.arange(1, x.shape[0] + 1)
    return np.sum(w * s)
""", N(5))
P("clip_sign_abs", """
def robust(x, y):
    r = np.clip(x - y, -1.0, 1.0)
    return np.sum(np.sign(x) * r ** 2) + np.abs(x).sum()
""", A(6), N(6))
P("maximum_ties_self", """
def envelope(x, w):
    # np.abs(x) ties x wherever x > 0: the two routes must add up to one
    return np.sum(np.maximum(x, np.abs(x)) * w) + np.sum(np.minimum(x * w, x * w))
""", A(6), N(6))
P("norm_rows_keepdims", """
def normalize_rows(X):
    return np.sum(X / np.linalg.norm(X, axis=1, keepdims=True) * np.arange(3.0))
""", N(4, 3), autograd_wrong=NORM_KEEPDIMS)
P("transpose_T_chain", """
def gram_loss(X):
    G = X.T @ X
    return np.sum((G - np.eye(G.shape[0])) ** 2)
""", N(5, 3))
P("mean_axis_neg1_keepdims", """
def center(x):
    mu = x.mean(axis=-1, keepdims=True)
    var = ((x - mu) ** 2).mean(axis=-1, keepdims=True)
    return np.sum((x - mu) / np.sqrt(var + 1e-5) * np.linspace(0.5, 1.5, x.shape[-1]))
""", N(2, 3, 4))
# -- loops and branches -------------------------------------------------------------------------
P("lstm_unrolled_range_T", """
def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def lstm(xs, h0, Wx, Wh, b):
    N, T, D = xs.shape
    H = h0.shape[1]
    h = h0
    c = np.zeros_like(h0)
    hs = []
    for t in range(T):
        a = xs[:, t, :] @ Wx + h @ Wh + b
        i = sigmoid(a[:, :H])
        f = sigmoid(a[:, H:2 * H])
        o = sigmoid(a[:, 2 * H:3 * H])
        g = np.tanh(a[:, 3 * H:])
        c = f * c + i * g
        h = o * np.tanh(c)
        hs.append(h)
    out = np.stack(hs, axis=1)
    return np.sum(out ** 2)
""", N(2, 3, 4), N(2, 3), N(4, 12), N(3, 12), N(12), function="lstm")
P("while_tolerance_fixed_point", """
def fixed_point(a, x0):
    x = x0
    delta = 1.0
    it = 0
    while delta > 1e-10 and it < 100:
        x_new = 0.5 * (x + a / x)
        delta = abs(x_new - x)
        x = x_new
        it += 1
    return x
""", F(2.0), F(1.0), wrt=["a"])
P("train_flag_dropout_scale", """
def layer(x, W, train=True, p=0.5):
    h = np.maximum(x @ W, 0)
    if train:
        h = h * p
    else:
        h = h * 1.0
    return h.sum()
""", N(3, 4), A(4, 2), K(True), wrt=["x", "W"])
P("train_flag_false", """
def layer(x, W, train=True):
    h = np.tanh(x @ W)
    if not train:
        return h.sum()
    return (h ** 2).sum()
""", N(3, 4), N(4, 2), K(False), wrt=["x", "W"])
P("if_on_ndim", """
def flex(x, w):
    if x.ndim == 1:
        x = x[None, :]
    return np.sum(np.tanh(x @ w))
""", N(4), N(4, 2))
P("enumerate_layers_list", """
def mlp(x, Ws):
    h = x
    for i, W in enumerate(Ws):
        h = h @ W
        if i < len(Ws) - 1:
            h = np.tanh(h)
    return np.sum(h ** 2)
""", N(3, 4), lambda rng: [rng.standard_normal((4, 5)), rng.standard_normal((5, 2))], wrt=["x"])
P("zip_preds_targets", """
def total(preds, targets, w):
    loss = 0.0
    for p, t in zip(preds, targets):
        loss += w * (p - t) ** 2
    return np.sum(loss)
""", N(4, 3), N(4, 3), N(3), wrt=["preds", "w"])
P("list_then_stack_axis0", """
def rnn(x, Wx, Wh):
    T = x.shape[0]
    h = np.zeros(Wh.shape[0])
    hs = []
    for t in range(T):
        h = np.tanh(x[t] @ Wx + h @ Wh)
        hs.append(h)
    H = np.stack(hs)
    return np.sum(H[-1]) + np.mean(H ** 2)
""", N(4, 3), N(3, 5), N(5, 5))
P("early_return_if_small", """
def safe_norm(x):
    n = np.sqrt(np.sum(x ** 2))
    if n < 1e-8:
        return 0.0
    return n
""", N(4))
P("dict_accumulate_losses", """
def losses(x, W):
    out = {}
    out["l2"] = np.sum(W ** 2)
    out["data"] = np.sum((x @ W) ** 2)
    return out["l2"] + out["data"]
""", N(3, 4), N(4, 2))
P("grad_descent_while_tol", """
def refine(w, A, b):
    x = np.zeros(A.shape[1])
    step = 0
    while step < 5:
        r = A @ x - b
        x = x - 0.1 * (A.T @ r) * w
        step += 1
    return np.sum(x ** 2)
""", N(3), N(4, 3), N(4))
# -- contract corners -------------------------------------------------------------------------
P("int_arg_exponent", """
def powsum(x, k: int = 3):
    # an `int` annotation is a float's kind to bpgen: k gets a float gradient
    return np.sum(x ** k)
""", U(0.5, 1.5, 4), INT(3))
P("float32_concat_split", """
def f(a, b):
    h = np.concatenate([a, b])
    u, v = np.split(h, 2)
    return np.sum(u * v)
""", D(np.float32, 4), D(np.float32, 4))
P("zero_d_scale_stack", """
def f(s, x):
    return np.sum(np.stack([s * x, x / s]) ** 2)
""", Z(0.7), N(3))
P("wrt_subset_helper", """
def dense(x, W, b):
    return x @ W + b


def net(x, W, b, scale):
    return scale * np.sum(np.tanh(dense(x, W, b)))
""", N(3, 4), N(4, 2), N(2), F(0.5), wrt=["W", "scale"], function="net")
P("returns_param_slice_and_sum", """
def f(x, w):
    return x[1:], np.sum(x * w)
""", N(4), N(4))
# -- flow code with declared shapes (jaxtyping's spelling) -----------------------------
P("shaped_rnn_loop_T", '''
def rnn(
    x: Float[np.ndarray, "N T D"],
    h0: Float[np.ndarray, "N H"],
    Wx: Float[np.ndarray, "D H"],
    Wh: Float[np.ndarray, "H H"],
    b: Float[np.ndarray, "H"],
) -> float:
    N, T, D = x.shape
    h = h0
    hs = []
    for t in range(T):
        h = np.tanh(x[:, t, :] @ Wx + h @ Wh + b)
        hs.append(h)
    return np.sum(np.stack(hs, axis=1) ** 2)
''', N(2, 3, 4), N(2, 5), N(4, 5), N(5, 5), N(5), header=SHAPED)
P("shaped_while_decay", '''
def decay(x: Float[np.ndarray, "D"], rate: Float[np.ndarray, ""]) -> float:
    y = x
    n = 0
    while n < 4:
        y = y * rate + 0.1
        n += 1
    return np.sum(y ** 2)
''', N(4), Z(0.8), header=SHAPED)
P("shaped_branch_on_flag", '''
def layer(x: Float[np.ndarray, "N D"], W: Float[np.ndarray, "D M"], train: bool = True) -> float:
    h = x @ W
    if train:
        h = np.maximum(h, 0.0)
    return np.mean(h ** 2)
''', N(3, 4), A(4, 2), K(True), wrt=["x", "W"], header=SHAPED)
P("shaped_broadcast_bias_loop", '''
def f(x: Float[np.ndarray, "N D"], b: Float[np.ndarray, "1 D"], s: Float[np.ndarray, "D"]) -> float:
    acc = 0.0
    for i in range(3):
        acc = acc + np.sum((x + b * i) * s)
    return acc
''', N(3, 4), N(1, 4), N(4), header=SHAPED)
# -- loops as users write them ------------------------------------------------------------------
P("reversed_range_backprop_style", """
def reverse_scan(x, w):
    T = x.shape[0]
    h = np.zeros_like(w)
    for t in reversed(range(T)):
        h = np.tanh(w * h + x[t])
    return np.sum(h)
""", N(4, 3), N(3))
P("range_down_step", """
def down(x, w):
    s = 0.0
    for t in range(x.shape[0] - 1, -1, -1):
        s = s * 0.9 + np.sum(x[t] * w)
    return s
""", N(5, 2), N(2))
P("zip_weights_biases", """
def mlp(x, W1, b1, W2, b2):
    h = x
    for W, b in zip([W1, W2], [b1, b2]):
        h = np.tanh(h @ W + b)
    return np.sum(h)
""", N(3, 4), N(4, 5), N(5), N(5, 2), N(2))
P("enumerate_zip_losses", """
def weighted(preds, targets, weights):
    total = 0.0
    for i, (p, t) in enumerate(zip(preds, targets)):
        total = total + weights[i] * np.sum((p - t) ** 2)
    return total
""", N(3, 2), N(3, 2), N(3), wrt=["preds", "weights"])
P("while_true_break_counter", """
def iterate(x, a):
    y = x
    k = 0
    while True:
        y = np.sin(a * y) + x
        k += 1
        if k >= 3:
            break
    return np.sum(y)
""", N(4), F(0.7))
P("mode_string_arg", """
def batchnorm(x, gamma, beta, mode="train"):
    if mode == "train":
        mu = x.mean(axis=0)
        var = x.var(axis=0)
    else:
        mu = 0.0
        var = 1.0
    xhat = (x - mu) / np.sqrt(var + 1e-5)
    return np.sum((gamma * xhat + beta) ** 2)
""", N(5, 3), N(3), N(3), K("train"), wrt=["x", "gamma", "beta"])
P("mode_string_arg_test", """
def batchnorm(x, gamma, beta, mode="train"):
    if mode == "train":
        mu = x.mean(axis=0)
        var = x.var(axis=0)
    else:
        mu = 0.0
        var = 1.0
    xhat = (x - mu) / np.sqrt(var + 1e-5)
    return np.sum((gamma * xhat + beta) ** 2)
""", N(5, 3), N(3), N(3), K("test"), wrt=["x", "gamma", "beta"])
P("gru_helper_loop", """
def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def gru_step(x, h, Wz, Uz, Wr, Ur, Wh, Uh):
    z = sigmoid(x @ Wz + h @ Uz)
    r = sigmoid(x @ Wr + h @ Ur)
    hh = np.tanh(x @ Wh + (r * h) @ Uh)
    return (1 - z) * h + z * hh


def gru(xs, h0, Wz, Uz, Wr, Ur, Wh, Uh):
    h = h0
    for t in range(xs.shape[1]):
        h = gru_step(xs[:, t], h, Wz, Uz, Wr, Ur, Wh, Uh)
    return np.sum(h ** 2)
""", N(2, 3, 4), N(2, 3), N(4, 3), N(3, 3), N(4, 3), N(3, 3), N(4, 3), N(3, 3), function="gru")
P("seq_loss_list_of_logits", """
def seq_loss(h0, Wh, Wy, ys):
    h = h0
    loss = 0.0
    for t, y in enumerate(ys):
        h = np.tanh(h @ Wh)
        logits = h @ Wy
        logits = logits - logits.max()
        loss -= logits[y] - np.log(np.sum(np.exp(logits)))
    return loss / len(ys)
""", N(4), N(4, 4), N(4, 3), K([0, 2, 1]), expect_wrt=["h0", "Wh", "Wy"])
P("early_return_in_loop_converged", """
def power(A, v):
    for i in range(20):
        w = A @ v
        w = w / np.linalg.norm(w)
        if np.abs(w - v).max() < 1e-12:
            return w @ A @ w
        v = w
    return v @ A @ v
""", lambda rng: (lambda a: a @ a.T + np.diag([4.0, 2.0, 1.0]))(rng.standard_normal((3, 3)) * 0.1), N(3))
P("loop_builds_list_concatenate", """
def features(x, W):
    parts = []
    for k in range(1, 4):
        parts.append(np.tanh(x * k) @ W)
    return np.sum(np.concatenate(parts, axis=-1) ** 2)
""", N(3, 4), N(4, 2))
P("nested_loop_conv1d_dict", """
def conv1d(x, w, conv_param):
    stride = conv_param["stride"]
    N, L = x.shape
    K = w.shape[0]
    Lout = (L - K) // stride + 1
    out = np.zeros((N, Lout))
    for n in range(N):
        for i in range(Lout):
            out[n, i] = np.sum(x[n, i * stride:i * stride + K] * w)
    return np.sum(out ** 2)
""", N(2, 7), N(3), K({"stride": 2}), expect_wrt=["x", "w"])
P("loop_inplace_cumulative", """
def cum(x):
    y = np.zeros_like(x)
    y[0] = x[0]
    for i in range(1, x.shape[0]):
        y[i] = y[i - 1] * 0.5 + x[i]
    return np.sum(y ** 2)
""", N(5))
P("loop_step_slices", """
def pairs(x, w):
    s = 0.0
    for i in range(0, x.shape[0] - 1, 2):
        s = s + w * x[i] * x[i + 1]
    return s
""", N(6), F(0.5))
P("branch_in_loop_on_index", """
def alternating(x, a, b):
    total = 0.0
    for i in range(len(x)):
        if i % 2 == 0:
            total += a * x[i] ** 2
        else:
            total += b * np.sin(x[i])
    return total
""", N(5), F(0.3), F(1.2))
P("dict_params_loop_layers", """
def net(x, params):
    h = x
    for i in range(2):
        h = np.tanh(h @ params["W%d" % i] + params["b%d" % i])
    return np.sum(h)
""", N(3, 4), lambda rng: {"W0": rng.standard_normal((4, 5)), "b0": rng.standard_normal(5), "W1": rng.standard_normal((5, 2)), "b1": rng.standard_normal(2)}, wrt=["x"])
P("list_of_arrays_param_stack", """
def stack_loss(xs, w):
    H = np.stack(xs)
    return np.sum(np.tanh(H @ w))
""", lambda rng: [rng.standard_normal(3) for _ in range(4)], N(3), wrt=["w"])
P("attention_loop_over_heads_split", """
def softmax(z):
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def mha(x, Wq, Wk, Wv, n_head=2):
    T, C = x.shape
    q, k, v = x @ Wq, x @ Wk, x @ Wv
    hs = C // n_head
    outs = []
    for h in range(n_head):
        sl = slice(h * hs, (h + 1) * hs)
        att = softmax(q[:, sl] @ k[:, sl].T / np.sqrt(hs))
        outs.append(att @ v[:, sl])
    return np.sum(np.concatenate(outs, axis=1) ** 2)
""", N(3, 4), N(4, 4), N(4, 4), N(4, 4), function="mha", wrt=["x", "Wq", "Wk", "Wv"])
P("while_tolerance_newton_array", """
def newton_sqrt(a):
    x = np.ones_like(a)
    err = 1.0
    while err > 1e-12:
        x_new = 0.5 * (x + a / x)
        err = np.max(np.abs(x_new - x))
        x = x_new
    return np.sum(x)
""", U(0.5, 3.0, 4))
P("stack_axis_neg1_in_loop", """
def rollout(x0, A, steps=3):
    x = x0
    traj = [x]
    for _ in range(steps):
        x = np.tanh(A @ x)
        traj.append(x)
    X = np.stack(traj, axis=-1)
    return np.sum(X[:, 1:] * X[:, :-1])
""", N(3), N(3, 3), wrt=["x0", "A"])
P("lstm_cs231n_helper_cache_tuple", """
def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b):
    H = prev_h.shape[1]
    a = x.dot(Wx) + prev_h.dot(Wh) + b
    i = sigmoid(a[:, :H])
    f = sigmoid(a[:, H:2 * H])
    o = sigmoid(a[:, 2 * H:3 * H])
    g = np.tanh(a[:, 3 * H:])
    next_c = f * prev_c + i * g
    next_h = o * np.tanh(next_c)
    return next_h, next_c


def lstm_loss(x, h0, Wx, Wh, b):
    N, T, D = x.shape
    h = h0
    c = np.zeros_like(h0)
    loss = 0.0
    for t in range(T):
        h, c = lstm_step_forward(x[:, t, :], h, c, Wx, Wh, b)
        loss += np.sum(h)
    return loss
""", N(2, 3, 4), N(2, 3), N(4, 12), N(3, 12), N(12), function="lstm_loss")
# -- more pasted corners ---------------------------------------------------------------
P("conv_input_reshape_n_minus1", '''
def fc_from_conv(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    N, C, H, W = x.shape
    out = x.reshape(N, -1).dot(w) + b
    return np.sum(np.maximum(out, 0) ** 2)
''', N(2, 2, 3, 3), N(18, 4), A(4))
P("ellipsis_step_slice", """
def odd_channels(x):
    return np.sum(x[..., ::2] ** 2) - np.sum(x[..., 1::2])
""", N(2, 3, 6))
P("negative_second_axis", """
def last_col(x, w):
    return np.sum(x[:, -1] * w) + np.sum(x[-1, :, None] * w[None, :2])
""", N(3, 3), N(3))
P("intermediate_repeated_gather", """
def gather(x, W, idx):
    h = np.tanh(x @ W)
    return np.sum(h[idx, :] ** 2)
""", N(4, 3), N(3, 2), K(np.array([0, 0, 3, 1, 3])), expect_wrt=["x", "W"])
P("copy_then_fancy_iadd_repeated", """
def bump(W, idx, v):
    W2 = W.copy()
    W2[idx] += v
    return np.sum(W2 ** 2)
""", N(4, 2), K(np.array([1, 1, 2])), N(3, 2), expect_wrt=["W", "v"])
P("einsum_batched_matmul_explicit", """
def bmm(a, b):
    return np.sum(np.einsum("bij,bjk->bik", a, b) ** 2)
""", N(2, 3, 4), N(2, 4, 2))
P("rl_discounted_returns_loop", """
def reinforce_loss(logits, actions, rewards, gamma=0.99):
    T = rewards.shape[0]
    returns = np.zeros(T)
    G = 0.0
    for t in reversed(range(T)):
        G = rewards[t] + gamma * G
        returns[t] = G
    z = logits - logits.max(axis=1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return -np.sum(logp[np.arange(T), actions] * returns)
""", N(5, 3), L(5, 3), N(5), wrt=["logits"])
P("reverse_cumsum_returns", """
def returns_loss(r, v):
    ret = np.cumsum(r[::-1])[::-1]
    return np.mean((ret - v) ** 2)
""", N(6), N(6))
P("clip_method_min_only", """
def hinge(x, w):
    return np.sum((1 - x @ w).clip(min=0))
""", A(4, 3), N(3))
P("reductions_positional_axis", """
def stats(x):
    return np.sum(x.sum(-1) ** 2) + np.sum(x.mean(0)) + np.sum(x.max(1))
""", N(3, 4))
P("sum_axis_tuple_3d", """
def pool(x):
    return np.sum(np.sum(x, axis=(0, 2)) ** 2)
""", N(2, 3, 4))
P("dot_1d_float_output", """
def score(u, v):
    s = np.dot(u, v)
    return s * s + np.inner(u, u)
""", N(4), N(4))
P("scale_from_shape_math_sqrt", """
def attention_scores(q, k):
    d = q.shape[-1]
    s = q @ k.T / math.sqrt(float(d))
    return np.sum(np.exp(s - s.max(axis=-1, keepdims=True)))
""", N(3, 4), N(5, 4))
P("softmax_axis_neg1_3d", """
def softmax_entropy(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    p = e / e.sum(axis=-1, keepdims=True)
    return -np.sum(p * np.log(p))
""", N(2, 3, 4))
P("concatenate_tuple_hstack_vstack", """
def cat(a, b):
    h = np.concatenate((a, b))
    v = np.vstack([a, b])
    s = np.hstack((a, b))
    return np.sum(h * s) + np.sum(v ** 2)
""", N(3), N(3))
P("pad_list_width_diff_axis0", """
def smooth(x):
    xp = np.pad(x, [(1, 1), (0, 0)])
    return np.sum(np.diff(xp, axis=0) ** 2)
""", N(4, 2))
P("kron_eye_trace_inv", """
def block(A, b):
    K = np.kron(np.eye(2), A)
    M = A @ A.T + np.eye(A.shape[0])
    return np.trace(K @ K) + b @ np.linalg.inv(M) @ b
""", N(2, 2), N(2))
P("tile_bias_repeat_counts", """
def tiled(x, b):
    N = x.shape[0]
    B = np.tile(b, (N, 1))
    r = np.repeat(b, [1, 2, 1])
    return np.sum(x * B) + np.sum(r ** 2)
""", N(4, 3), N(3))
P("roll_periodic_laplacian", """
def energy(u, k):
    lap = np.roll(u, 1) + np.roll(u, -1) - 2 * u
    return 0.5 * k * np.sum(lap ** 2) + np.sum(u ** 4)
""", N(6), F(0.7))
P("soft_threshold_sign", """
def prox(x, lam):
    return np.sum(np.sign(x) * np.maximum(np.abs(x) - lam, 0) ** 2)
""", A(6), F(0.1))
P("topk_sorted_desc", """
def topk_mean(x, k=3):
    s = np.sort(x)[::-1]
    return np.mean(s[:k])
""", N(7), wrt=["x"])
P("slogdet_unpack", """
def logdet(A):
    S = A @ A.T + np.eye(3)
    sign, ld = np.linalg.slogdet(S)
    return ld
""", N(3, 3))
P("float32_constant_scale", """
def scaled(x):
    return np.sum(np.float32(0.5) * x ** 2)
""", N(4))
P("list_annotation_param", '''
def total(xs: list[np.ndarray], w: np.ndarray) -> float:
    return float(sum(np.sum(x * w) for x in xs))
''', lambda rng: [rng.standard_normal(3) for _ in range(3)], N(3), wrt=["w"])
P("raise_on_bad_shape", """
def checked(x, W):
    if x.ndim != 2:
        raise ValueError("x must be 2-D")
    return np.sum(np.tanh(x @ W))
""", N(3, 4), N(4, 2))
P("class_free_function_self_like_dict", """
def layer_forward(params, x):
    W, b = params["W"], params["b"]
    return np.sum(np.tanh(x @ W + b))
""", lambda rng: {"W": rng.standard_normal((4, 2)), "b": rng.standard_normal(2)}, N(3, 4), expect_wrt=["x"])
# -- more loops, branches and layers as pasted -----------------------------------------
P("affine_relu_cache_tuple_discarded", """
def affine_relu_forward(x, w, b):
    a = x.reshape(x.shape[0], -1).dot(w) + b
    out = np.maximum(0, a)
    cache = (x, w, b, a)
    return out, cache


def loss(x, w, b, y):
    scores, _ = affine_relu_forward(x, w, b)
    N = scores.shape[0]
    correct = scores[np.arange(N), y]
    margins = np.maximum(0, scores - correct[:, None] + 1.0)
    margins[np.arange(N), y] = 0
    return margins.sum() / N
""", N(4, 3), N(3, 5), A(5), L(4, 5), function="loss", expect_wrt=["x", "w", "b"])
P("y_none_returns_scores", """
def two_layer(X, W1, b1, W2, b2, y=None):
    h = np.maximum(0, X @ W1 + b1)
    scores = h @ W2 + b2
    if y is None:
        return scores
    shifted = scores - scores.max(axis=1, keepdims=True)
    logp = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return -logp[np.arange(X.shape[0]), y].mean()
""", N(4, 3), N(3, 5), A(5), N(5, 2), N(2), L(4, 2), expect_wrt=["X", "W1", "b1", "W2", "b2"])
P("numpy_ml_finfo_eps_ce", """
def cross_entropy(y, y_pred):
    eps = np.finfo(float).eps
    return -np.sum(y * np.log(y_pred + eps))
""", lambda rng: np.eye(3)[rng.integers(0, 3, 4)], U(0.1, 0.9, 4, 3), wrt=["y_pred"])
P("kmeans_soft_distance_argmin", """
def inertia(X, C):
    d = np.linalg.norm(X[:, None, :] - C[None, :, :], axis=-1)
    k = np.argmin(d, axis=1)
    return np.sum(d[np.arange(X.shape[0]), k] ** 2)
""", N(6, 2), N(3, 2))
P("nbody_cross_norm_cubed", """
def accel_energy(r, v, m):
    r_ij = r[:, None, :] - r[None, :, :] + np.eye(r.shape[0])[:, :, None]
    d = np.linalg.norm(r_ij, axis=-1, keepdims=True)
    a = np.sum(m[None, :, None] * r_ij / d ** 3, axis=1)
    L = np.cross(r, v)
    return np.sum(a ** 2) + np.sum(L ** 2)
""", N(3, 3), N(3, 3), U(0.5, 1.5, 3), autograd_wrong=NORM_KEEPDIMS)
P("finance_cumprod_wealth", """
def terminal_utility(w, R):
    r = R @ w
    wealth = np.cumprod(1 + r)
    return np.log(wealth[-1]) - 0.5 * np.var(r)
""", U(0.1, 0.4, 3), U(-0.05, 0.05, 6, 3))
P("elu_where_exp_inf_branch", """
def elu_loss(x, alpha=1.0):
    return np.sum(np.where(x > 0, x, alpha * (np.exp(x) - 1)) * np.cos(x))
""", lambda rng: np.array([-2.0, -0.5, 0.3, 800.0]), wrt=["x"], autograd_wrong=WHERE_NAN)
P("rnn_preallocated_H_rows", """
def rnn(x, h0, Wx, Wh):
    T, D = x.shape
    H = np.zeros((T + 1, h0.shape[0]))
    H[0] = h0
    for t in range(1, T + 1):
        H[t] = np.tanh(x[t - 1] @ Wx + H[t - 1] @ Wh)
    return np.sum(H[1:] ** 2)
""", N(4, 3), N(5), N(3, 5), N(5, 5))
P("while_two_conditions", """
def iterate(a, x0):
    x = x0
    err = 1.0
    it = 0
    while it < 30 and err > 1e-9:
        x_new = np.cos(a * x)
        err = abs(x_new - x)
        x = x_new
        it += 1
    return x
""", F(0.5), F(0.7))
P("nested_def_closure_free", """
def model(x, W):
    def act(z):
        return z / (1.0 + np.exp(-z))
    return np.sum(act(x @ W) ** 2)
""", N(3, 4), N(4, 2))
P("lambda_activation_named", """
def model(x, W):
    act = lambda z: np.where(z > 0, z, 0.1 * z)
    return np.sum(act(x @ W))
""", N(3, 4), A(4, 2))
P("scipy_logsumexp_axis1_ce", """
def nll(logits, y):
    return np.mean(logsumexp(logits, axis=1) - logits[np.arange(len(y)), y])
""", N(5, 3), L(5, 3), header="import numpy as np\nfrom scipy.special import logsumexp\n\n\n")
P("gradient_descent_inner_loop_list", """
def unrolled(w0, X, y, lr=0.1, steps=3):
    w = w0
    losses = []
    for _ in range(steps):
        r = X @ w - y
        losses.append(np.mean(r ** 2))
        w = w - lr * 2 * X.T @ r / len(y)
    return sum(losses) + np.mean((X @ w - y) ** 2)
""", N(3), N(5, 3), N(5), wrt=["w0", "X"])
P("conv2d_valid_loops_shaped", '''
def conv2d(x: Float[np.ndarray, "H W"], k: Float[np.ndarray, "3 3"]) -> float:
    H, W = x.shape
    out = np.zeros((H - 2, W - 2))
    for i in range(H - 2):
        for j in range(W - 2):
            out[i, j] = np.sum(x[i:i + 3, j:j + 3] * k)
    return np.sum(np.tanh(out))
''', N(5, 5), N(3, 3), header=SHAPED)
P("batch_loop_accumulate_grad_like", """
def epoch_loss(X, y, w, batch=2):
    total = 0.0
    for start in range(0, X.shape[0], batch):
        xb = X[start:start + batch]
        yb = y[start:start + batch]
        total += np.sum((xb @ w - yb) ** 2)
    return total / X.shape[0]
""", N(6, 3), N(6), N(3), wrt=["X", "w"])
# -- module headers and tails as pasted ------------------------------------------------
P("import_numpy_plain", """
def f(x, W):
    return numpy.sum(numpy.tanh(x @ W))
""", N(3, 4), N(4, 2), header="import numpy\n\n\n")
P("from_linalg_import_norm", """
def f(x, W):
    return norm(x @ W) + norm(W, axis=0).sum()
""", N(3, 4), N(4, 2), header="import numpy as np\nfrom numpy.linalg import norm\n\n\n")
P("scipy_special_as_sp", """
def f(x, W):
    return np.sum(sp.expit(x @ W)) + np.sum(sp.logsumexp(x, axis=1))
""", N(3, 4), N(4, 2), header="import numpy as np\nimport scipy.special as sp\n\n\n")
P("annotated_module_constant", """
EPS: float = 1e-8


def f(x, W):
    return np.sum(np.log(np.abs(x @ W) + EPS))
""", N(3, 4), A(4, 2))
P("main_block_after", """
def f(x, W):
    return np.sum(np.tanh(x @ W))


if __name__ == "__main__":
    x = np.random.randn(3, 4)
    print(f(x, np.ones((4, 2))))
""", N(3, 4), N(4, 2), function="f")
P("dunder_all_fstring_assert", """
__all__ = ["f"]


def f(x, W):
    N, D = x.shape
    assert W.shape[0] == D, f"bad {W.shape}"
    return np.sum(np.tanh(x @ W)) / float(N)
""", N(3, 4), N(4, 2))
P("module_linspace_grid", """
GRID = np.linspace(0.0, 1.0, 2)
WEIGHTS = [0.5, 2.0]


def f(x, W):
    return np.sum((x @ W) * GRID) + np.sum((x @ W) * WEIGHTS)
""", N(3, 4), N(4, 2))
P("print_debug_inside", """
def f(x, W):
    z = x @ W
    print(z.shape)
    return np.sum(z)
""", N(3, 4), N(4, 2))
P("walrus_in_condition", """
def f(x, W):
    if (s := np.sum(x @ W)) > 0:
        return s
    return -s
""", N(3, 4), N(4, 2))
P("matmul_inplace_square", """
def f(x, W):
    h = x.copy()
    h @= W
    return np.sum(h ** 2)
""", N(3, 4), N(4, 4))
P("pairwise_upper_triu_indices", """
def repulsion(X):
    D = np.sum((X[:, None, :] - X[None, :, :]) ** 2, axis=-1)
    iu = np.triu_indices(X.shape[0], 1)
    return np.sum(1.0 / (D[iu] + 1e-3))
""", N(4, 2))
P("astype_int_bins", """
def quantised(x, w):
    bins = (x * 4).astype(int)
    return np.sum(w * x * bins)
""", U(0.05, 0.95, 5), N(5), autograd_wrong=ASTYPE_INT)
P("nonzero_positive_rows", """
def pos_loss(x):
    idx = np.nonzero(x > 0)[0]
    return np.sum(x[idx] ** 2)
""", A(6))
P("method_from_class_named", '''
class Net:
    def __init__(self, W):
        self.W = W

    def loss(self, x):
        """Mean tanh activation."""
        return np.mean(np.tanh(x @ self.W))
''', N(3, 4), N(3, 4), function="loss")
# -- contract corners on the flow path ---------------------------------------------------
P("enumerate_list_param_arrays", """
def weighted_sum(xs, w):
    total = 0.0
    for i, x in enumerate(xs):
        total = total + (i + 1) * np.sum(np.tanh(x * w))
    return total
""", lambda rng: [rng.standard_normal(3) for _ in range(4)], N(3), wrt=["w"])
P("zero_d_param_runtime_loop", """
def damped(a, x, n):
    for _ in range(n):
        x = np.tanh(a * x)
    return np.sum(x)
""", Z(0.7), N(3), INT(3), expect_wrt=["a", "x"])
P("residual_flag_in_runtime_loop", """
def deep(x, W, n, residual=True):
    h = x
    for _ in range(n):
        z = np.tanh(h @ W)
        if residual:
            h = h + z
        else:
            h = z
    return np.sum(h ** 2)
""", N(2, 3), lambda rng: 0.3 * rng.standard_normal((3, 3)), INT(2), K(False), wrt=["x", "W"])
P("while_helper_step_shaped", '''
def step(h: Float[np.ndarray, "N H"], x: Float[np.ndarray, "N D"], Wx: Float[np.ndarray, "D H"], Wh: Float[np.ndarray, "H H"]):
    return np.tanh(x @ Wx + h @ Wh)


def rnn(xs: Float[np.ndarray, "N T D"], h0: Float[np.ndarray, "N H"], Wx: Float[np.ndarray, "D H"], Wh: Float[np.ndarray, "H H"]) -> float:
    h = h0
    t = 0
    while t < xs.shape[1]:
        h = step(h, xs[:, t], Wx, Wh)
        t += 1
    return np.sum(h ** 2)
''', N(2, 3, 4), N(2, 5), N(4, 5), lambda rng: 0.5 * rng.standard_normal((5, 5)), function="rnn", header=SHAPED)
P("runtime_loop_zeros_buffer_ema", """
def smooth(x, alpha):
    T = x.shape[0]
    y = np.zeros(T)
    y[0] = x[0]
    for t in range(1, T):
        y[t] = alpha * x[t] + (1 - alpha) * y[t - 1]
    return np.sum((y - x) ** 2)
""", N(6), F(0.3))
