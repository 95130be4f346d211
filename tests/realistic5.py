# ruff: noqa: E501
"""Realistic programs, fifth round: the angles earlier corpora missed.

Modules as users write them, with several functions, module constants,
helpers in the same file and imports such as `from numpy import exp, log`,
`import numpy.linalg as la`, `import math as m`; the contract's corners
(int, bool, float32 and 0-d array arguments, Python lists, keyword-only and
defaulted parameters, tuple outputs, `wrt` subsets in any order); loops and
branches as users write them (early `return` in a nested loop, `break`,
`while` with a counter, accumulations, `x[i] += ...` on a fresh array, an
optimiser step inside the forward); numerically delicate code (log-sum-exp,
`np.logaddexp`, `np.where` with inf branches, `np.clip`, `abs`, ties).
Checked by tests/test_realistic_flow.py with tests/test_realistic.py's
classifier.
"""

from __future__ import annotations

import numpy as np
from realistic import A, F, K, L, N, Program, U, registrar
from realistic4 import D

PROGRAMS5: list[Program] = []

FROM_NUMPY = "from numpy import exp, log, maximum, sqrt, tanh\nimport numpy as np\n\n\n"
LA = "import numpy as np\nimport numpy.linalg as la\n\n\n"
MATH_AS = "import math as m\n\nimport numpy as np\n\n\n"
FROM_MATH = "from math import exp, log, sqrt, pi\n\n\n"


P = registrar(PROGRAMS5)


def Z(value: float, dtype=np.float64):
    """A 0-d array near `value`."""
    return lambda rng: np.array(value + 0.05 * rng.standard_normal(), dtype)


def LS(*shape: int):
    """A Python list (nested for 2-D) of floats."""
    return lambda rng: rng.standard_normal(shape).tolist()


def INT(value: int):
    """A Python int."""
    return lambda rng: value


# fmt: off
# -- imports and module constants -----------------------------------------------------
P("from_numpy_mlp", """
def mlp(x, W1, b1, W2, b2):
    h = tanh(x @ W1 + b1)
    return log(1 + exp(h @ W2 + b2)).sum()
""", N(4, 3), N(3, 5), N(5), N(5, 2), N(2), header=FROM_NUMPY)
P("from_numpy_relu_maximum", """
def net(x, W):
    return maximum(x @ W, 0.0).mean()
""", N(4, 3), A(3, 5), header=FROM_NUMPY)
P("from_numpy_sqrt_norm", """
def normalise(v):
    return v / sqrt((v * v).sum() + 1e-8)
""", N(5), header=FROM_NUMPY)
P("la_norm_loss", """
def loss(W, X):
    R = X @ W
    return la.norm(R) + 0.5 * la.norm(W, 'fro') ** 2
""", N(3, 4), N(5, 3), header=LA)
P("la_inv_quadratic", """
def quad(A, b):
    S = A @ A.T + 3 * np.eye(A.shape[0])
    return b @ la.inv(S) @ b
""", N(3, 3), N(3), header=LA)
P("la_solve_det", """
def gp_nll(K, y):
    alpha = la.solve(K, y)
    return 0.5 * y @ alpha + 0.5 * np.log(la.det(K))
""", lambda rng: (lambda a: a @ a.T + 4 * np.eye(4))(rng.standard_normal((4, 4))), N(4), header=LA)
P("math_as_m_scalar", """
def bump(x, y):
    r2 = x * x + y * y
    return m.exp(-r2) * m.cos(m.pi * x) + m.sqrt(1 + r2)
""", F(0.4), F(-0.3), header=MATH_AS)
P("math_as_m_with_arrays", """
def scaled(x, temperature):
    z = x / temperature
    return np.sum(np.exp(z)) * m.log(temperature)
""", N(5), F(1.5), header=MATH_AS)
P("from_math_scalar_gaussian", """
def gaussian_pdf(x, mu, sigma):
    return exp(-(x - mu) ** 2 / (2 * sigma ** 2)) / sqrt(2 * pi * sigma ** 2)
""", F(0.3), F(0.1), F(1.2), header=FROM_MATH)
P("from_math_scalar_logpdf", """
def log_normal(x, mu, sigma):
    return -log(sigma) - 0.5 * log(2 * pi) - (x - mu) ** 2 / (2 * sigma * sigma)
""", F(0.3), F(0.1), F(1.2), header=FROM_MATH)
P("module_constants_leaky", """
ALPHA = 0.01
EPS = 1e-6
HIDDEN = 5


def leaky(x, W):
    z = x @ W
    return np.where(z > 0, z, ALPHA * z).sum() / (np.abs(z).sum() + EPS)
""", N(4, 3), A(3, 5))
P("module_constant_array", """
WEIGHTS = np.array([0.5, 1.0, 2.0])


def weighted_mse(pred, target):
    return np.mean(WEIGHTS * (pred - target) ** 2)
""", N(4, 3), N(4, 3), wrt=["pred"])
P("module_tuple_constant_axis", """
AXES = (0, 1)


def spatial_mean(x, gamma):
    mu = x.mean(axis=AXES, keepdims=True)
    return (gamma * (x - mu) ** 2).sum()
""", N(3, 4, 2), N(2))
P("helpers_same_file_chain", """
def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def bce(p, y):
    return -(y * np.log(p) + (1 - y) * np.log(1 - p)).mean()


def logistic_loss(w, b, X, y):
    return bce(sigmoid(X @ w + b), y)
""", N(3), F(0.1), N(6, 3), lambda rng: rng.integers(0, 2, 6).astype(float), wrt=["w", "b"], function="logistic_loss")
P("helpers_called_twice", """
def dense(x, W, b):
    return x @ W + b


def relu(x):
    return np.maximum(x, 0)


def net(x, W1, b1, W2, b2):
    h = relu(dense(x, W1, b1))
    h2 = relu(dense(h, W2, b2))
    return h2.sum()
""", N(4, 3), N(3, 5), A(5), N(5, 2), A(2), function="net")
P("helper_uses_module_constant", """
SCALE = 0.5


def swish(z):
    return z / (1 + np.exp(-SCALE * z))


def model(x, W):
    return swish(x @ W).sum()
""", N(4, 3), N(3, 2), function="model")
# -- the contract's corners -----------------------------------------------------------
P("zero_d_args", """
def f(a, b, x):
    return np.sum(a * x ** 2 + b * x)
""", Z(0.5), Z(-1.0), N(5))
P("zero_d_math_exp", """
def f(a, x):
    return math.exp(a) * np.sum(x) + math.tanh(a)
""", Z(0.5), N(3))
P("list_argument_weights", """
def f(x, coeffs):
    c = np.asarray(coeffs)
    return np.sum(c * x ** 2)
""", N(3), LS(3), wrt=["x"])
P("list_argument_array_call", """
def poly(x, coeffs):
    c = np.array(coeffs)
    return (c[0] + c[1] * x + c[2] * x ** 2).sum()
""", N(5), LS(3), wrt=["x", "coeffs"])
P("int_size_argument", """
def moving_average_loss(x, k):
    n = x.shape[0] - k + 1
    acc = np.zeros(n)
    for i in range(k):
        acc = acc + x[i:i + n]
    return np.sum((acc / k) ** 2)
""", N(7), INT(3), expect_wrt=["x"])
P("bool_flag_argument", """
def act(x, W, use_relu):
    z = x @ W
    if use_relu:
        z = np.maximum(z, 0)
    return z.sum()
""", N(4, 3), A(3, 2), K(True), wrt=["x", "W"])
P("float32_layer", """
def layer(x, W, b):
    return np.tanh(x @ W + b).mean()
""", D(np.float32, 4, 3), D(np.float32, 3, 2), D(np.float32, 2))
P("keyword_only_params", """
def huber(pred, target, *, delta=1.0):
    r = pred - target
    a = np.abs(r)
    return np.where(a <= delta, 0.5 * r ** 2, delta * (a - 0.5 * delta)).sum()
""", N(6), N(6), wrt=["pred"])
P("keyword_only_defaults", """
def scaled_loss(x, *, scale=2.0, shift=0.0):
    return np.sum((x * scale + shift) ** 2)
""", N(4), F(1.5), F(0.2))
P("defaults_with_int_and_float", """
def smooth_l1(x, beta=1.0, reduction=1):
    a = np.abs(x)
    l = np.where(a < beta, 0.5 * x ** 2 / beta, a - 0.5 * beta)
    return l.mean() * reduction
""", A(6))
P("tuple_output_loss_and_aux", """
def loss_and_probs(logits, y):
    z = logits - logits.max(axis=1, keepdims=True)
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    loss = -np.log(p[np.arange(len(y)), y]).mean()
    return loss, p
""", N(4, 3), L(4, 3), expect_wrt=["logits"])
P("tuple_output_three", """
def stats(x, w):
    s = x @ w
    return s.sum(), (s ** 2).mean(), np.tanh(s)
""", N(4, 3), N(3))
P("wrt_reversed_order", """
def affine_loss(x, W, b):
    return np.sum((x @ W + b) ** 2)
""", N(4, 3), N(3, 2), N(2), wrt=["b", "x"])
P("wrt_middle_only", """
def bilinear(x, A, y):
    return x @ A @ y
""", N(3), N(3, 4), N(4), wrt=["A"])
# -- loops and branches as users write them -------------------------------------------
P("early_return_nested_loop", """
def first_hit(x, w, thresh=2.0):
    total = 0.0
    for i in range(x.shape[0]):
        for j in range(x.shape[1]):
            total = total + x[i, j] * w[j]
            if total > thresh:
                return total * 2.0
    return total
""", N(3, 4), N(4), wrt=["x", "w"])
P("break_in_loop", """
def partial_sum(x, limit):
    s = 0.0
    for v in x:
        s = s + v * v
        if s > limit:
            break
    return s
""", N(6), K(2.5), wrt=["x"])
P("while_counter", """
def power_iteration(A, v):
    k = 0
    while k < 5:
        v = A @ v
        v = v / np.linalg.norm(v)
        k += 1
    return v @ A @ v
""", lambda rng: (lambda a: a + a.T)(rng.standard_normal((3, 3))), N(3))
P("accumulate_float_and_array", """
def accumulate(xs, w):
    s = 0.0
    acc = np.zeros_like(w)
    for x in xs:
        s += np.dot(x, w)
        acc += x * w
    return s + np.sum(acc ** 2)
""", N(4, 3), N(3))
P("inplace_item_fresh_array", """
def cumulative(x):
    n = x.shape[0]
    out = np.zeros(n)
    for i in range(n):
        out[i] += x[i] * 2
        if i > 0:
            out[i] += out[i - 1]
    return np.sum(out ** 2)
""", N(5))
P("inplace_item_straight", """
def features(x):
    phi = np.zeros(3)
    phi[0] = x[0] * x[1]
    phi[1] += x[1] ** 2
    phi[2] = np.sin(x[2])
    return phi @ phi
""", N(3))
P("euler_integration_loop", """
def simulate(k, x0, v0, dt=0.1, steps=20):
    x, v = x0, v0
    for _ in range(steps):
        a = -k * x
        v = v + dt * a
        x = x + dt * v
    return x ** 2 + v ** 2
""", F(1.3), F(0.5), F(-0.2), wrt=["k", "x0", "v0"])
P("rnn_loop_tanh", """
def rnn_loss(xs, h0, Wxh, Whh, Why):
    h = h0
    loss = 0.0
    for t in range(xs.shape[0]):
        h = np.tanh(xs[t] @ Wxh + h @ Whh)
        y = h @ Why
        loss += 0.5 * np.sum(y ** 2)
    return loss
""", N(4, 3), N(5), N(3, 5), N(5, 5), N(5, 2))
P("sgd_step_in_forward", """
def loss_after_step(W, X, y, lr=0.1):
    pred = X @ W
    dW = X.T @ (pred - y) / X.shape[0]
    W = W - lr * dW
    return 0.5 * np.mean((X @ W - y) ** 2)
""", N(3), N(6, 3), N(6), wrt=["W"])
P("sgd_step_inplace_sub", """
def loss_after_step(W, X, y, lr=0.1):
    dW = X.T @ (X @ W - y) / X.shape[0]
    W2 = W.copy()
    W2 -= lr * dW
    return 0.5 * np.mean((X @ W2 - y) ** 2)
""", N(3), N(6, 3), N(6), wrt=["W"])
P("branch_on_scalar_param", """
def piecewise(x, a):
    if a > 0:
        y = np.exp(a) * x
    else:
        y = a * x ** 2
    return y.sum()
""", N(4), F(0.7))
P("branch_on_shape", """
def flatten_if_needed(x, W):
    if x.ndim > 2:
        x = x.reshape(x.shape[0], -1)
    return np.sum(np.tanh(x @ W))
""", N(2, 3, 2), N(6, 4))
P("loop_over_layers_list", """
def deep(x, W1, W2, W3):
    h = x
    for W in [W1, W2, W3]:
        h = np.tanh(h @ W)
    return h.sum()
""", N(2, 3), N(3, 3), N(3, 3), N(3, 1))
P("zip_loop_pairs", """
def pairwise(xs, ys, w):
    total = 0.0
    for x, y in zip(xs, ys):
        total = total + (x @ w - y) ** 2
    return total
""", N(5, 3), N(5), N(3), wrt=["xs", "w"])
P("enumerate_weighted", """
def discounted(rewards, gamma=0.9):
    total = 0.0
    for t, r in enumerate(rewards):
        total = total + gamma ** t * r
    return total
""", N(5), wrt=["rewards"])
# -- numerically delicate ---------------------------------------------------------------
P("logsumexp_stable", """
def logsumexp(x):
    c = x.max()
    return c + np.log(np.sum(np.exp(x - c)))
""", N(6))
P("logsumexp_rows_keepdims", """
def log_softmax(x):
    m = np.max(x, axis=-1, keepdims=True)
    return x - m - np.log(np.sum(np.exp(x - m), axis=-1, keepdims=True))
""", N(3, 4))
P("softplus_logaddexp", """
def softplus_loss(z, y):
    return np.mean(np.logaddexp(0, -y * z))
""", N(6), lambda rng: rng.choice([-1.0, 1.0], 6), wrt=["z"])
P("logaddexp_two_arrays", """
def mix(a, b):
    return np.logaddexp(a, b).sum()
""", N(5), N(5))
P("where_with_log_guard", """
def safe_log_loss(p):
    return np.sum(np.where(p > 0, -np.log(np.where(p > 0, p, 1.0)), 0.0))
""", U(0.1, 1.0, 5))
P("clip_probabilities", """
def bce(p, y):
    p = np.clip(p, 1e-7, 1 - 1e-7)
    return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
""", U(0.05, 0.95, 6), lambda rng: rng.integers(0, 2, 6).astype(float), wrt=["p"])
P("abs_l1_penalty", """
def lasso(w, X, y, lam=0.1):
    r = X @ w - y
    return 0.5 * r @ r + lam * np.abs(w).sum()
""", A(4), N(6, 4), N(6), wrt=["w"])
P("max_pool_1d", """
def max_pool(x):
    return np.max(x.reshape(-1, 2), axis=1).sum()
""", N(8))
P("hinge_maximum", """
def hinge(w, X, y):
    margins = 1 - y * (X @ w)
    return np.maximum(0, margins).mean()
""", N(3), N(8, 3), lambda rng: rng.choice([-1.0, 1.0], 8), wrt=["w"])
P("sqrt_with_eps", """
def charbonnier(x, y, eps=1e-3):
    return np.sum(np.sqrt((x - y) ** 2 + eps ** 2))
""", N(5), N(5), wrt=["x", "y"])
P("log1p_expm1", """
def f(x):
    return np.sum(np.log1p(np.exp(-np.abs(x))) + np.maximum(x, 0))
""", A(5))
P("python_max_min_scalars", """
def clipped_ratio(ratio, adv, eps=0.2):
    return min(ratio * adv, max(min(ratio, 1 + eps), 1 - eps) * adv)
""", F(1.1), F(0.7), wrt=["ratio", "adv"])
P("ppo_clip_arrays", """
def ppo(ratio, adv, eps=0.2):
    clipped = np.clip(ratio, 1 - eps, 1 + eps)
    return -np.mean(np.minimum(ratio * adv, clipped * adv))
""", U(0.5, 1.5, 8), N(8), wrt=["ratio"])
# -- Python lists and np.asarray, as scipy.optimize users call -----------------------
P("scipy_rosen_asarray", """
def rosen(x):
    x = np.asarray(x)
    r = np.sum(100.0 * (x[1:] - x[:-1] ** 2.0) ** 2.0 + (1 - x[:-1]) ** 2.0, axis=0)
    return r
""", N(5))
P("scipy_rosen_list_argument", """
def rosen(x):
    x = np.asarray(x)
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2.0) ** 2.0 + (1 - x[:-1]) ** 2.0)
""", LS(4))
P("asarray_dtype_list_2d", """
def loss(X, w):
    X = np.asarray(X)
    return np.sum(np.log1p(np.exp(X @ w)))
""", LS(3, 2), N(2))
P("asarray_two_params", """
def objective(params, data):
    params = np.asarray(params)
    data = np.asarray(data)
    mu, log_sigma = params[0], params[1]
    sigma = np.exp(log_sigma)
    return np.sum(0.5 * ((data - mu) / sigma) ** 2 + log_sigma)
""", LS(2), N(6), wrt=["params"])
P("himmelblau_unpack_list", """
def himmelblau(p):
    x, y = p
    return (x ** 2 + y - 11) ** 2 + (x + y ** 2 - 7) ** 2
""", N(2))
P("booth_index_params", """
def booth(p):
    return (p[0] + 2 * p[1] - 7) ** 2 + (2 * p[0] + p[1] - 5) ** 2
""", N(2))
# -- masked attention and other -inf tricks --------------------------------------------
P("masked_softmax_where_neginf", """
def masked_attention(q, k, v, mask):
    scores = q @ k.T / np.sqrt(q.shape[-1])
    scores = np.where(mask, scores, -np.inf)
    scores = scores - scores.max(axis=-1, keepdims=True)
    w = np.exp(scores)
    w = w / w.sum(axis=-1, keepdims=True)
    return np.sum((w @ v) ** 2)
""", N(3, 4), N(3, 4), N(3, 2), lambda rng: np.tril(np.ones((3, 3), bool)), wrt=["q", "k", "v"])
P("causal_mask_large_negative", """
def causal(x, Wq, Wk):
    T = x.shape[0]
    q = x @ Wq
    k = x @ Wk
    att = q @ k.T
    att = att + np.triu(np.full((T, T), -1e9), 1)
    att = np.exp(att - att.max(axis=1, keepdims=True))
    att = att / att.sum(axis=1, keepdims=True)
    return np.sum(att @ x)
""", N(4, 3), N(3, 3), N(3, 3), wrt=["Wq", "Wk"])
P("scipy_logsumexp_rows", """
def nll(logits, y):
    lse = logsumexp(logits, axis=1)
    return np.mean(lse - logits[np.arange(len(y)), y])
""", N(4, 3), L(4, 3), header="import numpy as np\nfrom scipy.special import logsumexp\n\n\n")
P("stable_softplus_abs", """
def softplus(x):
    return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))
""", A(6))
P("log_sigmoid_logaddexp", """
def log_sigmoid_loss(w, X, y):
    z = X @ w
    return np.sum(np.logaddexp(0, -z) * y + np.logaddexp(0, z) * (1 - y))
""", N(3), N(6, 3), lambda rng: rng.integers(0, 2, 6).astype(float), wrt=["w"])
P("clip_grad_norm_style", """
def clipped(g, max_norm=1.0):
    norm = np.sqrt(np.sum(g ** 2))
    scale = np.minimum(1.0, max_norm / (norm + 1e-6))
    return np.sum((g * scale) ** 2)
""", N(5), wrt=["g"])
P("where_isfinite_guard", """
def robust_mean(x, w):
    y = np.log(x)
    y = np.where(np.isfinite(y), y, 0.0)
    return np.sum(y * w)
""", U(0.2, 2.0, 5), N(5))
# -- declared shapes, jaxtyping's spelling in the text ---------------------------------
JAX = "from __future__ import annotations\n\nfrom typing import TYPE_CHECKING\n\nimport numpy as np\n\nif TYPE_CHECKING:\n    from jaxtyping import Float\n\n\n"
P("shaped_affine_relu", """
def affine_relu(
    x: Float[np.ndarray, "N D"], w: Float[np.ndarray, "D M"], b: Float[np.ndarray, "M"]
):
    return np.maximum(x @ w + b, 0).sum()
""", N(4, 3), N(3, 5), A(5), header=JAX)
P("shaped_layernorm", """
def layernorm(
    x: Float[np.ndarray, "B T C"], g: Float[np.ndarray, "C"], b: Float[np.ndarray, "C"]
):
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return np.sum((g * (x - mu) / np.sqrt(var + 1e-5) + b) ** 2)
""", N(2, 3, 4), N(4), N(4), header=JAX)
P("shaped_scalar_temperature", """
def tempered(x: Float[np.ndarray, "N C"], t: Float[np.ndarray, ""]):
    z = x / t
    z = z - z.max(axis=1, keepdims=True)
    return np.sum(np.log(np.exp(z).sum(axis=1)))
""", N(3, 4), Z(1.5), header=JAX)
P("shaped_conv1d_loop", """
def conv1d(x: Float[np.ndarray, "T"], w: Float[np.ndarray, "K"]):
    out = np.zeros(x.shape[0] - w.shape[0] + 1)
    for i in range(out.shape[0]):
        out[i] = np.sum(x[i:i + w.shape[0]] * w)
    return np.sum(out ** 2)
""", N(7), N(3), header=JAX)
P("shaped_gru_cell", """
def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def gru(
    x: Float[np.ndarray, "N D"],
    h: Float[np.ndarray, "N H"],
    Wz: Float[np.ndarray, "D H"],
    Uz: Float[np.ndarray, "H H"],
    Wh: Float[np.ndarray, "D H"],
    Uh: Float[np.ndarray, "H H"],
):
    z = sigmoid(x @ Wz + h @ Uz)
    hh = np.tanh(x @ Wh + (h * z) @ Uh)
    return np.sum((1 - z) * h + z * hh)
""", N(2, 3), N(2, 4), N(3, 4), N(4, 4), N(3, 4), N(4, 4), function="gru", header=JAX)
# -- optimiser steps and unrolled inner loops ----------------------------------------------
P("unrolled_gd_inner_loop", """
def meta_loss(w0, lr, X, y):
    w = w0
    for _ in range(3):
        r = X @ w - y
        grad = X.T @ r / X.shape[0]
        w = w - lr * grad
    return 0.5 * np.mean((X @ w - y) ** 2)
""", N(3), F(0.1), N(5, 3), N(5), wrt=["w0", "lr"])
P("momentum_step_in_forward", """
def after_momentum(w, v, g, lr=0.1, mu=0.9):
    v = mu * v - lr * g
    w = w + v
    return np.sum(w ** 2) + np.sum(v ** 2)
""", N(4), N(4), N(4))
P("adam_like_update", """
def adam_step(w, g, m, s, lr=0.01, b1=0.9, b2=0.999, eps=1e-8):
    m = b1 * m + (1 - b1) * g
    s = b2 * s + (1 - b2) * g * g
    w = w - lr * m / (np.sqrt(s) + eps)
    return np.sum(w ** 2)
""", N(4), N(4), N(4), U(0.1, 1.0, 4), wrt=["w", "g", "m", "s"])
P("inplace_sub_on_copy_loop", """
def fit(w, X, y, lr=0.05, steps=4):
    w = w.copy()
    for _ in range(steps):
        w -= lr * X.T @ (X @ w - y)
    return np.sum((X @ w - y) ** 2)
""", N(3), N(5, 3), N(5), wrt=["w"])
# -- a multi-function module: the function picked by name ----------------------------------
P("module_picks_loss", """
EPS = 1e-12


def predict(X, w):
    return 1 / (1 + np.exp(-(X @ w)))


def accuracy(X, w, y):
    return np.mean((predict(X, w) > 0.5) == y)


def loss(w, X, y, l2=0.01):
    p = np.clip(predict(X, w), EPS, 1 - EPS)
    return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)) + l2 * w @ w
""", N(3), N(6, 3), lambda rng: rng.integers(0, 2, 6).astype(float), wrt=["w"], function="loss")
P("module_helper_with_default", """
def norm(x, eps=1e-5):
    return (x - x.mean(axis=-1, keepdims=True)) / np.sqrt(x.var(axis=-1, keepdims=True) + eps)


def block(x, W):
    return np.sum(np.tanh(norm(x) @ W))
""", N(3, 4), N(4, 2), function="block")
P("module_helper_keyword_call", """
def dense(x, W, b, act="tanh"):
    z = x @ W + b
    if act == "tanh":
        return np.tanh(z)
    return np.maximum(z, 0)


def net(x, W1, b1, W2, b2):
    h = dense(x, W1, b1, act="relu")
    return np.sum(dense(h, W2, b2))
""", N(3, 4), N(4, 5), A(5), N(5, 2), N(2), function="net")
# -- more loops and branches as users write them --------------------------------------------
P("guard_clause_return", """
def maybe_flat(x, w):
    if x.ndim == 1:
        return np.sum(x * w)
    flat = x.reshape(x.shape[0], -1)
    return np.sum(flat @ w)
""", N(2, 3), N(3))
P("newton_sqrt_fixed_iterations", """
def newton_sqrt(a):
    x = a
    for _ in range(6):
        x = 0.5 * (x + a / x)
    return x
""", F(2.0))
P("while_tolerance_and_counter", """
def fixed_point(c, x0=0.5):
    x = x0
    it = 0
    while it < 8:
        x = np.cos(c * x)
        it += 1
    return x
""", F(0.7), wrt=["c"])
P("continue_skip_negative", """
def positive_energy(xs, w):
    e = 0.0
    for x in xs:
        if x @ w < 0:
            continue
        e = e + (x @ w) ** 2
    return e
""", N(6, 3), N(3))
P("nested_loop_accumulate_matrix", """
def pairwise_energy(X, sigma):
    n = X.shape[0]
    E = 0.0
    for i in range(n):
        for j in range(i + 1, n):
            d = X[i] - X[j]
            E += np.exp(-np.sum(d * d) / (2 * sigma ** 2))
    return E
""", N(4, 2), F(1.0))
P("break_nested_inner", """
def truncated(x, w):
    total = 0.0
    for i in range(x.shape[0]):
        for j in range(x.shape[1]):
            if j >= 2:
                break
            total = total + x[i, j] * w[j]
    return total
""", N(3, 4), N(4))
P("loop_tuple_return", """
def scan(xs, h0, W):
    h = h0
    hs = []
    for x in xs:
        h = np.tanh(x + h @ W)
        hs.append(h)
    return np.stack(hs), h
""", N(3, 2), N(2), N(2, 2))
P("loop_list_sum_builtin_free", """
def total_loss(preds, targets):
    losses = []
    for p, t in zip(preds, targets):
        losses.append(np.sum((p - t) ** 2))
    return sum(losses) / len(losses)
""", N(4, 3), N(4, 3), wrt=["preds"])
P("inplace_row_update_loop", """
def smooth(x, alpha=0.5):
    y = np.zeros_like(x)
    y[0] = x[0]
    for t in range(1, x.shape[0]):
        y[t] = alpha * x[t] + (1 - alpha) * y[t - 1]
    return np.sum(y ** 2)
""", N(5, 2), wrt=["x", "alpha"])
P("branch_elif_chain_scalar", """
def activation(x, kind):
    if kind == 0:
        y = np.tanh(x)
    elif kind == 1:
        y = np.maximum(x, 0)
    else:
        y = x / (1 + np.exp(-x))
    return np.sum(y)
""", A(5), K(2), wrt=["x"])
P("branch_on_value_with_array", """
def adaptive(x, w):
    s = np.sum(x * w)
    if s > 0:
        out = np.log1p(s)
    else:
        out = -np.log1p(-s)
    return out
""", N(4), N(4))
P("early_return_in_loop_top", """
def first_large(x, thresh):
    for i in range(x.shape[0]):
        if x[i] > thresh:
            return x[i] ** 2
    return np.sum(x)
""", N(6), K(0.5), wrt=["x"])
P("accumulate_gradient_like_in_forward", """
def two_step(w, X, y, lr=0.1):
    for _ in range(2):
        err = X @ w - y
        w = w - lr * (X.T @ err) / len(y)
    return np.sum((X @ w - y) ** 2)
""", N(3), N(5, 3), N(5), wrt=["w", "X"])
# -- numerics: nan/inf branches, ties, clip bounds ---------------------------------------------
P("nansum_of_masked", """
def masked_mse(pred, target, valid):
    diff = np.where(valid, pred - target, np.nan)
    return np.nansum(diff ** 2) / np.sum(valid)
""", N(6), N(6), lambda rng: rng.random(6) > 0.3, wrt=["pred"])
P("clip_only_upper", """
def capped(x, cap=1.0):
    return np.sum(np.clip(x, None, cap) ** 2)
""", U(-2, 2, 6), wrt=["x"])
P("median_robust", """
def median_loss(x, y):
    return np.median(np.abs(x - y))
""", N(7), N(7))
P("sort_top_k", """
def top_k_mean(scores, k=3):
    s = np.sort(scores)[::-1]
    return s[:k].mean()
""", N(8), wrt=["scores"])
P("builtin_abs_and_max_floats", """
def pinball(pred, target, tau=0.3):
    r = target - pred
    return max(tau * r, (tau - 1) * r) + 0.01 * abs(pred)
""", F(0.4), F(1.1), wrt=["pred", "target"])
P("max_of_two_arrays_ties_unlikely", """
def envelope(a, b):
    return np.sum(np.maximum(a, b) ** 2 + np.minimum(a, b))
""", N(5), N(5))
P("log_det_cholesky", """
def logdet(A):
    S = A @ A.T + np.eye(A.shape[0])
    L = np.linalg.cholesky(S)
    return 2 * np.sum(np.log(np.diag(L)))
""", N(3, 3))
P("entropy_with_eps", """
def entropy(logits):
    p = np.exp(logits - logits.max())
    p = p / p.sum()
    return -np.sum(p * np.log(p + 1e-12))
""", N(6))
P("gaussian_nll_logvar", """
def gaussian_nll(mu, log_var, x):
    return 0.5 * np.sum(log_var + (x - mu) ** 2 / np.exp(log_var) + np.log(2 * np.pi))
""", N(5), N(5), N(5), wrt=["mu", "log_var"])
P("focal_loss", """
def focal(p, y, gamma=2.0):
    pt = np.where(y == 1, p, 1 - p)
    return -np.mean((1 - pt) ** gamma * np.log(pt))
""", U(0.05, 0.95, 6), lambda rng: rng.integers(0, 2, 6), wrt=["p"])
P("cosine_similarity", """
def cosine(a, b, eps=1e-8):
    return np.sum(a * b) / (np.linalg.norm(a) * np.linalg.norm(b) + eps)
""", N(5), N(5), wrt=["a", "b"])
P("triplet_margin", """
def triplet(a, p, n, margin=1.0):
    dp = np.sum((a - p) ** 2, axis=1)
    dn = np.sum((a - n) ** 2, axis=1)
    return np.mean(np.maximum(dp - dn + margin, 0.0))
""", N(4, 3), N(4, 3), N(4, 3), wrt=["a", "p", "n"])
# -- physics, finance and science, module constants and math -----------------------------------
P("projectile_range_math_as", """
G = 9.81


def flight(v, theta):
    t = 2 * v * m.sin(theta) / G
    return v * m.cos(theta) * t
""", F(10.0), F(0.6), header=MATH_AS)
P("black_scholes_from_math", """
def bs_call(S, K, T, r, sigma):
    d1 = (log(S / K) + (r + 0.5 * sigma ** 2) * T) / (sigma * sqrt(T))
    d2 = d1 - sigma * sqrt(T)
    N1 = 0.5 * (1 + erf(d1 / sqrt(2)))
    N2 = 0.5 * (1 + erf(d2 / sqrt(2)))
    return S * N1 - K * exp(-r * T) * N2
""", F(100.0), F(95.0), F(1.0), F(0.03), F(0.25), header="from math import erf, exp, log, sqrt\n\n\n")
P("lennard_jones_pairs", """
EPSILON = 1.0
SIGMA = 1.0


def lj_energy(pos):
    E = 0.0
    n = pos.shape[0]
    for i in range(n):
        for j in range(i + 1, n):
            r = np.sqrt(np.sum((pos[i] - pos[j]) ** 2))
            sr6 = (SIGMA / r) ** 6
            E += 4 * EPSILON * (sr6 ** 2 - sr6)
    return E
""", lambda rng: np.array([[0.0, 0.0], [1.1, 0.1], [0.2, 1.2]]) + 0.01 * rng.standard_normal((3, 2)))
P("heat_equation_steps", """
def diffuse(u0, kappa, steps=5):
    u = u0
    for _ in range(steps):
        lap = np.zeros_like(u)
        lap[1:-1] = u[2:] - 2 * u[1:-1] + u[:-2]
        u = u + kappa * lap
    return np.sum(u ** 2)
""", N(6), F(0.2), wrt=["u0", "kappa"])
P("portfolio_variance", """
def sharpe(w, mu, Sigma, rf=0.01):
    ret = w @ mu - rf
    vol = np.sqrt(w @ Sigma @ w)
    return ret / vol
""", U(0.1, 1.0, 4), U(0.02, 0.1, 4), lambda rng: (lambda a: a @ a.T + np.eye(4))(rng.standard_normal((4, 4))) * 0.01, wrt=["w", "mu"])
P("kalman_update_la", """
def kalman_gain_loss(P_, H, R):
    S = H @ P_ @ H.T + R
    K = P_ @ H.T @ la.inv(S)
    return np.sum(K ** 2)
""", lambda rng: (lambda a: a @ a.T + np.eye(3))(rng.standard_normal((3, 3))), N(2, 3), lambda rng: np.eye(2) * 0.5, header=LA)
# -- contract corners, round two -------------------------------------------------------------
P("zero_d_in_loop", """
def decay(x0, rate, n=4):
    x = x0
    for _ in range(n):
        x = x * np.exp(-rate)
    return np.sum(x)
""", N(3), Z(0.3), wrt=["x0", "rate"])
P("float32_loop_rnn", """
def rnn(xs, W, U):
    h = np.zeros(W.shape[1], dtype=xs.dtype)
    for x in xs:
        h = np.tanh(x @ W + h @ U)
    return np.sum(h)
""", D(np.float32, 3, 2), D(np.float32, 2, 4), D(np.float32, 4, 4))
P("tuple_output_loop_and_scalar", """
def stats(xs, w):
    total = 0.0
    sq = 0.0
    for x in xs:
        v = x @ w
        total = total + v
        sq = sq + v * v
    return total, sq
""", N(4, 3), N(3))
P("wrt_order_with_helper", """
def layer(x, W, b):
    return np.tanh(x @ W + b)


def model(b2, W2, x, W1, b1):
    return np.sum(layer(layer(x, W1, b1), W2, b2))
""", N(2), N(4, 2), N(3, 5), N(5, 4), N(4), wrt=["W1", "b2", "x"], function="model")
P("int_param_in_default_wrt_scaled", """
def scale_loss(x, n):
    return np.sum(x ** 2) / n
""", N(4), INT(4))
P("kwonly_with_helper", """
def penalty(w, *, lam=0.1, kind="l2"):
    if kind == "l2":
        return lam * np.sum(w * w)
    return lam * np.sum(np.abs(w))


def objective(w, X, y, *, lam=0.1):
    r = X @ w - y
    return 0.5 * r @ r + penalty(w, lam=lam)
""", N(3), N(5, 3), N(5), wrt=["w", "lam"], function="objective")
P("math_of_0d_and_numpy_mix", """
def f(a, x):
    return math.log(a) * np.sum(np.exp(x)) + math.sqrt(a)
""", Z(1.5), N(4))
P("math_of_float32_0d", """
def f(a, x):
    return math.tanh(a) * np.sum(x)
""", Z(0.5, np.float32), N(3))
P("bool_mask_argument_multiplied", """
def masked_sum(x, mask):
    return np.sum(x * mask)
""", N(5), lambda rng: rng.random(5) > 0.5, wrt=["x"])
P("list_of_weights_loop", """
def ensemble(x, ws):
    total = 0.0
    for w in ws:
        total = total + np.tanh(x @ w)
    return np.sum(total)
""", N(2, 3), N(3, 3, 2))
P("returns_parameter_and_value", """
def passthrough(x, w):
    return x, np.sum(x * w)
""", N(3), N(3))
P("returns_same_value_twice", """
def twice(x):
    y = np.tanh(x)
    return y, y
""", N(4))
P("returns_scalar_and_array_view", """
def head_and_sum(x):
    return x[0], x.sum()
""", N(4))
# -- helpers, defaults and methods as users chain them -------------------------------------------
P("helper_default_module_constant", """
EPS = 1e-5


def normalize(x, eps=EPS):
    mu = x.mean(axis=-1, keepdims=True)
    return (x - mu) / np.sqrt(x.var(axis=-1, keepdims=True) + eps)


def loss(x, g):
    return np.sum((normalize(x) * g) ** 2)
""", N(3, 4), N(4), function="loss")
P("helper_returns_tuple", """
def moments(x):
    mu = x.mean(axis=0)
    var = ((x - mu) ** 2).mean(axis=0)
    return mu, var


def standardize(x, gamma):
    mu, var = moments(x)
    return np.sum(gamma * (x - mu) / np.sqrt(var + 1e-5))
""", N(5, 3), N(3), function="standardize")
P("method_chains", """
def f(x, w):
    return (x * w).reshape(-1).clip(-1.0, 1.0).sum() + x.mean(0).std()
""", U(-0.8, 0.8, 3, 4), U(0.5, 1.2, 4))
P("einsum_ellipsis_batch", """
def bilinear(x, A, y):
    return np.einsum('...i,ij,...j->...', x, A, y).sum()
""", N(2, 3, 4), N(4, 5), N(2, 3, 5))
P("norm_axis_keepdims", """
def unit_rows(X, w):
    n = np.linalg.norm(X, axis=1, keepdims=True)
    return np.sum((X / n) @ w)
""", N(4, 3), N(3), autograd_wrong="autograd's norm with axis and keepdims=True has a wrong shape")
P("cumsum_diff", """
def path_length(steps, w):
    pos = np.cumsum(steps * w, axis=0)
    d = np.diff(pos, axis=0)
    return np.sum(np.sqrt(np.sum(d ** 2, axis=1) + 1e-9))
""", N(5, 2), N(2))
P("where_scalar_param_branch", """
def floor_at(x, lo):
    return np.sum(np.where(x > lo, x, lo) ** 2)
""", A(6), F(0.1), autograd_wrong="autograd's where does not sum a broadcast float's gradient")
P("outer_and_trace", """
def f(u, v, M):
    return np.trace(np.outer(u, v) @ M) + np.sum(np.outer(u, u))
""", N(3), N(4), N(4, 3))
P("kron_and_inv", """
def f(A, b):
    K = np.kron(A, np.eye(2)) + 5 * np.eye(6)
    return b @ np.linalg.solve(K, b)
""", N(3, 3), N(6))
P("stack_of_parts_from_loop_list", """
def features(x, n_powers):
    cols = []
    for k in range(1, n_powers + 1):
        cols.append(x ** k)
    return np.sum(np.stack(cols, axis=1) ** 2)
""", N(5), INT(3))
P("concatenate_params", """
def f(a, b, W):
    z = np.concatenate([a, b]) @ W
    return np.sum(np.tanh(z))
""", N(3), N(2), N(5, 4))
P("vector_dot_methods", """
def energy(x, A):
    return x.dot(A).dot(x) + x.T.dot(x)
""", N(3), N(3, 3))
P("squeeze_expand", """
def f(x, w):
    y = np.expand_dims(x, 0) * w[:, None]
    return np.squeeze(y.sum(axis=1, keepdims=True), axis=1).sum()
""", N(4), N(3))
P("triu_mask_param", """
def upper_loss(A):
    return np.sum(np.triu(A, 1) ** 2) + np.sum(np.diag(A))
""", N(4, 4))
P("repeat_tile", """
def f(x, w):
    return np.sum(np.tile(x, (2, 1)) * np.repeat(w, 2)[:, None])
""", N(3, 4), N(3))
P("pad_conv_valid", """
def f(x, k):
    xp = np.pad(x, 1)
    return np.sum((xp[:-2] * k[0] + xp[1:-1] * k[1] + xp[2:] * k[2]) ** 2)
""", N(6), N(3))
P("var_ddof", """
def f(x):
    return np.var(x, ddof=1) + np.std(x, axis=0, ddof=1).sum()
""", N(5, 3))
P("logsumexp_manual_axis0", """
def f(X, w):
    Z = X * w
    m = Z.max(axis=0)
    return np.sum(m + np.log(np.exp(Z - m).sum(axis=0)))
""", N(4, 3), N(3))
