"""A number's gradient from an array-or-number output: summed to a float.

Where the output's rank is unknown (no shapes declared) the sum is
`float(_unbroadcast(g, ()))`, which hands a float g through in a few hundred
ns where `np.sum` takes microseconds; where the output is known to be an
array it stays `float(np.sum(g))`. Checked numerically with the number's
partner a float and an array.
"""

from __future__ import annotations

import numpy as np
import pytest

from bpgen.check import check_gradients

SOURCE = """
import numpy as np


def f(w, reg):
    data = np.sum(np.tanh(w))
    return data + reg * np.sum(w * w)
"""


@pytest.mark.parametrize("reg", [0.1, np.array([0.1, 0.2])])
def test_an_unknown_rank_output_sums_through_the_helper(reg):
    w = np.random.default_rng(3).standard_normal((4, 3))
    code = check_gradients(SOURCE, [w, reg], "f", ["w", "reg"])
    backward = code.split("def f_backward(")[1]
    assert "ddata = float(_unbroadcast(dout, ()))\n" in backward
    assert "np.sum(dout" not in backward


def test_an_array_output_keeps_np_sum():
    source = "import numpy as np\n\n\ndef f(x, p):\n    return x / p\n"
    x = np.random.default_rng(4).standard_normal((4, 3))
    code = check_gradients(
        source, [x, 0.5], "f", ["x", "p"], shapes={"x": "N D", "p": ""}
    )
    assert "dp = -float(np.sum(dout * out)) / p\n" in code
