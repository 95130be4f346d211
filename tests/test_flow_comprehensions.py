"""Comprehensions with several `for`s, and comprehensions inside loop bodies
(bpgen/desugar.py rewrites them as nested loops appending to a list that
bpgen/flow/ makes anew in each iteration), and lists read where they are
made. Gradients against central differences and autograd, in float64;
errors point at the user's line and column."""

from __future__ import annotations

import numpy as np
import pytest
from oracle import check_contract, check_oracles

import bpgen
from bpgen import desugar

RNG = np.random.default_rng(7)

ACCEPTED = {
    "two-fors-generator": (
        """import numpy as np


def f(x):
    return sum(a * b for a in x for b in x)
""",
        [RNG.standard_normal(3)],
    ),
    "two-fors-filters": (
        """import numpy as np


def f(x, n):
    return sum(x[i] * x[j] for i in range(n) if i > 0 for j in range(i) if j != 1)
""",
        [RNG.standard_normal(4), 4],
    ),
    "two-fors-list": (
        """import numpy as np


def f(x, n):
    return np.stack([x[i] * x[j] for i in range(n) for j in range(n) if i != j]).sum()
""",
        [RNG.standard_normal(3), 3],
    ),
    "list-of-lists": (
        """import numpy as np


def f(x, y):
    return np.sum(np.array([[a * b for b in y] for a in x]) ** 2)
""",
        [RNG.standard_normal(2), RNG.standard_normal(3)],
    ),
    "in-for": (
        """import numpy as np


def f(x, Ws, n):
    h = x
    for t in range(n):
        h = np.stack([np.tanh(h @ W) for W in Ws]).sum(axis=0)
    return h
""",
        [RNG.standard_normal(2), RNG.standard_normal((2, 2, 2)) * 0.5, 2],
    ),
    "in-unrolled-for": (
        """import numpy as np


def f(x, W):
    h = x
    for t in range(2):
        h = sum([np.tanh(h * w) for w in W])
    return h
""",
        [RNG.standard_normal(2), RNG.standard_normal((2, 2)) * 0.5],
    ),
    "in-while": (
        """import numpy as np


def f(x, n):
    s = x
    k = 0
    while k < n:
        s = np.sum(np.stack([np.sin(s * w) for w in (1.0, 2.0)]))
        k += 1
    return s
""",
        [0.7, 3],
    ),
    "in-an-arm": (
        """import numpy as np


def f(x, n):
    s = 0.0
    for i in range(n):
        if i % 2 == 0:
            s = s + max(np.cos(x * k) for k in range(1, 3))
        else:
            s = s - sum([np.sin(x * k) for k in range(2)])
    return s
""",
        [0.7, 3],
    ),
    "loop-variable-clash": (  # the comprehension's `i` is its own, as in Python
        """import numpy as np


def f(x, n):
    s = 0.0
    for i in range(n):
        s = s + sum(x * i for i in range(3)) * i
    return s
""",
        [0.7, 3],
    ),
}


@pytest.mark.parametrize("name", sorted(ACCEPTED))
def test_the_comprehension_is_differentiated(name):
    source, args = ACCEPTED[name]
    check_oracles(source, args)
    check_contract(source, args, dtypes=(np.float32, np.float64))


def test_nested_fors_read_as_nested_loops():
    source, _ = ACCEPTED["two-fors-filters"]
    text = desugar.rewrite(source)[0]
    assert text.endswith(
        "    items = []\n"
        "    for i in range(n):\n"
        "        if i > 0:\n"
        "            for j in range(i):\n"
        "                if j != 1:\n"
        "                    items.append(x[i] * x[j])\n"
        "    return sum(items)\n"
    )


def test_a_comprehension_in_a_loop_is_a_list_made_in_each_iteration():
    source, _ = ACCEPTED["in-for"]
    code = bpgen.generate(source, "f")
    forward = code[code.index("def f_forward") : code.index("def f_backward")]
    assert "    for t in range(n):\n        items = []\n        caches = []\n" in (
        forward
    )
    backward = code[code.index("def f_backward") :]
    assert "        ditems = list(ditems_stacked)\n" in backward


@pytest.mark.parametrize(
    "source, where",
    [
        (
            "import numpy as np\n\n\ndef f(x):\n"
            "    return np.sum(np.stack([np.fmod(a, b) for a in x for b in x]))\n",
            (
                5,
                28,
                "    return np.sum(np.stack([np.fmod(a, b) for a in x for b in x]))",
            ),
        ),
        (
            "import numpy as np\n\n\ndef f(x, n):\n    s = 0.0\n"
            "    for t in range(n):\n"
            "        s = s + sum(np.fmod(v, 2.0) for v in x)\n    return s\n",
            (7, 20, "        s = s + sum(np.fmod(v, 2.0) for v in x)"),
        ),
    ],
    ids=["two-fors", "in-loop"],
)
def test_an_error_inside_points_at_the_users_line_and_column(source, where):
    with pytest.raises(bpgen.BpgenError) as caught:
        bpgen.generate(source, "f", filename="model.py")
    error = caught.value
    assert "`numpy.fmod` is not a function bpgen can differentiate" in error.message
    assert (error.lineno, error.col_offset, error.source_line) == where


# -- a list is read where it is made -------------------------------------------------

FOREIGN_READS = {
    "grows-while-read": """import numpy as np


def f(x, n):
    vals = []
    s = 0.0
    for i in range(n):
        vals.append(np.sin(x * i))
        s = s + sum(vals)
    return s
""",
    "read-in-a-later-loop": """import numpy as np


def f(x, n):
    vals = []
    for i in range(n):
        vals.append(np.sin(x * i))
    s = 0.0
    for i in range(n):
        s = s + np.stack(vals)[i]
    return s
""",
    "made-in-the-loop-read-after": """import numpy as np


def f(x, n):
    for t in range(n):
        vals = []
        for i in range(3):
            vals.append(np.sin(x * i * t))
    return sum(vals)
""",
}


@pytest.mark.parametrize("name", sorted(FOREIGN_READS))
def test_a_list_read_outside_the_loop_body_that_makes_it_is_refused(name):
    """These gave silently wrong gradients: the list's gradient was rebuilt at
    each read, dropping the other reads' share."""
    with pytest.raises(bpgen.BpgenError) as caught:
        bpgen.generate(FOREIGN_READS[name], "f", ["x"])
    error = caught.value
    assert "the list `vals` is read in a loop body other than the one" in error.message
    assert "vals_array = np.stack(vals)" in (error.hint or "")
    assert error.source_line is not None and "vals)" in error.source_line


def test_the_hint_works():
    source = FOREIGN_READS["read-in-a-later-loop"].replace(
        "    s = 0.0\n", "    vals_array = np.stack(vals)\n    s = 0.0\n"
    )
    source = source.replace("np.stack(vals)[i]", "vals_array[i]")
    check_oracles(source, [0.7, 4], wrt=["x"])
