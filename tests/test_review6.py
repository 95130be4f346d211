"""Bugs the sixth review found in today's changes (desugaring, loop-built
lists, scipy.special gates, in-place accumulation), each with its minimal
reproduction, fixed."""

from __future__ import annotations

import numpy as np
from oracle import check_contract, check_oracles

from bpgen.check import check_gradients

APPENDED_PARAMETER = """import numpy as np


def f(x):
    ys = [x for i in range(3)]
    return np.stack(ys)
"""


def test_a_parameter_appended_as_it_is_carries_its_gradient():
    """`ys.append(x)` (here from `[x for i in range(3)]`) reads `x` in no
    generated part: bpgen said no parameter carries a gradient."""
    check_oracles(APPENDED_PARAMETER, [np.array([0.3, -0.5, 1.2])])
    check_contract(APPENDED_PARAMETER, [np.array([0.3, -0.5, 1.2])])


def test_a_parameter_appended_in_a_loop_beside_a_computed_value():
    source = """import numpy as np


def f(x, y):
    ys = []
    for i in range(3):
        ys.append(x)
        ys.append(y * i)
    return sum(ys)
"""
    x = np.array([0.3, -0.5, 1.2])
    check_gradients(source, [x, x + 1.0])
    check_contract(source, [x, x + 1.0])
