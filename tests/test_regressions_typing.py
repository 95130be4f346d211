"""Bugs the type checker found (mypy over bpgen), one test per repro."""

from __future__ import annotations

import numpy as np
from oracle import check_oracles

R = np.random.default_rng(11)


def test_sigmoid_spelled_with_np_add_is_not_fused_but_differentiated():
    # `1 / np.add(1, np.exp(-z))` is tagged an "add" gate like `1 + exp(-z)`,
    # but it has no .left/.right: the sigmoid fusion crashed on it
    # (InternalError: 'Call' object has no attribute 'left')
    source = (
        "import numpy as np\n\n\n"
        "def f(z):\n"
        "    return np.sum(1.0 / np.add(1.0, np.exp(-z)))\n"
    )
    check_oracles(source, [R.standard_normal((3, 4))])
    flipped = source.replace("np.add(1.0, np.exp(-z))", "np.add(np.exp(-z), 1.0)")
    check_oracles(flipped, [R.standard_normal((3, 4))])
