"""A ReLU mask zeroes a dead gradient in place (Options.masks), where no alias sees it.

Every program is checked numerically with the switch on and off, and the
caller's `dout` and every returned gradient must come out of the backward
untouched by a later in-place product.
"""

from __future__ import annotations

import numpy as np
import pytest

import bpgen
from bpgen.check import check_gradients, load

HEAD = "import numpy as np\n\n\ndef f(x, w, y):\n"

PROGRAMS = {
    # the backward allocates dh (a product), and only the mask reads it
    "relu-layer": (["h = np.maximum(0, x @ w)", "return np.sum(h * y)"], True),
    "relu-two-layers": (
        ["h = np.maximum(0, x @ w)", "k = np.maximum(h, 0.0)", "return np.sum(k * y)"],
        True,
    ),
    # dh is the caller's dout: never written
    "relu-returned": (["return np.maximum(0, x * y)"], False),
    # the gradient is read by both branches' masks
    "max-of-two": (["return np.sum(np.maximum(x @ w, y) * y)"], False),
    # the masked product is added to another contribution: no buffer to reuse
    "relu-fanout": (
        ["h = x @ w", "r = np.maximum(0, h)", "return np.sum(r * y) + np.sum(h * y)"],
        False,
    ),
    # the masked gradient gets a second contribution after the mask
    "relu-then-more": (
        ["h = np.maximum(0, x @ w)", "return np.sum(h * y) + np.sum(x @ w * y)"],
        None,
    ),
    # the masked gradient is itself returned
    "relu-param": (["h = np.maximum(0, x * 2.0)", "return np.sum(h * y)"], None),
}


def _source(lines):
    return HEAD + "".join(f"    {line}\n" for line in lines)


def _args():
    rng = np.random.default_rng(5)
    x = rng.standard_normal((4, 3))
    return [x, rng.standard_normal((3, 3)), rng.standard_normal((4, 3))]


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_masks_in_place_only_when_safe(name):
    lines, in_place = PROGRAMS[name]
    source = _source(lines)
    on = check_gradients(source, _args(), "f", ["x", "w"])
    off = check_gradients(
        source, _args(), "f", ["x", "w"], options=bpgen.Options(masks=False)
    )
    assert "*= " not in off.split("_backward(")[1]
    if in_place is not None:
        assert ("*= " in on.split("_backward(")[1]) is in_place, on
    fwd, bwd = load(on, "f")
    out, cache = fwd(*_args())
    dout = np.random.default_rng(1).standard_normal(np.shape(out))
    kept = dout.copy()
    grads = bwd(dout, cache)
    saved = [np.array(g, copy=True) for g in grads]
    bwd(dout, cache)  # a second backward on the same cache must not change them
    assert np.array_equal(dout, kept)
    again = bwd(dout, cache)
    for g, s, a in zip(grads, saved, again, strict=True):
        assert np.array_equal(g, s) and np.array_equal(a, s)


def test_masked_gradient_keeps_float32():
    source = _source(["h = np.maximum(0, x @ w)", "return np.sum(h * y)"])
    fwd, bwd = load(bpgen.generate(source, "f", ["x", "w"]), "f")
    args = [a.astype(np.float32) for a in _args()]
    out, cache = fwd(*args)
    dx, dw = bwd(np.float32(1.0), cache)
    assert dx.dtype == dw.dtype == np.float32
