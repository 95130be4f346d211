"""`a, b = np.split(x, 2)` (issue 12 item 1): the pieces are slices of x,
each a getitem gate, so unpacking them differentiates like indexing."""

from __future__ import annotations

import numpy as np
import pytest

import bpgen
from bpgen.check import check_gradients

SPLITS = [
    ("a, b = np.split(x, 2)\n    return np.sum(a * b)", (4, 3)),
    (
        "a, b, c = np.array_split(x, 3, axis=1)\n"
        "    return np.sum(a) + np.sum(b * b) + np.sum(np.exp(c))",
        (2, 7),
    ),
    (
        "a, b, c = np.split(x, [1, 3], axis=-1)\n"
        "    return np.sum(a) * 2 + np.sum(b * c[..., :2])",
        (2, 3, 5),
    ),
    (
        "a, b, c, d = np.array_split(x, 4)\n"
        "    return np.sum(a) + np.sum(b * b) + np.sum(c * 3) + np.sum(d**3)",
        (10,),
    ),
]


@pytest.mark.parametrize("body, shape", SPLITS)
def test_split_unpacking_gradients(body: str, shape: tuple) -> None:
    source = f"import numpy as np\n\n\ndef f(x):\n    {body}\n"
    x = np.random.default_rng(0).normal(size=shape)
    original: dict = {}
    exec(source, original)
    code = check_gradients(source, [x], "f")
    generated: dict = {}
    exec(code, generated)
    out, _ = generated["f_forward"](x)
    assert np.allclose(out, original["f"](x))  # the same pieces as NumPy's


def test_split_needs_literal_sections() -> None:
    source = (
        "import numpy as np\n\n\ndef f(x, k):\n"
        "    a, b = np.split(x, k)\n    return np.sum(a)\n"
    )
    with pytest.raises(bpgen.BpgenError, match="literals"):
        bpgen.generate(source, "f", ["x"])
