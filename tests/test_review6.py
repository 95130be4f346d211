"""Bugs the sixth review found in today's changes (desugaring, loop-built
lists, scipy.special gates, in-place accumulation), each with its minimal
reproduction, fixed."""

from __future__ import annotations

import numpy as np
from oracle import check_contract, check_oracles

import bpgen
from bpgen.check import check_gradients, load

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


ARMS_OF_TWO_SHAPES = """import numpy as np


def f(x, a):
    y = a if a > 0 else x
    return np.sum(y * x)
"""


def test_a_name_given_different_shapes_by_the_two_arms_is_summed_back():
    """`y` is the number `a` on one arm and the array `x` on the other: the
    shapes took the last arm's word (y as x), so `da` came out an array and
    `_like` failed with "only 0-dimensional arrays can be converted"."""
    x = np.array([0.3, -0.5, 1.2])
    for a in (1.0, -1.0):
        check_oracles(ARMS_OF_TWO_SHAPES, [x, a])
        check_contract(ARMS_OF_TWO_SHAPES, [x, a])


def test_an_if_statement_whose_arms_disagree_on_a_shape():
    source = """import numpy as np


def f(x, v):
    if np.sum(x) > 0:
        y = v
    else:
        y = x
    return np.sum(np.exp(y) * x)
"""
    x, v = np.array([[0.3, -0.5, 1.2], [0.1, 0.2, 0.3]]), np.array([0.4, 0.1, -0.2])
    for sign in (1.0, -1.0):
        check_oracles(source, [sign * x, v])
        check_contract(source, [sign * x, v])


def test_a_cast_beside_the_value_itself_hands_out_the_arguments_dtype():
    """`x.astype(np.float64) + x` on float32 `x`: dout is float64, and `dx`
    (proven an array, so handed out without `_like`) came out float64."""
    source = """import numpy as np


def f(x):
    t = x.astype(np.float64)
    return t + x
"""
    x = np.array([0.3, -0.5, 1.2])
    check_gradients(source, [x])
    check_contract(source, [x])


def test_max_of_a_generator_is_differentiated():
    """`max(x[i] for i in range(3))` was refused about a list `items` the
    user never wrote, then refused at the call; it is now differentiated
    (tests/test_flow_extremes.py), the gradient going to the item returned."""
    source = """import numpy as np


def f(x):
    return max(x[i] * 2.0 for i in range(3))
"""
    x = np.array([0.3, -0.5, 1.2])
    check_oracles(source, [x])
    forward, backward = load(bpgen.generate(source), "f")
    assert backward(1.0, forward(x)[1])[0].tolist() == [0.0, 0.0, 2.0]
