"""Softmax and cross-entropy as one gate (Options.xent) where each row is picked once.

Each program is checked numerically (float64) with the switch on and off;
the fused backward has no `np.add.at` and adds the picked gradient with `+=`.
"""

from __future__ import annotations

import numpy as np
import pytest

import bpgen
from bpgen.check import check_gradients

HEAD = "import numpy as np\n\n\ndef f(s, y, w):\n    N = s.shape[0]\n"
SOFTMAX = [
    "e = np.exp(s - np.max(s, axis=1, keepdims=True))",
    "p = e / np.sum(e, axis=1, keepdims=True)",
]
LOG_SOFTMAX = [
    "z = s - s.max(axis=-1, keepdims=True)",
    "lp = z - np.log(np.sum(np.exp(z), axis=-1, keepdims=True))",
]
SHAPES = {"s": "N C", "y": "N", "w": "N"}

CASES = {
    "sum-over-n": (SOFTMAX + ["return -np.sum(np.log(p[np.arange(N), y])) / N"], True),
    "mean": (SOFTMAX + ["return -np.mean(np.log(p[np.arange(N), y]))"], True),
    "weighted": (SOFTMAX + ["return -np.sum(w * np.log(p[np.arange(N), y]))"], True),
    "log-softmax": (LOG_SOFTMAX + ["return -np.mean(lp[np.arange(N), y])"], True),
    "log-softmax-sum": (
        LOG_SOFTMAX + ["return -np.sum(lp[np.arange(N), y]) / N"],
        True,
    ),
    # probabilities read again: the chain is not closed
    "probs-read": (
        SOFTMAX + ["return -np.sum(np.log(p[np.arange(N), y])) + np.sum(p * p)"],
        False,
    ),
    # rows picked by labels, not by arange: rows may repeat
    "rows-repeat": (SOFTMAX + ["return -np.sum(np.log(p[y, y]))"], False),
    # the columns of a softmax along axis 0
    "axis-0": (
        [
            "e = np.exp(s)",
            "p = e / np.sum(e, axis=0, keepdims=True)",
            "return -np.sum(np.log(p[np.arange(N), y]))",
        ],
        False,
    ),
}


def _source(lines):
    return HEAD + "".join(f"    {line}\n" for line in lines)


def _args():
    rng = np.random.default_rng(11)
    s = rng.standard_normal((5, 4))
    return [s, rng.integers(0, 4, 5), rng.uniform(0.5, 1.5, 5)]


@pytest.mark.parametrize("name", sorted(CASES))
def test_fused_only_when_each_row_is_picked_once(name):
    lines, fused = CASES[name]
    source = _source(lines)
    off = bpgen.Options(xent=False)
    on = check_gradients(source, _args(), "f", ["s", "w"], shapes=SHAPES)
    plain = check_gradients(
        source, _args(), "f", ["s", "w"], shapes=SHAPES, options=off
    )
    backward = on.split("_backward(")[1]
    assert ("np.add.at" not in backward) is fused, on
    if not fused:
        assert on == plain


def test_not_fused_without_declared_shapes():
    source = _source(CASES["sum-over-n"][0])
    code = check_gradients(source, _args(), "f", ["s"])
    assert "np.add.at" in code.split("_backward(")[1]
