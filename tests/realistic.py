# ruff: noqa: E501
"""Realistic forward functions, written the way users write them.

Not the random grammar: CS231n-style layers and losses, scientific formulas,
functions taking dicts, ints and lists of ints, slices next to index arrays,
transposes with negative axes, products of N-D operands, `math` on arrays,
guarded `np.where`. Each program is checked by tests/test_realistic.py
against central differences and autograd (tests/oracle.py) and against the
gradient contract.

`P(name, body, *args, ...)`: `body` is the function (the module gets
`import math` and `import numpy as np` in front, as users write); `args` are
makers called with a numpy Generator. `expect_wrt` is the default `wrt` the
program should get (dicts, labels, sizes left out). `autograd_wrong` names
why autograd's own gradient is wrong there (central differences decide).
`bug` names the strict xfail in tests/test_regressions.py that this program
also hits while it is open.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

HEADER = "import math\n\nimport numpy as np\n\n\n"

Maker = Callable[[np.random.Generator], Any]


@dataclass(frozen=True)
class Program:
    name: str
    source: str
    makers: tuple[Maker, ...]
    wrt: tuple[str, ...] | None = None
    expect_wrt: tuple[str, ...] | None = None
    autograd_wrong: str | None = None
    bug: str | None = None
    function: str | None = None  # when the module defines helpers too

    def args(self, seed: int = 0) -> list:
        rng = np.random.default_rng([seed, len(self.name)])
        return [m(rng) for m in self.makers]


def registrar(programs: list[Program]) -> Callable[..., None]:
    """The corpora's `P(name, body, *makers, ...)`: one program, its body
    dedented under `header`, appended to `programs` (names are unique)."""

    def register(
        name: str,
        body: str,
        *makers: Maker,
        wrt=None,
        expect_wrt=None,
        autograd_wrong=None,
        bug=None,
        function=None,
        header: str = HEADER,
    ) -> None:
        assert all(p.name != name for p in programs), name
        programs.append(
            Program(
                name,
                header + textwrap.dedent(body).strip() + "\n",
                makers,
                None if wrt is None else tuple(wrt),
                None if expect_wrt is None else tuple(expect_wrt),
                autograd_wrong,
                bug,
                function,
            )
        )

    return register


PROGRAMS: list[Program] = []
P = registrar(PROGRAMS)


def N(*shape: int) -> Maker:
    """Standard normal values."""
    return lambda rng: rng.standard_normal(shape)


def A(*shape: int) -> Maker:
    """Values at least 0.2 away from 0, either sign (guards, kinks at 0)."""
    return lambda rng: rng.choice([-1.0, 1.0], shape) * rng.uniform(0.2, 1.5, shape)


def U(lo: float, hi: float, *shape: int) -> Maker:
    return lambda rng: rng.uniform(lo, hi, shape)


def F(value: float) -> Maker:
    """A Python float near `value`."""
    return lambda rng: float(value + 0.05 * rng.standard_normal())


def L(n, k: int) -> Maker:
    """Integer labels in [0, k) of shape n."""
    return lambda rng: rng.integers(0, k, size=n)


def K(value: Any) -> Maker:
    """A constant (an int, a dict, a list, a tuple)."""
    return lambda rng: value


def M(*shape: int) -> Maker:
    """A 0/1 float mask."""
    return lambda rng: (rng.random(shape) > 0.4).astype(np.float64)


def B(*shape: int) -> Maker:
    """A boolean mask."""
    return lambda rng: rng.random(shape) > 0.4


NEG_TRANSPOSE = "autograd's transpose backward mishandles negative axes"
WHERE_NAN = (
    "autograd's where lets the untaken branch's NaN through (the double-where trap)"
)

# -- CS231n layers ------------------------------------------------------------------

# fmt: off
P("affine_forward", """
def affine_forward(x, w, b):
    N = x.shape[0]
    out = x.reshape(N, -1).dot(w) + b
    return out
""", N(2, 3, 2), N(6, 4), N(4))
P("affine_np_dot", """
def affine_forward(x, w, b):
    x_row = x.reshape(x.shape[0], -1)
    return np.dot(x_row, w) + b
""", N(3, 2, 2), N(4, 5), N(5))
P("affine_matmul_len", """
def affine_forward(x, w, b):
    return x.reshape(len(x), -1) @ w + b
""", N(2, 6), N(6, 3), N(3))
P("affine_2d", """
def affine(x, w, b):
    return x @ w + b
""", N(4, 3), N(3, 2), N(2))
P("relu_maximum", """
def relu_forward(x):
    out = np.maximum(0, x)
    return out
""", A(3, 4))
P("relu_mask", """
def relu_forward(x):
    return x * (x > 0)
""", A(3, 4))
P("leaky_relu", """
def leaky_relu(x):
    return np.where(x > 0, x, 0.01 * x)
""", A(4, 3))
P("affine_relu", """
def affine_relu_forward(x, w, b):
    a = x.reshape(x.shape[0], -1).dot(w) + b
    out = np.maximum(0, a)
    return out
""", N(3, 2, 3), N(6, 4), N(4))
P("two_layer_scores", """
def two_layer(X, W1, b1, W2, b2):
    hidden = np.maximum(0, X.dot(W1) + b1)
    scores = hidden.dot(W2) + b2
    return scores
""", N(4, 5), N(5, 6), N(6), N(6, 3), N(3))
P("softmax_loss_logprobs", """
def softmax_loss(x, y):
    shifted_logits = x - np.max(x, axis=1, keepdims=True)
    Z = np.sum(np.exp(shifted_logits), axis=1, keepdims=True)
    log_probs = shifted_logits - np.log(Z)
    N = x.shape[0]
    loss = -np.sum(log_probs[np.arange(N), y]) / N
    return loss
""", N(5, 4), L(5, 4), expect_wrt=["x"])
P("softmax_loss_probs", """
def softmax_loss(x, y):
    N = x.shape[0]
    probs = np.exp(x - np.max(x, axis=1, keepdims=True))
    probs /= np.sum(probs, axis=1, keepdims=True)
    loss = -np.mean(np.log(probs[np.arange(N), y]))
    return loss
""", N(5, 4), L(5, 4), expect_wrt=["x"])
P("softmax_loss_vectorized_reg", """
def softmax_loss_vectorized(W, X, y, reg):
    num_train = X.shape[0]
    scores = X.dot(W)
    scores -= np.max(scores, axis=1, keepdims=True)
    exp_scores = np.exp(scores)
    probs = exp_scores / np.sum(exp_scores, axis=1, keepdims=True)
    loss = np.sum(-np.log(probs[np.arange(num_train), y])) / num_train
    loss += reg * np.sum(W * W)
    return loss
""", N(5, 3), N(4, 5), L(4, 3), F(0.1), wrt=["W"])
P("svm_loss_vectorized", """
def svm_loss_vectorized(W, X, y, reg):
    num_train = X.shape[0]
    scores = X.dot(W)
    correct_class_scores = scores[np.arange(num_train), y]
    margins = np.maximum(0, scores - correct_class_scores[:, np.newaxis] + 1.0)
    margins = margins * (np.arange(W.shape[1]) != y[:, None])
    loss = np.sum(margins) / num_train + 0.5 * reg * np.sum(W * W)
    return loss
""", N(5, 3), N(6, 5), L(6, 3), F(0.1), wrt=["W"])
P("svm_loss_item_assignment", """
def svm_loss(x, y):
    N = x.shape[0]
    correct_class_scores = x[np.arange(N), y]
    margins = np.maximum(0, x - correct_class_scores[:, np.newaxis] + 1.0)
    margins[np.arange(N), y] = 0
    loss = np.sum(margins) / N
    return loss
""", N(4, 5), L(4, 5))
P("svm_loss_where", """
def svm_loss(x, y):
    N = x.shape[0]
    correct = x[np.arange(N), y].reshape(-1, 1)
    margins = np.where(np.arange(x.shape[1]) == y[:, None], 0.0, np.maximum(0, x - correct + 1.0))
    return margins.sum() / N
""", N(4, 5), L(4, 5), expect_wrt=["x"])
P("batchnorm_staged", """
def batchnorm_forward(x, gamma, beta, bn_param):
    eps = bn_param['eps']
    mu = np.mean(x, axis=0)
    xmu = x - mu
    var = np.mean(xmu ** 2, axis=0)
    sqrtvar = np.sqrt(var + eps)
    ivar = 1.0 / sqrtvar
    xhat = xmu * ivar
    out = gamma * xhat + beta
    return out
""", N(5, 3), N(3), N(3), K({"mode": "train", "eps": 1e-5, "momentum": 0.9}), expect_wrt=["x", "gamma", "beta"])
P("batchnorm_var", """
def batchnorm_forward(x, gamma, beta, eps):
    x_hat = (x - x.mean(axis=0)) / np.sqrt(x.var(axis=0) + eps)
    return gamma * x_hat + beta
""", N(6, 4), N(4), N(4), F(1e-5), wrt=["x", "gamma", "beta"])
P("layernorm_keepdims", """
def layernorm_forward(x, gamma, beta, ln_param):
    eps = ln_param['eps']
    mu = x.mean(axis=1, keepdims=True)
    var = x.var(axis=1, keepdims=True)
    x_hat = (x - mu) / np.sqrt(var + eps)
    return gamma * x_hat + beta
""", N(4, 5), N(5), N(5), K({"eps": 1e-5}), expect_wrt=["x", "gamma", "beta"])
P("layernorm_transpose", """
def layernorm_forward(x, gamma, beta):
    xT = x.T
    mu = xT.mean(axis=0)
    xc = xT - mu
    var = np.mean(xc ** 2, axis=0)
    xhat = (xc / np.sqrt(var + 1e-5)).T
    return gamma * xhat + beta
""", N(4, 5), N(5), N(5))
P("layernorm_last_axis", """
def layernorm(x, gamma, beta):
    mu = np.mean(x, axis=-1, keepdims=True)
    sigma = np.std(x, axis=-1, keepdims=True)
    return gamma * (x - mu) / (sigma + 1e-5) + beta
""", N(2, 3, 4), N(4), N(4))
P("dropout_mask_param", """
def dropout_forward(x, mask, p):
    out = x * mask / p
    return out
""", N(3, 4), M(3, 4), F(0.5), wrt=["x"])
P("dropout_uniform_param", """
def dropout_forward(x, u, dropout_param):
    p = dropout_param['p']
    mask = (u < p) / p
    return x * mask
""", N(3, 4), U(0, 1, 3, 4), K({"p": 0.5, "mode": "train"}), expect_wrt=["x"])
P("temporal_affine_reshape", """
def temporal_affine_forward(x, w, b):
    N, T, D = x.shape
    M = b.shape[0]
    out = x.reshape(N * T, D).dot(w).reshape(N, T, M) + b
    return out
""", N(2, 3, 4), N(4, 5), N(5))
P("temporal_affine_dot_method", """
def temporal_affine_forward(x, w, b):
    out = x.dot(w) + b
    return out
""", N(2, 3, 4), N(4, 5), N(5))
P("temporal_affine_dot_square", """
def temporal_affine_forward(x, w, b):
    return x.dot(w) + b
""", N(3, 3, 4), N(4, 3), N(3))
P("temporal_affine_np_dot", """
def temporal_affine_forward(x, w, b):
    return np.dot(x, w) + b
""", N(2, 3, 4), N(4, 5), N(5))
P("temporal_affine_matmul", """
def temporal_affine_forward(x, w, b):
    return x @ w + b
""", N(2, 3, 4), N(4, 5), N(5))
P("temporal_softmax_loss", """
def temporal_softmax_loss(x, y, mask):
    N, T, V = x.shape
    x_flat = x.reshape(N * T, V)
    y_flat = y.reshape(N * T)
    mask_flat = mask.reshape(N * T)
    probs = np.exp(x_flat - np.max(x_flat, axis=1, keepdims=True))
    probs /= np.sum(probs, axis=1, keepdims=True)
    loss = -np.sum(mask_flat * np.log(probs[np.arange(N * T), y_flat])) / N
    return loss
""", N(2, 3, 4), L((2, 3), 4), B(2, 3), wrt=["x"])
P("word_embedding", """
def word_embedding_forward(x, W):
    out = W[x]
    return out
""", L((2, 3), 5), N(5, 4), expect_wrt=["W"])
P("word_embedding_sum", """
def embed_and_pool(idx, W):
    return W[idx].sum(axis=1)
""", L((3, 4), 6), N(6, 2), expect_wrt=["W"])
P("rnn_step", """
def rnn_step_forward(x, prev_h, Wx, Wh, b):
    next_h = np.tanh(x.dot(Wx) + prev_h.dot(Wh) + b)
    return next_h
""", N(3, 4), N(3, 5), N(4, 5), N(5, 5), N(5))
P("rnn_step_matmul", """
def rnn_step_forward(x, prev_h, Wx, Wh, b):
    a = x @ Wx + prev_h @ Wh + b
    return np.tanh(a)
""", N(3, 4), N(3, 5), N(4, 5), N(5, 5), N(5))
P("lstm_step", """
def lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b):
    N, H = prev_h.shape
    a = x.dot(Wx) + prev_h.dot(Wh) + b
    i = 1 / (1 + np.exp(-a[:, :H]))
    f = 1 / (1 + np.exp(-a[:, H:2 * H]))
    o = 1 / (1 + np.exp(-a[:, 2 * H:3 * H]))
    g = np.tanh(a[:, 3 * H:])
    next_c = f * prev_c + i * g
    next_h = o * np.tanh(next_c)
    return next_h, next_c
""", N(3, 4), N(3, 2), N(3, 2), N(4, 8), N(2, 8), N(8))
P("spatial_batchnorm", """
def spatial_batchnorm_forward(x, gamma, beta):
    N, C, H, W = x.shape
    x_flat = x.transpose(0, 2, 3, 1).reshape(-1, C)
    mu = x_flat.mean(axis=0)
    var = x_flat.var(axis=0)
    xhat = (x_flat - mu) / np.sqrt(var + 1e-5)
    out = (gamma * xhat + beta).reshape(N, H, W, C).transpose(0, 3, 1, 2)
    return out
""", N(2, 3, 2, 2), N(3), N(3))
P("spatial_batchnorm_negative_axes", """
def spatial_batchnorm_forward(x, gamma, beta):
    N, C, H, W = x.shape
    x_flat = x.transpose(0, -2, -1, 1).reshape(-1, C)
    xhat = (x_flat - x_flat.mean(axis=0)) / np.sqrt(x_flat.var(axis=0) + 1e-5)
    out = (gamma * xhat + beta).reshape(N, H, W, C).transpose(0, -1, 1, 2)
    return out
""", N(2, 3, 2, 2), N(3), N(3), autograd_wrong=NEG_TRANSPOSE)
P("spatial_groupnorm", """
def spatial_groupnorm_forward(x, gamma, beta, G):
    N, C, H, W = x.shape
    xg = x.reshape(N, G, C // G, H, W)
    mu = xg.mean(axis=(2, 3, 4), keepdims=True)
    var = xg.var(axis=(2, 3, 4), keepdims=True)
    xhat = ((xg - mu) / np.sqrt(var + 1e-5)).reshape(N, C, H, W)
    return gamma * xhat + beta
""", N(2, 4, 2, 2), N(1, 4, 1, 1), N(1, 4, 1, 1), K(2), expect_wrt=["x", "gamma", "beta"])
P("global_avg_pool_negative", """
def global_avg_pool(x):
    return x.mean(axis=(-2, -1))
""", N(2, 3, 2, 2))
P("max_pool_2x2_reshape", """
def max_pool_2x2(x):
    N, C, H, W = x.shape
    return x.reshape(N, C, H // 2, 2, W // 2, 2).max(axis=(3, 5))
""", N(1, 2, 4, 4))
P("channels_last_moveaxis", """
def channels_last(x, w):
    return np.moveaxis(x, 1, -1) @ w
""", N(2, 3, 2, 2), N(3, 4))
P("conv1x1_dot_4d", """
def conv1x1(x, w, b):
    y = np.dot(np.transpose(x, (0, 2, 3, 1)), w)
    return np.transpose(y, (0, 3, 1, 2)) + b[None, :, None, None]
""", N(2, 3, 2, 2), N(3, 4), N(4))
P("conv1x1_matmul_4d", """
def conv1x1(x, w, b):
    y = np.transpose(x, (0, 2, 3, 1)) @ w + b
    return y.transpose(0, 3, 1, 2)
""", N(2, 3, 2, 2), N(3, 4), N(4))
P("channel_attention", """
def channel_attention(x, w):
    s = x.mean(axis=(2, 3))
    a = 1.0 / (1.0 + np.exp(-s @ w))
    return x * a[:, :, None, None]
""", N(2, 3, 2, 2), N(3, 3))
P("pixel_shuffle", """
def pixel_shuffle(x):
    N, C, H, W = x.shape
    y = x.reshape(N, C // 4, 2, 2, H, W)
    y = y.transpose(0, 1, 4, 2, 5, 3)
    return y.reshape(N, C // 4, H * 2, W * 2)
""", N(1, 4, 2, 3))
P("attention", """
def attention(q, k, v):
    scores = q @ k.T / math.sqrt(q.shape[-1])
    scores = scores - np.max(scores, axis=-1, keepdims=True)
    weights = np.exp(scores)
    weights = weights / np.sum(weights, axis=-1, keepdims=True)
    return weights @ v
""", N(3, 4), N(5, 4), N(5, 2))
P("attention_batched_swapaxes", """
def attention(q, k, v):
    scores = np.matmul(q, np.swapaxes(k, -1, -2)) / math.sqrt(q.shape[-1])
    weights = np.exp(scores - scores.max(axis=-1, keepdims=True))
    weights /= weights.sum(axis=-1, keepdims=True)
    return np.matmul(weights, v)
""", N(2, 3, 4), N(2, 5, 4), N(2, 5, 2))
P("attention_batched_transpose", """
def attention(q, k, v):
    scores = q @ k.transpose(0, 2, 1) / np.sqrt(q.shape[-1])
    weights = np.exp(scores - scores.max(axis=-1, keepdims=True))
    weights = weights / weights.sum(axis=-1, keepdims=True)
    return weights @ v
""", N(2, 3, 4), N(2, 5, 4), N(2, 5, 2))
P("triplet_loss", """
def triplet_loss(a, p, n, margin):
    d_pos = np.sum((a - p) ** 2, axis=1)
    d_neg = np.sum((a - n) ** 2, axis=1)
    return np.mean(np.maximum(0, d_pos - d_neg + margin))
""", N(4, 3), N(4, 3), N(4, 3), F(2.0), wrt=["a", "p", "n"])
P("l2_reg_update_style", """
def reg_loss(W, reg):
    return 0.5 * reg * np.sum(W * W)
""", N(3, 4), F(0.1))
P("weight_sum", """
def total(W):
    return np.sum(W)
""", N(3, 4))

# -- scientific formulas ---------------------------------------------------------

P("gaussian_logpdf_math_log", """
def gaussian_logpdf(x, mu, sigma):
    return -0.5 * ((x - mu) / sigma) ** 2 - np.log(sigma) - 0.5 * math.log(2 * math.pi)
""", N(3, 4), N(4), U(0.5, 2, 4))
P("gaussian_nll_float_sigma", """
def gaussian_nll(x, mu, sigma):
    n = x.size
    return np.sum((x - mu) ** 2) / (2 * sigma ** 2) + n * math.log(sigma) + 0.5 * n * math.log(2 * math.pi)
""", N(5), N(5), F(1.3))
P("gaussian_density_math_exp", """
def gaussian(x, sigma):
    return np.exp(-x ** 2 / (2 * sigma ** 2)) / (sigma * math.sqrt(2 * math.pi))
""", N(3, 2), F(0.8))
P("he_scaling", """
def he_layer(x, w, b):
    return (x @ w) * math.sqrt(2.0 / w.shape[0]) + b
""", N(4, 3), N(3, 5), N(5))
P("xavier_dot", """
def xavier_layer(x, w):
    return x.dot(w) * math.sqrt(1.0 / (w.shape[0] + w.shape[1]))
""", N(4, 3), N(3, 5))
P("divide_by_max_batch", """
def mean_affine(x, w, b):
    return (x @ w + b) / max(x.shape[0], 1)
""", N(4, 3), N(3, 2), N(2))
P("math_pi_broadcast", """
def scale(x, b):
    return x * math.pi + b
""", N(3, 2), N(2))
P("math_exp_decay", """
def decay(x, t, tau):
    return x * math.exp(-t / tau)
""", N(4), F(0.5), F(2.0))
P("math_log_of_array", """
def log_prior(w, a):
    return np.sum(math.log(a) - a * np.abs(w))
""", A(5), F(1.5))
P("min_builtin_scale", """
def clipped_scale(x, s):
    return x * min(s, 2.0)
""", N(3, 2), F(0.7))
P("softplus", """
def softplus(x):
    return np.log1p(np.exp(x))
""", N(3, 4))
P("logsumexp_stable", """
def logsumexp(x):
    m = np.max(x, axis=-1, keepdims=True)
    return m + np.log(np.sum(np.exp(x - m), axis=-1, keepdims=True))
""", N(3, 4))
P("huber_loss", """
def huber(pred, target, delta):
    r = pred - target
    quadratic = 0.5 * r ** 2
    linear = delta * (np.abs(r) - 0.5 * delta)
    return np.mean(np.where(np.abs(r) < delta, quadratic, linear))
""", N(6), N(6), F(0.7), wrt=["pred", "target"])
P("binary_cross_entropy", """
def bce(z, y):
    p = 1.0 / (1.0 + np.exp(-z))
    return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
""", N(5), M(5), wrt=["z"])
P("mse", """
def mse(pred, target):
    return np.mean((pred - target) ** 2)
""", N(4, 2), N(4, 2))
P("ridge", """
def ridge(w, X, y, lam):
    r = X @ w - y
    return 0.5 * np.sum(r ** 2) + 0.5 * lam * (w @ w)
""", N(3), N(5, 3), N(5), F(0.1), wrt=["w", "lam"])
P("poisson_nll", """
def poisson_nll(eta, y):
    return np.sum(np.exp(eta) - y * eta)
""", N(5), U(0, 3, 5), wrt=["eta"])
P("cosine_similarity", """
def cosine(a, b):
    return np.dot(a, b) / (np.sqrt(np.sum(a * a)) * np.sqrt(np.sum(b * b)))
""", N(4), N(4))
P("rosenbrock", """
def rosenbrock(x):
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2)
""", N(5))
P("pairwise_inverse_distance", """
def energy(x):
    d = x[:, None, :] - x[None, :, :]
    r2 = np.sum(d ** 2, axis=-1) + 1.0
    return np.sum(1.0 / r2)
""", N(4, 3))
P("gaussian_kernel", """
def rbf(x, y, s):
    sq = np.sum((x[:, None, :] - y[None, :, :]) ** 2, axis=-1)
    return np.exp(-sq / (2 * s ** 2))
""", N(3, 2), N(4, 2), F(1.2))
P("diag_gaussian_loglik", """
def loglik(x, mu, var):
    return -0.5 * np.sum(np.log(2 * math.pi * var) + (x - mu) ** 2 / var, axis=1)
""", N(3, 4), N(4), U(0.5, 2, 4))
P("spring_chain", """
def spring_energy(p, k, L):
    seg = np.sqrt(np.sum((p[1:] - p[:-1]) ** 2, axis=1))
    return 0.5 * k * np.sum((seg - L) ** 2)
""", N(5, 2), F(3.0), F(1.0))
P("planck", """
def planck(lam, T):
    c1 = 3.74
    c2 = 1.44
    return c1 / lam ** 5 / (np.exp(c2 / (lam * T)) - 1.0)
""", U(0.5, 2, 4), F(2.0))
P("arrhenius", """
def arrhenius(A, Ea, T):
    R = 8.314
    return A * np.exp(-Ea / (R * T))
""", F(2.0), F(10.0), U(1, 3, 4))
P("kinetic_energy_float_mass", """
def kinetic(v, m):
    return 0.5 * m * np.sum(v ** 2)
""", N(3, 2), F(2.0))
P("log2_log10_exp2", """
def bits(x):
    return np.log2(x) + np.log10(x) * np.exp2(-x)
""", U(0.5, 2, 3, 2))
P("math_log_base", """
def log_base(x, a):
    return x * math.log(a, 2) + math.log10(a)
""", N(3), F(3.0))

# -- guarded where ---------------------------------------------------------------

P("where_sqrt_guard", """
def safe_sqrt(x):
    return np.where(x > 0, np.sqrt(x), 0.0)
""", A(6), autograd_wrong=WHERE_NAN)
P("where_log_guard", """
def safe_log(x):
    return np.where(x > 0, np.log(x), 0.0)
""", A(6))
P("where_sinc", """
def sinc(x):
    return np.where(x != 0, np.sin(x) / x, 1.0)
""", A(6))
P("where_entropy", """
def entropy(p):
    return -np.sum(np.where(p > 0.1, p * np.log(p), 0.0))
""", A(6), autograd_wrong=WHERE_NAN)
P("where_reciprocal_guard", """
def safe_inverse(x):
    return np.where(np.abs(x) > 0.5, 1.0 / x, 0.0)
""", U(-1, 1, 6))

# -- non-array parameters --------------------------------------------------------

P("dict_scale", """
def f(x, p):
    return x * p['scale']
""", N(3, 2), K({"scale": 2.0}), expect_wrt=["x"])
P("dict_scale_shift", """
def f(x, p):
    return x * p['scale'] + p['shift']
""", N(3, 2), K({"scale": 2.0, "shift": 0.5}), expect_wrt=["x"])
P("dict_conv_stride", """
def strided(x, w, conv_param):
    stride = conv_param['stride']
    return x[:, ::stride] @ w
""", N(3, 6), N(3, 2), K({"stride": 2, "pad": 1}), expect_wrt=["x", "w"])
P("int_prefix", """
def head_energy(x, n):
    return np.sum(x[:n] ** 2)
""", N(5), K(3), expect_wrt=["x"])
P("int_reshape", """
def rows(x, n):
    return np.tanh(x.reshape(n, -1))
""", N(6), K(2), expect_wrt=["x"])
P("int_reshape_annotated", """
def rows(x, n: int):
    return np.tanh(x.reshape(n, -1))
""", N(6), K(3), expect_wrt=["x"])
P("list_of_ints_index", """
def pick(x, idx):
    return np.sum(x[idx] ** 2)
""", N(4, 2), K([0, 2, 2]), expect_wrt=["x"])
P("list_of_ints_columns", """
def pick_columns(x, cols):
    return x[:, cols] * 2.0
""", N(3, 4), K([3, 0, 0]), expect_wrt=["x"])
P("tuple_shape_param", """
def reshape_to(x, shape):
    return np.sin(x.reshape(shape))
""", N(6), K((2, 3)), expect_wrt=["x"])
P("int_axis_param", """
def reduce(x, axis):
    return np.sum(x ** 2, axis=axis)
""", N(3, 4), K(1), expect_wrt=["x"])
P("int_count_divides", """
def average(x, n):
    return np.sum(x) / n
""", N(4), K(4), expect_wrt=["x", "n"])

# -- slices with a start next to an index array ----------------------------------

P("slice_start_fancy", """
def f(x):
    return np.sum(x[1:, [0, 2]] ** 2)
""", N(2, 3))
P("slice_start_fancy_sizes_differ", """
def f(x):
    return np.sum(x[1:, [0, 2]] ** 2)
""", N(4, 3))
P("fancy_then_slice_start", """
def f(W, idx):
    return np.sum(np.tanh(W[idx, 1:]))
""", N(5, 4), L(3, 5), expect_wrt=["W"])
P("negative_slice_labels", """
def f(scores, y):
    return np.sum(scores[-2:, y] ** 2)
""", N(4, 3), L(2, 3), expect_wrt=["scores"])
P("step_slice_fancy", """
def f(x):
    return np.sum(x[::2, [1, 0, 1]] * 3.0)
""", N(5, 3))
P("fancy_then_range_slice", """
def f(x):
    return x[[0, 2], 1:3] ** 2
""", N(3, 4))
P("slice_fancy_3d", """
def f(x, idx):
    return np.sum(x[1:, idx, :] ** 2)
""", N(3, 4, 2), L(3, 4), expect_wrt=["x"])
P("ellipsis_fancy", """
def f(x):
    return np.sum(x[..., [0, 2]] ** 2)
""", N(2, 3, 4))
P("boolean_mask_expr", """
def f(x):
    return np.sum(x[x > 0] ** 2)
""", A(3, 4))
P("boolean_mask_param", """
def f(x, mask):
    return np.sum(np.exp(x[mask]))
""", N(3, 4), B(3, 4), expect_wrt=["x"])
P("slice_reverse_inner", """
def f(x):
    return x[1:-1, ::-1] * 2.0
""", N(4, 3))
P("arange_labels", """
def f(x, y):
    return np.sum(x[np.arange(3), y] ** 2)
""", N(3, 4), L(3, 4), expect_wrt=["x"])
P("none_and_fancy", """
def f(x):
    return x[None, [1, 2], 1:] * 2.0
""", N(3, 4))
P("stop_slice_fancy_repeat", """
def f(x):
    return np.sum(x[:2, [1, 1, 0]] ** 3)
""", N(3, 3))

# -- transposes with negative axes -----------------------------------------------

P("transpose_negative_first", """
def f(x):
    return np.transpose(x, (-1, 0, 1))
""", N(2, 3, 4), autograd_wrong=NEG_TRANSPOSE)
P("transpose_negative_equal_dims", """
def f(x):
    return np.sum(np.transpose(x, (1, -1, 0)) * np.arange(27.0).reshape(3, 3, 3))
""", N(3, 3, 3), autograd_wrong=NEG_TRANSPOSE)
P("transpose_method_negative", """
def f(x):
    return x.transpose(0, -1, 1, 2)
""", N(2, 3, 4, 5), autograd_wrong=NEG_TRANSPOSE)
P("transpose_2d_negative", """
def f(x):
    return x.transpose(-1, -2) * 2.0
""", N(3, 4))
P("swapaxes_negative_3d", """
def f(x):
    return np.swapaxes(x, -1, -3) ** 2
""", N(2, 3, 4))
P("moveaxis_negative", """
def f(x):
    return np.moveaxis(x, -1, 0) ** 2
""", N(2, 3, 4))

# -- expand_dims -----------------------------------------------------------------

P("expand_dims_tuple", """
def f(v):
    return np.expand_dims(v, (0, 1)) * 2.0
""", N(3))
P("expand_dims_negative", """
def f(v, w):
    return np.expand_dims(v, -1) * w
""", N(3), N(3, 4))
P("expand_dims_tuple_negative", """
def f(x):
    return np.sum(np.expand_dims(x, (0, -1)) ** 2, axis=(0, -1))
""", N(3, 2))
P("none_indexing_broadcast", """
def f(v, w):
    return v[None, :, None] * w
""", N(3), N(2, 3, 4))

# -- products of every rank ------------------------------------------------------

P("dot_vector_matrix", """
def f(v, W):
    return np.tanh(np.dot(v, W))
""", N(3), N(3, 4))
P("dot_3d_vector", """
def f(x, v):
    return np.dot(x, v)
""", N(2, 3, 4), N(4))
P("matmul_batched_3d", """
def f(a, b):
    return np.matmul(a, b)
""", N(2, 3, 4), N(2, 4, 5))
P("matmul_3d_2d", """
def f(a, b):
    return a @ b
""", N(2, 3, 4), N(4, 5))
P("quadratic_form", """
def f(v, A):
    return v @ A @ v
""", N(3), N(3, 3))
P("dot_3d_3d", """
def f(a, b):
    return np.dot(a, b)
""", N(2, 3, 4), N(3, 4, 2))
P("dot_scalar_float", """
def f(s, x):
    return np.dot(s, x)
""", F(1.5), N(3, 2))
P("matmul_vector_batched", """
def f(v, A):
    return np.matmul(v, A)
""", N(3), N(2, 3, 4))
P("dot_method_vector", """
def f(x, w):
    return x.dot(w) ** 2
""", N(3, 4), N(4))
P("outer_vectors", """
def f(u, v):
    return np.outer(u, v) * 2.0
""", N(3), N(4))

# -- reductions, axes, shapes ----------------------------------------------------

P("max_axis_float32", """
def f(x):
    return np.max(x, axis=1)
""", N(3, 4))
P("mean_tuple_negative_axes", """
def f(x):
    return np.mean(x, axis=(0, -1))
""", N(2, 3, 4))
P("std_last_keepdims", """
def f(x):
    return x / np.std(x, axis=-1, keepdims=True)
""", N(3, 4))
P("var_ddof_negative", """
def f(x):
    return np.var(x, axis=-2, ddof=1)
""", N(4, 3))
P("sum_method_tuple_axes", """
def f(x):
    return x.sum(axis=(-1, 0)) ** 2
""", N(2, 3, 4))
P("concatenate_last_axis", """
def f(x, y):
    return np.concatenate([x, y], axis=-1) ** 2
""", N(3, 2), N(3, 4))
P("stack_last_axis", """
def f(x, y):
    return np.stack([x, y], axis=-1) * 2.0
""", N(3, 2), N(3, 2))
P("squeeze_negative", """
def f(x):
    return np.squeeze(x, axis=-1) ** 2
""", N(3, 1))
P("clip_activation", """
def f(x):
    return np.clip(x, -1.0, 1.0) * 2.0
""", U(-2, 2, 3, 4))
P("min_max_mixture", """
def f(x):
    return np.mean(x, axis=-1) - np.max(x, axis=-1) + np.min(x, axis=0).sum()
""", N(3, 3))

# -- in-place updates, copies, what a gradient may share ------------------------

P("inplace_scale", """
def f(x, w):
    a = np.tanh(x)
    a *= w
    return a
""", N(3, 4), N(4))
P("copy_then_add", """
def f(x, b):
    h = x.copy()
    h += b
    return h
""", N(3, 4), N(4))
P("add_two_params", """
def f(x, h):
    return x + h
""", N(3, 4), N(3, 4))
P("identity_param", """
def f(x):
    return x
""", N(3))
P("reshape_param", """
def f(x):
    return x.reshape(-1)
""", N(3, 2))
P("transpose_param", """
def f(x):
    return x.T
""", N(3, 2))
P("tuple_out_sharing", """
def f(x, y):
    s = x + y
    return s, s * 2.0
""", N(3), N(3))
P("float_through_sum", """
def f(x, y):
    return np.sum(x) * y
""", F(0.3), N(3))
P("float_through_where", """
def f(x, y):
    return np.where(x > 0, x, y)
""", F(0.3), F(0.7))
P("float_through_reshape", """
def f(x):
    return np.reshape(x, (1,)) * 2.0
""", F(0.3))

# -- the same layers with indexed shapes (`N, C, H, W = x.shape` is refused) ----

P("temporal_affine_indexed_shape", """
def temporal_affine_forward(x, w, b):
    N, T, D = x.shape[0], x.shape[1], x.shape[2]
    out = x.reshape(N * T, D).dot(w).reshape(N, T, b.shape[0]) + b
    return out
""", N(2, 3, 4), N(4, 5), N(5))
P("temporal_softmax_loss_indexed", """
def temporal_softmax_loss(x, y, mask):
    NT = x.shape[0] * x.shape[1]
    x_flat = x.reshape(NT, x.shape[2])
    probs = np.exp(x_flat - np.max(x_flat, axis=1, keepdims=True))
    probs /= np.sum(probs, axis=1, keepdims=True)
    picked = probs[np.arange(NT), y.reshape(NT)]
    loss = -np.sum(mask.reshape(NT) * np.log(picked)) / x.shape[0]
    return loss
""", N(2, 3, 4), L((2, 3), 4), B(2, 3), wrt=["x"])
P("lstm_step_indexed", """
def lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b):
    H = prev_h.shape[1]
    a = x.dot(Wx) + prev_h.dot(Wh) + b
    i = 1 / (1 + np.exp(-a[:, :H]))
    f = 1 / (1 + np.exp(-a[:, H:2 * H]))
    o = 1 / (1 + np.exp(-a[:, 2 * H:3 * H]))
    g = np.tanh(a[:, 3 * H:])
    next_c = f * prev_c + i * g
    next_h = o * np.tanh(next_c)
    return next_h, next_c
""", N(3, 4), N(3, 2), N(3, 2), N(4, 8), N(2, 8), N(8))
P("spatial_batchnorm_indexed", """
def spatial_batchnorm_forward(x, gamma, beta):
    C = x.shape[1]
    x_flat = x.transpose(0, 2, 3, 1).reshape(-1, C)
    xhat = (x_flat - x_flat.mean(axis=0)) / np.sqrt(x_flat.var(axis=0) + 1e-5)
    out = (gamma * xhat + beta).reshape(x.shape[0], x.shape[2], x.shape[3], C)
    return out.transpose(0, 3, 1, 2)
""", N(2, 3, 2, 2), N(3), N(3))
P("spatial_batchnorm_negative_indexed", """
def spatial_batchnorm_forward(x, gamma, beta):
    C = x.shape[1]
    x_flat = x.transpose(0, -2, -1, 1).reshape(-1, C)
    xhat = (x_flat - x_flat.mean(axis=0)) / np.sqrt(x_flat.var(axis=0) + 1e-5)
    out = (gamma * xhat + beta).reshape(x.shape[0], x.shape[2], x.shape[3], C)
    return out.transpose(0, -1, 1, 2)
""", N(2, 3, 2, 2), N(3), N(3), autograd_wrong=NEG_TRANSPOSE)
P("spatial_groupnorm_indexed", """
def spatial_groupnorm_forward(x, gamma, beta, G):
    xg = x.reshape(x.shape[0], G, -1)
    mu = xg.mean(axis=-1, keepdims=True)
    var = xg.var(axis=-1, keepdims=True)
    xhat = ((xg - mu) / np.sqrt(var + 1e-5)).reshape(x.shape)
    return gamma * xhat + beta
""", N(2, 4, 2, 2), N(1, 4, 1, 1), N(1, 4, 1, 1), K(2), expect_wrt=["x", "gamma", "beta"])
P("max_pool_2x2_indexed", """
def max_pool_2x2(x):
    s = x.shape
    return x.reshape(s[0], s[1], s[2] // 2, 2, s[3] // 2, 2).max(axis=(3, 5))
""", N(1, 2, 4, 4))
P("pixel_shuffle_indexed", """
def pixel_shuffle(x):
    n, c, h, w = x.shape[0], x.shape[1], x.shape[2], x.shape[3]
    y = x.reshape(n, c // 4, 2, 2, h, w).transpose(0, 1, 4, 2, 5, 3)
    return y.reshape(n, c // 4, h * 2, w * 2)
""", N(1, 4, 2, 3))
# -- issue 9 hunt: Tangent/autograd-style functions, CS231n layers, science; odd shapes
P("saxpy_overwrite", """
def f(a, b, c):
    t = a * b
    t = t + c
    return t
""", N(3), N(3), N(1))
P("augassign_square", """
def f(a):
    x = a * a
    x *= x
    return x
""", N(2, 2))
P("third_pow", """
def f(a):
    return a * a * a + a ** 3
""", N(1, 3))
P("div_self", """
def f(a, b):
    return a / a + 3.0 / b - b / 3.0
""", A(3), A(3))
P("logistic_regression", """
def f(inputs, label, W, b):
    h1 = np.dot(inputs, W) + b
    prediction = 0.5 * (np.tanh(h1) + 1)
    label_probabilities = prediction * label + (1 - prediction) * (1 - label)
    loss = -np.sum(np.log(label_probabilities))
    return loss
""", N(4, 3), M(4, 2), N(3, 2), N(2), wrt=["W", "b"])
P("bilinear", """
def f(x, h, U, W, b):
    y = np.dot(x, W)
    y = y + np.dot(h, U)
    y = y + b
    y = np.tanh(y)
    return np.sum(y)
""", N(2, 3), N(2, 4), N(4, 5), N(3, 5), N(5))
P("subscript_product", """
def f(x):
    a = x[0]
    b = x[1]
    return a * b
""", N(3, 2))
P("extended_slice", """
def f(x):
    return np.sum(x[::2, np.newaxis] ** 2)
""", N(5, 3))
P("slicing_step_neg", """
def f(x):
    return np.sum(x[::-2] * x[1::2][::-1][: x[::-2].shape[0]])
""", N(6))
P("multiple_return", """
def f(a):
    return 2 * a, a
""", N(2))
P("svm_loss_vectorized_2", """
def svm_loss(W, X, y, reg):
    scores = X.dot(W)
    N = X.shape[0]
    correct = scores[np.arange(N), y][:, None]
    margins = np.maximum(0, scores - correct + 1.0)
    margins[np.arange(N), y] = 0
    loss = np.sum(margins) / N + reg * np.sum(W * W)
    return loss
""", N(3, 4), N(5, 3), L(5, 4), F(0.1), wrt=["W", "X", "reg"])
P("softmax_loss_labels", """
def softmax_loss(x, y):
    shifted = x - np.max(x, axis=1, keepdims=True)
    Z = np.sum(np.exp(shifted), axis=1, keepdims=True)
    log_probs = shifted - np.log(Z)
    N = x.shape[0]
    return -np.sum(log_probs[np.arange(N), y]) / N
""", N(4, 3), L(4, 3), wrt=["x"])
P("word_embedding_repeated", """
def word_embedding(x, W):
    return W[x]
""", K(np.array([[0, 2, 0], [2, 2, 1]])), N(4, 3), wrt=["W"])
P("temporal_affine", """
def temporal_affine(x, w, b):
    N, T, D = x.shape
    M = b.shape[0]
    return x.reshape(N * T, D).dot(w).reshape(N, T, M) + b
""", N(2, 3, 4), N(4, 5), N(5))
P("temporal_softmax_mask", """
def temporal_softmax_loss(x, y, mask):
    N, T, V = x.shape
    x_flat = x.reshape(N * T, V)
    y_flat = y.reshape(N * T)
    mask_flat = mask.reshape(N * T)
    probs = np.exp(x_flat - np.max(x_flat, axis=1, keepdims=True))
    probs /= np.sum(probs, axis=1, keepdims=True)
    return -np.sum(mask_flat * np.log(probs[np.arange(N * T), y_flat])) / N
""", N(2, 3, 4), L((2, 3), 4), B(2, 3), wrt=["x"])
P("rnn_step_forward", """
def rnn_step(x, prev_h, Wx, Wh, b):
    return np.tanh(x.dot(Wx) + prev_h.dot(Wh) + b)
""", N(3, 3), N(3, 3), N(3, 3), N(3, 3), N(3))
P("lstm_step_2", """
def lstm_step(x, prev_h, prev_c, Wx, Wh, b):
    H = prev_h.shape[1]
    a = x.dot(Wx) + prev_h.dot(Wh) + b
    i = 1.0 / (1.0 + np.exp(-a[:, :H]))
    f = 1.0 / (1.0 + np.exp(-a[:, H:2 * H]))
    o = 1.0 / (1.0 + np.exp(-a[:, 2 * H:3 * H]))
    g = np.tanh(a[:, 3 * H:])
    next_c = f * prev_c + i * g
    next_h = o * np.tanh(next_c)
    return next_h + next_c
""", N(2, 3), N(2, 2), N(2, 2), N(3, 8), N(2, 8), N(8))
P("layernorm_1feature", """
def layernorm(x, gamma, beta):
    mu = x.mean(axis=1, keepdims=True)
    var = x.var(axis=1, keepdims=True)
    return gamma * (x - mu) / np.sqrt(var + 1e-5) + beta
""", N(3, 2), N(2), N(2))
P("batchnorm_dict_param", """
def batchnorm(x, gamma, beta, bn_param):
    eps = bn_param.get("eps", 1e-5)
    mu = np.mean(x, axis=0)
    xc = x - mu
    var = np.mean(xc ** 2, axis=0)
    xhat = xc / np.sqrt(var + eps)
    return gamma * xhat + beta
""", N(4, 3), N(3), N(3), K({"mode": "train"}), expect_wrt=["x", "gamma", "beta"])
P("conv_einsum_1x1", """
def conv1x1(x, w, b):
    return np.einsum("nchw,fc->nfhw", x, w) + b[None, :, None, None]
""", N(2, 3, 2, 2), N(4, 3), N(4))
P("lennard_jones", """
def lj(r, eps, sigma):
    sr6 = (sigma / r) ** 6
    return 4.0 * eps * np.sum(sr6 * sr6 - sr6)
""", U(1.0, 2.0, 5), F(1.0), F(1.0))
P("cosine_similarity_2", """
def cos_sim(a, b):
    return np.sum(a * b, axis=-1) / (np.linalg.norm(a, axis=-1) * np.linalg.norm(b, axis=-1))
""", N(3, 4), N(3, 4))
P("huber", """
def huber(pred, target, delta):
    r = pred - target
    quad = 0.5 * r ** 2
    lin = delta * (np.abs(r) - 0.5 * delta)
    return np.mean(np.where(np.abs(r) <= delta, quad, lin))
""", N(6), N(6), F(0.7))
P("log_softmax_axis0", """
def f(x):
    m = x.max(axis=0)
    return x - m - np.log(np.exp(x - m).sum(axis=0))
""", N(3, 3))
P("kl_div", """
def kl(p, q):
    return np.sum(p * (np.log(p) - np.log(q)))
""", U(0.1, 1.0, 4), U(0.1, 1.0, 4))
P("gaussian_nll", """
def nll(x, mu, log_sigma):
    return np.sum(log_sigma + 0.5 * math.log(2 * math.pi) + 0.5 * ((x - mu) / np.exp(log_sigma)) ** 2)
""", N(5), N(5), N(1))
P("0d_param", """
def f(x, w):
    return np.sum(np.tanh(x * w))
""", lambda rng: np.array(rng.standard_normal()), N(3, 1))
P("size1_axes", """
def f(x, b):
    return np.sum((x + b) ** 2, axis=(0, 2))
""", N(1, 3, 1), N(1, 1, 1))
P("square_transpose_chain", """
def f(A, B):
    return np.sum((A.T @ B) * A)
""", N(3, 3), N(3, 3))
P("outer_update", """
def f(u, v, M):
    return np.sum(np.tanh(M + np.outer(u, v)))
""", N(3), N(3), N(3, 3))
P("stack_and_mean", """
def f(a, b):
    s = np.stack([a, b * 2.0, a * b], axis=1)
    return np.mean(s ** 2, axis=1)
""", N(4), N(4))
P("concat_negative_axis", """
def f(a, b):
    return np.concatenate([a, b], axis=-1) * np.arange(5.0)
""", N(2, 2), N(2, 3))
P("cumsum_axis", """
def f(x):
    return np.cumsum(x, axis=1) * x
""", N(2, 3))
P("pad_conv_like", """
def f(x):
    xp = np.pad(x, ((0, 0), (1, 1)))
    return xp[:, :-2] + xp[:, 1:-1] * 2.0 + xp[:, 2:]
""", N(2, 4))
P("where_broadcast", """
def f(x, y):
    return np.where(x > 0, x * y, y)
""", A(2, 3), N(3), autograd_wrong="autograd's where does not sum a broadcast back")
P("sort_topk", """
def f(x):
    return np.sum(np.sort(x, axis=-1)[:, -2:] ** 2)
""", N(3, 4))
P("tile_rows", """
def f(x, w):
    return np.tile(x, (2, 1)) * w
""", N(2, 3), N(4, 3))
P("roll", """
def f(x):
    return x * np.roll(x, 1, axis=0)
""", N(3, 2))
P("squeeze_expand", """
def f(x):
    return np.squeeze(x, axis=1) * np.expand_dims(np.sum(x, axis=(1, 2)), -1)
""", N(3, 1, 4))
P("float32_affine_relu", """
def f(x, w, b):
    return np.maximum(0, x @ w + b)
""", N(2, 3), N(3, 3), N(3))
P("std_ddof", """
def f(x):
    return np.std(x, axis=0, ddof=1) + np.var(x, ddof=1)
""", N(4, 2))
P("setitem_slice_then_use", """
def f(x, y):
    out = np.zeros((3, 4))
    out[:, 1:3] = x
    out[0] = y
    return out * out
""", N(3, 2), N(4))
P("getitem_bool_mask", """
def f(x, m):
    return np.sum(x[m] ** 2) + np.sum(x[~m])
""", N(3, 3), B(3, 3), wrt=["x"])
P("dot_vec_vec_float_dout", """
def f(u, v):
    return np.dot(u, v) * 0.5
""", N(4), N(4))
P("matmul_row_col", """
def f(a, b):
    return (a @ b) ** 2
""", N(1, 3), N(3, 1))
P("prod_axis", """
def f(x):
    return np.prod(x, axis=1)
""", A(3, 3))
P("mean_keepdims_center", """
def f(x):
    c = x - x.mean(axis=(0, 1), keepdims=True)
    return np.sum(c ** 2)
""", N(2, 2, 2))
P("abs_sign", """
def f(x, y):
    return np.abs(x) * np.sign(y) + np.sqrt(np.abs(x) + 1.0)
""", A(4), A(4))
P("clip_grad_norm_style", """
def f(x, lo, hi):
    return np.sum(np.clip(x, lo, hi) ** 2)
""", N(5), F(-0.3), F(0.4))
P("arctan2_hypot", """
def f(x, y):
    return np.arctan2(y, x) + np.hypot(x, y)
""", A(3), A(3))
P("math_pure_float", """
def f(a, b):
    r = math.sqrt(a * a + b * b)
    t = math.atan2(b, a)
    return r * math.cos(t) + math.log1p(r)
""", F(1.0), F(0.5))
P("reshape_minus1_transpose", """
def f(x):
    y = x.reshape(-1, 2).T
    return np.sum(y[0] * y[1])
""", N(2, 3, 2))
P("swapaxes_batched", """
def f(x, w):
    return np.swapaxes(x, -1, -2) @ w
""", N(2, 3, 3), N(3, 2))
P("linalg_det_inv", """
def f(A):
    return np.linalg.det(A) + np.sum(np.linalg.inv(A))
""", lambda rng: rng.standard_normal((3, 3)) + 3 * np.eye(3))
P("fancy_two_arrays", """
def f(x, i, j):
    return np.sum(x[i, j] ** 2)
""", N(3, 3), K(np.array([0, 1, 0])), K(np.array([2, 2, 2])), wrt=["x"])
P("fancy_with_slice_middle", """
def f(x, idx):
    return np.sum(np.tanh(x[:, idx, 1:]))
""", N(2, 3, 3), K(np.array([2, 0, 2])), wrt=["x"])
P("triu_tril", """
def f(x):
    return np.sum(np.triu(x, 1) * np.tril(x).T)
""", N(3, 3))
P("diag_trace", """
def f(x, v):
    return np.trace(x @ np.diag(v)) + np.sum(np.diagonal(x) * v)
""", N(3, 3), N(3))
P("sum_of_list", """
def f(a, b):
    return np.sum([a * a, b, 1.0])
""", F(0.7), F(0.2))
P("unpack_tuple", """
def f(ab):
    a, b = ab
    return a * b
""", N(2, 3))
P("power_float_exp", """
def f(x, p):
    return np.sum(np.abs(x) ** p) ** (1.0 / p)
""", A(4), F(3.0))
P("logaddexp", """
def f(x, y):
    return np.logaddexp(x, y) - np.log1p(np.exp(-np.abs(x)))
""", N(3), N(3))
P("maximum_tie", """
def f(x):
    return np.sum(np.maximum(x, x[::-1]))
""", N(4))
P("einsum_batched_bilinear", """
def f(x, W, y):
    return np.einsum("bi,ij,bj->b", x, W, y)
""", N(2, 3), N(3, 3), N(2, 3))
P("var_float_arg_mixed", """
def f(x, scale):
    return np.sum((x * scale) ** 2) / x.shape[0]
""", N(4, 2), F(1.3))
P("mean_of_list_arrays", """
def f(x, y):
    return np.mean([x, y * 2.0], axis=0) ** 2
""", N(2, 3), N(2, 3))
P("tanh_of_list", """
def f(a, b):
    return np.sum(np.tanh([a, b]) ** 2)
""", F(0.3), F(-0.6))
P("prod_list", """
def f(a, b, c):
    return np.prod([a, b, c])
""", F(0.3), F(-0.6), F(1.5))
P("relu_mask_inplace_intermediate", """
def f(x, w):
    h = x @ w
    h[h < 0] = 0
    return np.sum(h ** 2)
""", N(3, 3), N(3, 3))
P("residual_augassign", """
def f(x, w, b):
    h = np.tanh(x @ w)
    h += b
    h *= 0.5
    return h
""", N(2, 3), N(3, 3), N(3))
P("copy_then_scale_rows", """
def f(x):
    out = x.copy()
    out[0] *= 2.0
    return out * x
""", N(3, 2))
P("positional_axis_sum", """
def f(x):
    return x.sum(-1) * np.mean(x, -1) + x.max(1)
""", N(3, 4))
P("pairwise_sq_dists", """
def f(x):
    d = x[:, None, :] - x[None, :, :]
    return np.sum(np.exp(-np.sum(d ** 2, axis=-1)))
""", N(3, 2))
P("rbf_kernel_sigma", """
def f(x, y, sigma):
    d2 = np.sum((x[:, None] - y[None]) ** 2, axis=2)
    return np.exp(-d2 / (2 * sigma ** 2))
""", N(3, 2), N(4, 2), F(0.9))
P("gelu_tanh_approx", """
def gelu(x):
    return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))
""", N(2, 3))
P("swish_beta", """
def swish(x, beta):
    return x / (1 + np.exp(-beta * x))
""", N(4), F(1.2))
P("softplus_stable", """
def softplus(x):
    return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))
""", A(5))
P("masked_attention", """
def attn(q, k, mask):
    s = q @ k.T
    s = np.where(mask, s, -1e9)
    s = s - s.max(axis=-1, keepdims=True)
    p = np.exp(s)
    return p / p.sum(axis=-1, keepdims=True)
""", N(3, 2), N(3, 2), K(np.tril(np.ones((3, 3), bool))), wrt=["q", "k"])
P("cross_entropy_onehot", """
def ce(logits, onehot):
    z = logits - np.max(logits, axis=-1, keepdims=True)
    logp = z - np.log(np.sum(np.exp(z), axis=-1, keepdims=True))
    return -np.mean(np.sum(onehot * logp, axis=-1))
""", N(4, 3), K(np.eye(3)[[0, 2, 1, 2]]), wrt=["logits"])
P("focal_loss", """
def focal(p, y, gamma):
    pt = np.where(y == 1, p, 1 - p)
    return -np.sum((1 - pt) ** gamma * np.log(pt))
""", U(0.1, 0.9, 5), K(np.array([1, 0, 1, 1, 0])), F(2.0), wrt=["p", "gamma"])
P("triplet_margin", """
def triplet(a, p, n, margin):
    dp = np.sum((a - p) ** 2, axis=1)
    dn = np.sum((a - n) ** 2, axis=1)
    return np.mean(np.maximum(0.0, dp - dn + margin))
""", N(4, 3), N(4, 3), N(4, 3), F(0.5))
P("contrastive", """
def contrastive(x1, x2, y, m):
    d = np.sqrt(np.sum((x1 - x2) ** 2, axis=-1) + 1e-9)
    return np.mean(y * d ** 2 + (1 - y) * np.maximum(m - d, 0) ** 2)
""", N(4, 2), N(4, 2), M(4), F(2.0), wrt=["x1", "x2", "m"])
P("harmonic_energy", """
def energy(q, p, k, m):
    return np.sum(p ** 2) / (2 * m) + 0.5 * k * np.sum(q ** 2)
""", N(3), N(3), F(2.0), F(1.5))
P("gravity_pairs_upper", """
def potential(pos, masses):
    diff = pos[:, None, :] - pos[None, :, :]
    r = np.sqrt(np.sum(diff ** 2, axis=-1) + np.eye(pos.shape[0]))
    mm = masses[:, None] * masses[None, :]
    return -np.sum(np.triu(mm / r, 1))
""", N(4, 3), U(1, 2, 4))
P("ravel_flatten", """
def f(x):
    return np.sum(x.ravel() * x.flatten()[::-1])
""", N(2, 3))
P("ellipsis_index", """
def f(x):
    return x[..., 0] * x[..., -1]
""", N(2, 2, 3))
P("transpose_1d_T", """
def f(v, w):
    return v.T @ w + np.sum(v.T)
""", N(3), N(3))
P("squeeze_noaxis", """
def f(x):
    return np.squeeze(x) ** 2
""", N(1, 3, 1))
P("norm_axis_keepdims", """
def f(x):
    return x / np.linalg.norm(x, axis=1, keepdims=True)
""", N(3, 4), autograd_wrong="autograd's norm with axis and keepdims has the wrong shape")
P("linalg_norm_full", """
def f(x):
    return np.linalg.norm(x) * x
""", N(2, 2))
P("mean_neg_axis_tuple", """
def f(x):
    return np.mean(x, axis=(-1, -3))
""", N(2, 3, 2))
P("var_keepdims_neg", """
def f(x):
    return (x - x.mean(-1, keepdims=True)) / np.sqrt(x.var(-1, keepdims=True) + 1e-5)
""", N(2, 1, 3))
P("dropout_float_p", """
def dropout(x, mask, p):
    return x * mask / (1 - p)
""", N(3, 3), M(3, 3), F(0.3), wrt=["x", "p"])
P("polynomial_horner", """
def poly(x, c0, c1, c2, c3):
    return ((c3 * x + c2) * x + c1) * x + c0
""", N(5), F(0.5), F(-1.0), F(2.0), F(0.1))
P("matmul_3d_3d_batched", """
def f(a, b):
    return np.sum(np.matmul(a, b) ** 2)
""", N(2, 2, 2), N(2, 2, 2))
P("matmul_broadcast_batch", """
def f(a, b):
    return a @ b
""", N(3, 2, 2), N(2, 2))
P("matmul_vec_batched_left", """
def f(v, B):
    return v @ B
""", N(2), N(3, 2, 2))
P("dot_0d_array", """
def f(s, x):
    return np.dot(x, s)
""", lambda rng: np.array(1.3), N(2, 2))
P("sum_keepdims_broadcast_back", """
def f(x, w):
    return x * np.sum(w, axis=0, keepdims=True)
""", N(3, 2), N(4, 2))
P("where_scalar_branches", """
def f(x, a, b):
    return np.where(x > 0, a, b) * x
""", A(4), F(0.5), F(2.0), autograd_wrong="autograd's where does not sum a broadcast back")
P("min_builtin_float", """
def f(a, b):
    return min(a * b, a + b) ** 2
""", F(0.5), F(1.5))
P("math_exp_array_mixed", """
def f(x, t):
    return np.exp(-x / t) * math.exp(-t)
""", N(3), F(1.2))
P("abs_max_normalise", """
def f(x):
    return x / np.max(np.abs(x))
""", A(4))
P("cumprod_survival", """
def f(h):
    s = np.cumprod(1 - h)
    return np.sum(s)
""", U(0.1, 0.5, 4))
P("diff_smoothness", """
def f(x):
    return np.sum(np.diff(x, axis=0) ** 2)
""", N(4, 2))
P("take_along_axis_gather", """
def f(x, idx):
    return np.sum(np.take_along_axis(x, idx, axis=1) ** 2)
""", N(3, 4), K(np.array([[0], [3], [3]])), wrt=["x"])
P("take_repeated", """
def f(x):
    return np.take(x, [0, 0, 2]) * np.arange(3.0)
""", N(3))
P("indexed_assign_column_repeat", """
def f(x, b):
    t = x * 1.0
    t[:, [0, 2, 0]] = b
    return t * t
""", N(2, 3), N(2, 3))
P("int_pow_negative_exp", """
def f(x):
    return np.sum(x ** -2)
""", A(4))
P("reciprocal_and_square", """
def f(x):
    return np.reciprocal(x) + np.square(x)
""", A(3))
P("tanh_rnn_unrolled_three", """
def f(x0, x1, x2, h, Wx, Wh):
    h = np.tanh(x0 @ Wx + h @ Wh)
    h = np.tanh(x1 @ Wx + h @ Wh)
    h = np.tanh(x2 @ Wx + h @ Wh)
    return h
""", N(2, 2), N(2, 2), N(2, 2), N(2, 2), N(2, 2), N(2, 2))
P("affine_float32_size1", """
def f(x, w, b):
    return x @ w + b
""", N(1, 1), N(1, 1), N(1))
P("outer_self", """
def f(v):
    return np.sum(np.outer(v, v) * np.arange(9.0).reshape(3, 3))
""", N(3))
P("kron_small", """
def f(a, b):
    return np.kron(a, b)
""", N(2, 2), N(2, 1))
P("einsum_trace_like", """
def f(a, b):
    return np.einsum("ij,ji->", a, b)
""", N(3, 3), N(3, 3))
P("einsum_batch_outer", """
def f(a, b):
    return np.einsum("bi,bj->bij", a, b)
""", N(2, 3), N(2, 2))
P("broadcast_to_then_sum", """
def f(x):
    return np.sum(np.broadcast_to(x, (3, 2)) * np.arange(6.0).reshape(3, 2))
""", N(2))
P("atleast_2d_T", """
def f(v):
    return np.atleast_2d(v).T @ np.atleast_2d(v)
""", N(3))
P("sinc_cos_product", """
def f(x):
    return np.cos(x) * np.sin(2 * x) / (1 + x ** 2)
""", N(4))
P("float_only_args_np", """
def f(a, b):
    return np.exp(a) * np.tanh(b) + np.sqrt(a * a + 1.0)
""", F(0.3), F(-0.4))
P("zeros_0d_param_sum", """
def f(x, s):
    return np.sum(x) * s + s
""", N(3), lambda rng: np.array(0.7))
P("fancy_iadd_repeated", """
def f(x, v):
    t = x * 1.0
    t[[0, 0, 1]] += v
    return t
""", N(3, 2), N(3, 2))
P("fancy_iadd_unique", """
def f(x, v):
    t = x * 2.0
    t[[2, 0]] += v
    return t
""", N(3, 2), N(2, 2))
P("mask_iadd_scalar_param", """
def f(x, c):
    t = x * 1.0
    t[x > 0] += c
    return t * x
""", A(3, 3), F(0.4))
P("slice_imul", """
def f(x, s):
    t = x + 0.0
    t[1:] *= s
    return t
""", N(3, 2), N(2))
P("sum_keepdims_none", """
def f(x):
    return x / np.sum(x, axis=None, keepdims=True)
""", U(0.5, 1.5, 2, 2))
P("array_constant_times", """
def f(x):
    return np.array([1.0, 2.0, 3.0]) * x + np.float32(0.5) * x
""", N(2, 3))
P("sqrt_pow_half", """
def f(x):
    return x ** 0.5 + np.power(x, 1.5)
""", U(0.5, 2, 4))
P("power_two_arrays", """
def f(x, y):
    return np.power(x, y)
""", U(0.5, 2, 3), N(3))
P("gram_matrix", """
def f(x):
    return x @ x.T
""", N(3, 3))
P("linalg_solve_quad", """
def f(A, b):
    x = np.linalg.solve(A, b)
    return np.sum(x * b)
""", lambda rng: rng.standard_normal((3, 3)) + 3 * np.eye(3), N(3))
P("cholesky_logdet", """
def f(S):
    L = np.linalg.cholesky(S)
    return 2.0 * np.sum(np.log(np.diagonal(L)))
""", lambda rng: (lambda a: a @ a.T + 3 * np.eye(3))(rng.standard_normal((3, 3))))
P("newaxis_middle", """
def f(x, y):
    return np.sum(x[None, :, None] * y[:, None, :])
""", N(3), N(2, 4))
P("hstack_vstack", """
def f(a, b):
    return np.vstack([np.hstack([a, b]), np.hstack([b, a])]) ** 2
""", N(2, 1), N(2, 1))
P("split_halves", """
def f(x):
    a, b = np.split(x, 2, axis=1)
    return a * b
""", N(2, 4))
P("mean_of_squares_float32", """
def f(x):
    return np.mean(x ** 2, axis=-1, keepdims=True)
""", N(1, 1, 3))
P("chain_comparisons_where", """
def f(x):
    return np.where((x > -0.5) & (x < 0.5), x ** 2, np.abs(x) - 0.25)
""", A(5))
P("negative_step_slice_assign", """
def f(x, y):
    t = np.zeros((4, 2))
    t[::-2] = y
    return t + x
""", N(4, 2), N(2, 2))
P("getitem_int_then_slice", """
def f(x):
    return x[1][::-1] * x[-1, 1:]
""", N(3, 2))
P("two_outputs_shared", """
def f(x, w):
    h = np.tanh(x @ w)
    return h, h.sum()
""", N(2, 2), N(2, 2))
P("zero_size_axis", """
def f(x, w):
    return np.sum(x @ w) + np.sum(x)
""", N(0, 3), N(3, 2))
P("logsumexp_keepdims_manual", """
def f(x):
    m = np.max(x, axis=0, keepdims=True)
    return m + np.log(np.sum(np.exp(x - m), axis=0, keepdims=True))
""", N(3, 2))
P("minimum_maximum_clamp", """
def f(x, lo, hi):
    return np.minimum(np.maximum(x, lo), hi)
""", N(5), F(-0.2), F(0.3))
P("clip_arrays_bounds", """
def f(x, lo, hi):
    return np.clip(x, lo, hi)
""", N(4), N(4), N(4))
P("mean_int_count_divide", """
def f(x, n):
    return np.sum(x) / n
""", N(3), K(3))
P("scalar_array_mix_inplace", """
def f(x, a):
    y = x * a
    y -= a
    y /= 2.0
    return y
""", N(3), F(0.5))
P("rsqrt_eps", """
def f(x, eps):
    return x / np.sqrt(np.mean(x * x) + eps)
""", N(4), F(1e-3))
P("cross_product", """
def f(a, b):
    return np.cross(a, b)
""", N(3), N(3))
P("fliplr_rot90", """
def f(x):
    return np.fliplr(x) * np.rot90(x)
""", N(3, 3))
P("expm1_log1p_chain", """
def f(x):
    return np.log1p(np.expm1(np.abs(x)) + 1.0)
""", A(3))
P("sigmoid_bce", """
def bce(z, y):
    p = 1.0 / (1.0 + np.exp(-z))
    return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
""", N(5), M(5), wrt=["z"])
P("subscript_write_into_param_copy", """
def f(x):
    y = x ** 2.0
    z = x.copy()
    z[0] = y[1] * y[2]
    return np.sum(z * y)
""", N(3))
P("list_then_index", """
def f(a):
    x = [1.0, a, 3.0]
    return x[0] * x[1]
""", F(0.4))
P("deep_list_sum", """
def f(x):
    b = [1.0, x[0] * x[1] * x[2], 3.0]
    return np.sum(b)
""", N(3))
P("overwrite_call", """
def f(x):
    x = np.sum(x)
    x = x * x
    return x
""", N(3))
P("cast_sum_list", """
def f(x):
    return np.sum(np.array(x))
""", N(4))
P("exp_exp", """
def f(a):
    return np.exp(np.exp(a))
""", N(3))
P("cart2polar", """
def f(a, b):
    r = np.sqrt(a ** 2.0 + b ** 2.0)
    theta = np.arctan2(b, a)
    return r, theta
""", A(2), A(2))
P("reg_loss_float32_pyfloat", """
def loss(W1, W2, reg):
    return 0.5 * reg * (np.sum(W1 * W1) + np.sum(W2 * W2))
""", N(3, 2), N(2, 1), F(0.01))
P("mse_mean", """
def mse(pred, y):
    return np.mean((pred - y) ** 2)
""", N(4, 1), N(4, 1), wrt=["pred"])
P("l1_abs_sum_axis", """
def f(x, w):
    return np.sum(np.abs(x @ w), axis=0)
""", A(3, 2), A(2, 2))
P("max_axis_none_keepdims", """
def f(x):
    return x - np.max(x, keepdims=True)
""", N(2, 3))
P("amin_tuple_axis", """
def f(x):
    return np.min(x, axis=(0, 2)) * 2.0
""", N(2, 3, 2))
P("mean_0d_input", """
def f(x, y):
    return np.mean(x) * y
""", lambda rng: np.array(0.5), N(2))
P("sum_0d_input", """
def f(x):
    return np.sum(x) * 3.0
""", lambda rng: np.array(0.5))
P("tanh_0d", """
def f(x):
    return np.tanh(x)
""", lambda rng: np.array(0.25))
P("reshape_to_0d", """
def f(x):
    return x.reshape(()) * 2.0
""", N(1, 1))
P("item_like_index", """
def f(x):
    return x[0, 0] * x[-1, -1]
""", N(2, 2))
P("batched_diag_embed", """
def f(v, M):
    return np.sum(np.diag(v) @ M)
""", N(2), N(2, 2))
P("vdot_inner", """
def f(a, b):
    return np.vdot(a, b) + np.inner(a, b)
""", N(3), N(3))
P("average_weights", """
def f(x):
    return np.average(x, axis=0)
""", N(3, 2))
P("maximum_with_float_param", """
def f(x, floor):
    return np.sum(np.maximum(x, floor))
""", N(4), F(0.1))
P("softmax_temperature", """
def f(z, T):
    e = np.exp((z - np.max(z)) / T)
    return e / np.sum(e)
""", N(4), F(0.7))
P("equal_dims_transposes", """
def f(x):
    return np.transpose(x, (2, 0, 1)) * np.arange(8.0).reshape(2, 2, 2) + x.transpose(1, 2, 0)
""", N(2, 2, 2))
P("moveaxis_neg", """
def f(x):
    return np.moveaxis(x, -1, 0) * np.arange(8.0).reshape(2, 2, 2)
""", N(2, 2, 2))
P("expand_dims_neg_tuple", """
def f(v):
    return np.expand_dims(v, (-1, 0)) * np.ones((1, 3, 1))
""", N(3))
P("setitem_neg_list_dupe", """
def f(x, b):
    t = x * 1.0
    t[[-1, 2]] = b
    return t
""", N(3, 2), N(2, 2))
# fmt: on
