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

    def args(self, seed: int = 0) -> list:
        rng = np.random.default_rng([seed, len(self.name)])
        return [m(rng) for m in self.makers]


PROGRAMS: list[Program] = []


def P(
    name: str,
    body: str,
    *makers: Maker,
    wrt=None,
    expect_wrt=None,
    autograd_wrong=None,
    bug=None,
) -> None:
    assert all(p.name != name for p in PROGRAMS), name
    source = HEADER + textwrap.dedent(body).strip() + "\n"
    PROGRAMS.append(
        Program(
            name,
            source,
            makers,
            None if wrt is None else tuple(wrt),
            None if expect_wrt is None else tuple(expect_wrt),
            autograd_wrong,
            bug,
        )
    )


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
WHERE_NAN = "autograd's where lets the untaken branch's NaN through (the double-where trap)"

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
""", N(3, 4), U(0, 1, 3, 4), K({"p": 0.5, "mode": "train"}), expect_wrt=["x"], bug="upcast-dtype")
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
""", N(2, 3, 4), N(2, 5, 4), N(2, 5, 2), bug="upcast-dtype")
P("triplet_loss", """
def triplet_loss(a, p, n, margin):
    d_pos = np.sum((a - p) ** 2, axis=1)
    d_neg = np.sum((a - n) ** 2, axis=1)
    return np.mean(np.maximum(0, d_pos - d_neg + margin))
""", N(4, 3), N(4, 3), N(4, 3), F(2.0), wrt=["a", "p", "n"])
P("l2_reg_update_style", """
def reg_loss(W, reg):
    return 0.5 * reg * np.sum(W * W)
""", N(3, 4), F(0.1), bug="float-scalar-dtype")
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
""", N(3, 2), F(0.8), bug="float-scalar-dtype")
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
""", N(3), N(5, 3), N(5), F(0.1), wrt=["w", "lam"], bug="float-scalar-dtype")
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
""", N(3, 2), N(4, 2), F(1.2), bug="float-scalar-dtype")
P("diag_gaussian_loglik", """
def loglik(x, mu, var):
    return -0.5 * np.sum(np.log(2 * math.pi * var) + (x - mu) ** 2 / var, axis=1)
""", N(3, 4), N(4), U(0.5, 2, 4))
P("spring_chain", """
def spring_energy(p, k, L):
    seg = np.sqrt(np.sum((p[1:] - p[:-1]) ** 2, axis=1))
    return 0.5 * k * np.sum((seg - L) ** 2)
""", N(5, 2), F(3.0), F(1.0), bug="float-scalar-dtype")
P("planck", """
def planck(lam, T):
    c1 = 3.74
    c2 = 1.44
    return c1 / lam ** 5 / (np.exp(c2 / (lam * T)) - 1.0)
""", U(0.5, 2, 4), F(2.0), bug="float-scalar-dtype")
P("arrhenius", """
def arrhenius(A, Ea, T):
    R = 8.314
    return A * np.exp(-Ea / (R * T))
""", F(2.0), F(10.0), U(1, 3, 4), bug="float-scalar-dtype")
P("kinetic_energy_float_mass", """
def kinetic(v, m):
    return 0.5 * m * np.sum(v ** 2)
""", N(3, 2), F(2.0), bug="float-scalar-dtype")
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
""", N(4), K(4), expect_wrt=["x", "n"], bug="float-scalar-dtype")

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
""", N(3, 3, 3), autograd_wrong=NEG_TRANSPOSE, bug="upcast-dtype")
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
""", F(1.5), N(3, 2), bug="dot-float")
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
""", F(0.3), N(3), bug="upcast-dtype")
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
# fmt: on
