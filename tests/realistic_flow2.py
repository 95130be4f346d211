# ruff: noqa: E501
"""More realistic programs with control flow, written the way users write them.

A second corpus beside tests/realistic_flow.py (another helper's), with other
programs: CS231n's naive losses and layers, RNN/LSTM/GRU over T with helper
functions, piecewise formulas with early returns, fixed-count iterative
methods, `while err > tol` with a cap, Euler/RK4/leapfrog integrators, Tangent
and autograd style loops, lists appended and stacked, float16/32 inputs, 0-d
and size-1 arrays. Arguments sit away from branch switch points. Checked by
tests/test_realistic_flow2.py with tests/test_realistic.py's classifier.
"""

from __future__ import annotations

import numpy as np
from realistic import A, F, K, L, N, Program, U, registrar

FLOW2: list[Program] = []


P = registrar(FLOW2)


def D(dtype, *shape):
    """Standard normal values in `dtype` (mixed precision inputs)."""
    return lambda rng: rng.standard_normal(shape).astype(dtype)


def C(value):
    """An array constant (the same every run)."""
    return lambda rng: np.array(value, dtype=float)


# fmt: off
# -- CS231n: naive losses ----------------------------------------------------------
P("svm_loss_naive", """
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
""", N(5, 3), N(4, 5), L(4, 3), K(0.1), wrt=["W"])
P("softmax_loss_naive", """
def softmax_loss_naive(W, X, y, reg):
    loss = 0.0
    num_train = X.shape[0]
    for i in range(num_train):
        scores = X[i].dot(W)
        scores -= np.max(scores)
        correct = scores[y[i]]
        sum_exp = np.sum(np.exp(scores))
        loss += -correct + np.log(sum_exp)
    loss /= num_train
    loss += 0.5 * reg * np.sum(W * W)
    return loss
""", N(5, 3), N(4, 5), L(4, 3), K(0.1), wrt=["W"])
P("softmax_loss_naive_inner_loop", """
def softmax_loss_naive(W, X, y, reg):
    loss = 0.0
    num_train = X.shape[0]
    num_classes = W.shape[1]
    for i in range(num_train):
        f = X[i].dot(W)
        f = f - np.max(f)
        denom = 0.0
        for j in range(num_classes):
            denom += np.exp(f[j])
        loss += -f[y[i]] + np.log(denom)
    return loss / num_train + reg * np.sum(W ** 2)
""", N(5, 3), N(4, 5), L(4, 3), K(0.1), wrt=["W"])
P("svm_loss_naive_builtin_max", """
def svm_loss_naive(W, X, y, reg):
    loss = 0.0
    for i in range(X.shape[0]):
        scores = X[i] @ W
        for j in range(W.shape[1]):
            if j != y[i]:
                margin = scores[j] - scores[y[i]] + 1.0
                loss += max(0, margin)
    return loss / X.shape[0] + reg * np.sum(W * W)
""", N(5, 3), N(4, 5), L(4, 3), K(0.1), wrt=["W"])
P("hinge_loop_x", """
def hinge(x, y):
    N = x.shape[0]
    loss = 0.0
    for i in range(N):
        for j in range(x.shape[1]):
            if j == y[i]:
                continue
            m = x[i, j] - x[i, y[i]] + 1.0
            if m > 0:
                loss = loss + m
    return loss / N
""", N(4, 3), L(4, 3), wrt=["x"])
P("cross_entropy_enumerate_labels", """
def ce(logits, labels):
    loss = 0.0
    for i, y in enumerate(labels):
        z = logits[i] - np.max(logits[i])
        loss -= z[y] - np.log(np.sum(np.exp(z)))
    return loss / len(labels)
""", N(3, 4), K([1, 0, 3]), wrt=["logits"])
# -- CS231n: naive layers ----------------------------------------------------------
P("conv_forward_naive_pad", """
def conv_forward_naive(x, w, b, conv_param):
    stride, pad = conv_param['stride'], conv_param['pad']
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), mode='constant')
    H_out = 1 + (H + 2 * pad - HH) // stride
    W_out = 1 + (W + 2 * pad - WW) // stride
    out = np.zeros((N, F, H_out, W_out))
    for n in range(N):
        for f in range(F):
            for i in range(H_out):
                for j in range(W_out):
                    window = x_pad[n, :, i * stride:i * stride + HH, j * stride:j * stride + WW]
                    out[n, f, i, j] = np.sum(window * w[f]) + b[f]
    return out
""", N(2, 2, 4, 4), N(2, 2, 3, 3), N(2), K({"stride": 1, "pad": 1}), wrt=["x", "w", "b"])
P("max_pool_forward_naive", """
def max_pool_forward_naive(x, pool_param):
    N, C, H, W = x.shape
    ph, pw, s = pool_param['pool_height'], pool_param['pool_width'], pool_param['stride']
    Ho = 1 + (H - ph) // s
    Wo = 1 + (W - pw) // s
    out = np.zeros((N, C, Ho, Wo))
    for n in range(N):
        for c in range(C):
            for i in range(Ho):
                for j in range(Wo):
                    out[n, c, i, j] = np.max(x[n, c, i*s:i*s+ph, j*s:j*s+pw])
    return out
""", N(2, 2, 4, 4), K({"pool_height": 2, "pool_width": 2, "stride": 2}), wrt=["x"])
P("conv2d_valid_loop", """
def conv(x, w):
    H, W = x.shape
    k = w.shape[0]
    out = np.zeros((H - k + 1, W - k + 1))
    for i in range(H - k + 1):
        for j in range(W - k + 1):
            out[i, j] = np.sum(x[i:i+k, j:j+k] * w)
    return out
""", N(5, 5), N(3, 3))
P("conv1d_loop", """
def conv1d(x, w):
    n = len(x) - len(w) + 1
    out = np.zeros(n)
    for i in range(n):
        out[i] = np.dot(x[i:i + len(w)], w)
    return out
""", N(7), N(3))
P("word_embedding_forward_loop", """
def word_embedding_forward(x, W):
    N, T = x.shape
    V, D = W.shape
    out = np.zeros((N, T, D))
    for n in range(N):
        for t in range(T):
            out[n, t, :] = W[x[n, t]]
    return out
""", L((2, 3), 5), N(5, 4), wrt=["W"])
P("word_embedding_vectorised", """
def word_embedding_forward(x, W):
    out = W[x, :]
    return out
""", L((2, 3), 5), N(5, 4), wrt=["W"])
P("temporal_affine_forward", """
def temporal_affine_forward(x, w, b):
    N, T, D = x.shape
    M = b.shape[0]
    out = x.reshape(N * T, D).dot(w).reshape(N, T, M) + b
    return out
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
""", N(2, 3, 4), L((2, 3), 4), lambda rng: rng.random((2, 3)) > 0.3, wrt=["x"])
P("spatial_batchnorm_forward", """
def spatial_batchnorm_forward(x, gamma, beta, eps):
    N, C, H, W = x.shape
    x_flat = x.transpose(0, 2, 3, 1).reshape(-1, C)
    mu = x_flat.mean(axis=0)
    var = x_flat.var(axis=0)
    xhat = (x_flat - mu) / np.sqrt(var + eps)
    out_flat = gamma * xhat + beta
    out = out_flat.reshape(N, H, W, C).transpose(0, 3, 1, 2)
    return out
""", N(2, 3, 2, 2), N(3), N(3), K(1e-5), wrt=["x", "gamma", "beta"])
P("spatial_groupnorm_forward", """
def spatial_groupnorm_forward(x, gamma, beta, G, eps):
    N, C, H, W = x.shape
    xg = x.reshape(N, G, C // G, H, W)
    mean = xg.mean(axis=(2, 3, 4), keepdims=True)
    var = xg.var(axis=(2, 3, 4), keepdims=True)
    xhat = ((xg - mean) / np.sqrt(var + eps)).reshape(N, C, H, W)
    return gamma * xhat + beta
""", N(2, 4, 2, 2), N(1, 4, 1, 1), N(1, 4, 1, 1), K(2), K(1e-5), wrt=["x", "gamma", "beta"])
P("batchnorm_mode_raise", """
def batchnorm_forward(x, gamma, beta, bn_param):
    mode = bn_param['mode']
    eps = bn_param.get('eps', 1e-5)
    if mode == 'train':
        mu = np.mean(x, axis=0)
        var = np.var(x, axis=0)
        xhat = (x - mu) / np.sqrt(var + eps)
        out = gamma * xhat + beta
    elif mode == 'test':
        out = gamma * (x - bn_param['running_mean']) / np.sqrt(bn_param['running_var'] + eps) + beta
    else:
        raise ValueError('Invalid forward batchnorm mode "%s"' % mode)
    return out
""", N(4, 3), N(3), N(3), K({"mode": "train"}), wrt=["x", "gamma", "beta"])
P("dropout_mode_no_else", """
def dropout_forward(x, dropout_param, mask):
    p, mode = dropout_param['p'], dropout_param['mode']
    if mode == 'train':
        out = x * mask / p
    elif mode == 'test':
        out = x
    return out
""", N(3, 4), K({"p": 0.5, "mode": "train"}), lambda rng: (rng.random((3, 4)) < 0.5).astype(float), wrt=["x"])
P("fc_net_list_of_layers", """
def fc_net(X, Ws, bs):
    h = X
    for i in range(len(Ws)):
        h = h.dot(Ws[i]) + bs[i]
        if i < len(Ws) - 1:
            h = np.maximum(0, h)
    return np.sum(h ** 2)
""", N(3, 4), lambda rng: [rng.standard_normal((4, 5)), rng.standard_normal((5, 2))], lambda rng: [rng.standard_normal(5), rng.standard_normal(2)], bug="list-of-arrays-param: a list of differently shaped arrays indexed by the loop counter; the backward makes np.zeros_like(Ws) (tests/test_hunt3_bugs.py)")
P("fc_net_dict_params", """
def loss(X, params, num_layers):
    h = X
    for i in range(1, num_layers + 1):
        W = params['W%d' % i]
        b = params['b%d' % i]
        h = h @ W + b
        if i != num_layers:
            h = np.maximum(h, 0)
    return np.mean(h ** 2)
""", N(3, 4), lambda rng: {"W1": rng.standard_normal((4, 5)), "b1": rng.standard_normal(5), "W2": rng.standard_normal((5, 2)), "b2": rng.standard_normal(2)}, K(2))
# -- RNN / LSTM --------------------------------------------------------------------
P("rnn_forward_step_helper", """
def rnn_step_forward(x, prev_h, Wx, Wh, b):
    next_h = np.tanh(x.dot(Wx) + prev_h.dot(Wh) + b)
    return next_h


def rnn_forward(x, h0, Wx, Wh, b):
    N, T, D = x.shape
    H = h0.shape[1]
    h = np.zeros((N, T, H))
    prev_h = h0
    for t in range(T):
        prev_h = rnn_step_forward(x[:, t, :], prev_h, Wx, Wh, b)
        h[:, t, :] = prev_h
    return h
""", N(2, 3, 4), N(2, 5), N(4, 5), N(5, 5), N(5), function="rnn_forward")
P("rnn_forward_list_stack", """
def rnn_forward(x, h0, Wx, Wh, b):
    N, T, D = x.shape
    hs = []
    h = h0
    for t in range(T):
        h = np.tanh(x[:, t, :] @ Wx + h @ Wh + b)
        hs.append(h)
    return np.stack(hs, axis=1)
""", N(2, 3, 4), N(2, 5), N(4, 5), N(5, 5), N(5))
P("lstm_forward_sigmoid_helper", """
def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def lstm_forward(x, h0, Wx, Wh, b):
    N, T, D = x.shape
    H = h0.shape[1]
    h = np.zeros((N, T, H))
    prev_h = h0
    prev_c = np.zeros_like(h0)
    for t in range(T):
        a = x[:, t, :].dot(Wx) + prev_h.dot(Wh) + b
        i = sigmoid(a[:, :H])
        f = sigmoid(a[:, H:2 * H])
        o = sigmoid(a[:, 2 * H:3 * H])
        g = np.tanh(a[:, 3 * H:])
        prev_c = f * prev_c + i * g
        prev_h = o * np.tanh(prev_c)
        h[:, t, :] = prev_h
    return h
""", N(2, 3, 4), N(2, 3), N(4, 12), N(3, 12), N(12), function="lstm_forward")
P("rnn_over_list_of_inputs", """
def rnn_loss(xs, h0, Wx, Wh, Wy):
    h = h0
    for x in xs:
        h = np.tanh(Wx @ x + Wh @ h)
    y = Wy @ h
    return 0.5 * np.sum(y ** 2)
""", lambda rng: [rng.standard_normal(3) for _ in range(4)], N(5), N(5, 3), N(5, 5), N(2, 5), bug="array-upcast-dtype: the contract check casts arrays, not a list's items, so float64 xs meet a float16/32 Wy and dWy comes back float64 (tests/test_regressions.py)")
P("rnn_karpathy_min_char", """
def loss_fun(inputs, targets, hprev, Wxh, Whh, Why, bh, by):
    loss = 0.0
    h = hprev
    for t in range(len(inputs)):
        x = np.zeros((Wxh.shape[1], 1))
        x[inputs[t]] = 1
        h = np.tanh(np.dot(Wxh, x) + np.dot(Whh, h) + bh)
        y = np.dot(Why, h) + by
        p = np.exp(y) / np.sum(np.exp(y))
        loss += -np.log(p[targets[t], 0])
    return loss
""", K([0, 2, 1]), K([2, 1, 0]), N(4, 1), N(4, 3), N(4, 4), N(3, 4), N(4, 1), N(3, 1), wrt=["hprev", "Wxh", "Whh", "Why", "bh", "by"])
P("gru_concatenate_loop", """
def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def gru(x, h, Wz, Wr, Wh):
    for t in range(x.shape[0]):
        xh = np.concatenate([x[t], h])
        z = sigmoid(Wz @ xh)
        r = sigmoid(Wr @ xh)
        hh = np.tanh(Wh @ np.concatenate([x[t], r * h]))
        h = (1 - z) * h + z * hh
    return h.sum()
""", N(3, 2), N(4), N(4, 6), N(4, 6), N(4, 6), function="gru")
# -- piecewise formulas ------------------------------------------------------------
P("huber_scalar_if_else_returns", """
def huber(r, delta):
    if abs(r) <= delta:
        return 0.5 * r ** 2
    else:
        return delta * (abs(r) - 0.5 * delta)
""", F(2.0), K(1.0), wrt=["r"])
P("huber_scalar_early_return", """
def huber(r, delta):
    if abs(r) <= delta:
        return 0.5 * r ** 2
    return delta * (abs(r) - 0.5 * delta)
""", F(0.3), K(1.0), wrt=["r"])
P("huber_loop_elementwise", """
def huber_loss(pred, target, delta=1.0):
    total = 0.0
    for i in range(len(pred)):
        r = pred[i] - target[i]
        if abs(r) < delta:
            total += 0.5 * r * r
        else:
            total += delta * (abs(r) - 0.5 * delta)
    return total / len(pred)
""", C([0.1, 2.5, -3.0, 0.4]), C([0.2, 0.1, 0.3, -0.1]), wrt=["pred"])
P("smooth_l1_where", """
def smooth_l1(x, y, beta):
    d = np.abs(x - y)
    loss = np.where(d < beta, 0.5 * d ** 2 / beta, d - 0.5 * beta)
    return loss.mean()
""", C([0.1, 2.5, -3.0, 0.4]), C([0.3, 0.1, 0.3, -0.1]), K(1.0), wrt=["x"])
P("clip_scalar_early_returns", """
def clip(x, lo, hi):
    if x < lo:
        return lo
    elif x > hi:
        return hi
    return x * 1.0
""", F(0.5), K(0.0), K(1.0), wrt=["x"])
P("clip_scalar_assign_arms", """
def clipped_square(x, lo, hi):
    if x < lo:
        y = lo
    elif x > hi:
        y = hi
    else:
        y = x
    return y * y + x
""", F(3.0), K(0.0), K(1.0), wrt=["x"])
P("piecewise_tax", """
def tax(income, rate_low, rate_high, threshold):
    if income > threshold:
        return threshold * rate_low + (income - threshold) * rate_high
    else:
        return income * rate_low
""", F(50.0), F(0.1), F(0.3), K(30.0))
P("black_scholes_call_helper", """
def norm_cdf(x):
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


def call_price(S, K, T, r, sigma):
    if T <= 0:
        return max(S - K, 0.0)
    d1 = (math.log(S / K) + (r + 0.5 * sigma ** 2) * T) / (sigma * math.sqrt(T))
    d2 = d1 - sigma * math.sqrt(T)
    return S * norm_cdf(d1) - K * math.exp(-r * T) * norm_cdf(d2)
""", F(100.0), F(95.0), F(1.0), F(0.05), F(0.2), function="call_price")
P("option_payoff_flag", """
def payoff(S, K, is_call):
    if is_call:
        return np.mean(np.maximum(S - K, 0.0))
    else:
        return np.mean(np.maximum(K - S, 0.0))
""", C([90.0, 105.0, 120.0, 99.0]), F(100.0), K(False), wrt=["S", "K"])
P("leaky_scalar_early_return", """
def f(x, w):
    z = w * x
    if z > 0:
        return z
    return 0.01 * z
""", F(1.5), F(-2.0))
P("branch_on_array_sum", """
def f(x):
    if np.sum(x) > 0:
        y = np.exp(x)
    else:
        y = np.exp(-x)
    return np.sum(y)
""", U(0.2, 1.0, 4))
P("normalise_if_norm_big", """
def normalise(v, eps):
    n = np.linalg.norm(v)
    if n > eps:
        v = v / n
    return v
""", N(4), K(1e-8), wrt=["v"])
P("gradient_clip_by_norm", """
def clip_by_norm(g, max_norm):
    norm = np.sqrt(np.sum(g ** 2))
    if norm > max_norm:
        g = g * (max_norm / norm)
    return g
""", lambda rng: 3 * rng.standard_normal(5), K(1.0), wrt=["g"])
P("activation_by_name_elif", """
def act(x, kind):
    if kind == 'relu':
        return np.maximum(x, 0)
    elif kind == 'tanh':
        return np.tanh(x)
    elif kind == 'sigmoid':
        return 1 / (1 + np.exp(-x))
    else:
        return x
""", A(3, 2), K("sigmoid"), wrt=["x"])
P("abs_via_branch_over_array", """
def l1(x):
    s = 0.0
    for v in x:
        if v > 0:
            s += v
        else:
            s -= v
    return s
""", A(5))
# -- iterative methods -------------------------------------------------------------
P("newton_sqrt_default_iters", """
def newton_sqrt(a, iters=6):
    x = a
    for _ in range(iters):
        x = 0.5 * (x + a / x)
    return x
""", U(1.0, 3.0, 3), wrt=["a"])
P("newton_sqrt_while_tol_scalar", """
def newton_sqrt(a):
    x = 1.0
    err = 1.0
    it = 0
    while err > 1e-10 and it < 50:
        x_new = 0.5 * (x + a / x)
        err = abs(x_new - x)
        x = x_new
        it += 1
    return x
""", F(2.0))
P("power_iteration_rayleigh", """
def top_eigenvalue(A, num_iters=20):
    v = np.ones(A.shape[0]) / np.sqrt(A.shape[0])
    for _ in range(num_iters):
        w = A @ v
        v = w / np.linalg.norm(w)
    return v @ A @ v
""", lambda rng: (lambda m: m @ m.T + np.diag([3.0, 0, 0]))(rng.standard_normal((3, 3))), wrt=["A"])
P("gd_inner_loop", """
def inner_opt(w0, X, y, lr, steps):
    w = w0
    for step in range(steps):
        pred = X @ w
        grad = X.T @ (pred - y) / len(y)
        w = w - lr * grad
    return np.sum((X @ w - y) ** 2)
""", N(3), N(5, 3), N(5), K(0.1), K(5), wrt=["w0", "X", "y"])
P("fixed_point_while_tol_array", """
def fixed_point(x, c):
    y = x
    diff = np.inf
    n = 0
    while diff > 1e-9 and n < 100:
        y_new = 0.5 * np.cos(y) + c
        diff = np.max(np.abs(y_new - y))
        y = y_new
        n += 1
    return np.sum(y)
""", N(3), N(3), wrt=["c"])
P("while_counter_fixed", """
def f(x):
    i = 0
    while i < 4:
        x = x * 0.5 + np.sin(x)
        i += 1
    return x
""", N(3))
P("babylonian_guesses_list", """
def f(a):
    guesses = [a]
    for k in range(4):
        guesses.append(0.5 * (guesses[-1] + a / guesses[-1]))
    return sum(guesses)
""", F(2.0))
P("sinkhorn_fixed", """
def sinkhorn(C, eps, n_iter):
    K = np.exp(-C / eps)
    u = np.ones(C.shape[0])
    v = np.ones(C.shape[1])
    for _ in range(n_iter):
        u = 1.0 / (K @ v)
        v = 1.0 / (K.T @ u)
    P = u[:, None] * K * v[None, :]
    return np.sum(P * C)
""", U(0.1, 1.0, 3, 3), K(0.5), K(5), wrt=["C"])
P("jacobi_iteration", """
def jacobi(A, b, iters):
    x = np.zeros_like(b)
    D = np.diag(A)
    R = A - np.diag(D)
    for _ in range(iters):
        x = (b - R @ x) / D
    return x
""", lambda rng: np.eye(3) * 5 + 0.3 * rng.standard_normal((3, 3)), N(3), K(8), wrt=["A", "b"])
P("bisection_constant_then_scale", """
def f(x, a):
    lo, hi = 0.0, 2.0
    for _ in range(30):
        mid = 0.5 * (lo + hi)
        if mid * mid < 2.0:
            lo = mid
        else:
            hi = mid
    return a * x * lo
""", F(1.0), F(0.7))
# -- integrators -------------------------------------------------------------------
P("euler_decay_scalars", """
def simulate(y0, k, dt, n_steps):
    y = y0
    for _ in range(n_steps):
        y = y + dt * (-k * y)
    return y
""", F(1.0), F(0.5), K(0.1), K(10), wrt=["y0", "k"])
P("euler_oscillator_arrays_float_k", """
def simulate(x0, v0, k, dt, steps):
    x, v = x0, v0
    for t in range(steps):
        a = -k * x
        v = v + dt * a
        x = x + dt * v
    return np.sum(x ** 2) + np.sum(v ** 2)
""", N(3), N(3), F(2.0), K(0.05), K(20), wrt=["x0", "v0", "k"])
P("rk4_logistic_helper", """
def rhs(y, r, K):
    return r * y * (1 - y / K)


def rk4(y0, r, K, h, n):
    y = y0
    for i in range(n):
        k1 = rhs(y, r, K)
        k2 = rhs(y + 0.5 * h * k1, r, K)
        k3 = rhs(y + 0.5 * h * k2, r, K)
        k4 = rhs(y + h * k3, r, K)
        y = y + h / 6.0 * (k1 + 2 * k2 + 2 * k3 + k4)
    return y
""", F(0.3), F(1.2), F(2.0), K(0.1), K(8), wrt=["y0", "r", "K"], function="rk4")
P("euler_trajectory_stack", """
def trajectory(x0, A, dt, T):
    xs = [x0]
    x = x0
    for t in range(T):
        x = x + dt * (A @ x)
        xs.append(x)
    traj = np.stack(xs)
    return np.sum(traj ** 2)
""", N(2), N(2, 2), K(0.1), K(5), wrt=["x0", "A"])
P("leapfrog_pendulum", """
def pendulum(theta0, omega0, g, L, dt, steps):
    theta = theta0
    omega = omega0
    for _ in range(steps):
        omega = omega - 0.5 * dt * (g / L) * np.sin(theta)
        theta = theta + dt * omega
        omega = omega - 0.5 * dt * (g / L) * np.sin(theta)
    return theta
""", F(0.3), F(0.0), F(9.81), F(1.0), K(0.01), K(15), wrt=["theta0", "omega0", "g", "L"])
P("trapezoid_integral_loop", """
def integrate(a, b, n):
    h = 1.0 / n
    total = 0.5 * (a * 0.0 ** 2 + b) + 0.5 * (a * 1.0 ** 2 + b)
    for i in range(1, n):
        t = i * h
        total += a * t ** 2 + b
    return total * h
""", F(1.5), F(0.5), K(10), wrt=["a", "b"])
P("bouncing_ball_branch", """
def bounce(h0, v0, g, dt, steps):
    h, v = h0, v0
    for _ in range(steps):
        v = v - g * dt
        h = h + v * dt
        if h < 0:
            h = -h
            v = -0.9 * v
    return h
""", F(1.0), F(0.0), F(9.81), K(0.01), K(30), wrt=["h0", "v0", "g"])
# -- Tangent / autograd style -------------------------------------------------------
P("tangent_for_loop_sum", """
def f(x):
    y = 0.0
    for i in range(3):
        y = y + x * i
    return y
""", F(1.3))
P("tangent_while_mul", """
def f(x):
    i = 0
    y = x
    while i < 3:
        y = y * x
        i = i + 1
    return y
""", F(1.3))
P("tangent_if_else_arith", """
def f(a, b):
    if a > b:
        c = a * b
    else:
        c = a + b
    return c * c
""", F(2.0), F(0.5))
P("tangent_nested_if", """
def f(x):
    if x > 0:
        if x > 1:
            y = x ** 3
        else:
            y = x ** 2
    else:
        y = -x
    return y
""", F(0.5))
P("augassign_zeros_like_loop", """
def f(x):
    y = np.zeros_like(x)
    for i in range(4):
        y += x ** i
    return np.sum(y)
""", N(3))
P("autograd_loop_products", """
def f(x):
    out = 1.0
    for i in range(1, 5):
        out = out * (x + i)
    return out
""", F(0.2))
P("len_loop_index", """
def f(xs):
    total = 0.0
    for i in range(len(xs)):
        total = total + xs[i] ** 2
    return total
""", N(5))
P("enumerate_constant_weights", """
def f(x, ws):
    s = 0.0
    for i, w in enumerate(ws):
        s = s + w * x ** i
    return s
""", F(0.8), K([1.0, 2.0, 3.0]), wrt=["x"])
P("zip_two_arrays", """
def f(xs, ys):
    s = 0.0
    for a, b in zip(xs, ys):
        s += a * b
    return s
""", N(4), N(4))
P("horner_over_coeffs", """
def horner(coeffs, x):
    result = 0.0
    for c in coeffs:
        result = result * x + c
    return result
""", N(4), F(0.7))
P("cumulative_append_expression", """
def f(x):
    out = []
    acc = 0.0
    for i in range(x.shape[0]):
        acc = acc + x[i]
        out.append(acc * acc)
    return np.array(out)
""", N(4))
P("running_min_branch", """
def f(x):
    best = x[0]
    for i in range(1, len(x)):
        if x[i] < best:
            best = x[i]
    return best * 2.0
""", C([0.5, -1.2, 0.7, 2.0, -0.3]))
P("argmax_loop_then_select", """
def f(scores, values):
    best = 0
    for i in range(len(scores)):
        if scores[i] > scores[best]:
            best = i
    return values[best] * scores[best]
""", C([0.5, -1.2, 1.7, 0.2]), N(4))
P("break_on_running_total", """
def f(x, limit):
    total = 0.0
    for v in x:
        total = total + v * v
        if total > limit:
            break
    return total
""", C([0.5, 1.0, 1.5, 0.3, 0.4]), K(3.0), wrt=["x"])
# -- helper functions, lists ---------------------------------------------------------
P("mlp_zip_helper", """
def dense(x, W, b):
    return np.tanh(x @ W + b)


def mlp(x, Ws, bs):
    for W, b in zip(Ws, bs):
        x = dense(x, W, b)
    return x.sum()
""", N(2, 3), lambda rng: [rng.standard_normal((3, 3)) for _ in range(3)], lambda rng: [rng.standard_normal(3) for _ in range(3)], function="mlp")
P("list_comprehension_stack", """
def f(x, W):
    rows = [np.tanh(W @ x[i]) for i in range(x.shape[0])]
    return np.sum(np.stack(rows) ** 2)
""", N(3, 2), N(4, 2))
P("append_expression_concatenate", """
def f(x):
    parts = []
    for k in range(1, 4):
        parts.append(x ** k)
    return np.concatenate(parts)
""", N(2))
P("append_expression_vstack", """
def f(X, w):
    rows = []
    for i in range(X.shape[0]):
        rows.append(X[i] * w[i])
    return np.vstack(rows).sum(axis=0)
""", N(3, 2), N(3))
P("ema_list_to_array", """
def ema(x, alpha):
    s = x[0]
    out = [s]
    for t in range(1, len(x)):
        s = alpha * x[t] + (1 - alpha) * s
        out.append(s)
    return np.array(out)
""", N(5), F(0.3))
# -- dtypes, 0-d, size-1 ---------------------------------------------------------------
P("mixed_float32_loop", """
def f(x, w):
    h = x
    for _ in range(3):
        h = np.tanh(h * w)
    return h.sum()
""", D(np.float32, 3), D(np.float64, 3))
# gradients are checked in float64; the contract check casts to float16/32
P("branch_early_return", """
def f(x, w):
    y = x * w
    if y.sum() > 0:
        return y ** 2
    return -y
""", C([1.0, 2.0, 0.5]), C([0.5, 0.3, 0.9]))
P("zero_d_loop", """
def f(x):
    y = x
    for _ in range(3):
        y = y * np.cos(y)
    return y
""", lambda rng: np.array(0.7))
P("size_one_rnn", """
def f(x, h, W):
    for t in range(x.shape[0]):
        h = np.tanh(W @ h + x[t])
    return h
""", N(1, 1), N(1), N(1, 1))
P("equal_dims_loop_transpose", """
def f(X):
    Y = X
    for _ in range(2):
        Y = Y @ X.T + X
    return np.sum(Y)
""", lambda rng: 0.3 * rng.standard_normal((3, 3)))
P("parity_branch_rows", """
def f(X):
    total = np.zeros(X.shape[1])
    for i in range(X.shape[0]):
        if i % 2 == 0:
            total = total + X[i]
        else:
            total = total - 0.5 * X[i]
    return total
""", N(4, 2))
# -- misc realistic --------------------------------------------------------------------
P("soft_kmeans_loop", """
def soft_kmeans(X, C, beta, iters):
    for _ in range(iters):
        d = np.sum((X[:, None, :] - C[None, :, :]) ** 2, axis=2)
        r = np.exp(-beta * d)
        r = r / r.sum(axis=1, keepdims=True)
        C = (r.T @ X) / r.sum(axis=0)[:, None]
    return np.sum(C ** 2)
""", N(5, 2), N(2, 2), K(1.0), K(3), wrt=["X", "C"])
P("attention_heads_append", """
def attention(Q, K, V, n_heads):
    d = Q.shape[1] // n_heads
    outs = []
    for h in range(n_heads):
        q = Q[:, h * d:(h + 1) * d]
        k = K[:, h * d:(h + 1) * d]
        v = V[:, h * d:(h + 1) * d]
        s = q @ k.T / np.sqrt(d)
        s = s - s.max(axis=1, keepdims=True)
        a = np.exp(s) / np.exp(s).sum(axis=1, keepdims=True)
        outs.append(a @ v)
    return np.concatenate(outs, axis=1)
""", N(3, 4), N(3, 4), N(3, 4), K(2), wrt=["Q", "K", "V"])
P("hmm_forward_logsumexp", """
def forward_algorithm(log_emit, log_trans):
    alpha = log_emit[0]
    for t in range(1, log_emit.shape[0]):
        m = alpha[:, None] + log_trans
        mx = np.max(m, axis=0)
        alpha = mx + np.log(np.sum(np.exp(m - mx), axis=0)) + log_emit[t]
    mx = np.max(alpha)
    return mx + np.log(np.sum(np.exp(alpha - mx)))
""", N(4, 3), N(3, 3))
P("gaussian_nll_loop_math", """
def nll(x, mu, log_sigma):
    total = 0.0
    for i in range(len(x)):
        s = np.exp(log_sigma)
        total += 0.5 * ((x[i] - mu) / s) ** 2 + log_sigma + 0.5 * math.log(2 * math.pi)
    return total
""", N(5), F(0.1), F(-0.2))
P("early_return_in_loop", """
def f(x):
    for i in range(len(x)):
        if x[i] > 1.0:
            return x[i] * 2
    return np.sum(x)
""", C([0.3, 1.5, 0.2]))
P("rbf_gram_item_writes", """
def gram(X):
    n = X.shape[0]
    G = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            G[i, j] = np.exp(-np.sum((X[i] - X[j]) ** 2))
    return G
""", N(3, 2))
P("coulomb_pairs_triangle", """
def energy(X):
    e = 0.0
    n = X.shape[0]
    for i in range(n):
        for j in range(i + 1, n):
            r = np.sqrt(np.sum((X[i] - X[j]) ** 2))
            e += 1.0 / r
    return e
""", N(4, 3))
P("lennard_jones_cutoff", """
def lj(X, cutoff):
    e = 0.0
    for i in range(X.shape[0]):
        for j in range(X.shape[0]):
            if i == j:
                continue
            r = np.linalg.norm(X[i] - X[j])
            if r < cutoff:
                e += 4 * (r ** -12 - r ** -6)
    return 0.5 * e
""", C([[0.0, 0.0], [1.1, 0.0], [0.0, 1.2], [3.5, 3.5]]), K(2.5), wrt=["X"])
# fmt: on
