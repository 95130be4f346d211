"""The decorator specialises to the kinds of arguments it sees at call time.

Without declared shapes the general backward tests shapes at run time; the
decorator generates, on the first call of each kind (rank, size-1 axes,
float or array), the backward a person would write for it, and caches it on
disk like the general code.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np

from bpgen.check import _objective

MODULE = """\
import numpy as np

import bpgen


@bpgen.differentiable
def layer(x, W, b):
    return np.tanh(x @ W + b)
"""


def _numerical(f, args, dout, h=1e-6):
    grads = []
    for i, value in enumerate(args):
        grad = np.zeros_like(value)
        for index in np.ndindex(value.shape):
            plus, minus = [a.copy() for a in args], [a.copy() for a in args]
            plus[i][index] += h
            minus[i][index] -= h
            grad[index] = (_objective(f, plus, dout) - _objective(f, minus, dout)) / (
                2 * h
            )
        grads.append(grad)
    return grads


def _load(tmp_path: Path, monkeypatch):
    (tmp_path / "spec_layer.py").write_text(MODULE)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("BPGEN_CACHE_DIR", str(tmp_path / "cache"))
    sys.modules.pop("spec_layer", None)
    import spec_layer

    return spec_layer.layer


def test_two_ranks_two_specialisations(tmp_path, monkeypatch):
    layer = _load(tmp_path, monkeypatch)
    rng = np.random.default_rng(0)
    W, b = rng.standard_normal((3, 2)), rng.standard_normal(2)
    for x in (rng.standard_normal((4, 3)), rng.standard_normal(3)):
        out, cache = layer.forward(x, W, b)
        assert np.array_equal(out, layer(x, W, b))
        dout = rng.standard_normal(out.shape)
        grads = layer.backward(dout, cache)
        numerical = _numerical(layer, [x, W, b], dout)
        for grad, expected in zip(grads, numerical, strict=True):
            assert np.allclose(grad, expected, rtol=1e-5, atol=1e-7)
    entries = sorted((tmp_path / "cache").glob("layer-*.py"))
    texts = [p.read_text() for p in entries]
    assert len(entries) == 3  # the general code and two specialisations
    # the batch of row vectors is the hand-written layer
    assert any("db = np.sum(dt2, axis=0)\n    dx = dt2 @ W.T" in t for t in texts)


def test_the_general_backward_still_reads_a_general_cache(tmp_path, monkeypatch):
    layer = _load(tmp_path, monkeypatch)
    namespace: dict = {}
    exec(layer.source, namespace)
    rng = np.random.default_rng(1)
    args = [
        rng.standard_normal((4, 3)),
        rng.standard_normal((3, 2)),
        rng.standard_normal(2),
    ]
    out, cache = namespace["layer_forward"](*args)
    mine = layer.backward(np.ones_like(out), cache)
    out2, cache2 = layer.forward(*args)
    theirs = layer.backward(np.ones_like(out2), cache2)
    for a, b in zip(mine, theirs, strict=True):
        assert np.allclose(a, b)


def test_warm_specialised_import_loads_neither_libcst_nor_black(tmp_path):
    (tmp_path / "spec_layer.py").write_text(MODULE)
    probe = textwrap.dedent("""
        import sys
        import numpy as np
        import spec_layer
        layer = spec_layer.layer
        out, cache = layer.forward(np.ones((4, 3)), np.ones((3, 2)), np.ones(2))
        heavy = sorted({m.split(".")[0] for m in sys.modules} & {"libcst", "black"})
        print(heavy, [g.shape for g in layer.backward(np.ones_like(out), cache)])
        """)
    env = dict(
        os.environ, PYTHONPATH=str(tmp_path), BPGEN_CACHE_DIR=str(tmp_path / "cache")
    )
    runs = [
        subprocess.run(
            [sys.executable, "-c", probe],
            env=env,
            capture_output=True,
            text=True,
            check=True,
            cwd=tmp_path,
        ).stdout
        for _ in range(2)
    ]
    cold, warm = (run.split("] ", 1) for run in runs)
    assert "'libcst'" in cold[0]  # generated (black only if a line is too long)
    assert warm[0] == "["
    assert warm[1] == cold[1]
