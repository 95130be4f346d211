"""The same workloads in autograd, PyTorch (CPU) and JAX (`jax.jit`, float64).

Each peer gets the forward written its own plain way and is asked for what
bpgen's pair computes: the output and the vector-Jacobian product with
`dout` for the `wrt` inputs. Inputs are converted once, outside timing, as a
user of that library would keep them. A peer that is not installed is
skipped; none is needed by the tests.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable

import numpy as np

PEERS = ("autograd", "torch", "jax")
THREADS = 0  # PyTorch's intra-op threads; 0 leaves its default


def available(name: str) -> bool:
    """Whether the peer can be imported here (without importing it)."""
    return importlib.util.find_spec(name) is not None


def numpy_like_forwards(np) -> dict[str, Callable]:
    """The forwards for a NumPy-compatible module (autograd.numpy, jax.numpy)."""

    def staged(x, y):
        sigy = 1.0 / (1 + np.exp(-y))
        num = x + sigy
        sigx = 1.0 / (1 + np.exp(-x))
        xpy = x + y
        xpysqr = xpy**2
        den = sigx + xpysqr
        invden = 1.0 / den
        return num * invden

    def neuron(w0, w1, w2, x0, x1):
        dot = w0 * x0 + w1 * x1 + w2
        return 1.0 / (1 + np.exp(-dot))

    def matmul(W, X):
        return np.dot(W, X)

    def two_layer(W1, b1, W2, b2, X, y, reg):
        N = X.shape[0]
        h = np.maximum(0, np.dot(X, W1) + b1)
        scores = np.dot(h, W2) + b2
        shifted = scores - np.max(scores, axis=1, keepdims=True)
        exps = np.exp(shifted)
        probs = exps / np.sum(exps, axis=1, keepdims=True)
        data_loss = -np.sum(np.log(probs[np.arange(N), y])) / N
        reg_loss = 0.5 * reg * (np.sum(W1 * W1) + np.sum(W2 * W2))
        return data_loss + reg_loss

    def batchnorm(x, gamma, beta, eps):
        mu = np.mean(x, axis=0)
        var = np.var(x, axis=0)
        xhat = (x - mu) / np.sqrt(var + eps)
        return gamma * xhat + beta

    return {
        "staged": staged,
        "neuron": neuron,
        "matmul": matmul,
        "two_layer": two_layer,
        "batchnorm": batchnorm,
    }


def torch_forwards(torch) -> dict[str, Callable]:
    """The forwards written the plain PyTorch way."""

    def staged(x, y):
        sigy = 1.0 / (1 + torch.exp(-y))
        num = x + sigy
        sigx = 1.0 / (1 + torch.exp(-x))
        xpy = x + y
        xpysqr = xpy**2
        den = sigx + xpysqr
        invden = 1.0 / den
        return num * invden

    def neuron(w0, w1, w2, x0, x1):
        dot = w0 * x0 + w1 * x1 + w2
        return 1.0 / (1 + torch.exp(-dot))

    def matmul(W, X):
        return W.mm(X)

    def two_layer(W1, b1, W2, b2, X, y, reg):
        N = X.shape[0]
        h = torch.relu(X.mm(W1) + b1)
        scores = h.mm(W2) + b2
        shifted = scores - scores.max(dim=1, keepdim=True).values
        exps = torch.exp(shifted)
        probs = exps / exps.sum(dim=1, keepdim=True)
        data_loss = -torch.log(probs[torch.arange(N), y]).sum() / N
        reg_loss = 0.5 * reg * ((W1 * W1).sum() + (W2 * W2).sum())
        return data_loss + reg_loss

    def batchnorm(x, gamma, beta, eps):
        mu = x.mean(dim=0)
        var = x.var(dim=0, unbiased=False)
        xhat = (x - mu) / torch.sqrt(var + eps)
        return gamma * xhat + beta

    return {
        "staged": staged,
        "neuron": neuron,
        "matmul": matmul,
        "two_layer": two_layer,
        "batchnorm": batchnorm,
    }


def _split(args, wrt_index):
    rest = [a for i, a in enumerate(args) if i not in wrt_index]
    return [args[i] for i in wrt_index], rest


def _merge(wrt_values, rest, wrt_index, n):
    values, it_w, it_r = [], iter(wrt_values), iter(rest)
    for i in range(n):
        values.append(next(it_w) if i in wrt_index else next(it_r))
    return values


def make_autograd(function: str, args, wrt_index, dout):
    """A step computing (out, grads) with autograd's make_vjp."""
    import autograd
    import autograd.numpy as anp

    f = numpy_like_forwards(anp)[function]
    vjp_maker = autograd.make_vjp(f, argnum=tuple(wrt_index))

    def step():
        vjp, out = vjp_maker(*args)
        return out, tuple(vjp(dout))

    return step, lambda result: result


def make_torch(function: str, args, wrt_index, dout):
    """A step computing (out, grads) with PyTorch's autograd on the CPU."""
    import torch

    if THREADS:
        torch.set_num_threads(THREADS)
    f = torch_forwards(torch)[function]

    def tensor(value, grad):
        if isinstance(value, np.ndarray):
            t = torch.from_numpy(value)
        elif isinstance(value, float):
            t = torch.tensor(value, dtype=torch.float64)
        else:
            return value  # ints and the like stay Python values
        return t.requires_grad_(grad)

    targs = [tensor(a, i in wrt_index) for i, a in enumerate(args)]
    leaves = [targs[i] for i in wrt_index]
    tdout = torch.as_tensor(np.asarray(dout, dtype=np.float64))

    def step():
        for leaf in leaves:
            leaf.grad = None
        out = f(*targs)
        out.backward(tdout)
        return out, tuple(leaf.grad for leaf in leaves)

    def to_numpy(result):
        out, grads = result
        return out.detach().numpy(), tuple(g.numpy() for g in grads)

    return step, to_numpy


def make_jax(function: str, args, wrt_index, dout):
    """A step computing (out, grads) with one jitted jax.vjp, in float64."""
    import jax

    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    f = numpy_like_forwards(jnp)[function]
    n = len(args)

    @jax.jit
    def forward_backward(wrt_values, rest, dout):
        def partial(*w):
            return f(*_merge(w, rest, wrt_index, n))

        out, pullback = jax.vjp(partial, *wrt_values)
        return out, pullback(dout)

    wrt_values, rest = _split([jnp.asarray(a) for a in args], wrt_index)
    jdout = jnp.asarray(dout)

    def step():
        return jax.block_until_ready(forward_backward(wrt_values, rest, jdout))

    def to_numpy(result):
        out, grads = result
        return np.asarray(out), tuple(np.asarray(g) for g in grads)

    return step, to_numpy


MAKERS = {"autograd": make_autograd, "torch": make_torch, "jax": make_jax}
