# ruff: noqa: E501
"""Realistic programs with control flow, written the way users write them.

CS231n assignments (naive losses with nested loops, `continue` and branches;
naive conv and pooling writing `out[n, f, i, j] = ...`; RNN/LSTM/GRU over
time), physics and finance formulas with branches, iterative methods
(Newton, power iteration, unrolled gradient descent, `while err > tol` with
a cap), integrators (Euler, RK4, Verlet) and mixed float16/32/64, 0-d and
size-1 inputs. Arguments keep away from branch switch points so central
differences see one arm. Checked by tests/test_realistic_flow.py with the
harness of tests/test_realistic.py.
"""

from __future__ import annotations

import numpy as np
from realistic import A, F, K, N, Program, U, registrar

FLOW: list[Program] = []


P = registrar(FLOW)


def C(value) -> object:
    """An array constant (the same every run)."""
    return lambda rng: np.array(value, dtype=float)


def T(dtype, maker):
    """`maker`'s values cast to `dtype`."""
    return lambda rng: np.asarray(maker(rng)).astype(dtype)


# fmt: off
# -- CS231n: naive losses -----------------------------------------------------------

P("svm_loss_naive_full", """
def svm_loss_naive(W, X, y, reg):
    dW = np.zeros(W.shape)  # initialize the gradient as zero
    # compute the loss and the gradient
    num_classes = W.shape[1]
    num_train = X.shape[0]
    loss = 0.0
    for i in range(num_train):
        scores = X[i].dot(W)
        correct_class_score = scores[y[i]]
        for j in range(num_classes):
            if j == y[i]:
                continue
            margin = scores[j] - correct_class_score + 1  # note delta = 1
            if margin > 0:
                loss += margin
    # Right now the loss is a sum over all training examples, but we want it
    # to be an average instead so we divide by num_train.
    loss /= num_train
    # Add regularization to the loss.
    loss += reg * np.sum(W * W)
    return loss
""", N(6, 4), N(5, 6), K(np.array([0, 3, 1, 1, 2])), F(0.05), wrt=["W"])
P("softmax_loss_naive", """
def softmax_loss_naive(W, X, y, reg):
    loss = 0.0
    num_train = X.shape[0]
    num_classes = W.shape[1]
    for i in range(num_train):
        scores = X[i].dot(W)
        scores -= np.max(scores)  # numeric stability
        sum_exp = 0.0
        for j in range(num_classes):
            sum_exp += np.exp(scores[j])
        loss += -scores[y[i]] + np.log(sum_exp)
    loss /= num_train
    loss += 0.5 * reg * np.sum(W * W)
    return loss
""", N(5, 3), N(4, 5), K(np.array([2, 0, 1, 2])), F(0.1), wrt=["W"])
P("softmax_loss_naive_probs", """
def softmax_loss_naive(W, X, y, reg):
    loss = 0.0
    num_train = X.shape[0]
    for i in range(num_train):
        f = X[i].dot(W)
        f -= np.max(f)
        p = np.exp(f) / np.sum(np.exp(f))
        loss += -np.log(p[y[i]])
    loss = loss / num_train + reg * np.sum(W ** 2)
    return loss
""", N(5, 3), N(4, 5), K(np.array([2, 0, 1, 2])), F(0.1), wrt=["W"])
P("svm_loss_half_vectorized", """
def svm_loss_half_vectorized(W, X, y, reg):
    num_train = X.shape[0]
    loss = 0.0
    for i in range(num_train):
        scores = X[i].dot(W)
        margins = np.maximum(0, scores - scores[y[i]] + 1)
        margins[y[i]] = 0
        loss += np.sum(margins)
    loss /= num_train
    loss += reg * np.sum(W * W)
    return loss
""", N(6, 4), N(5, 6), K(np.array([0, 3, 1, 1, 2])), F(0.05), wrt=["W"])
P("two_layer_loss_y_none", """
def loss(X, W1, b1, W2, b2, y=None, reg=0.0):
    h = np.maximum(0, X.dot(W1) + b1)
    scores = h.dot(W2) + b2
    if y is None:
        return scores
    N = X.shape[0]
    scores = scores - np.max(scores, axis=1, keepdims=True)
    probs = np.exp(scores) / np.sum(np.exp(scores), axis=1, keepdims=True)
    data_loss = -np.sum(np.log(probs[np.arange(N), y])) / N
    reg_loss = 0.5 * reg * (np.sum(W1 * W1) + np.sum(W2 * W2))
    return data_loss + reg_loss
""", N(4, 5), N(5, 6), N(6), N(6, 3), N(3), K(np.array([0, 2, 1, 1])), F(0.1), wrt=["W1", "b1", "W2", "b2"])
P("triplet_loss_loop", """
def triplet_loss(anchor, positive, negative, margin):
    loss = 0.0
    for i in range(anchor.shape[0]):
        d_pos = np.sum((anchor[i] - positive[i]) ** 2)
        d_neg = np.sum((anchor[i] - negative[i]) ** 2)
        l = d_pos - d_neg + margin
        if l > 0:
            loss += l
    return loss / anchor.shape[0]
""", N(4, 3), N(4, 3), N(4, 3), F(2.0), wrt=["anchor", "positive", "negative"])

# -- CS231n: naive layers -----------------------------------------------------------

P("conv_forward_naive_pad_stride", """
def conv_forward_naive(x, w, b, conv_param):
    stride, pad = conv_param['stride'], conv_param['pad']
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    H_out = 1 + (H + 2 * pad - HH) // stride
    W_out = 1 + (W + 2 * pad - WW) // stride
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), mode='constant')
    out = np.zeros((N, F, H_out, W_out))
    for n in range(N):
        for f in range(F):
            for i in range(H_out):
                for j in range(W_out):
                    h_start = i * stride
                    w_start = j * stride
                    window = x_pad[n, :, h_start:h_start + HH, w_start:w_start + WW]
                    out[n, f, i, j] = np.sum(window * w[f]) + b[f]
    return out
""", N(2, 2, 5, 5), N(3, 2, 3, 3), N(3), K({'stride': 2, 'pad': 1}), wrt=["x", "w", "b"])
P("conv_forward_naive_no_pad", """
def conv_forward_naive(x, w, b, stride):
    N, C, H, W = x.shape
    F, C, HH, WW = w.shape
    Hp = (H - HH) // stride + 1
    Wp = (W - WW) // stride + 1
    out = np.zeros((N, F, Hp, Wp))
    for n in range(N):
        for f in range(F):
            for hp in range(Hp):
                for wp in range(Wp):
                    hs = hp * stride
                    ws = wp * stride
                    out[n, f, hp, wp] = (x[n, :, hs:hs+HH, ws:ws+WW] * w[f, :, :, :]).sum() + b[f]
    return out
""", N(1, 3, 4, 4), N(2, 3, 2, 2), N(2), K(1), wrt=["x", "w", "b"])
P("conv_forward_three_loops", """
def conv_forward(x, w, b):
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    out = np.zeros((N, F, H - HH + 1, W - WW + 1))
    for i in range(H - HH + 1):
        for j in range(W - WW + 1):
            patch = x[:, :, i:i + HH, j:j + WW].reshape(N, -1)
            out[:, :, i, j] = patch.dot(w.reshape(F, -1).T) + b
    return out
""", N(2, 2, 4, 4), N(3, 2, 2, 2), N(3))
P("max_pool_forward_naive_dict", """
def max_pool_forward_naive(x, pool_param):
    N, C, H, W = x.shape
    pool_height = pool_param['pool_height']
    pool_width = pool_param['pool_width']
    stride = pool_param['stride']
    H_out = 1 + (H - pool_height) // stride
    W_out = 1 + (W - pool_width) // stride
    out = np.zeros((N, C, H_out, W_out))
    for n in range(N):
        for c in range(C):
            for i in range(H_out):
                for j in range(W_out):
                    out[n, c, i, j] = np.max(x[n, c, i*stride:i*stride+pool_height, j*stride:j*stride+pool_width])
    return out
""", N(2, 2, 4, 4), K({'pool_height': 2, 'pool_width': 2, 'stride': 2}), wrt=["x"])
P("avg_pool_naive", """
def avg_pool(x, size):
    N, C, H, W = x.shape
    out = np.zeros((N, C, H // size, W // size))
    for i in range(H // size):
        for j in range(W // size):
            out[:, :, i, j] = x[:, :, i*size:(i+1)*size, j*size:(j+1)*size].mean(axis=(2, 3))
    return out
""", N(2, 3, 4, 4), K(2), wrt=["x"])
P("relu_elementwise_loop", """
def relu(x):
    out = np.zeros_like(x)
    for i in range(x.shape[0]):
        for j in range(x.shape[1]):
            if x[i, j] > 0:
                out[i, j] = x[i, j]
    return out
""", A(3, 4))
P("naive_matmul", """
def matmul(A, B):
    n, m = A.shape
    p = B.shape[1]
    C = np.zeros((n, p))
    for i in range(n):
        for j in range(p):
            for k in range(m):
                C[i, j] += A[i, k] * B[k, j]
    return C
""", N(3, 2), N(2, 4))
P("pairwise_distances_two_loops", """
def compute_distances_two_loops(X, X_train):
    num_test = X.shape[0]
    num_train = X_train.shape[0]
    dists = np.zeros((num_test, num_train))
    for i in range(num_test):
        for j in range(num_train):
            dists[i, j] = np.sqrt(np.sum(np.square(X[i] - X_train[j])))
    return dists
""", N(3, 4), N(5, 4))
P("pairwise_distances_one_loop", """
def compute_distances_one_loop(X, X_train):
    num_test = X.shape[0]
    dists = np.zeros((num_test, X_train.shape[0]))
    for i in range(num_test):
        dists[i, :] = np.sqrt(np.sum((X_train - X[i, :]) ** 2, axis=1))
    return dists
""", N(3, 4), N(5, 4))
P("word_embedding_loop", """
def word_embedding_forward(x, W):
    N, T = x.shape
    V, D = W.shape
    out = np.zeros((N, T, D))
    for n in range(N):
        for t in range(T):
            out[n, t, :] = W[x[n, t]]
    return out
""", K(np.array([[0, 3, 1], [2, 2, 4]])), N(5, 3), wrt=["W"])
P("temporal_affine_loop", """
def temporal_affine_forward(x, w, b):
    N, T, D = x.shape
    M = b.shape[0]
    out = np.zeros((N, T, M))
    for t in range(T):
        out[:, t, :] = x[:, t, :].dot(w) + b
    return out
""", N(2, 3, 4), N(4, 5), N(5))
P("temporal_softmax_loss_loop", """
def temporal_softmax_loss(x, y, mask):
    N, T, V = x.shape
    loss = 0.0
    for t in range(T):
        logits = x[:, t, :]
        probs = np.exp(logits - np.max(logits, axis=1, keepdims=True))
        probs /= np.sum(probs, axis=1, keepdims=True)
        loss += -np.sum(mask[:, t] * np.log(probs[np.arange(N), y[:, t]]))
    return loss / N
""", N(2, 3, 4), K(np.array([[0, 3, 1], [2, 2, 0]])), K(np.array([[1.0, 1.0, 0.0], [1.0, 1.0, 1.0]])), wrt=["x"])

# -- CS231n: recurrent nets ---------------------------------------------------------

P("rnn_forward_h_array", """
def rnn_forward(x, h0, Wx, Wh, b):
    N, T, D = x.shape
    H = h0.shape[1]
    h = np.zeros((N, T, H))
    prev_h = h0
    for t in range(T):
        next_h = np.tanh(x[:, t, :].dot(Wx) + prev_h.dot(Wh) + b)
        h[:, t, :] = next_h
        prev_h = next_h
    return h
""", N(2, 4, 3), N(2, 5), N(3, 5), N(5, 5), N(5))
P("rnn_forward_list_stack", """
def rnn_forward(x, h0, Wx, Wh, b):
    hs = []
    h = h0
    for t in range(x.shape[1]):
        h = np.tanh(x[:, t, :] @ Wx + h @ Wh + b)
        hs.append(h)
    return np.stack(hs, axis=1)
""", N(3, 4, 2), N(3, 4), N(2, 4), N(4, 4), N(4))
P("rnn_last_hidden_loss", """
def rnn_loss(x, h0, Wx, Wh, b, Wy):
    h = h0
    T = x.shape[1]
    for t in range(T):
        h = np.tanh(np.dot(x[:, t], Wx) + np.dot(h, Wh) + b)
    scores = h.dot(Wy)
    return np.sum(scores ** 2)
""", N(2, 5, 3), N(2, 4), N(3, 4), N(4, 4), N(4), N(4, 2))
P("lstm_forward_loop", """
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
        next_c = f * prev_c + i * g
        next_h = o * np.tanh(next_c)
        h[:, t, :] = next_h
        prev_h, prev_c = next_h, next_c
    return h
""", N(2, 3, 4), N(2, 3), N(4, 12), N(3, 12), N(12), function="lstm_forward")
P("gru_forward_list", """
def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def gru_forward(xs, h, Wz, Uz, Wr, Ur, Wh, Uh):
    outputs = []
    for t in range(xs.shape[0]):
        x = xs[t]
        z = sigmoid(x @ Wz + h @ Uz)
        r = sigmoid(x @ Wr + h @ Ur)
        h_tilde = np.tanh(x @ Wh + (r * h) @ Uh)
        h = (1 - z) * h + z * h_tilde
        outputs.append(h)
    return np.array(outputs)
""", N(4, 3), N(2), N(3, 2), N(2, 2), N(3, 2), N(2, 2), N(3, 2), N(2, 2), function="gru_forward")
P("rnn_reversed_range", """
def backward_rnn(x, h0, Wx, Wh):
    T = x.shape[0]
    h = h0
    hs = []
    for t in reversed(range(T)):
        h = np.tanh(x[t] @ Wx + h @ Wh)
        hs.append(h)
    return np.stack(hs[::-1])
""", N(4, 3), N(2), N(3, 2), N(2, 2))
P("rnn_range_down", """
def backward_rnn(x, h0, Wx, Wh):
    h = h0
    total = 0.0
    for t in range(x.shape[0] - 1, -1, -1):
        h = np.tanh(x[t] @ Wx + h @ Wh)
        total = total + np.sum(h)
    return total
""", N(4, 3), N(2), N(3, 2), N(2, 2))
P("rnn_masked_continue", """
def masked_rnn(x, mask, h0, W, U):
    h = h0
    for t in range(x.shape[0]):
        if mask[t] == 0:
            continue
        h = np.tanh(x[t] * W + h * U)
    return h
""", N(5, 3), K(np.array([1, 0, 1, 1, 0])), N(3), N(3), N(3), wrt=["x", "h0", "W", "U"])
P("rnn_size1_T1", """
def rnn_forward(x, h0, Wx, Wh, b):
    h = h0
    outs = []
    for t in range(x.shape[1]):
        h = np.tanh(x[:, t, :].dot(Wx) + h.dot(Wh) + b)
        outs.append(h)
    return np.stack(outs, axis=1)
""", N(1, 1, 1), N(1, 1), N(1, 1), N(1, 1), N(1))
P("rnn_equal_dims", """
def rnn_forward(x, h0, Wx, Wh, b):
    N, T, D = x.shape
    h = np.zeros((N, T, D))
    prev = h0
    for t in range(T):
        prev = np.tanh(x[:, t, :] @ Wx + prev @ Wh + b)
        h[:, t, :] = prev
    return h
""", N(3, 3, 3), N(3, 3), N(3, 3), N(3, 3), N(3))
P("attention_heads_concat", """
def multi_head(x, Wq, Wk, Wv, num_heads):
    T, D = x.shape
    d = D // num_heads
    q, k, v = x @ Wq, x @ Wk, x @ Wv
    heads = []
    for i in range(num_heads):
        qi = q[:, i * d:(i + 1) * d]
        ki = k[:, i * d:(i + 1) * d]
        vi = v[:, i * d:(i + 1) * d]
        s = qi @ ki.T / np.sqrt(d)
        s = s - s.max(axis=-1, keepdims=True)
        a = np.exp(s) / np.exp(s).sum(axis=-1, keepdims=True)
        heads.append(a @ vi)
    return np.concatenate(heads, axis=-1)
""", N(3, 4), N(4, 4), N(4, 4), N(4, 4), K(2), wrt=["x", "Wq", "Wk", "Wv"])
P("mlp_layers_loop", """
def mlp(x, W1, W2, W3):
    h = x
    for W in [W1, W2, W3]:
        h = np.tanh(h @ W)
    return h.sum()
""", N(2, 3), N(3, 4), N(4, 4), N(4, 2))
P("fc_net_dict_params", """
def fc_net(X, params, num_layers):
    h = X
    for i in range(1, num_layers):
        h = np.maximum(0, h.dot(params['W%d' % i]) + params['b%d' % i])
    return h.dot(params['W%d' % num_layers]) + params['b%d' % num_layers]
""", N(3, 4), lambda rng: {'W1': rng.standard_normal((4, 5)), 'b1': rng.standard_normal(5), 'W2': rng.standard_normal((5, 2)), 'b2': rng.standard_normal(2)}, K(2), wrt=["X"])
P("hmm_forward_logsumexp", """
def hmm_log_likelihood(log_pi, log_A, log_B, obs):
    alpha = log_pi + log_B[:, obs[0]]
    for t in range(1, len(obs)):
        m = alpha[:, None] + log_A
        mx = np.max(m, axis=0)
        alpha = mx + np.log(np.sum(np.exp(m - mx), axis=0)) + log_B[:, obs[t]]
    mx = np.max(alpha)
    return mx + np.log(np.sum(np.exp(alpha - mx)))
""", N(3), N(3, 3), N(3, 4), K([0, 2, 3, 1]), wrt=["log_pi", "log_A", "log_B"])

# -- scalar branches: physics, finance, robust losses ------------------------------

P("huber_scalar_if", """
def huber(r, delta):
    if abs(r) <= delta:
        return 0.5 * r ** 2
    else:
        return delta * (abs(r) - 0.5 * delta)
""", F(2.5), F(1.0))
P("huber_scalar_if_small", """
def huber(r, delta):
    if abs(r) <= delta:
        return 0.5 * r ** 2
    else:
        return delta * (abs(r) - 0.5 * delta)
""", F(-0.4), F(1.0))
P("smooth_l1_loop", """
def smooth_l1(pred, target):
    loss = 0.0
    for i in range(len(pred)):
        d = pred[i] - target[i]
        if abs(d) < 1.0:
            loss += 0.5 * d * d
        else:
            loss += abs(d) - 0.5
    return loss / len(pred)
""", C([0.3, 2.0, -1.7, 0.1, -0.4]), C([0.0, 0.1, 0.2, 0.5, 0.3]))
P("piecewise_elif", """
def f(x):
    if x < -1.0:
        y = -x - 0.5
    elif x < 1.0:
        y = 0.5 * x * x
    else:
        y = x - 0.5
    return y
""", F(0.3))
P("piecewise_elif_left", """
def f(x):
    if x < -1.0:
        y = -x - 0.5
    elif x < 1.0:
        y = 0.5 * x * x
    else:
        y = x - 0.5
    return y
""", F(-2.0))
P("clip_scalar_reassign", """
def clipped_gain(x, lo, hi):
    if x > hi:
        x = hi
    elif x < lo:
        x = lo
    return 3.0 * x
""", F(5.0), F(0.0), F(2.0))
P("tax_brackets", """
def tax(income, rate1, rate2):
    if income <= 10000.0:
        t = income * rate1
    else:
        t = 10000.0 * rate1 + (income - 10000.0) * rate2
    return t
""", F(25000.0), F(0.1), F(0.3))
P("call_payoff_if", """
def payoff(S, K):
    if S > K:
        return S - K
    return 0.0
""", F(110.0), F(100.0))
P("black_scholes_call", """
def bs_call(S, K, T, r, sigma):
    d1 = (math.log(S / K) + (r + 0.5 * sigma ** 2) * T) / (sigma * math.sqrt(T))
    d2 = d1 - sigma * math.sqrt(T)
    N1 = 0.5 * (1.0 + math.erf(d1 / math.sqrt(2.0)))
    N2 = 0.5 * (1.0 + math.erf(d2 / math.sqrt(2.0)))
    return S * N1 - K * math.exp(-r * T) * N2
""", F(100.0), F(95.0), F(1.0), F(0.05), F(0.2))
P("friction_branch", """
def friction_force(v, mu, m):
    g = 9.81
    if v > 0:
        f = -mu * m * g
    elif v < 0:
        f = mu * m * g
    else:
        f = 0.0
    return f * v
""", F(-1.5), F(0.3), F(2.0))
P("array_branch_on_sum", """
def f(x, w):
    s = np.sum(x * w)
    if s > 0:
        out = np.tanh(x) * w
    else:
        out = x ** 2
    return out.sum()
""", U(0.5, 1.0, 4), U(0.5, 1.0, 4))
P("early_return_norm", """
def normalize(v, eps):
    n = np.linalg.norm(v)
    if n < eps:
        return v
    return v / n
""", N(4), F(1e-8), wrt=["v"])
P("ternary_in_loop", """
def leaky_sum(x, alpha):
    total = 0.0
    for i in range(x.shape[0]):
        total += x[i] if x[i] > 0 else alpha * x[i]
    return total
""", A(6), F(0.1))
P("soft_threshold_loop", """
def soft_threshold(x, lam):
    out = np.zeros_like(x)
    for i in range(len(x)):
        if x[i] > lam:
            out[i] = x[i] - lam
        elif x[i] < -lam:
            out[i] = x[i] + lam
        else:
            out[i] = 0.0
    return out
""", C([1.5, -0.2, 0.05, -2.0, 0.7]), F(0.4))
P("if_on_int_param", """
def activation(x, kind):
    if kind == 'relu':
        return np.maximum(x, 0)
    elif kind == 'tanh':
        return np.tanh(x)
    else:
        return x
""", A(3, 2), K('tanh'), wrt=["x"])
P("batchnorm_mode_train", """
def batchnorm_forward(x, gamma, beta, bn_param):
    mode = bn_param['mode']
    eps = bn_param.get('eps', 1e-5)
    if mode == 'train':
        mu = x.mean(axis=0)
        var = x.var(axis=0)
        x_hat = (x - mu) / np.sqrt(var + eps)
        out = gamma * x_hat + beta
    elif mode == 'test':
        out = gamma * (x - bn_param['running_mean']) / np.sqrt(bn_param['running_var'] + eps) + beta
    else:
        raise ValueError('Invalid forward batchnorm mode "%s"' % mode)
    return out
""", N(4, 3), N(3), N(3), K({'mode': 'train', 'eps': 1e-5}), wrt=["x", "gamma", "beta"])
P("dropout_mode_test", """
def dropout_forward(x, dropout_param):
    p, mode = dropout_param['p'], dropout_param['mode']
    if mode == 'train':
        mask = (np.random.rand(*x.shape) < p) / p
        out = x * mask
    elif mode == 'test':
        out = x
    return out
""", N(3, 4), K({'p': 0.5, 'mode': 'test'}), wrt=["x"])
P("zero_d_array_if", """
def f(x, y):
    if x > 0:
        z = x * y
    else:
        z = -x * y
    return z
""", lambda rng: np.array(0.7), lambda rng: np.array(-1.3))
P("float32_branch_loop", """
def f(x, w):
    acc = np.zeros_like(x)
    for k in range(3):
        if k % 2 == 0:
            acc = acc + np.tanh(x * w)
        else:
            acc = acc - 0.5 * x
    return acc
""", T(np.float32, N(4)), N(4))
P("newton_like_loop_pyfloat", """
def f(x, a):
    y = x
    for _ in range(4):
        y = y - a * (y * y - 2.0)
    return y
""", U(1.2, 1.5, 3), F(0.1))

# -- iterative methods --------------------------------------------------------------

P("newton_sqrt_fixed", """
def newton_sqrt(a):
    x = a
    for _ in range(8):
        x = 0.5 * (x + a / x)
    return x
""", U(1.0, 4.0, 3))
P("newton_cuberoot_while_tol", """
def cube_root(a, tol=1e-12, max_iter=50):
    x = 1.0
    it = 0
    err = 1.0
    while err > tol and it < max_iter:
        x_new = x - (x ** 3 - a) / (3 * x ** 2)
        err = abs(x_new - x)
        x = x_new
        it += 1
    return x
""", F(5.0), wrt=["a"])
P("babylonian_while_abs", """
def my_sqrt(a):
    g = a / 2.0
    while abs(g * g - a) > 1e-10:
        g = (g + a / g) / 2.0
    return g
""", F(7.0))
P("power_iteration", """
def top_eigenvalue(A, num_iters):
    v = np.ones(A.shape[0])
    for _ in range(num_iters):
        v = A @ v
        v = v / np.linalg.norm(v)
    return v @ A @ v
""", lambda rng: (lambda M: M @ M.T + 3 * np.diag([3.0, 1.0, 0.5]))(rng.standard_normal((3, 3))), K(30), wrt=["A"])
P("unrolled_gradient_descent", """
def inner_loop(A, b, x0, lr, steps):
    x = x0
    for _ in range(steps):
        grad = A.T @ (A @ x - b)
        x = x - lr * grad
    return 0.5 * np.sum((A @ x - b) ** 2)
""", N(4, 3), N(4), N(3), F(0.05), K(5), wrt=["A", "b", "x0"])
P("maml_inner_step", """
def maml_loss(w, x_tr, y_tr, x_te, y_te, alpha):
    for step in range(3):
        pred = x_tr @ w
        g = 2 * x_tr.T @ (pred - y_tr) / len(y_tr)
        w = w - alpha * g
    return np.mean((x_te @ w - y_te) ** 2)
""", N(3), N(5, 3), N(5), N(4, 3), N(4), F(0.1), wrt=["w", "x_tr", "y_tr"])
P("fixed_point_cos", """
def fixed_point(x0, c):
    x = x0
    for i in range(20):
        x = c * math.cos(x)
    return x
""", F(0.5), F(0.7))
P("logistic_map", """
def logistic_map(x0, r, n):
    x = x0
    for _ in range(n):
        x = r * x * (1 - x)
    return x
""", F(0.3), F(2.5), K(6), wrt=["x0", "r"])
P("taylor_exp", """
def taylor_exp(x, terms):
    total = 1.0
    term = 1.0
    for k in range(1, terms):
        term = term * x / k
        total = total + term
    return total
""", F(0.8), K(12), wrt=["x"])
P("horner_list_coeffs", """
def horner(x, coeffs):
    result = 0.0
    for c in coeffs:
        result = result * x + c
    return result
""", N(4), K([1.0, -2.0, 0.5, 3.0]), wrt=["x"])
P("horner_array_coeffs", """
def horner(x, coeffs):
    result = np.zeros_like(x)
    for i in range(len(coeffs)):
        result = result * x + coeffs[i]
    return result
""", N(4), N(4))
P("polyval_enumerate_weights", """
def weighted_powers(x, weights):
    out = 0.0
    for k, w in enumerate(weights):
        out = out + w * x ** k
    return out
""", N(3), K([0.5, -1.0, 2.0]), wrt=["x"])
P("while_growth_cap", """
def grow(x, limit):
    y = x
    n = 0
    while y < limit and n < 100:
        y = y * 1.5
        n += 1
    return y
""", F(0.9), F(10.0), wrt=["x"])
P("gram_schmidt", """
def gram_schmidt(A):
    n, k = A.shape
    Q = np.zeros((n, k))
    for j in range(k):
        v = A[:, j]
        for i in range(j):
            v = v - np.dot(Q[:, i], A[:, j]) * Q[:, i]
        Q[:, j] = v / np.linalg.norm(v)
    return Q
""", N(4, 3))
P("jacobi_iteration", """
def jacobi(A, b, iters):
    x = np.zeros_like(b)
    D = np.diag(A)
    R = A - np.diag(D)
    for _ in range(iters):
        x = (b - R @ x) / D
    return x
""", lambda rng: rng.standard_normal((3, 3)) * 0.3 + 4 * np.eye(3), N(3), K(10), wrt=["A", "b"])
P("kalman_1d", """
def kalman_1d(zs, x0, p0, q, r):
    x, p = x0, p0
    for z in zs:
        p = p + q
        k = p / (p + r)
        x = x + k * (z - x)
        p = (1 - k) * p
    return x
""", K([1.0, 1.2, 0.9, 1.1]), F(0.0), F(1.0), F(0.01), F(0.1), wrt=["x0", "p0", "q", "r"])
P("line_search_backtracking", """
def f(x):
    return np.sum(x ** 4) + np.sum(x ** 2)


def step(x, t0):
    g = 4 * x ** 3 + 2 * x
    t = t0
    while f(x - t * g) > f(x) - 0.5 * t * np.sum(g * g):
        t = t * 0.5
    return x - t * g
""", U(0.5, 1.0, 3), F(1.0), wrt=["x"], function="step")

# -- integrators ---------------------------------------------------------------------

P("euler_projectile_drag", """
def simulate(v0, angle, k, dt, steps):
    vx = v0 * math.cos(angle)
    vy = v0 * math.sin(angle)
    x, y = 0.0, 0.0
    g = 9.81
    for _ in range(steps):
        x += vx * dt
        y += vy * dt
        vx -= k * vx * dt
        vy -= (g + k * vy) * dt
    return x, y
""", F(20.0), F(0.7), F(0.1), F(0.01), K(50), wrt=["v0", "angle", "k"])
P("rk4_decay", """
def rk4(y0, k, h, n):
    def f(t, y):
        return -k * y + math.sin(t)
    y = y0
    t = 0.0
    for i in range(n):
        k1 = f(t, y)
        k2 = f(t + h / 2, y + h / 2 * k1)
        k3 = f(t + h / 2, y + h / 2 * k2)
        k4 = f(t + h, y + h * k3)
        y = y + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
        t = t + h
    return y
""", F(1.0), F(0.5), F(0.1), K(10), wrt=["y0", "k"])
P("rk4_module_helper", """
def deriv(state, omega, gamma):
    x, v = state[0], state[1]
    return np.array([v, -omega ** 2 * x - gamma * v])


def oscillator(state0, omega, gamma, dt, steps):
    s = state0
    for _ in range(steps):
        k1 = deriv(s, omega, gamma)
        k2 = deriv(s + 0.5 * dt * k1, omega, gamma)
        k3 = deriv(s + 0.5 * dt * k2, omega, gamma)
        k4 = deriv(s + dt * k3, omega, gamma)
        s = s + dt / 6.0 * (k1 + 2 * k2 + 2 * k3 + k4)
    return s
""", C([1.0, 0.0]), F(2.0), F(0.1), F(0.05), K(8), wrt=["state0", "omega", "gamma"], function="oscillator")
P("velocity_verlet_particles", """
def verlet(pos, vel, k, dt, n_steps):
    acc = -k * pos
    for step in range(n_steps):
        pos = pos + vel * dt + 0.5 * acc * dt ** 2
        new_acc = -k * pos
        vel = vel + 0.5 * (acc + new_acc) * dt
        acc = new_acc
    energy = 0.5 * np.sum(vel ** 2) + 0.5 * k * np.sum(pos ** 2)
    return energy
""", N(3, 2), N(3, 2), F(1.5), F(0.05), K(10), wrt=["pos", "vel", "k"])
P("euler_heat_1d", """
def heat(u0, alpha, steps):
    u = u0.copy()
    for _ in range(steps):
        lap = np.zeros_like(u)
        lap[1:-1] = u[2:] - 2 * u[1:-1] + u[:-2]
        u = u + alpha * lap
    return u
""", N(6), F(0.2), K(5), wrt=["u0", "alpha"])
P("bounce_branch_in_loop", """
def bounce(h0, v0, e, dt):
    h, v = h0, v0
    for _ in range(30):
        v = v - 9.81 * dt
        h = h + v * dt
        if h < 0:
            h = -h
            v = -e * v
    return h
""", F(1.0), F(0.0), F(0.8), F(0.02), wrt=["h0", "e"])
P("trapezoid_integral", """
def integrate(a, b, n):
    h = 1.0 / n
    total = 0.0
    for i in range(n):
        x0 = i * h
        x1 = (i + 1) * h
        f0 = np.exp(-a * x0) * np.sin(b * x0)
        f1 = np.exp(-a * x1) * np.sin(b * x1)
        total += 0.5 * (f0 + f1) * h
    return total
""", F(1.0), F(3.0), K(20), wrt=["a", "b"])
P("simpson_rule", """
def simpson(c, n):
    h = 2.0 / n
    s = c * 0.0 + c * 2.0 ** 2
    for i in range(1, n):
        x = i * h
        if i % 2 == 1:
            s += 4 * c * x ** 2
        else:
            s += 2 * c * x ** 2
    return s * h / 3
""", F(1.5), K(8), wrt=["c"])

# -- sequences and accumulations -----------------------------------------------------

P("running_sum_item_writes", """
def cumulative(x):
    out = np.zeros_like(x)
    out[0] = x[0]
    for i in range(1, len(x)):
        out[i] = out[i - 1] + x[i]
    return out
""", N(5))
P("ema_loop", """
def ema(x, alpha):
    s = x[0]
    smoothed = [s]
    for t in range(1, len(x)):
        s = alpha * x[t] + (1 - alpha) * s
        smoothed.append(s)
    return np.array(smoothed)
""", N(6), F(0.3))
P("compound_interest", """
def balance(principal, rate, payment, years):
    b = principal
    for year in range(years):
        b = b * (1 + rate) - payment
    return b
""", F(1000.0), F(0.05), F(50.0), K(10), wrt=["principal", "rate", "payment"])
P("max_drawdown_running_peak", """
def drawdown(prices):
    peak = prices[0]
    worst = 0.0
    for p in prices[1:]:
        peak = max(peak, p)
        worst = min(worst, p / peak - 1.0)
    return worst
""", C([1.0, 1.3, 1.1, 1.5, 0.9, 1.2]))
P("moving_average_window", """
def moving_average(x, w):
    n = len(x) - w + 1
    out = np.zeros(n)
    for i in range(n):
        out[i] = np.mean(x[i:i + w])
    return out
""", N(7), K(3), wrt=["x"])
P("stride_two_range", """
def pair_products(x):
    total = 0.0
    for i in range(0, len(x) - 1, 2):
        total += x[i] * x[i + 1]
    return total
""", N(6))
P("first_crossing_break", """
def first_crossing(x, level):
    value = 0.0
    for i in range(len(x)):
        if x[i] > level:
            value = x[i] - level
            break
    return value
""", C([0.1, 0.4, 1.7, 2.5, 0.3]), F(1.0))
P("loss_accumulate_list_sum", """
def total_loss(preds, targets):
    losses = []
    for i in range(preds.shape[0]):
        losses.append(np.mean((preds[i] - targets[i]) ** 2))
    return sum(losses) / len(losses)
""", N(3, 4), N(3, 4))
P("np_where_in_loop", """
def iterate(x, w):
    for _ in range(3):
        x = np.where(x > 0, x * w, 0.1 * x)
    return x.sum()
""", A(5), U(0.5, 1.5, 5))
P("nested_branch_loop_mixed", """
def score(X, W, thresh):
    total = 0.0
    for i in range(X.shape[0]):
        s = X[i] @ W
        if s.sum() > thresh:
            total += np.sum(s ** 2)
        else:
            for j in range(s.shape[0]):
                if s[j] > 0:
                    total += s[j]
    return total
""", N(4, 3), N(3, 2), F(0.0), wrt=["X", "W"])
P("for_row_in_constant", """
def weighted_rows(X, w):
    out = 0.0
    for row in X:
        out = out + np.dot(row, w)
    return out
""", N(3, 4), N(4), wrt=["w"])
P("zip_lists", """
def paired(xs, ws):
    total = 0.0
    for x, w in zip(xs, ws):
        total += x * w
    return total
""", N(3), N(3))
P("while_counter_index", """
def partial_sums(x):
    i = 0
    s = 0.0
    while i < x.shape[0]:
        s = s + x[i] ** 2
        i += 1
    return s
""", N(5))
P("label_smoothing_loop", """
def smoothed_xent(logits, labels, eps):
    N, C = logits.shape
    loss = 0.0
    for n in range(N):
        z = logits[n] - np.max(logits[n])
        logp = z - np.log(np.sum(np.exp(z)))
        for c in range(C):
            target = 1.0 - eps if c == labels[n] else eps / (C - 1)
            loss -= target * logp[c]
    return loss / N
""", N(3, 4), K(np.array([1, 0, 3])), F(0.1), wrt=["logits"])
P("augassign_item_in_loop", """
def histogram_soft(x, centers, width):
    out = np.zeros(centers.shape[0])
    for i in range(x.shape[0]):
        for k in range(centers.shape[0]):
            out[k] += np.exp(-((x[i] - centers[k]) / width) ** 2)
    return out
""", N(4), N(3), F(0.8))
P("bilinear_upsample_loops", """
def upsample(img):
    H, W = img.shape
    out = np.zeros((2 * H - 1, 2 * W - 1))
    for i in range(2 * H - 1):
        for j in range(2 * W - 1):
            i0, j0 = i // 2, j // 2
            i1, j1 = min(i0 + 1, H - 1), min(j0 + 1, W - 1)
            if i % 2 == 0 and j % 2 == 0:
                out[i, j] = img[i0, j0]
            elif i % 2 == 0:
                out[i, j] = 0.5 * (img[i0, j0] + img[i0, j1])
            elif j % 2 == 0:
                out[i, j] = 0.5 * (img[i0, j0] + img[i1, j0])
            else:
                out[i, j] = 0.25 * (img[i0, j0] + img[i0, j1] + img[i1, j0] + img[i1, j1])
    return out
""", N(3, 3))
P("float32_rnn_float64_weights", """
def rnn(x, h0, W, U):
    h = h0
    for t in range(x.shape[0]):
        h = np.tanh(x[t] @ W + h @ U)
    return h
""", T(np.float32, N(3, 2)), T(np.float32, N(2)), N(2, 2), N(2, 2))
P("spatial_batchnorm_reshape", """
def spatial_batchnorm_forward(x, gamma, beta, eps):
    N, C, H, W = x.shape
    x_flat = x.transpose(0, 2, 3, 1).reshape(-1, C)
    mu = np.mean(x_flat, axis=0)
    var = np.var(x_flat, axis=0)
    x_hat = (x_flat - mu) / np.sqrt(var + eps)
    out = gamma * x_hat + beta
    return out.reshape(N, H, W, C).transpose(0, 3, 1, 2)
""", N(2, 3, 2, 2), N(3), N(3), F(1e-5), wrt=["x", "gamma", "beta"])
P("conv_1d_loop_valid", """
def conv1d(x, k):
    n = len(x) - len(k) + 1
    y = np.zeros(n)
    for i in range(n):
        y[i] = np.dot(x[i:i + len(k)], k)
    return y
""", N(6), N(3))
P("max_over_time_loop", """
def max_over_time(h):
    best = h[0]
    for t in range(1, h.shape[0]):
        best = np.maximum(best, h[t])
    return best
""", lambda rng: rng.permutation(12).reshape(4, 3) * 0.3 + rng.uniform(0, 0.05, (4, 3)))
P("viterbi_score_fixed_path", """
def path_score(emissions, transitions, tags):
    score = emissions[0, tags[0]]
    for i in range(1, len(tags)):
        score = score + transitions[tags[i - 1], tags[i]] + emissions[i, tags[i]]
    return score
""", N(4, 3), N(3, 3), K([0, 2, 2, 1]), wrt=["emissions", "transitions"])
P("size1_batch_conv", """
def conv(x, w):
    N, C, H, W = x.shape
    F, _, k, _ = w.shape
    out = np.zeros((N, F, H - k + 1, W - k + 1))
    for n in range(N):
        for f in range(F):
            for i in range(H - k + 1):
                for j in range(W - k + 1):
                    out[n, f, i, j] = np.sum(x[n, :, i:i + k, j:j + k] * w[f])
    return out
""", N(1, 1, 3, 3), N(1, 1, 2, 2))

# -- second batch: aliasing, in-place updates, helpers with branches ---------------

P("conv_transpose_overlapping_writes", """
def conv_transpose_1d(x, w, stride):
    n = x.shape[0]
    k = w.shape[0]
    out = np.zeros((n - 1) * stride + k)
    for i in range(n):
        out[i * stride:i * stride + k] += x[i] * w
    return out
""", N(4), N(3), K(2), wrt=["x", "w"])
P("copy_then_inplace_scale_in_loop", """
def scale_rows(x, s):
    y = x.copy()
    for i in range(y.shape[0]):
        y[i] *= s[i]
    return y
""", N(3, 4), N(3))
P("int_zero_accumulator", """
def sum_squares(x):
    total = 0
    for i in range(len(x)):
        total += x[i] ** 2
    return total
""", N(5))
P("helper_with_branch", """
def huber(r, delta):
    if abs(r) < delta:
        return 0.5 * r * r
    return delta * (abs(r) - 0.5 * delta)


def robust_loss(pred, target, delta):
    loss = 0.0
    for i in range(pred.shape[0]):
        loss += huber(pred[i] - target[i], delta)
    return loss
""", C([0.2, 3.0, -2.5, 0.4]), C([0.0, 0.5, 0.0, -0.1]), F(1.0), function="robust_loss")
P("branch_leaves_zero_item", """
def gate(x, thresh):
    out = np.zeros_like(x)
    for i in range(x.shape[0]):
        if x[i] > thresh:
            out[i] = x[i] * x[i]
    return out.sum()
""", C([0.5, 1.5, -0.3, 2.0]), F(1.0))
P("last_value_from_branch_in_loop", """
def f(x):
    y = 0.0
    for i in range(x.shape[0]):
        if x[i] > 0:
            y = x[i] * 3.0
        else:
            y = y + x[i]
    return y
""", C([0.5, -1.2, 0.8, -0.4]))
P("continue_in_while", """
def f(x):
    i = 0
    s = 0.0
    while i < x.shape[0]:
        i += 1
        if x[i - 1] < 0:
            continue
        s = s + np.sqrt(x[i - 1])
    return s
""", C([0.5, -1.2, 0.8, 1.4]))
P("break_nested_inner_only", """
def f(X):
    total = 0.0
    for i in range(X.shape[0]):
        for j in range(X.shape[1]):
            if X[i, j] < 0:
                break
            total = total + X[i, j] ** 2
    return total
""", C([[0.5, 0.3, -1.0, 0.7], [-0.2, 1.0, 1.0, 1.0], [0.4, 0.6, 0.9, 1.1]]))
P("param_reassigned_in_loop", """
def f(x, w):
    for k in range(3):
        x = np.tanh(x @ w)
    return x
""", N(2, 3), N(3, 3))
P("param_augassign_in_loop", """
def f(x, w):
    for k in range(3):
        x = x + 0.1 * np.sin(x * w)
    return x.sum()
""", N(4), N(4))
P("list_index_last", """
def f(x, W):
    hs = [x]
    for t in range(3):
        hs.append(np.tanh(hs[-1] @ W))
    return hs[-1]
""", N(2, 3), N(3, 3))
P("loop_over_constant_tuple_of_floats", """
def f(x):
    out = 0.0
    for c in (0.5, 1.0, 2.0):
        out = out + np.exp(-c * x)
    return out
""", N(3))
P("branch_on_loop_counter_parity", """
def f(x, a, b):
    for i in range(4):
        if i % 2 == 0:
            x = a * x
        else:
            x = x + b
    return x
""", N(3), F(0.9), F(0.2))
P("dout_scalar_mixed_tuple_out", """
def f(x, n):
    s = 0.0
    m = x
    for i in range(n):
        s = s + np.sum(m)
        m = m * 0.5
    return s, m
""", N(3), K(3), wrt=["x"])
P("zero_trip_loop", """
def f(x, n):
    y = x * 2.0
    for i in range(n):
        y = y * y
    return y
""", N(3), K(0), wrt=["x"])
P("while_data_dependent_halving", """
def f(x):
    y = x
    while np.max(np.abs(y)) > 1.0:
        y = y / 2.0
    return y
""", C([3.1, -5.2, 0.7]))
P("size1_equal_dims_loop", """
def f(A, v):
    for _ in range(2):
        v = A @ v
    return v
""", N(1, 1), N(1))
P("zero_d_loop", """
def f(x, w):
    y = x
    for i in range(3):
        y = y * w + 1.0
    return y
""", lambda rng: np.array(0.4), lambda rng: np.array(1.3))
P("float32_scalar_output_loop", """
def f(x):
    total = np.float32(0.0)
    for i in range(x.shape[0]):
        total = total + x[i] * x[i]
    return total
""", T(np.float32, N(4)))
P("loop_writes_into_2d_slices_then_reduces", """
def f(x, W):
    T, D = x.shape
    H = W.shape[1]
    hs = np.zeros((T + 1, H))
    for t in range(T):
        hs[t + 1] = np.tanh(x[t] @ W + hs[t])
    return hs[1:].sum()
""", N(3, 2), N(2, 3))

# -- third batch: gradients that some paths cut -------------------------------------

P("reset_arm_then_decay", """
def f(x, w):
    y = 1.0
    for i in range(x.shape[0]):
        if x[i] < -1.0:
            y = 0.0
        else:
            y = y * w + x[i] * y
    return y
""", C([0.5, -1.5, 0.8, 0.4]), F(0.9))
P("fibonacci_swap", """
def fib_like(a, b, n):
    for _ in range(n):
        a, b = b, a + b
    return b
""", F(0.3), F(0.7), K(5), wrt=["a", "b"])
P("alias_in_arm", """
def f(x, w):
    y = x
    for i in range(3):
        if i == 1:
            z = y
        else:
            z = np.tanh(y * w)
        y = z
    return y.sum()
""", N(3), N(3))
P("break_after_cut", """
def f(x):
    y = x[0]
    for i in range(1, x.shape[0]):
        if x[i] > 2.0:
            y = 1.0
            break
        y = y * x[i]
    return y
""", C([0.5, 1.5, 0.8, 2.5, 0.3]))
P("nested_both_arms_cut_some", """
def f(x, a):
    s = a
    for i in range(x.shape[0]):
        if x[i] > 0:
            if x[i] > 1:
                s = x[i]
            else:
                s = s + x[i]
        else:
            s = s * a
    return s
""", C([0.5, -0.3, 1.5, 0.2, -0.7]), F(1.1))
P("two_carried_one_cut", """
def f(x, w):
    h, c = 0.0, 1.0
    for i in range(x.shape[0]):
        if x[i] > 0:
            c = 0.5
        h = h * w + c * x[i]
        c = c * w
    return h + c
""", C([0.5, -0.3, 1.5, -0.2]), F(0.8))
P("while_with_cut_and_continue", """
def f(x, w):
    i = 0
    s = 0.0
    while i < x.shape[0]:
        v = x[i]
        i += 1
        if v < 0:
            s = 0.0
            continue
        s = s * w + v
    return s
""", C([0.5, -0.3, 1.5, 0.2]), F(0.8))
P("if_without_else_modifies_carry", """
def f(x, w):
    y = x[0]
    for i in range(1, x.shape[0]):
        if x[i] > 0:
            y = y * w
        y = y + x[i]
    return y
""", C([0.5, -0.3, 1.5, 0.2]), F(0.8))
P("array_carry_masked_reset", """
def f(X, W):
    h = np.zeros(W.shape[1])
    for t in range(X.shape[0]):
        if X[t].sum() < -1.0:
            h = np.zeros(W.shape[1])
        else:
            h = np.tanh(X[t] @ W + h)
    return h
""", C([[0.5, 0.1], [-1.0, -0.8], [0.3, 0.2], [0.4, -0.1]]), N(2, 3))
P("output_written_only_in_branch_param_start", """
def f(x, y, n):
    for k in range(n):
        if k == 2:
            y = x * 2.0
    return y
""", N(3), N(3), K(4))
