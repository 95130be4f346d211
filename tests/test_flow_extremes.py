"""`max()`/`min()` of a list built in a loop, or of a generator: the gradient
goes to the item Python's max returns (the first extreme one, as np.argmax
picks), the other items get none. Numbers and 0-d values; at the function's
top level, else a located refusal."""

from __future__ import annotations

import numpy as np
import pytest
from oracle import check_contract, check_oracles

import bpgen
from bpgen.check import load

LOOP = """import numpy as np


def f(x, w, n):
    losses = []
    for i in range(n):
        losses.append(np.tanh(x * w * (i + 1)) - 0.1 * i)
    worst = max(losses)
    return worst * 2.0
"""

GENERATOR = """import numpy as np


def f(xs, w):
    return min(np.sin(x * w) for x in xs)
"""

FLOATS = """import math


def f(x, n):
    vals = []
    for i in range(n):
        vals.append(math.sin(x * (i + 1)))
    lo = min(vals)
    return lo * sum(vals)
"""


def test_max_of_a_loop_built_list():
    code = check_oracles(LOOP, [0.4, 1.3, 4], wrt=["x", "w"]).code
    check_contract(LOOP, [0.4, 1.3, 4], wrt=["x", "w"])
    backward = code[code.index("def f_backward") :]
    assert "    dlosses = [0.0] * losses_len\n    dlosses[losses_at] = dworst\n" in (
        backward
    )


def test_min_of_a_generator_returned():
    xs = np.array([0.3, -1.2, 0.8, 0.1])
    code = check_oracles(GENERATOR, [xs, 0.7]).code
    check_contract(GENERATOR, [xs, 0.7])
    assert "out = min(items)\n    items_at = items.index(out)\n" in code


def test_min_beside_a_sum_of_the_same_list_of_python_floats():
    code = check_oracles(FLOATS, [0.9, 4], wrt=["x"]).code
    assert "    dvals = [dvals] * vals_len\n" in code  # the sum's, then the min's


def test_max_beside_a_stack_of_the_same_list():
    source = """import numpy as np


def f(x, n):
    hs = []
    for i in range(n):
        hs.append(np.sum(x * (i - 1.5)))
    return max(hs) + np.stack(hs) @ np.arange(n)
"""
    check_oracles(source, [np.array([0.5, -0.2]), 4], wrt=["x"])


@pytest.mark.parametrize(("name", "expected"), [("max", 1), ("min", 0)])
def test_ties_give_the_gradient_to_the_first_extreme_item(name, expected):
    source = f"""import numpy as np


def f(xs):
    return {name}(x * 1.0 for x in xs)
"""
    xs = np.array([1.0, 3.0, 3.0, 1.0]) if name == "max" else np.array([1.0, 3.0, 1.0])
    forward, backward = load(bpgen.generate(source), "f")
    out, cache = forward(xs)
    assert out == {"max": max, "min": min}[name](list(xs))
    (dxs,) = backward(1.0, cache)
    want = np.zeros_like(xs)
    want[expected] = 1.0
    assert dxs.tolist() == want.tolist()
    assert expected == (np.argmax(xs) if name == "max" else np.argmin(xs))


def test_max_inside_a_loop_is_refused_where_it_stands():
    source = """import numpy as np


def f(x, n):
    vals = []
    for i in range(n):
        vals.append(x * i)
        m = max(vals)
    return m
"""
    with pytest.raises(bpgen.BpgenError) as caught:
        bpgen.generate(source, "f", ["x"])
    message = str(caught.value)
    assert ":8:13: error: the builtin `max()` of a list built in a loop" in message
    assert "np.max(np.stack([...]))" in message


def test_max_with_keywords_is_refused_at_the_call():
    source = """import numpy as np


def f(xs):
    return max((x * 2.0 for x in xs), key=abs)
"""
    with pytest.raises(bpgen.BpgenError) as caught:
        bpgen.generate(source)
    message = str(caught.value)
    assert ":5:12: error: the builtin `max()` with keyword arguments" in message
    assert "items" not in message
