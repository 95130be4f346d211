"""`max()`/`min()` of a list built in a loop, or of a generator: the gradient
goes to the item Python's max returns (the first extreme one, as np.argmax
picks), the other items get none. Numbers and 0-d values; read at the
list's own level: where it is made, in the same loop body or outside every
loop."""

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


def test_max_of_a_generator_in_a_loop_records_its_place_per_iteration():
    source = """import numpy as np


def f(x, n):
    total = 0.0
    for t in range(n):
        total = total + max(np.sin(x * (t + k)) for k in range(3))
    return total
"""
    code = check_oracles(source, [0.4, 3]).code
    assert "caches_1.append((caches, items_at, items_len, cache2))" in code
    assert (
        "        ditems = [0.0] * items_len\n        ditems[items_at] = ditems_max\n"
        in (code)
    )


@pytest.mark.parametrize("c", [1.0, -1.0])
def test_max_and_min_in_the_arms_of_a_branch(c):
    source = """import numpy as np


def f(x, n, c):
    vals = []
    for i in range(n):
        vals.append(np.sin(x * i))
    if c > 0:
        m = max(vals)
    else:
        m = min(vals) * 2.0
    return m
"""
    check_oracles(source, [0.7, 4, c], wrt=["x"])


def test_max_of_a_list_growing_in_the_loop_that_reads_it_is_refused():
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
    assert ":8:9: error: the list `vals` is read in a loop body other than" in message


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
