# ruff: noqa: E501
"""Realistic programs in the styles of other sources users copy from.

A fourth corpus beside tests/realistic.py and the flow corpora (mostly
CS231n, Tangent and textbook code): numpy-ml's layers, activations and
losses as free functions, d2l.ai's "from scratch" chapters, Karpathy's
min-char-rnn, micrograd-style scalar code and makemore's MLP in NumPy,
scipy.optimize objectives (Rosenbrock, logistic regression with
`np.logaddexp`, `scipy.special`), physics and finance (Black-Scholes with
`math.erf`, springs), attention, layer norm, GRU cells, conv via im2col,
mixture log-likelihoods, RBF kernels, PCA-like losses, `np.einsum`, float32
inputs, keyword arguments, defaults, `*args` and helper functions. Checked by
tests/test_realistic_flow.py with tests/test_realistic.py's classifier.
"""

from __future__ import annotations

import numpy as np
from realistic import A, F, K, L, N, Program, U, registrar

PROGRAMS4: list[Program] = []

SCIPY = "import math\n\nimport numpy as np\nfrom scipy import special\nfrom scipy.special import expit, gammaln, logsumexp\n\n\n"


P = registrar(PROGRAMS4)


def D(dtype, *shape):
    """Standard normal values in `dtype` (float32 inputs, as users load them)."""
    return lambda rng: rng.standard_normal(shape).astype(dtype)


def OH(n, k):
    """One-hot rows: n labels in [0, k)."""
    return lambda rng: np.eye(k)[rng.integers(0, k, size=n)]


def PR(n, k):
    """Rows of probabilities (a softmax output)."""

    def make(rng):
        e = np.exp(rng.standard_normal((n, k)))
        return e / e.sum(1, keepdims=True)

    return make


# fmt: off
# -- numpy-ml: activations as free functions ----------------------------------------
P("npml_sigmoid", """
def sigmoid(z):
    return 1 / (1 + np.exp(-z))
""", N(3, 4))
P("npml_elu", """
def elu(z, alpha=1.0):
    return np.where(z > 0, z, alpha * (np.exp(z) - 1))
""", A(3, 4))
P("npml_selu", """
def selu(z):
    alpha = 1.6732632423543772848170429916717
    scale = 1.0507009873554804934193349852946
    return scale * np.where(z > 0, z, alpha * (np.exp(z) - 1))
""", A(3, 4))
P("npml_leaky_relu", """
def leaky_relu(z, alpha=0.3):
    _z = z.copy()
    _z[z < 0] = _z[z < 0] * alpha
    return _z
""", A(3, 4))
P("npml_softplus", """
def softplus(z):
    return np.log(np.exp(z) + 1)
""", N(3, 4))
P("npml_gelu_approx", """
def gelu(z, approximate=True):
    pi, sqrt, tanh = np.pi, np.sqrt, np.tanh
    if approximate:
        return 0.5 * z * (1 + tanh(sqrt(2 / pi) * (z + 0.044715 * z ** 3)))
    return 0.5 * z * (1 + np.tanh(z))
""", N(3, 4))
P("npml_gelu_erf", """
def gelu(z):
    return 0.5 * z * (1 + special.erf(z / np.sqrt(2)))
""", N(3, 4), header=SCIPY)
P("npml_softsign", """
def softsign(z):
    return z / (1 + np.abs(z))
""", A(3, 4))
P("npml_hard_sigmoid", """
def hard_sigmoid(z):
    return np.clip((0.2 * z) + 0.5, 0.0, 1.0)
""", U(-2, 2, 3, 4))
P("npml_exponential_tanh", """
def tanh(z):
    e_p, e_n = np.exp(z), np.exp(-z)
    return (e_p - e_n) / (e_p + e_n)
""", N(3, 4))
# -- numpy-ml: losses -----------------------------------------------------------------
P("npml_squared_error", """
def squared_error(y, y_pred):
    return 0.5 * np.linalg.norm(y_pred - y) ** 2
""", N(4, 3), N(4, 3))
P("npml_cross_entropy", """
def cross_entropy(y, y_pred):
    eps = np.finfo(float).eps
    cross_entropy = -np.sum(y * np.log(y_pred + eps))
    return cross_entropy
""", OH(4, 3), PR(4, 3), wrt=["y_pred"])
P("npml_vae_loss", """
def vae_loss(y, y_pred, t_mean, t_log_var):
    eps = np.finfo(float).eps
    y_pred = np.clip(y_pred, eps, 1 - eps)
    rec_loss = -np.sum(y * np.log(y_pred) + (1 - y) * np.log(1 - y_pred), axis=1)
    kl_loss = -0.5 * np.sum(1 + t_log_var - t_mean ** 2 - np.exp(t_log_var), axis=1)
    loss = np.mean(kl_loss + rec_loss)
    return loss
""", U(0, 1, 4, 6), U(0.1, 0.9, 4, 6), N(4, 2), N(4, 2), wrt=["y_pred", "t_mean", "t_log_var"])
P("npml_softmax_layer", """
def softmax(X, dim=-1):
    e_X = np.exp(X - np.max(X, axis=dim, keepdims=True))
    return e_X / e_X.sum(axis=dim, keepdims=True)
""", N(3, 5))
P("npml_fully_connected", """
def relu(z):
    return np.clip(z, 0, np.inf)


def fc_forward(X, W, b):
    Z = X @ W + b
    Y = relu(Z)
    return Y
""", N(4, 3), N(3, 5), A(5), function="fc_forward")
P("npml_batchnorm1d", """
def batchnorm1d(X, scaler, intercept, epsilon=1e-5):
    X_mean, X_var = np.mean(X, axis=0), np.var(X, axis=0)
    N = (X - X_mean) / np.sqrt(X_var + epsilon)
    y = scaler * N + intercept
    return y
""", N(6, 3), N(3), N(3))
P("npml_layernorm1d", """
def layernorm1d(X, scaler, intercept, epsilon=1e-5):
    EX = np.mean(X, axis=1, keepdims=True)
    VX = np.var(X, axis=1, keepdims=True)
    lnorm = (X - EX) / np.sqrt(VX + epsilon)
    return scaler * lnorm + intercept
""", N(4, 5), N(5), N(5))
P("npml_dot_product_attention", """
def dot_product_attention(Q, K, V):
    d_k = K.shape[-1]
    scale = 1 / np.sqrt(d_k)
    scores = Q @ K.swapaxes(-2, -1) * scale
    weights = np.exp(scores - scores.max(axis=-1, keepdims=True))
    weights = weights / weights.sum(axis=-1, keepdims=True)
    Y = weights @ V
    return Y
""", N(2, 3, 4), N(2, 5, 4), N(2, 5, 6))
P("npml_rnn_cell", """
def rnn_cell(Xt, A_prev, Waa, Wax, ba, bx):
    Zt = A_prev @ Waa + ba + Xt @ Wax + bx
    At = np.tanh(Zt)
    return At
""", N(3, 4), N(3, 5), N(5, 5), N(4, 5), N(5), N(5))
P("npml_lstm_cell", """
def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def lstm_cell(Xt, Ct_prev, At_prev, Wf, Wu, Wc, Wo, bf, bu, bc, bo):
    Zt = np.hstack([At_prev, Xt])
    Gft = sigmoid(Zt @ Wf + bf)
    Gut = sigmoid(Zt @ Wu + bu)
    Got = sigmoid(Zt @ Wo + bo)
    Cct = np.tanh(Zt @ Wc + bc)
    Ct = Gft * Ct_prev + Gut * Cct
    At = Got * np.tanh(Ct)
    return At, Ct
""", N(2, 3), N(2, 4), N(2, 4), N(7, 4), N(7, 4), N(7, 4), N(7, 4), N(4), N(4), N(4), N(4), function="lstm_cell")
P("npml_embedding", """
def embedding(X, W):
    Y = W[X]
    return Y.sum(axis=1)
""", L((3, 2), 5), N(5, 4), wrt=["W"])
P("npml_im2col_conv", """
def im2col(X, fr, fc):
    n_ex, in_rows, in_cols, in_ch = X.shape
    out_rows = in_rows - fr + 1
    out_cols = in_cols - fc + 1
    cols = []
    for i in range(out_rows):
        for j in range(out_cols):
            patch = X[:, i:i + fr, j:j + fc, :]
            cols.append(patch.reshape(n_ex, -1))
    return np.stack(cols, axis=1), out_rows, out_cols


def conv2d(X, W, b):
    fr, fc, in_ch, out_ch = W.shape
    n_ex = X.shape[0]
    X_col, out_rows, out_cols = im2col(X, fr, fc)
    W_col = W.reshape(-1, out_ch)
    Z = X_col @ W_col + b
    return Z.reshape(n_ex, out_rows, out_cols, out_ch)
""", N(2, 4, 4, 2), N(2, 2, 2, 3), N(3), function="conv2d")
# -- d2l.ai from scratch ----------------------------------------------------------------
P("d2l_linreg_squared_loss", """
def linreg(X, w, b):
    return np.dot(X, w) + b


def squared_loss(y_hat, y):
    return (y_hat - y.reshape(y_hat.shape)) ** 2 / 2


def loss_fn(X, y, w, b):
    return squared_loss(linreg(X, w, b), y).sum()
""", N(5, 2), N(5), N(2, 1), F(0.3), wrt=["w", "b"], function="loss_fn")
P("d2l_softmax_regression", """
def softmax(X):
    X_exp = np.exp(X)
    partition = X_exp.sum(1, keepdims=True)
    return X_exp / partition


def net(X, W, b):
    return softmax(np.dot(X.reshape((-1, W.shape[0])), W) + b)


def cross_entropy(y_hat, y):
    return -np.log(y_hat[range(len(y_hat)), y])


def loss(X, y, W, b):
    return cross_entropy(net(X, W, b), y).mean()
""", N(4, 2, 3), L(4, 3), N(6, 3), N(3), wrt=["W", "b"], function="loss")
P("d2l_mlp", """
def relu(X):
    a = np.zeros_like(X)
    return np.maximum(X, a)


def net(X, W1, b1, W2, b2):
    num_inputs = W1.shape[0]
    X = X.reshape((-1, num_inputs))
    H = relu(X @ W1 + b1)
    return H @ W2 + b2
""", N(3, 4), N(4, 5), A(5), N(5, 2), N(2), function="net")
P("d2l_dropout_layer", """
def dropout_layer(X, dropout, mask):
    assert 0 <= dropout <= 1
    if dropout == 1:
        return np.zeros_like(X)
    if dropout == 0:
        return X
    return mask.astype(np.float32) * X / (1.0 - dropout)
""", N(3, 4), K(0.5), lambda rng: rng.random((3, 4)) > 0.5, wrt=["X"])
P("d2l_corr2d", """
def corr2d(X, K):
    h, w = K.shape
    Y = np.zeros((X.shape[0] - h + 1, X.shape[1] - w + 1))
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = (X[i:i + h, j:j + w] * K).sum()
    return Y
""", N(4, 4), N(2, 2))
P("d2l_pool2d_avg", """
def pool2d(X, pool_size, mode='max'):
    p_h, p_w = pool_size
    Y = np.zeros((X.shape[0] - p_h + 1, X.shape[1] - p_w + 1))
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            if mode == 'max':
                Y[i, j] = X[i: i + p_h, j: j + p_w].max()
            elif mode == 'avg':
                Y[i, j] = X[i: i + p_h, j: j + p_w].mean()
    return Y
""", N(4, 4), K((2, 2)), K("avg"), wrt=["X"])
P("d2l_pool2d_max", """
def pool2d(X, pool_size, mode='max'):
    p_h, p_w = pool_size
    Y = np.zeros((X.shape[0] - p_h + 1, X.shape[1] - p_w + 1))
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            if mode == 'max':
                Y[i, j] = X[i: i + p_h, j: j + p_w].max()
            elif mode == 'avg':
                Y[i, j] = X[i: i + p_h, j: j + p_w].mean()
    return Y
""", N(4, 4), K((2, 2)), wrt=["X"])
P("d2l_batch_norm_train", """
def batch_norm(X, gamma, beta, moving_mean, moving_var, eps, momentum):
    assert len(X.shape) in (2, 4)
    if len(X.shape) == 2:
        mean = X.mean(axis=0)
        var = ((X - mean) ** 2).mean(axis=0)
    else:
        mean = X.mean(axis=(0, 2, 3), keepdims=True)
        var = ((X - mean) ** 2).mean(axis=(0, 2, 3), keepdims=True)
    X_hat = (X - mean) / np.sqrt(var + eps)
    moving_mean = momentum * moving_mean + (1.0 - momentum) * mean
    moving_var = momentum * moving_var + (1.0 - momentum) * var
    Y = gamma * X_hat + beta
    return Y, moving_mean, moving_var
""", N(2, 3, 2, 2), N(1, 3, 1, 1), N(1, 3, 1, 1), N(1, 3, 1, 1), U(0.5, 1, 1, 3, 1, 1), K(1e-5), K(0.9), wrt=["X", "gamma", "beta"])
P("d2l_rnn_scratch", """
def rnn(inputs, state, W_xh, W_hh, b_h, W_hq, b_q):
    H, = state
    outputs = []
    for X in inputs:
        H = np.tanh(np.dot(X, W_xh) + np.dot(H, W_hh) + b_h)
        Y = np.dot(H, W_hq) + b_q
        outputs.append(Y)
    return np.concatenate(outputs, axis=0), (H,)
""", N(3, 2, 4), lambda rng: (rng.standard_normal((2, 5)),), N(4, 5), N(5, 5), N(5), N(5, 4), N(4), wrt=["inputs", "W_xh", "W_hh", "b_h", "W_hq", "b_q"])
P("d2l_gru_scratch", """
def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def gru(inputs, H, W_xz, W_hz, b_z, W_xr, W_hr, b_r, W_xh, W_hh, b_h):
    outputs = []
    for X in inputs:
        Z = sigmoid((X @ W_xz) + (H @ W_hz) + b_z)
        R = sigmoid((X @ W_xr) + (H @ W_hr) + b_r)
        H_tilda = np.tanh((X @ W_xh) + ((R * H) @ W_hh) + b_h)
        H = Z * H + (1 - Z) * H_tilda
        outputs.append(H)
    return np.stack(outputs).sum()
""", N(3, 2, 4), N(2, 5), N(4, 5), N(5, 5), N(5), N(4, 5), N(5, 5), N(5), N(4, 5), N(5, 5), N(5), function="gru")
P("d2l_masked_softmax", """
def masked_softmax(X, valid_lens):
    shape = X.shape
    mask = np.arange(shape[-1])[None, :] < valid_lens[:, None]
    X = np.where(mask, X, -1e6)
    X = X - X.max(axis=-1, keepdims=True)
    e = np.exp(X)
    return e / e.sum(axis=-1, keepdims=True)
""", N(3, 5), K(np.array([2, 3, 5])), wrt=["X"])
P("d2l_additive_attention", """
def additive_attention(queries, keys, values, W_q, W_k, w_v):
    queries, keys = queries @ W_q, keys @ W_k
    features = np.expand_dims(queries, axis=2) + np.expand_dims(keys, axis=1)
    features = np.tanh(features)
    scores = (features @ w_v).squeeze(-1)
    scores = scores - scores.max(axis=-1, keepdims=True)
    attention_weights = np.exp(scores) / np.exp(scores).sum(axis=-1, keepdims=True)
    return attention_weights @ values
""", N(2, 1, 3), N(2, 4, 2), N(2, 4, 5), N(3, 6), N(2, 6), N(6, 1))
P("d2l_dot_product_attention", """
def dot_product_attention(queries, keys, values):
    d = queries.shape[-1]
    scores = np.matmul(queries, keys.transpose(0, 2, 1)) / math.sqrt(d)
    scores = scores - np.max(scores, axis=-1, keepdims=True)
    w = np.exp(scores)
    w /= w.sum(axis=-1, keepdims=True)
    return np.matmul(w, values)
""", N(2, 3, 4), N(2, 5, 4), N(2, 5, 3))
P("d2l_layer_norm", """
def layer_norm(X, gamma, beta, eps=1e-5):
    mu = X.mean(axis=-1, keepdims=True)
    sigma2 = X.var(axis=-1, keepdims=True)
    return gamma * (X - mu) / np.sqrt(sigma2 + eps) + beta
""", N(2, 3, 4), N(4), N(4))
P("d2l_positional_add", """
def add_position(X, P):
    num_steps = X.shape[1]
    return X + P[:, :num_steps, :]
""", N(2, 3, 4), N(1, 6, 4))
# -- Karpathy -----------------------------------------------------------------------------
P("karpathy_min_char_rnn", """
def lossFun(inputs, targets, hprev, Wxh, Whh, Why, bh, by):
    vocab_size = Wxh.shape[1]
    xs, hs, ys, ps = {}, {}, {}, {}
    hs[-1] = np.copy(hprev)
    loss = 0
    for t in range(len(inputs)):
        xs[t] = np.zeros((vocab_size, 1))
        xs[t][inputs[t]] = 1
        hs[t] = np.tanh(np.dot(Wxh, xs[t]) + np.dot(Whh, hs[t - 1]) + bh)
        ys[t] = np.dot(Why, hs[t]) + by
        ps[t] = np.exp(ys[t]) / np.sum(np.exp(ys[t]))
        loss += -np.log(ps[t][targets[t], 0])
    return loss
""", K([0, 2, 1]), K([2, 1, 3]), N(5, 1), N(5, 4), N(5, 5), N(4, 5), N(5, 1), N(4, 1), wrt=["hprev", "Wxh", "Whh", "Why", "bh", "by"])
P("karpathy_min_char_rnn_lists", """
def lossFun(inputs, targets, hprev, Wxh, Whh, Why, bh, by):
    vocab_size = Wxh.shape[1]
    h = np.copy(hprev)
    loss = 0
    for t in range(len(inputs)):
        x = np.zeros((vocab_size, 1))
        x[inputs[t]] = 1
        h = np.tanh(np.dot(Wxh, x) + np.dot(Whh, h) + bh)
        y = np.dot(Why, h) + by
        p = np.exp(y) / np.sum(np.exp(y))
        loss += -np.log(p[targets[t], 0])
    return loss
""", K([0, 2, 1]), K([2, 1, 3]), N(5, 1), N(5, 4), N(5, 5), N(4, 5), N(5, 1), N(4, 1), wrt=["hprev", "Wxh", "Whh", "Why", "bh", "by"])
P("micrograd_neuron", """
def neuron(x1, x2, w1, w2, b):
    x1w1 = x1 * w1
    x2w2 = x2 * w2
    x1w1x2w2 = x1w1 + x2w2
    n = x1w1x2w2 + b
    e = math.exp(2 * n)
    o = (e - 1) / (e + 1)
    return o
""", F(2.0), F(0.0), F(-3.0), F(1.0), F(0.88))
P("micrograd_expression", """
def f(a, b):
    c = a + b
    d = a * b + b ** 3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + max(0.0, b + a)
    d += 3 * d + max(0.0, b - a)
    e = c - d
    f = e ** 2
    g = f / 2.0
    g += 10.0 / f
    return g
""", F(-4.0), F(2.0))
P("micrograd_mlp_scalar", """
def mlp(x, w, b, v, c):
    out = c
    for j in range(len(b)):
        act = b[j]
        for i in range(len(x)):
            act = act + w[j][i] * x[i]
        h = math.tanh(act)
        out = out + v[j] * h
    return out
""", N(3), N(4, 3), N(4), N(4), F(0.1))
P("makemore_bigram", """
def bigram_loss(xs, ys, W):
    num = xs.shape[0]
    xenc = np.eye(27)[xs]
    logits = xenc @ W
    counts = np.exp(logits)
    probs = counts / counts.sum(1, keepdims=True)
    loss = -np.log(probs[np.arange(num), ys]).mean() + 0.01 * (W ** 2).mean()
    return loss
""", L(6, 27), L(6, 27), N(27, 27), wrt=["W"])
P("makemore_mlp_manual", """
def forward(C, W1, b1, W2, b2, bngain, bnbias, Xb, Yb):
    n = Xb.shape[0]
    emb = C[Xb]
    embcat = emb.reshape(emb.shape[0], -1)
    hprebn = embcat @ W1 + b1
    bnmeani = 1 / n * hprebn.sum(0, keepdims=True)
    bndiff = hprebn - bnmeani
    bndiff2 = bndiff ** 2
    bnvar = 1 / (n - 1) * (bndiff2).sum(0, keepdims=True)
    bnvar_inv = (bnvar + 1e-5) ** -0.5
    bnraw = bndiff * bnvar_inv
    hpreact = bngain * bnraw + bnbias
    h = np.tanh(hpreact)
    logits = h @ W2 + b2
    logit_maxes = logits.max(1, keepdims=True)
    norm_logits = logits - logit_maxes
    counts = np.exp(norm_logits)
    counts_sum = counts.sum(1, keepdims=True)
    counts_sum_inv = counts_sum ** -1
    probs = counts * counts_sum_inv
    logprobs = np.log(probs)
    loss = -logprobs[range(n), Yb].mean()
    return loss
""", N(7, 2), N(6, 5), N(5), N(5, 7), N(7), N(1, 5), N(1, 5), L((4, 3), 7), L(4, 7), wrt=["C", "W1", "b1", "W2", "b2", "bngain", "bnbias"])
P("makemore_mlp_var", """
def forward(C, W1, W2, b2, Xb, Yb):
    emb = C[Xb]
    h = emb.reshape(-1, W1.shape[0]) @ W1
    h = (h - h.mean(0, keepdims=True)) / np.sqrt(h.var(0, keepdims=True, ddof=1) + 1e-5)
    h = np.tanh(h)
    logits = h @ W2 + b2
    logits = logits - logits.max(1, keepdims=True)
    loss = -(logits[np.arange(len(Yb)), Yb] - np.log(np.exp(logits).sum(1))).mean()
    return loss
""", N(7, 2), N(6, 5), N(5, 7), N(7), L((4, 3), 7), L(4, 7), wrt=["C", "W1", "W2", "b2"])
# -- scipy.optimize objectives --------------------------------------------------------
P("scipy_rosen", """
def rosen(x):
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2.0) ** 2.0 + (1 - x[:-1]) ** 2.0, axis=0)
""", N(5))
P("scipy_rosen_loop", """
def rosen(x, a=1.0, b=100.0):
    total = 0.0
    for i in range(len(x) - 1):
        total += b * (x[i + 1] - x[i] ** 2) ** 2 + (a - x[i]) ** 2
    return total
""", N(5))
P("scipy_logreg_logaddexp", """
def neg_log_likelihood(w, X, y, lam):
    z = X @ w
    return np.sum(np.logaddexp(0, -y * z)) + 0.5 * lam * w @ w
""", N(3), N(6, 3), lambda rng: rng.choice([-1.0, 1.0], 6), K(0.1), wrt=["w"])
P("scipy_logreg_expit", """
def loss(w, X, y):
    p = expit(X.dot(w))
    eps = 1e-12
    return -np.mean(y * np.log(p + eps) + (1 - y) * np.log(1 - p + eps))
""", N(3), N(6, 3), lambda rng: rng.integers(0, 2, 6).astype(float), wrt=["w"], header=SCIPY)
P("scipy_logsumexp_softmax_loss", """
def loss(W, X, y):
    scores = X @ W
    lse = logsumexp(scores, axis=1)
    return np.mean(lse - scores[np.arange(X.shape[0]), y])
""", N(3, 4), N(5, 3), L(5, 4), wrt=["W"], header=SCIPY)
P("scipy_ridge", """
def ridge(w, X, y, alpha=1.0):
    n = X.shape[0]
    r = X @ w - y
    return r @ r / (2 * n) + alpha * np.dot(w, w)
""", N(3), N(6, 3), N(6), wrt=["w"])
P("scipy_huber_where", """
def huber_loss(theta, X, y, delta=1.0):
    r = y - X @ theta
    abs_r = np.abs(r)
    quad = 0.5 * r ** 2
    lin = delta * (abs_r - 0.5 * delta)
    return np.sum(np.where(abs_r <= delta, quad, lin))
""", N(3), N(8, 3), lambda rng: 3 * rng.standard_normal(8), wrt=["theta"])
P("scipy_poisson_gammaln", """
def poisson_nll(beta, X, counts):
    eta = X @ beta
    mu = np.exp(eta)
    return -np.sum(counts * eta - mu - gammaln(counts + 1))
""", N(3), N(6, 3), lambda rng: rng.integers(0, 5, 6).astype(float), wrt=["beta"], header=SCIPY)
P("scipy_student_t_loglik", """
def student_t_nll(params, x):
    mu, log_sigma, log_nu = params
    sigma, nu = np.exp(log_sigma), np.exp(log_nu)
    z = (x - mu) / sigma
    ll = (gammaln((nu + 1) / 2) - gammaln(nu / 2) - 0.5 * np.log(nu * np.pi) - np.log(sigma)
          - (nu + 1) / 2 * np.log1p(z ** 2 / nu))
    return -np.sum(ll)
""", lambda rng: np.array([0.1, 0.2, 1.0]), N(6), wrt=["params"], header=SCIPY)
P("scipy_gmm_loglik", """
def gmm_nll(mu, log_sigma, logits, x):
    sigma = np.exp(log_sigma)
    log_pi = logits - logsumexp(logits)
    z = (x[:, None] - mu[None, :]) / sigma[None, :]
    log_probs = -0.5 * z ** 2 - np.log(sigma) - 0.5 * np.log(2 * np.pi) + log_pi
    return -np.sum(logsumexp(log_probs, axis=1))
""", N(3), N(3), N(3), N(7), wrt=["mu", "log_sigma", "logits"], header=SCIPY)
P("scipy_gmm_loglik_manual_lse", """
def gmm_nll(mu, log_var, w_logits, x):
    var = np.exp(log_var)
    log_w = w_logits - np.log(np.sum(np.exp(w_logits)))
    d = x[:, None] - mu
    lp = log_w - 0.5 * (np.log(2 * np.pi * var) + d ** 2 / var)
    m = lp.max(axis=1, keepdims=True)
    lse = m[:, 0] + np.log(np.exp(lp - m).sum(axis=1))
    return -lse.sum()
""", N(3), N(3), N(3), N(7), wrt=["mu", "log_var", "w_logits"])
# -- physics and finance ------------------------------------------------------------------
P("black_scholes_call", """
def norm_cdf(x):
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


def black_scholes_call(S, K, T, r, sigma):
    d1 = (math.log(S / K) + (r + 0.5 * sigma ** 2) * T) / (sigma * math.sqrt(T))
    d2 = d1 - sigma * math.sqrt(T)
    return S * norm_cdf(d1) - K * math.exp(-r * T) * norm_cdf(d2)
""", F(100.0), F(95.0), F(1.0), F(0.05), F(0.2), function="black_scholes_call")
P("black_scholes_put_vectorised", """
def bs_put(S, K, T, r, sigma):
    sqrtT = np.sqrt(T)
    d1 = (np.log(S / K) + (r + sigma * sigma / 2.0) * T) / (sigma * sqrtT)
    d2 = d1 - sigma * sqrtT
    N1 = 0.5 * (1 + special.erf(-d1 / np.sqrt(2)))
    N2 = 0.5 * (1 + special.erf(-d2 / np.sqrt(2)))
    return K * np.exp(-r * T) * N2 - S * N1
""", U(80, 120, 4), U(90, 110, 4), U(0.5, 2, 4), K(0.03), U(0.1, 0.4, 4), wrt=["S", "sigma"], header=SCIPY)
P("spring_chain_energy", """
def spring_energy(x, k=1.0, L0=1.0):
    d = x[1:] - x[:-1]
    lengths = np.linalg.norm(d, axis=1)
    return 0.5 * k * np.sum((lengths - L0) ** 2)
""", N(5, 2))
P("spring_pairs_loop", """
def energy(pos, springs, k, rest):
    E = 0.0
    for (i, j), kk, r0 in zip(springs, k, rest):
        dx = pos[i] - pos[j]
        E += 0.5 * kk * (np.sqrt(dx @ dx) - r0) ** 2
    return E
""", N(4, 2), K([(0, 1), (1, 2), (2, 3), (0, 3)]), U(1, 2, 4), U(0.5, 1, 4), wrt=["pos", "k"])
P("gravity_potential", """
def potential(pos, m, G=1.0):
    n = pos.shape[0]
    U = 0.0
    for i in range(n):
        for j in range(i + 1, n):
            r = np.linalg.norm(pos[i] - pos[j])
            U -= G * m[i] * m[j] / r
    return U
""", N(4, 3), U(1, 2, 4))
P("lennard_jones_vectorised", """
def lj_energy(X, eps=1.0, sigma=1.0):
    diff = X[:, None, :] - X[None, :, :]
    r2 = np.sum(diff ** 2, axis=-1)
    iu = np.triu_indices(X.shape[0], k=1)
    r2 = r2[iu]
    s6 = (sigma ** 2 / r2) ** 3
    return np.sum(4 * eps * (s6 ** 2 - s6))
""", lambda rng: np.arange(4)[:, None] * 1.2 + 0.1 * rng.standard_normal((4, 2)))
P("stable_softplus", """
def softplus(x):
    return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))
""", A(3, 4))
P("logsumexp_trick", """
def log_sum_exp(x):
    m = np.max(x)
    return m + np.log(np.sum(np.exp(x - m)))
""", N(6))
P("harmonic_oscillator_action", """
def action(q, m, k, dt):
    v = np.diff(q) / dt
    kinetic = 0.5 * m * v ** 2
    potential = 0.5 * k * q[:-1] ** 2
    return np.sum(kinetic - potential) * dt
""", N(6), F(1.0), F(2.0), F(0.1), wrt=["q", "m", "k"])
P("portfolio_variance", """
def portfolio_risk(w, cov, mu, risk_aversion=3.0):
    ret = w @ mu
    var = w @ cov @ w
    return -ret + 0.5 * risk_aversion * var
""", N(4), lambda rng: np.eye(4) + 0.1, N(4))
# -- kernels, PCA, einsum ------------------------------------------------------------------
P("rbf_kernel_pairwise", """
def rbf_kernel(X, Y, gamma=0.5):
    sq = np.sum(X ** 2, 1)[:, None] + np.sum(Y ** 2, 1)[None, :] - 2 * X @ Y.T
    return np.exp(-gamma * sq)
""", N(4, 3), N(5, 3))
P("rbf_kernel_ridge_objective", """
def objective(alpha, X, y, lengthscale, lam):
    sq = np.sum(X ** 2, 1).reshape(-1, 1) + np.sum(X ** 2, 1) - 2 * np.dot(X, X.T)
    Kmat = np.exp(-0.5 * sq / lengthscale ** 2)
    r = y - Kmat @ alpha
    return 0.5 * r @ r + 0.5 * lam * alpha @ Kmat @ alpha
""", N(5), N(5, 2), N(5), F(1.0), K(0.1), wrt=["alpha", "X", "lengthscale"])
P("gp_nll_solve_slogdet", """
def gp_nll(log_ls, log_sf, X, y):
    ls, sf2 = np.exp(log_ls), np.exp(2 * log_sf)
    d = X[:, None, :] - X[None, :, :]
    Kmat = sf2 * np.exp(-0.5 * np.sum(d ** 2, axis=-1) / ls ** 2) + 0.1 * np.eye(X.shape[0])
    alpha = np.linalg.solve(Kmat, y)
    sign, logdet = np.linalg.slogdet(Kmat)
    return 0.5 * y @ alpha + 0.5 * logdet
""", F(0.0), F(0.0), N(5, 2), N(5), wrt=["log_ls", "log_sf"])
P("pca_reconstruction", """
def pca_loss(W, X):
    Z = X @ W
    X_hat = Z @ W.T
    return np.sum((X - X_hat) ** 2) / X.shape[0]
""", N(4, 2), N(6, 4), wrt=["W"])
P("pca_fro_norm", """
def loss(W, X, lam=0.1):
    R = X - X @ W @ W.T
    return np.linalg.norm(R, 'fro') ** 2 + lam * np.linalg.norm(W.T @ W - np.eye(W.shape[1])) ** 2
""", N(4, 2), N(6, 4), wrt=["W"])
P("einsum_matmul", """
def f(A, B):
    return np.einsum('ij,jk->ik', A, B)
""", N(3, 4), N(4, 2))
P("einsum_batched_attention", """
def attention(q, k, v):
    scores = np.einsum('bqd,bkd->bqk', q, k) / np.sqrt(q.shape[-1])
    scores -= scores.max(-1, keepdims=True)
    p = np.exp(scores)
    p /= p.sum(-1, keepdims=True)
    return np.einsum('bqk,bkd->bqd', p, v)
""", N(2, 3, 4), N(2, 5, 4), N(2, 5, 4))
P("einsum_dot_trace", """
def f(a, b, M):
    return np.einsum('i,i->', a, b) + np.einsum('ii->', M) + np.einsum('i,ij,j->', a, M, b)
""", N(3), N(3), N(3, 3))
P("einsum_bilinear", """
def bilinear(x1, x2, W, b):
    return np.einsum('bi,oij,bj->bo', x1, W, x2) + b
""", N(2, 3), N(2, 4), N(5, 3, 4), N(5))
P("einsum_multihead", """
def multihead(x, Wq, Wk, Wv):
    q = np.einsum('td,hde->hte', x, Wq)
    k = np.einsum('td,hde->hte', x, Wk)
    v = np.einsum('td,hde->hte', x, Wv)
    s = np.einsum('hte,hse->hts', q, k)
    s = s - s.max(axis=-1, keepdims=True)
    a = np.exp(s) / np.exp(s).sum(axis=-1, keepdims=True)
    return np.einsum('hts,hse->the', a, v).reshape(x.shape[0], -1)
""", N(3, 4), N(2, 4, 2), N(2, 4, 2), N(2, 4, 2))
# -- dtypes, Python scalars, keywords, defaults, *args ------------------------------------------
P("float32_affine_relu", """
def affine_relu(x, w, b):
    return np.maximum(x @ w + b, 0)
""", D(np.float32, 4, 3), D(np.float64, 3, 2), D(np.float32, 2))
P("layernorm_manual_var", """
def ln(x, g, b, eps=1e-5):
    mu = x.mean(-1, keepdims=True)
    xc = x - mu
    var = (xc * xc).mean(-1, keepdims=True)
    return g * xc / np.sqrt(var + eps) + b
""", N(3, 4), N(4), N(4))
P("int_float_mixture", """
def poly(x, n=3):
    total = 0
    for k in range(1, n + 1):
        total = total + x ** k / k
    return total * 2 + 1
""", N(4))
P("keyword_call_helper", """
def gauss(x, mu=0.0, sigma=1.0):
    return np.exp(-0.5 * ((x - mu) / sigma) ** 2) / (sigma * math.sqrt(2 * math.pi))


def mixture(x, m1, m2, s):
    return 0.3 * gauss(x, mu=m1, sigma=s) + 0.7 * gauss(x, sigma=s, mu=m2)
""", N(5), F(0.5), F(-0.5), F(1.2), function="mixture")
P("star_args_sum", """
def total(*xs):
    s = 0.0
    for x in xs:
        s = s + np.sum(x ** 2)
    return s
""", N(3), N(2, 2))
P("star_args_helper", """
def weighted(w, *terms):
    out = 0.0
    for t in terms:
        out = out + w * t
    return out


def f(x, y, w):
    return np.sum(weighted(w, x, y, x * y))
""", N(3), N(3), F(0.7), function="f")
P("kwargs_default_none", """
def loss(pred, target, weights=None, reduction='mean'):
    err = (pred - target) ** 2
    if weights is not None:
        err = err * weights
    if reduction == 'mean':
        return err.mean()
    elif reduction == 'sum':
        return err.sum()
    return err
""", N(4), N(4), wrt=["pred"])
P("kwargs_weights_sum", """
def loss(pred, target, weights=None, reduction='mean'):
    err = (pred - target) ** 2
    if weights is not None:
        err = err * weights
    if reduction == 'mean':
        return err.mean()
    elif reduction == 'sum':
        return err.sum()
    return err
""", N(4), N(4), U(0, 1, 4), K("sum"), wrt=["pred", "weights"])
P("python_float_args", """
def f(x, y):
    z = x * y + math.sin(x)
    if z > 0:
        return z ** 0.5
    return -z
""", F(1.0), F(2.0))
P("int_power_and_true_div", """
def f(x):
    n = x.shape[0]
    return (x ** 2).sum() / n - (x.sum() / n) ** 2
""", N(5))
# -- more activations and losses (numpy-ml, d2l, blog code) -------------------------------
P("mish", """
def mish(x):
    return x * np.tanh(np.log1p(np.exp(x)))
""", N(3, 4))
P("swish_beta", """
def swish(x, beta=1.0):
    return x / (1.0 + np.exp(-beta * x))
""", N(3, 4))
P("log_softmax_ce_label_smoothing", """
def smoothed_ce(logits, y, eps=0.1):
    n, k = logits.shape
    z = logits - logits.max(axis=1, keepdims=True)
    log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    target = np.full((n, k), eps / (k - 1))
    target[np.arange(n), y] = 1.0 - eps
    return -(target * log_p).sum() / n
""", N(4, 5), L(4, 5), wrt=["logits"])
P("dice_loss", """
def dice_loss(p, t, smooth=1.0):
    inter = np.sum(p * t)
    return 1 - (2.0 * inter + smooth) / (np.sum(p) + np.sum(t) + smooth)
""", U(0.1, 0.9, 3, 4), lambda rng: (rng.random((3, 4)) > 0.5).astype(float), wrt=["p"])
P("focal_loss_binary", """
def focal_loss(logits, y, gamma=2.0, alpha=0.25):
    p = 1 / (1 + np.exp(-logits))
    p_t = p * y + (1 - p) * (1 - y)
    alpha_t = alpha * y + (1 - alpha) * (1 - y)
    return np.mean(-alpha_t * (1 - p_t) ** gamma * np.log(p_t))
""", N(6), lambda rng: rng.integers(0, 2, 6).astype(float), wrt=["logits"])
P("hinge_maximum", """
def hinge(w, X, y, C=1.0):
    margins = 1 - y * (X @ w)
    return 0.5 * w @ w + C * np.sum(np.maximum(0, margins))
""", N(3), N(6, 3), lambda rng: rng.choice([-1.0, 1.0], 6), wrt=["w"])
P("huber_minimum", """
def huber(r, delta=1.0):
    abs_r = np.abs(r)
    q = np.minimum(abs_r, delta)
    lin = abs_r - q
    return np.sum(0.5 * q ** 2 + delta * lin)
""", lambda rng: rng.choice([-1.0, 1.0], 6) * np.array([0.3, 0.6, 1.4, 2.0, 0.2, 3.1]))
P("elastic_net", """
def elastic_net(w, X, y, l1=0.1, l2=0.01):
    r = X.dot(w) - y
    return 0.5 * np.mean(r ** 2) + l1 * np.sum(np.abs(w)) + l2 * np.sum(w ** 2)
""", A(4), N(7, 4), N(7), wrt=["w"])
P("kl_gaussians", """
def kl(mu1, log_var1, mu2, log_var2):
    v1, v2 = np.exp(log_var1), np.exp(log_var2)
    return 0.5 * np.sum(log_var2 - log_var1 + (v1 + (mu1 - mu2) ** 2) / v2 - 1)
""", N(4), N(4), N(4), N(4))
P("infonce", """
def info_nce(z1, z2, tau=0.5):
    z1 = z1 / np.linalg.norm(z1, axis=1, keepdims=True)
    z2 = z2 / np.linalg.norm(z2, axis=1, keepdims=True)
    sim = z1 @ z2.T / tau
    sim = sim - sim.max(axis=1, keepdims=True)
    log_prob = sim - np.log(np.exp(sim).sum(axis=1, keepdims=True))
    return -np.mean(np.diag(log_prob))
""", N(4, 3), N(4, 3), autograd_wrong="autograd's norm(axis=1, keepdims=True) gradient has the wrong shape")
P("infonce_trace", """
def info_nce(z1, z2, tau):
    sim = z1 @ z2.T / tau
    lse = np.log(np.sum(np.exp(sim), axis=1))
    return (np.sum(lse) - np.trace(sim)) / z1.shape[0]
""", N(4, 3), N(4, 3), F(0.7))
P("rmsnorm", """
def rms_norm(x, g, eps=1e-6):
    rms = np.sqrt(np.mean(x ** 2, axis=-1, keepdims=True) + eps)
    return x / rms * g
""", N(2, 3, 4), N(4))
P("layernorm_std", """
def layer_norm(x, a_2, b_2, eps=1e-6):
    mean = x.mean(-1, keepdims=True)
    std = x.std(-1, keepdims=True)
    return a_2 * (x - mean) / (std + eps) + b_2
""", N(3, 5), N(5), N(5))
P("standardize_ddof", """
def zscore(x):
    return (x - x.mean(axis=0)) / x.std(axis=0, ddof=1)
""", N(5, 3))
P("sharpe_ratio", """
def neg_sharpe(w, R, rf=0.01):
    port = R @ w
    return -(np.mean(port) - rf) / np.std(port, ddof=1)
""", N(4), N(10, 4), wrt=["w"])
P("log_returns_vol", """
def realized_vol(prices):
    r = np.log(prices[1:] / prices[:-1])
    return np.sqrt(252.0 * np.mean((r - r.mean()) ** 2))
""", U(90, 110, 8))
P("monte_carlo_call", """
def mc_call(S0, sigma, Z, K=100.0, r=0.05, T=1.0):
    ST = S0 * np.exp((r - 0.5 * sigma ** 2) * T + sigma * np.sqrt(T) * Z)
    payoff = np.maximum(ST - K, 0.0)
    return np.exp(-r * T) * payoff.mean()
""", F(105.0), F(0.25), lambda rng: np.array([-1.3, -0.4, 0.2, 0.9, 1.6, 2.1]), wrt=["S0", "sigma"])
P("softmax_portfolio", """
def utility(theta, mu, Sigma, lam):
    w = np.exp(theta - theta.max())
    w = w / w.sum()
    return w @ mu - lam * w @ Sigma @ w
""", N(4), N(4), lambda rng: np.eye(4) * 0.1 + 0.02, F(2.0), wrt=["theta"])
# -- pooling, conv, upsampling by reshape --------------------------------------------------
P("maxpool_reshape", """
def max_pool(x):
    N, C, H, W = x.shape
    return x.reshape(N, C, H // 2, 2, W // 2, 2).max(axis=(3, 5))
""", N(2, 2, 4, 4))
P("avgpool_reshape", """
def avg_pool(x, k=2):
    N, C, H, W = x.shape
    return x.reshape(N, C, H // k, k, W // k, k).mean(axis=(3, 5))
""", N(2, 2, 4, 4))
P("upsample_repeat", """
def upsample(x, w):
    y = np.repeat(np.repeat(x, 2, axis=2), 2, axis=3)
    return np.sum(y * w)
""", N(1, 2, 2, 3), N(1, 2, 4, 6))
P("conv1d_loop", """
def conv1d(x, w, b):
    k = w.shape[0]
    n = x.shape[0] - k + 1
    out = np.zeros(n)
    for i in range(n):
        out[i] = np.dot(w, x[i:i + k]) + b
    return out
""", N(7), N(3), F(0.1))
P("conv1d_list_comp", """
def conv1d(x, w):
    k = len(w)
    return np.array([np.sum(x[i:i + k] * w) for i in range(len(x) - k + 1)])
""", N(7), N(3))
P("conv2d_naive_cs231n_pad", """
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
""", N(1, 2, 3, 3), N(2, 2, 2, 2), N(2), K({"stride": 1, "pad": 1}))
P("im2col_einsum", """
def conv(x, w):
    N, C, H, W = x.shape
    F, _, k, _ = w.shape
    cols = np.stack([x[:, :, i:i + H - k + 1, j:j + W - k + 1] for i in range(k) for j in range(k)], axis=2)
    cols = cols.reshape(N, C, k, k, H - k + 1, W - k + 1)
    return np.einsum('ncijhw,fcij->nfhw', cols, w)
""", N(1, 2, 4, 4), N(3, 2, 2, 2))
P("tensordot_conv_patch", """
def patch_response(patches, filters):
    return np.tensordot(patches, filters, axes=([1, 2], [1, 2]))
""", N(5, 3, 3), N(4, 3, 3))
# -- attention variants -------------------------------------------------------------------
P("causal_attention_tril", """
def causal_self_attention(x, Wq, Wk, Wv):
    T = x.shape[0]
    q, k, v = x @ Wq, x @ Wk, x @ Wv
    att = (q @ k.T) * (1.0 / math.sqrt(k.shape[-1]))
    mask = np.tril(np.ones((T, T)))
    att = np.where(mask == 0, -1e9, att)
    att = np.exp(att - att.max(axis=-1, keepdims=True))
    att = att / att.sum(axis=-1, keepdims=True)
    return att @ v
""", N(4, 3), N(3, 2), N(3, 2), N(3, 2))
P("causal_attention_triu_add", """
def attn(q, k, v):
    T = q.shape[1]
    scores = q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1])
    scores = scores + np.triu(np.full((T, T), -1e9), k=1)
    scores -= scores.max(-1, keepdims=True)
    w = np.exp(scores)
    w = w / w.sum(-1, keepdims=True)
    return w @ v
""", N(2, 4, 3), N(2, 4, 3), N(2, 4, 3))
P("multihead_reshape_transpose", """
def mha(x, Wqkv, Wo, n_head=2):
    B, T, C = x.shape
    qkv = x @ Wqkv
    q, k, v = np.split(qkv, 3, axis=-1)
    hs = C // n_head
    q = q.reshape(B, T, n_head, hs).transpose(0, 2, 1, 3)
    k = k.reshape(B, T, n_head, hs).transpose(0, 2, 1, 3)
    v = v.reshape(B, T, n_head, hs).transpose(0, 2, 1, 3)
    att = q @ k.transpose(0, 1, 3, 2) / math.sqrt(hs)
    att = np.exp(att - att.max(axis=-1, keepdims=True))
    att /= att.sum(axis=-1, keepdims=True)
    y = (att @ v).transpose(0, 2, 1, 3).reshape(B, T, C)
    return y @ Wo
""", N(2, 3, 4), N(4, 12), N(4, 4))
P("mha_swapaxes_split_heads", """
def split_heads(x, h):
    B, T, D = x.shape
    return np.swapaxes(x.reshape(B, T, h, D // h), 1, 2)


def attention(x, Wq, Wk, Wv):
    q = split_heads(x @ Wq, 2)
    k = split_heads(x @ Wk, 2)
    v = split_heads(x @ Wv, 2)
    s = np.matmul(q, np.swapaxes(k, -1, -2)) / np.sqrt(q.shape[-1])
    p = np.exp(s - np.max(s, axis=-1, keepdims=True))
    p = p / np.sum(p, axis=-1, keepdims=True)
    return np.sum(np.matmul(p, v) ** 2)
""", N(2, 3, 4), N(4, 4), N(4, 4), N(4, 4), function="attention")
P("gru_cell_numpy_ml", """
def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def gru_cell(x, h_prev, Wz, Wr, Wh, bz, br, bh):
    hx = np.concatenate([h_prev, x], axis=1)
    z = sigmoid(hx @ Wz + bz)
    r = sigmoid(hx @ Wr + br)
    rhx = np.concatenate([r * h_prev, x], axis=1)
    h_tilde = np.tanh(rhx @ Wh + bh)
    return (1 - z) * h_prev + z * h_tilde
""", N(2, 3), N(2, 4), N(7, 4), N(7, 4), N(7, 4), N(4), N(4), N(4), function="gru_cell")
P("gru_sequence_loop_fixed", """
def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def gru(xs, h, Wz, Uz, Wr, Ur, Wh, Uh):
    for t in range(3):
        x = xs[t]
        z = sigmoid(x @ Wz + h @ Uz)
        r = sigmoid(x @ Wr + h @ Ur)
        hh = np.tanh(x @ Wh + (r * h) @ Uh)
        h = (1 - z) * h + z * hh
    return h.sum()
""", N(3, 2, 3), N(2, 4), N(3, 4), N(4, 4), N(3, 4), N(4, 4), N(3, 4), N(4, 4), function="gru")
# -- statistics and linear algebra ---------------------------------------------------------
P("mvn_nll_slogdet_index", """
def mvn_nll(mu, S, X):
    diff = X - mu
    Sinv = np.linalg.inv(S)
    maha = np.sum(diff @ Sinv * diff, axis=1)
    logdet = np.linalg.slogdet(S)[1]
    n, d = X.shape
    return 0.5 * np.sum(maha) + 0.5 * n * logdet + 0.5 * n * d * np.log(2 * np.pi)
""", N(3), lambda rng: (lambda m: m @ m.T + 3 * np.eye(3))(rng.standard_normal((3, 3))), N(5, 3))
P("mvn_nll_solve_det", """
def nll(mu, L, X):
    S = L @ L.T + 0.5 * np.eye(L.shape[0])
    d = X - mu
    return 0.5 * np.sum(d * np.linalg.solve(S, d.T).T) + 0.5 * X.shape[0] * np.log(np.linalg.det(S))
""", N(3), N(3, 3), N(5, 3))
P("beta_logpdf_gammaln", """
def beta_nll(log_a, log_b, x):
    a, b = np.exp(log_a), np.exp(log_b)
    log_B = gammaln(a) + gammaln(b) - gammaln(a + b)
    return -np.sum((a - 1) * np.log(x) + (b - 1) * np.log1p(-x) - log_B)
""", F(0.3), F(0.5), U(0.1, 0.9, 6), wrt=["log_a", "log_b"], header=SCIPY)
P("negative_binomial_nll", """
def nb_nll(log_mu, log_r, y):
    mu, r = np.exp(log_mu), np.exp(log_r)
    ll = (gammaln(y + r) - gammaln(r) - gammaln(y + 1) + r * np.log(r / (r + mu)) + y * np.log(mu / (r + mu)))
    return -ll.sum()
""", N(5), F(0.4), lambda rng: rng.integers(0, 6, 5).astype(float), wrt=["log_mu", "log_r"], header=SCIPY)
P("ppca_marginal", """
def ppca_nll(W, log_s2, X):
    d = W.shape[0]
    C = W @ W.T + np.exp(log_s2) * np.eye(d)
    sign, logdet = np.linalg.slogdet(C)
    Cinv = np.linalg.inv(C)
    S = X.T @ X / X.shape[0]
    return 0.5 * X.shape[0] * (logdet + np.trace(Cinv @ S))
""", N(3, 2), F(0.1), N(6, 3), wrt=["W", "log_s2"])
P("trace_quadratic", """
def f(A, B):
    return np.trace(A @ B @ A.T) + np.sum(np.diag(A) ** 2)
""", N(3, 3), N(3, 3))
P("outer_self", """
def f(a, M):
    return np.sum(np.outer(a, a) * M) + a @ a
""", N(3), N(3, 3))
P("kron_sum", """
def f(A, B):
    return np.sum(np.kron(A, B) ** 2)
""", N(2, 2), N(2, 3))
P("cumsum_diff", """
def f(x):
    c = np.cumsum(x)
    return np.sum(np.diff(c, n=2) ** 2) + c[-1]
""", N(6))
P("cumprod_survival", """
def survival(h):
    s = np.cumprod(1 - h)
    return np.sum(s)
""", U(0.1, 0.5, 5))
P("prod_geometric_mean", """
def gmean(x):
    return np.prod(x) ** (1.0 / len(x))
""", U(0.5, 2, 5))
P("roll_flip_pad", """
def f(x, w):
    y = np.roll(x, 1, axis=0) + np.flip(x, axis=1)
    y = np.pad(y, ((1, 1), (0, 0)))
    return np.sum(y * w)
""", N(3, 4), N(5, 4))
P("take_along_axis_topk", """
def pick(scores, idx):
    return np.take_along_axis(scores, idx, axis=1).sum()
""", N(3, 5), K(np.array([[0, 2], [1, 1], [4, 3]])), wrt=["scores"])
P("take_repeated_rows", """
def f(W, idx):
    return np.sum(np.take(W, idx, axis=0) ** 2)
""", N(4, 3), K(np.array([0, 2, 0, 3, 2])), wrt=["W"])
P("fancy_repeated_rows_add", """
def f(W, idx, v):
    E = W[idx]
    return np.sum(E * v)
""", N(4, 3), K(np.array([1, 1, 3])), N(3, 3), wrt=["W", "v"])
P("bool_mask_select", """
def f(x):
    pos = x[x > 0]
    return np.sum(pos ** 2) / max(pos.size, 1)
""", A(3, 4))
P("expand_dims_broadcast_distance", """
def pairwise(X, Y):
    D = np.sqrt(np.sum((X[:, np.newaxis, :] - Y[np.newaxis, :, :]) ** 2, axis=-1) + 1e-12)
    return np.sum(np.exp(-D))
""", N(3, 2), N(4, 2))
P("ellipsis_index", """
def f(x, w):
    return np.sum(x[..., 0] * w) + np.sum(x[..., 1:] ** 2)
""", N(2, 3, 4), N(2, 3))
P("broadcast_to_sum", """
def f(b, x):
    return np.sum(np.broadcast_to(b, x.shape) * x)
""", N(4), N(3, 4))
P("squeeze_keepdims", """
def f(x):
    m = x.max(axis=1, keepdims=True)
    return np.squeeze(m, axis=1) * x.sum(axis=1)
""", N(3, 4))
P("linalg_norm_ord1_inf", """
def f(x, A):
    return np.linalg.norm(x, 1) + np.linalg.norm(x, np.inf) + np.linalg.norm(A, axis=0).sum()
""", lambda rng: np.array([0.3, -1.2, 0.7, -0.1]), N(3, 4))
P("arctan2_hypot", """
def polar(x, y):
    return np.sum(np.arctan2(y, x) ** 2 + np.hypot(x, y))
""", A(4), A(4))
P("expm1_log1p", """
def f(x):
    return np.sum(np.log1p(np.expm1(x) ** 2))
""", A(5))
# -- default wrt everywhere: hyperparameters are floats too ------------------------------------
P("verlet_spring_default_wrt", """
def simulate(x0, v0, k, m=1.0, dt=0.1, steps=5):
    x, v = x0, v0
    a = -k / m * x
    for _ in range(steps):
        x = x + v * dt + 0.5 * a * dt ** 2
        a_new = -k / m * x
        v = v + 0.5 * (a + a_new) * dt
        a = a_new
    return 0.5 * m * v ** 2 + 0.5 * k * x ** 2
""", F(1.0), F(0.0), F(2.0))
P("pendulum_energy", """
def energy(theta, omega, L, m=1.0, g=9.81):
    return 0.5 * m * (L * omega) ** 2 + m * g * L * (1 - math.cos(theta))
""", F(0.3), F(1.2), F(2.0))
P("morse_potential", """
def morse(r, D_e=1.0, a=1.5, r_e=1.2):
    return np.sum(D_e * (1 - np.exp(-a * (r - r_e))) ** 2)
""", U(0.8, 2.0, 5))
P("coulomb_pairs_vectorised", """
def coulomb(pos, q, k=8.99):
    diff = pos[:, None, :] - pos[None, :, :]
    r = np.sqrt(np.sum(diff ** 2, axis=-1) + np.eye(pos.shape[0]))
    E = k * np.outer(q, q) / r
    return 0.5 * (np.sum(E) - np.sum(np.diag(E)))
""", lambda rng: np.arange(4)[:, None] * np.array([1.0, 0.5]) + 0.1 * rng.standard_normal((4, 2)), N(4))
P("heat_equation_roll", """
def heat(u, alpha, dt=0.01, steps=4):
    for _ in range(steps):
        lap = np.roll(u, 1) - 2 * u + np.roll(u, -1)
        u = u + alpha * dt * lap
    return np.sum(u ** 2)
""", N(6), F(0.5))
P("newton_sqrt_fixed", """
def newton_sqrt(a, x0=1.0, iters=6):
    x = x0
    for _ in range(iters):
        x = 0.5 * (x + a / x)
    return x
""", F(2.0))
P("logistic_map", """
def logistic(x, r, n=5):
    for _ in range(n):
        x = r * x * (1 - x)
    return x
""", F(0.3), F(2.5))
P("power_iteration_unrolled", """
def top_eig(A, v):
    for _ in range(8):
        v = A @ v
        v = v / np.linalg.norm(v)
    return v @ A @ v
""", lambda rng: (lambda m: m @ m.T + np.diag([4.0, 1.0, 0.0]))(rng.standard_normal((3, 3))), N(3))
P("clip_varied_bounds", """
def f(x, lo, hi):
    return np.sum(np.clip(x, lo, hi) ** 2)
""", lambda rng: np.array([-2.0, -0.3, 0.4, 1.7]), F(-1.0), F(1.0))
P("maximum_both_varied", """
def f(a, b):
    return np.sum(np.maximum(a, b) * np.minimum(a, 2 * b))
""", lambda rng: np.array([0.5, -1.0, 2.0]), lambda rng: np.array([0.1, 0.3, -0.7]))
P("where_both_varied", """
def f(x, y):
    return np.sum(np.where(x > y, x * y, x - y) ** 2)
""", lambda rng: np.array([0.5, -1.0, 2.0]), lambda rng: np.array([0.1, 0.3, -0.7]))
P("ternary_scalar", """
def f(x, y):
    z = x * y if x > y else x + y
    return abs(z) + pow(z, 2)
""", F(1.5), F(0.4))
P("builtin_min_max_abs", """
def f(a, b, c):
    return max(a, b, c) - min(a, b) + abs(a - c)
""", F(0.3), F(1.1), F(-0.6))
P("builtin_sum_generator", """
def f(w, x):
    return sum(w[i] * x[i] for i in range(len(x)))
""", N(4), N(4))
P("builtin_sum_zip", """
def sse(w, xs, ys):
    total = 0.0
    for xi, yi in zip(xs, ys):
        total += (w @ xi - yi) ** 2
    return total
""", N(3), N(4, 3), N(4))
P("enumerate_weights", """
def f(ws, x):
    out = 0.0
    for i, w in enumerate(ws):
        out = out + w * x ** i
    return out
""", N(4), F(0.7))
P("micrograd_hinge_demo", """
def svm_loss(w, b, X, y, alpha=1e-4):
    scores = X @ w + b
    losses = np.maximum(0, 1 - y * scores)
    data_loss = losses.mean()
    reg_loss = alpha * np.sum(w * w)
    return data_loss + reg_loss
""", N(2), F(0.1), N(8, 2), lambda rng: rng.choice([-1.0, 1.0], 8))
P("micrograd_mse_generator", """
def mse(ypred, ys):
    return sum((yout - ygt) ** 2 for ygt, yout in zip(ys, ypred))
""", N(4), N(4), wrt=["ypred"])
P("nested_helper_defaults", """
def affine(x, W, b=None):
    out = x @ W
    if b is not None:
        out = out + b
    return out


def net(x, W1, W2, b1):
    h = np.tanh(affine(x, W1, b1))
    return affine(h, W2)
""", N(3, 4), N(4, 5), N(5, 2), N(5), function="net")
P("helper_tuple_return", """
def norm_stats(x, eps=1e-5):
    mu = x.mean(axis=0)
    var = x.var(axis=0)
    return (x - mu) / np.sqrt(var + eps), mu, var


def bn(x, g, b):
    xhat, mu, var = norm_stats(x)
    return g * xhat + b
""", N(5, 3), N(3), N(3), function="bn")
P("helper_keyword_only", """
def scaled(x, *, scale=2.0, shift=0.0):
    return x * scale + shift


def f(x, s):
    return np.sum(scaled(x, scale=s) ** 2) + np.sum(scaled(x, shift=s))
""", N(4), F(0.7), function="f")
P("float32_int_mixture", """
def f(x, w):
    n = x.shape[0]
    return np.sum((x @ w) ** 2) / (2 * n) + 3 * np.sum(w)
""", D(np.float32, 4, 3), D(np.float32, 3))
P("float32_with_np_float64_constant", """
def f(x):
    scale = np.float64(0.5)
    return np.sum(np.tanh(x) * scale)
""", N(3, 4))
P("xTx_gram", """
def f(X, w):
    G = X.T @ X
    return w @ G @ w + np.trace(G)
""", N(5, 3), N(3))
P("softmax_temperature_default", """
def softmax_t(logits, T=1.0):
    z = logits / T
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)
""", N(3, 4))
P("gaussian_rbf_default_gamma", """
def rbf(X, Y, gamma=0.5):
    XX = np.einsum('ij,ij->i', X, X)[:, None]
    YY = np.einsum('ij,ij->i', Y, Y)[None, :]
    return np.exp(-gamma * (XX + YY - 2 * X @ Y.T))
""", N(3, 2), N(4, 2))
P("tied_weights_autoencoder", """
def ae_loss(W, b, c, X):
    H = 1 / (1 + np.exp(-(X @ W + b)))
    R = H @ W.T + c
    return 0.5 * np.sum((R - X) ** 2) / X.shape[0]
""", N(4, 2), N(2), N(4), N(6, 4))
P("word2vec_sgns", """
def sgns_loss(v_c, U, pos, neg):
    u_o = U[pos]
    u_k = U[neg]
    pos_term = np.log(1 / (1 + np.exp(-u_o @ v_c)))
    neg_term = np.sum(np.log(1 / (1 + np.exp(u_k @ v_c))))
    return -(pos_term + neg_term)
""", N(3), N(6, 3), K(2), K(np.array([0, 4, 4])))
P("glove_loss", """
def glove(W, Wt, b, bt, X):
    logX = np.log(X)
    fX = np.minimum((X / 10.0) ** 0.75, 1.0)
    diff = W @ Wt.T + b[:, None] + bt[None, :] - logX
    return np.sum(fX * diff ** 2)
""", N(4, 2), N(4, 2), N(4), N(4), U(1, 20, 4, 4))
# -- casts, copies, views, slicing as users write them ---------------------------------------
P("astype_float_roundtrip", """
def f(x, w):
    h = (x @ w).astype(np.float64)
    return np.sum(h.astype(float) ** 2)
""", N(3, 4), N(4, 2))
P("copy_flatten_ravel", """
def f(x):
    y = x.copy()
    return np.sum(y.flatten() * np.ravel(x) + x.ravel() ** 3)
""", N(3, 4))
P("item_scalar_loss", """
def f(x):
    return np.sum(x ** 2).item() * 1.0 + np.sum(x)
""", N(3))
P("masked_inplace_scale", """
def leaky(x, alpha=0.1):
    y = x.copy()
    y[y < 0] *= alpha
    return np.sum(y ** 2)
""", A(3, 4))
P("several_setitems", """
def f(x):
    out = np.zeros_like(x)
    out[:, 0] = x[:, 0] ** 2
    out[:, 1:] = np.tanh(x[:, 1:])
    out[0] = out[0] * 3
    return out
""", N(3, 4))
P("negative_step_slices", """
def f(x):
    return np.sum(x[::-1] * x) + np.sum(x[::2] ** 2) + np.sum(x[-1:0:-2])
""", N(7))
P("chained_fancy", """
def f(X, idx):
    sub = X[idx, :][:, idx]
    return np.sum(sub ** 2) + np.sum(X[[0, 2]][:, [1]])
""", N(4, 4), K(np.array([0, 2, 3])), wrt=["X"])
P("concat_fanout_stack", """
def f(x, y):
    z = np.concatenate([x, x ** 2], axis=1)
    s = np.stack([x, y], axis=-1)
    v = np.vstack([x, y])
    c = np.column_stack([x[:, 0], y[:, 1]])
    return np.sum(z) + np.sum(s ** 3) + np.sum(v * 2) + np.sum(c ** 2)
""", N(3, 2), N(3, 2))
P("array_split_unequal", """
def f(x):
    a, b, c = np.array_split(x, 3)
    return np.sum(a ** 2) + np.sum(b * 3) - np.sum(c)
""", N(7))
P("reshape_noncontiguous", """
def f(x, w):
    y = x.T.reshape(-1, 2)
    z = np.moveaxis(x.reshape(2, 3, 2), 0, -1)
    return np.sum(y @ w) + np.sum(np.swapaxes(z, 0, 1) ** 2)
""", N(4, 3), N(2, 5))
P("sort_values", """
def f(x):
    s = np.sort(x)
    return np.sum(s * np.arange(1, x.size + 1))
""", lambda rng: np.array([0.3, -1.2, 0.8, 2.1, -0.4]))
P("median_robust", """
def f(x):
    return np.median(x ** 2)
""", lambda rng: np.array([0.3, -1.2, 0.8, 2.1, -0.4]))
P("power_varied_exponent", """
def f(x, p):
    return np.sum(np.abs(x) ** p) ** (1.0 / p)
""", A(5), F(3.0))
P("np_power_log2_log10", """
def f(x, p):
    return np.sum(np.power(x, p) + np.log2(x) + np.log10(x) + np.exp2(x))
""", U(0.5, 2.0, 4), F(2.5))
P("where_and_mask", """
def f(x):
    return np.sum(np.where((x > 0) & (x < 1), x ** 2, 0.0))
""", lambda rng: np.array([-0.5, 0.3, 0.7, 1.4]))
P("inner_vdot_matmul_1d", """
def f(a, b, M):
    return np.inner(a, b) + np.vdot(a, b) + np.matmul(a, M) @ b + np.dot(a, M).sum()
""", N(3), N(3), N(3, 3))
P("var_std_keepdims", """
def f(x):
    return np.sum(np.std(x, axis=0, keepdims=True) * np.var(x, axis=1, ddof=1, keepdims=True))
""", N(4, 3))
P("sum_chain_methods", """
def f(x):
    return x.sum(0).sum() * x.mean(axis=-1).max() + x.prod(axis=1).sum()
""", N(3, 4))
P("float32_np_cast", """
def f(x):
    return np.sum(np.float32(2.0) * x ** 2)
""", N(3))
# -- building arrays from values, signal processing, polynomial fits ------------------------------
P("diag_tril_triu", """
def f(v, A):
    L = np.tril(A) + np.diag(v)
    U = np.triu(A, k=1)
    return np.sum(L @ L.T) + np.sum(U ** 2)
""", N(3), N(3, 3))
P("tile_repeat", """
def f(x, w):
    return np.sum(np.tile(x, (2, 1)) * w) + np.sum(np.repeat(x, 2, axis=1) ** 2)
""", N(2, 3), N(4, 3))
P("convolve_valid", """
def smooth_loss(x, w):
    y = np.convolve(x, w, mode='valid')
    return np.sum(y ** 2)
""", N(8), N(3))
P("correlate_same", """
def f(x, w):
    return np.sum(np.correlate(x, w, mode='same') * x)
""", N(6), N(3))
P("polyval_fit", """
def poly_loss(coeffs, x, y):
    pred = np.polyval(coeffs, x)
    return np.mean((pred - y) ** 2)
""", N(3), N(6), N(6), wrt=["coeffs"])
P("horner_fit_loop", """
def poly_loss(coeffs, x, y):
    pred = np.zeros_like(x)
    for c in coeffs:
        pred = pred * x + c
    return np.mean((pred - y) ** 2)
""", N(3), N(6), N(6), wrt=["coeffs"])
P("vandermonde_fit", """
def loss(w, x, y):
    V = np.vander(x, len(w))
    return np.sum((V @ w - y) ** 2)
""", N(3), N(6), N(6), wrt=["w"])
P("cumsum_axis1", """
def f(x):
    return np.sum(np.cumsum(x, axis=1) ** 2)
""", N(3, 4))
P("logaddexp_both", """
def f(a, b):
    return np.sum(np.logaddexp(a, b) + np.logaddexp(0.0, -a * b))
""", N(4), N(4))
P("math_specials_scalar", """
def f(x, y):
    return math.lgamma(x) + math.erfc(y) + math.log1p(x * y) + math.hypot(x, y) + math.atan2(y, x)
""", F(1.7), F(0.4))
P("scipy_special_softmax", """
def loss(W, X, y):
    p = special.softmax(X @ W, axis=1)
    return -np.mean(np.log(p[np.arange(len(y)), y]))
""", N(3, 4), N(5, 3), L(5, 4), wrt=["W"], header=SCIPY)
P("scipy_xlogy_entropy", """
def entropy(p):
    return -np.sum(special.xlogy(p, p))
""", U(0.1, 0.9, 5), header=SCIPY)
P("scipy_erfc_expit_ndtr", """
def f(x):
    return np.sum(special.erfc(x) + special.ndtr(x))
""", N(4), header=SCIPY)
P("maximum_eps_default", """
def normalize(x, eps=1e-3):
    n = np.maximum(np.linalg.norm(x, axis=1, keepdims=True), eps)
    return x / n
""", N(3, 4), autograd_wrong="autograd's norm(axis=1, keepdims=True) gradient has the wrong shape")
P("outer_product_features", """
def f(x, y, W):
    return np.sum(np.outer(x, y) * W) + np.einsum('i,j,ij->', x, y, W)
""", N(3), N(4), N(3, 4))
# -- everyday code, round 5: conditional expressions, comprehensions, lambdas,
# lists joined after a loop, scipy.special's expit/logsumexp/softmax ----------------
P("micrograd_leaky_relu_ifexp", """
def neuron(x1, x2, w1, w2, b):
    n = x1 * w1 + x2 * w2 + b
    return n if n > 0 else 0.01 * n
""", F(0.5), F(-1.5), F(0.8), F(0.3), F(-0.2))
P("huber_ifexp", """
def huber(pred, target, delta=1.0):
    r = abs(pred - target)
    loss = 0.5 * r ** 2 if r <= delta else delta * (r - 0.5 * delta)
    return loss
""", F(2.3), F(0.4))
P("mlp_layers_listcomp", """
def mlp_batch(xs, W, b):
    hs = [np.tanh(x @ W + b) for x in xs]
    return np.sum(np.stack(hs) ** 2)
""", N(3, 4), N(4, 2), N(2))
P("l2_penalty_genexp", """
def penalty(Ws, lam=0.1):
    return lam * sum(np.sum(W ** 2) for W in Ws)
""", N(3, 2, 2))
P("polynomial_sum_listcomp", """
def poly(x, coeffs):
    return sum([coeffs[k] * x ** k for k in range(4)])
""", F(0.7), N(4))
P("lambda_activation", """
def layer(x, W):
    act = lambda z: np.where(z > 0, z, 0.1 * z)
    return np.sum(act(x @ W))
""", N(3, 4), N(4, 5))
P("vstack_rows_in_loop", """
def features(x, n: int = 3):
    rows = []
    for k in range(1, n + 1):
        rows.append(np.sin(k * x))
    F = np.vstack(rows)
    return np.sum(F @ F.T)
""", N(4))
P("scipy_expit_logistic", """
def logistic_loss(w, X, y):
    p = expit(X @ w)
    return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
""", N(3), N(6, 3), K(np.array([0.0, 1.0, 1.0, 0.0, 1.0, 0.0])), wrt=["w"], header=SCIPY)
P("scipy_logsumexp_nll", """
def nll(scores, y):
    lse = logsumexp(scores, axis=1)
    return np.mean(lse - scores[np.arange(scores.shape[0]), y])
""", N(4, 5), L(4, 5), wrt=["scores"], header=SCIPY)
P("scipy_softmax_attention", """
def attention(Q, K, V):
    A = special.softmax(Q @ K.T / np.sqrt(Q.shape[1]), axis=-1)
    return np.sum((A @ V) ** 2)
""", N(3, 4), N(5, 4), N(5, 2), header=SCIPY)
