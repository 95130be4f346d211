"""The decorator and the command line on realistic modules (the fifth hunt).

A user's file has several functions, module constants, helpers in the same
file and imports such as `from numpy import exp, log`, `import numpy.linalg
as la`, `import math as m`. Each path is run the way a user runs it and every
gradient is checked in float64 against central differences of the user's own
function, with the contract's kinds (a float for a float, an array of the
argument's shape and dtype otherwise).
"""

from __future__ import annotations

import importlib.util
import itertools
import sys
from pathlib import Path

import numpy as np
import pytest
from oracle import numeric_gradients

from bpgen.cli import main

LAYERS = '''"""Layers, losses and a model, as a user's layers.py."""
import math as m

import numpy as np
import numpy.linalg as la
from numpy import exp, log, tanh

LEAK = 0.01
EPS = 1e-8


def dense(x, W, b):
    return x @ W + b


def leaky_relu(z):
    return np.where(z > 0, z, LEAK * z)


def softmax_xent(logits, y):
    z = logits - logits.max(axis=1, keepdims=True)
    logp = z - log(exp(z).sum(axis=1, keepdims=True))
    return -logp[np.arange(len(y)), y].mean()


def mlp_loss(x, y, W1, b1, W2, b2, reg=1e-3):
    assert x.ndim == 2
    h = leaky_relu(dense(x, W1, b1))
    loss = softmax_xent(dense(h, W2, b2), y)
    return loss + reg * (la.norm(W1) ** 2 + la.norm(W2) ** 2)


def gelu(x):
    return 0.5 * x * (1 + tanh(m.sqrt(2 / m.pi) * (x + 0.044715 * x ** 3)))


def spring(k, x, v):
    e = 0.5 * k * x * x + 0.5 * v * v
    return m.log(e + EPS)


def rnn(xs, h0, W, U):
    h = h0
    for x in xs:
        h = np.tanh(x @ W + h @ U)
    return np.sum(h)


def rosen(p):
    p = np.asarray(p)
    return float(np.sum(100.0 * (p[1:] - p[:-1] ** 2) ** 2 + (1 - p[:-1]) ** 2))
'''


def _cases(rng: np.random.Generator) -> dict[str, tuple[list, list[int]]]:
    """Arguments for each function of LAYERS and the indices differentiated."""
    x, y = rng.standard_normal((5, 4)), rng.integers(0, 3, 5)
    weights = [rng.standard_normal(s) for s in [(4, 6), 6, (6, 3), 3]]
    return {
        "dense": ([x, rng.standard_normal((4, 3)), rng.standard_normal(3)], [0, 1, 2]),
        "leaky_relu": ([x], [0]),
        "softmax_xent": ([x, y], [0]),
        "mlp_loss": ([x, y, *weights, 1e-3], [0, 2, 3, 4, 5, 6]),
        "gelu": ([x], [0]),
        "spring": ([1.3, 0.4, -0.2], [0, 1, 2]),
        "rnn": (
            [rng.standard_normal(s) for s in [(3, 2), 4, (2, 4), (4, 4)]],
            [0, 1, 2, 3],
        ),
        "rosen": ([rng.standard_normal(4)], [0]),
    }


def _check(name, f, forward, backward, args, indices) -> None:
    out, cache = forward(*args)
    np.testing.assert_allclose(out, f(*args), rtol=1e-12)
    dout = np.ones_like(out) if np.ndim(out) else 1.0
    grads = backward(dout, cache)
    assert len(grads) == len(indices), name
    expected = numeric_gradients(f, args, indices, dout)
    for i, grad, want in zip(indices, grads, expected, strict=True):
        arg = args[i]
        if isinstance(arg, float):
            assert type(grad) is float, (name, i)
        else:
            assert isinstance(grad, np.ndarray), (name, i)
            assert grad.shape == arg.shape and grad.dtype == arg.dtype, (name, i)
        np.testing.assert_allclose(grad, want, rtol=1e-5, atol=1e-7, err_msg=name)


def _import(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


_names = itertools.count()


def test_the_command_line_on_a_realistic_module(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "layers.py").write_text(LAYERS)
    assert main(["layers.py", "-o", "layers_grad.py", "-q"]) == 0
    assert main(["layers.py", "-o", "layers_grad.py", "--check", "-q"]) == 0
    text = (tmp_path / "layers_grad.py").read_text()
    assert "import bpgen" not in text and "la.norm" not in text
    user = _import(tmp_path / "layers.py", f"hunt5_layers_{next(_names)}")
    grad = _import(tmp_path / "layers_grad.py", f"hunt5_grad_{next(_names)}")
    for name, (args, indices) in _cases(np.random.default_rng(0)).items():
        forward = getattr(grad, f"{name}_forward")
        backward = getattr(grad, f"{name}_backward")
        _check(name, getattr(user, name), forward, backward, args, indices)
    (tmp_path / "layers_grad.py").write_text(text + "# edited\n")
    assert main(["layers.py", "-o", "layers_grad.py", "--check", "-q"]) == 1


def test_the_decorator_on_a_realistic_module(tmp_path, monkeypatch):
    monkeypatch.setenv("BPGEN_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("BPGEN_NO_CACHE", raising=False)
    lines = ["import bpgen", *LAYERS.splitlines()]
    decorated = "\n".join(
        f"@bpgen.differentiable\n{line}" if line.startswith("def ") else line
        for line in lines
    )
    path = tmp_path / "decorated_layers.py"
    path.write_text(decorated + "\n")
    for _ in range(2):  # generated, then read from the disk cache
        module = _import(path, f"hunt5_decorated_{next(_names)}")
        for name, (args, indices) in _cases(np.random.default_rng(1)).items():
            f = getattr(module, name)
            _check(name, f, f.forward, f.backward, args, indices)
    # the decorator specialises per call kind: float32, a list, a 0-d array
    rng = np.random.default_rng(2)
    args32 = [rng.standard_normal(s).astype(np.float32) for s in [(3, 4), (4, 2), 2]]
    out, cache = module.dense.forward(*args32)
    assert all(g.dtype == np.float32 for g in module.dense.backward(out * 0 + 1, cache))
    (dp,) = module.rosen.backward(1.0, module.rosen.forward([1.2, 0.8, -0.5])[1])
    assert dp.shape == (3,)
    dk, dx, dv = module.spring.backward(1.0, module.spring.forward(1.3, 0.4, -0.2)[1])
    assert all(type(g) is float for g in (dk, dx, dv))


@pytest.mark.parametrize("flag", ["--diff", "--check"])
def test_a_refused_function_among_good_ones(tmp_path, monkeypatch, capsys, flag):
    """The good functions are written; the refusal is located; exit 1."""
    monkeypatch.chdir(tmp_path)
    bad = "\n\ndef middle(x):\n    return np.median(x)\n"
    (tmp_path / "layers.py").write_text(LAYERS + bad)
    assert main(["layers.py", "-o", "out.py", "-q"]) == 1
    err = capsys.readouterr().err
    line = (LAYERS + bad).splitlines().index("    return np.median(x)") + 1
    assert f"layers.py:{line}:12: error:" in err and "Traceback" not in err
    assert "def gelu_backward" in (tmp_path / "out.py").read_text()
    assert main(["layers.py", "-o", "out.py", flag, "-q"]) == 1
