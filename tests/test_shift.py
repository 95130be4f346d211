"""A softmax's max shift gets no gradient (Options.shift), only where that is exact.

Each program is checked numerically with the switch on and off; the
backward must lose the max's tie count exactly when what follows the shift
is invariant to it.
"""

from __future__ import annotations

import numpy as np
import pytest

import bpgen
from bpgen.check import check_gradients

HEAD = "import numpy as np\n\n\ndef f(z, y):\n"

INVARIANT = {
    "np.max": [
        "s = z - np.max(z, axis=1, keepdims=True)",
        "e = np.exp(s)",
        "p = e / np.sum(e, axis=1, keepdims=True)",
        "return -np.sum(np.log(p[np.arange(z.shape[0]), y])) / z.shape[0]",
    ],
    "method": [
        "e = np.exp(z - z.max(axis=-1, keepdims=True))",
        "return np.sum(e / e.sum(axis=-1, keepdims=True) * z)",
    ],
    "amax-log-softmax": [
        "s = z - np.amax(z, axis=1, keepdims=True)",
        "logp = s - np.log(np.sum(np.exp(s), axis=1, keepdims=True))",
        "return -np.mean(logp[np.arange(z.shape[0]), y])",
    ],
    "global": [
        "s = z - np.max(z)",
        "e = np.exp(s)",
        "return np.sum(np.log(e / np.sum(e)) * z)",
    ],
    "global-then-rows": [
        "e = np.exp(z - z.max())",
        "return np.sum(e / np.sum(e, axis=0, keepdims=True) * z)",
    ],
}

# the shift reaches the output some other way: its gradient is not zero
NOT_INVARIANT = {
    "shift-returned": [
        "s = z - np.max(z, axis=1, keepdims=True)",
        "e = np.exp(s)",
        "return np.sum(e / np.sum(e, axis=1, keepdims=True)) + np.sum(s * s)",
    ],
    "other-axis": [
        "s = z - np.max(z, axis=0, keepdims=True)",
        "e = np.exp(s)",
        "return np.sum(e / np.sum(e, axis=1, keepdims=True) * z)",
    ],
    "exp-read-elsewhere": [
        "e = np.exp(z - np.max(z, axis=1, keepdims=True))",
        "return np.sum(e / np.sum(e, axis=1, keepdims=True)) + np.sum(e)",
    ],
    "not-normalised": [
        "e = np.exp(z - np.max(z, axis=1, keepdims=True))",
        "return np.sum(e * z)",
    ],
    "max-read-too": [
        "m = np.max(z, axis=1, keepdims=True)",
        "e = np.exp(z - m)",
        "return np.sum(e / np.sum(e, axis=1, keepdims=True)) + np.sum(m)",
    ],
}


def _source(lines):
    return HEAD + "".join(f"    {line}\n" for line in lines)


def _args():
    rng = np.random.default_rng(3)
    z = rng.standard_normal((4, 5))
    z[1, 2] = z[1, 4] = z[1].max() + 1.0  # a tie in a row's max
    return [z, rng.integers(0, 5, 4)]


def _differentiates_max(code: str) -> bool:
    backward = code.split("_backward(")[1]
    # code only: a comment quotes the forward statement, max and all
    backward = "\n".join(
        line for line in backward.splitlines() if not line.lstrip().startswith("#")
    )
    return (
        "np.max" in backward
        or "np.amax" in backward
        or " == " in backward  # the max's rule: the mask where z == m
        or (".max(" in backward)
    )


@pytest.mark.parametrize("name", sorted(INVARIANT))
def test_invariant_shift_has_no_gradient(name):
    source = _source(INVARIANT[name])
    on = check_gradients(source, _args(), "f", ["z"])
    off = check_gradients(
        source, _args(), "f", ["z"], options=bpgen.Options(shift=False)
    )
    assert _differentiates_max(off), off
    assert not _differentiates_max(on), on
    assert len(on.splitlines()) < len(off.splitlines())


@pytest.mark.parametrize("name", sorted(NOT_INVARIANT))
def test_shift_kept_where_it_matters(name):
    source = _source(NOT_INVARIANT[name])
    code = check_gradients(source, _args(), "f", ["z"])
    assert _differentiates_max(code), code
    assert code == bpgen.generate(
        source, "f", ["z"], options=bpgen.Options(shift=False)
    )
