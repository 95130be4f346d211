"""Full-by-small divisions go through a stored reciprocal (Options.reciprocal).

Only with declared shapes proving the divisor smaller; checked numerically
with the switch on and off.
"""

from __future__ import annotations

import numpy as np
import pytest

import bpgen
from bpgen.check import check_gradients

HEAD = "import numpy as np\n\n\ndef f(x, v, c, s):\n"
SHAPES = {"x": "N D", "v": "D", "c": "N 1", "s": ""}

CASES = {
    "per-column": (["return np.sum(np.tanh(x / v) + x / v)"], 1),
    "per-row-keepdims": (["return np.sum(np.tanh(x / c))"], 1),
    "both": (["h = x / v", "return np.sum(h / c)"], 2),
    # same shapes, or a 0-d divisor: left as divisions
    "same-shape": (["return np.sum(np.tanh(x / x))"], 0),
    "vector-by-vector": (["return np.sum(v / v)"], 0),
    "scalar": (["return np.sum(x / s)"], 0),
    "small-by-full": (["return np.sum(v / x)"], 0),
}


def _source(lines):
    return HEAD + "".join(f"    {line}\n" for line in lines)


def _args():
    rng = np.random.default_rng(13)
    return [
        rng.standard_normal((4, 3)),
        rng.uniform(0.5, 1.5, 3),
        rng.uniform(0.5, 1.5, (4, 1)),
        1.7,
    ]


@pytest.mark.parametrize("name", sorted(CASES))
def test_division_by_a_small_array_uses_its_reciprocal(name):
    lines, count = CASES[name]
    source = _source(lines)
    off = bpgen.Options(reciprocal=False)
    on = check_gradients(source, _args(), "f", ["x", "v", "c"], shapes=SHAPES)
    plain = check_gradients(
        source, _args(), "f", ["x", "v", "c"], shapes=SHAPES, options=off
    )
    forward = on.split("_forward(")[1].split("_backward(")[0]
    assert forward.count("= 1.0 / ") == count, on
    if not count:
        assert on == plain


def test_no_reciprocal_without_declared_shapes():
    code = check_gradients(_source(CASES["per-column"][0]), _args(), "f", ["x", "v"])
    assert "1.0 / " not in code
