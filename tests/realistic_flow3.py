# ruff: noqa: E501
"""Everyday loop code that bpgen refused before (issue 13's leftovers), written
the way users write it: `enumerate`/`zip` over differentiated arrays, lists
built with `L.append(expr)` and read by `np.stack`/`np.array`/`sum` inside an
expression, `return` inside a loop, and `raise` in an `else:` arm. Each is
checked by tests/test_flow_everyday.py against central differences and
autograd (it must be accepted: no refusal counts as a pass there).
"""

from __future__ import annotations

import numpy as np
from realistic import A, F, K, N, Program, U, registrar
from realistic_flow import C

FLOW3: list[Program] = []


P = registrar(FLOW3)


# fmt: off
# -- enumerate / zip over differentiated arrays --------------------------------------

P("enumerate_rnn_rows", """
def rnn(xs, W, U):
    h = np.zeros(W.shape[0])
    for t, x_t in enumerate(xs):
        h = np.tanh(W @ h + U @ x_t)
    return np.sum(h ** 2)
""", N(5, 3), N(4, 4), N(4, 3), expect_wrt=["xs", "W", "U"])
P("enumerate_weighted_by_index", """
def f(xs, w):
    total = 0.0
    for i, x in enumerate(xs):
        total = total + (i + 1) * np.sum(np.sin(x * w))
    return total
""", N(4, 3), N(3))
P("enumerate_start_discount", """
def discounted(rewards, gamma):
    ret = 0.0
    for k, r in enumerate(rewards, start=1):
        ret = ret + gamma ** k * r
    return ret
""", N(6), F(0.9))
P("zip_squared_error", """
def loss(preds, targets, w):
    total = 0.0
    for p, y in zip(preds, targets):
        total = total + np.sum((p * w - y) ** 2)
    return total / len(preds)
""", N(5, 3), N(5, 3), N(3), wrt=["preds", "w"])
P("zip_both_differentiated", """
def f(a, b):
    s = 0.0
    for u, v in zip(a, b):
        s = s + np.dot(u, v) * np.tanh(np.sum(u))
    return s
""", N(4, 3), N(4, 3))
P("zip_labels_not_differentiated", """
def softmax_loss_loop(scores, y):
    loss = 0.0
    for s, label in zip(scores, y):
        shifted = s - np.max(s)
        loss = loss - shifted[label] + np.log(np.sum(np.exp(shifted)))
    return loss / scores.shape[0]
""", N(5, 4), K(np.array([1, 0, 3, 2, 2])), expect_wrt=["scores"])
P("enumerate_zip_nested_target", """
def f(xs, ys, w):
    acc = 0.0
    for i, (x, y) in enumerate(zip(xs, ys)):
        acc = acc + np.sum(x * y * w) / (i + 1)
    return acc
""", N(4, 3), N(4, 3), N(3))
P("enumerate_rows_into_output", """
def f(X, W):
    out = np.zeros((X.shape[0], W.shape[1]))
    for i, row in enumerate(X):
        out[i] = np.tanh(row @ W)
    return out
""", N(4, 3), N(3, 2))
P("zip_rows_and_scalars", """
def f(X, scales, b):
    total = 0.0
    for row, s in zip(X, scales):
        total = total + s * np.sum(np.exp(row * b))
    return total
""", N(4, 3), N(4), N(3))

# -- lists: `L.append(expr)`, then np.stack / np.array / sum inside an expression -----

P("rnn_stack_inside_matmul", """
def rnn_scores(x, h0, Wx, Wh, b, Wy):
    N, T, D = x.shape
    h = h0
    hs = []
    for t in range(T):
        h = np.tanh(x[:, t, :] @ Wx + h @ Wh + b)
        hs.append(h)
    scores = np.stack(hs, axis=1) @ Wy
    return np.sum(scores ** 2)
""", N(2, 4, 3), N(2, 5), N(3, 5), N(5, 5), N(5), N(5, 2))
P("append_expression_then_stack", """
def decode(x, W, U):
    h = np.zeros(W.shape[0])
    outs = []
    for t in range(x.shape[0]):
        h = np.tanh(W @ h + x[t])
        outs.append(np.tanh(U @ h))
    y = np.stack(outs)
    return np.sum(y * y)
""", N(4, 3), N(3, 3), N(2, 3))
P("append_expression_scaled", """
def f(x, w, n):
    hs = []
    h = x
    for k in range(n):
        h = np.sin(h * w)
        hs.append(h * (k + 1.0))
    return np.sum(np.stack(hs, axis=0), axis=0)
""", N(3), N(3), K(4))
P("sum_of_losses_over_len", """
def mean_loss(preds, ys, w):
    losses = []
    for t in range(preds.shape[0]):
        losses.append(np.sum((preds[t] * w - ys[t]) ** 2))
    return sum(losses) / len(losses)
""", N(5, 3), N(5, 3), N(3), wrt=["preds", "w"])
P("sum_of_arrays", """
def f(x, W):
    terms = []
    h = x
    for k in range(3):
        h = np.tanh(h @ W)
        terms.append(h)
    total = sum(terms)
    return np.sum(total ** 2)
""", N(2, 3), N(3, 3))
P("np_array_inside_mean", """
def f(x, a):
    vals = []
    for k in range(4):
        vals.append(np.sum(np.exp(-a * k * x)))
    return np.mean(np.array(vals) ** 2)
""", N(3), F(0.3))
P("stack_inside_return", """
def f(x, W):
    hs = []
    h = x
    for t in range(3):
        h = np.maximum(h @ W, 0.1 * h @ W)
        hs.append(h)
    return np.sum(np.stack(hs, axis=1) * 0.5, axis=(1, 2))
""", A(2, 3), N(3, 3))

# -- `return` inside a loop: an early exit --------------------------------------------

P("newton_sqrt_early_return_same_name", """
def sqrt_newton(x, n):
    y = x
    for i in range(n):
        y = 0.5 * (y + x / y)
        if np.max(np.abs(y * y - x)) < 1e-10:
            return y
    return y
""", U(0.5, 3.0, 4), K(30))
P("newton_sqrt_early_return_next", """
def sqrt_newton(x, tol):
    y = x
    for k in range(50):
        y_next = 0.5 * (y + x / y)
        if np.max(np.abs(y_next - y)) < tol:
            return y_next
        y = y_next
    return y
""", U(0.5, 3.0, 4), K(1e-9))
P("power_iteration_converged", """
def top_eigenvalue(A, iters):
    v = np.ones(A.shape[0]) / np.sqrt(A.shape[0])
    lam = 0.0
    for i in range(iters):
        w = A @ v
        v = w / np.linalg.norm(w)
        lam_new = v @ A @ v
        if abs(lam_new - lam) < 1e-12:
            return lam_new
        lam = lam_new
    return lam
""", C([[2.0, 0.3, 0.1], [0.3, 1.0, 0.2], [0.1, 0.2, 0.5]]), K(200))
P("while_early_return_scaled", """
def f(x, w):
    s = x
    k = 0
    while k < 20:
        s = np.tanh(s * w)
        if np.sum(s * s) < 0.5:
            return s * 3.0
        k += 1
    return s
""", N(3), F(0.9))

# -- `raise` in an `else:` arm: a check, no gradient ----------------------------------

P("cs231n_batchnorm_raise_test_mode", """
def batchnorm_forward(x, gamma, beta, bn_param):
    mode = bn_param['mode']
    eps = bn_param.get('eps', 1e-5)
    if mode == 'train':
        sample_mean = np.mean(x, axis=0)
        sample_var = np.var(x, axis=0)
        x_hat = (x - sample_mean) / np.sqrt(sample_var + eps)
        out = gamma * x_hat + beta
    elif mode == 'test':
        x_hat = (x - bn_param['running_mean']) / np.sqrt(bn_param['running_var'] + eps)
        out = gamma * x_hat + beta
    else:
        raise ValueError('Invalid forward batchnorm mode "%s"' % mode)
    return out
""", N(4, 3), N(3), N(3), K({"mode": "test", "running_mean": np.array([0.1, -0.2, 0.3]), "running_var": np.array([1.0, 0.5, 2.0])}), expect_wrt=["x", "gamma", "beta"])
P("dropout_raise", """
def dropout_forward(x, mode, mask):
    if mode == 'train':
        out = x * mask
    elif mode == 'test':
        out = x
    else:
        raise ValueError('unknown mode')
    return out
""", N(3, 4), K("train"), K((np.arange(12).reshape(3, 4) % 3 > 0) / 0.7), wrt=["x"])
P("check_shape_then_loop", """
def rnn(x, Wh, h0):
    if x.ndim != 2:
        raise ValueError('x must be (T, H)')
    h = h0
    for t in range(x.shape[0]):
        h = np.tanh(h @ Wh + x[t])
    return np.sum(h)
""", N(4, 3), N(3, 3), N(3))

# -- np.concatenate of a list built in a loop ------------------------------------------

P("attention_heads_concatenate", """
def multi_head(x, Wq, Wk, Wv, n_heads):
    heads = []
    for h in range(n_heads):
        q = x @ Wq[h]
        k = x @ Wk[h]
        v = x @ Wv[h]
        s = q @ k.T / np.sqrt(q.shape[1])
        e = np.exp(s - np.max(s, axis=1, keepdims=True))
        a = e / np.sum(e, axis=1, keepdims=True)
        heads.append(a @ v)
    return np.concatenate(heads, axis=-1)
""", N(4, 3), N(2, 3, 2), N(2, 3, 2), N(2, 3, 3), K(2))
P("concatenate_inside_expression", """
def f(x, W):
    parts = []
    h = x
    for k in range(3):
        h = np.tanh(h @ W)
        parts.append(h[:, : k + 1])
    return np.sum(np.concatenate(parts, axis=1) ** 2)
""", N(2, 3), N(3, 3))
