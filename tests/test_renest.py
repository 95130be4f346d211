"""renest.py: a single-use temporary goes back into its reader's expression.

Before/after on small programs, and what it must never move: a user's own
name, a cached or returned value, a random draw, anything across an item
assignment, anything that would make the line too long.
"""

from __future__ import annotations

import numpy as np

import bpgen
from bpgen.check import check_gradients, load

NEURON = """import math


def neuron(w0, w1, w2, x0, x1):
    dot = w0 * x0 + w1 * x1 + w2
    f = 1.0 / (1 + math.exp(-dot))
    return f
"""


def _forward(code: str, name: str = "f") -> list[str]:
    body = code.split(f"def {name}_forward(", 1)[1].split("\n\n\n", 1)[0]
    return [line.strip() for line in body.splitlines()[2:]]


def test_before_and_after_on_the_seed_neuron():
    after = _forward(bpgen.generate(NEURON), "neuron")
    before = _forward(
        bpgen.generate(NEURON, options=bpgen.Options(renest=False)), "neuron"
    )
    assert before[:4] == [
        "t1 = w0 * x0",
        "t2 = w1 * x1",
        "t3 = t1 + t2",
        "dot = t3 + w2",
    ]
    assert after[0] == "dot = w0 * x0 + w1 * x1 + w2"
    assert after[1:] == before[4:]


def test_precedence_is_kept_and_gradients_hold():
    source = "def f(x: float, y: float, z: float):\n"
    source += "    return (x - y) - (z - x) * 2.0 + -(x + y) / 3.0 - (x**2) ** 0.5\n"
    code = bpgen.generate(source)
    lines = _forward(code)
    # t9 is cached for its rule, so t8's run stops above it
    assert lines[:3] == [
        "t8 = x - y - (z - x) * 2.0 + -(x + y) / 3.0",
        "t9 = x**2",
        "out = t8 - t9**0.5",
    ]
    # the backward's rules of a run follow its reader's comment
    assert "    # t8 = x - y - (z - x) * 2.0 + -(x + y) / 3.0\n    dt6 = dout" in code
    forward, backward = load(code, "f")
    plain = {}
    exec(source, plain)  # noqa: S102
    args = [1.3, 0.7, 1.1]
    assert forward(*args)[0] == plain["f"](*args)
    check_gradients(source, args, "f")


def test_user_names_cached_values_and_shapes_stay():
    source = "import numpy as np\n\n\ndef f(x, y):\n    a = x * y\n"
    source += "    return np.sum(np.tanh(a + 1.0) * y)\n"
    lines = _forward(bpgen.generate(source))
    # `a` is the user's own stage; t1 = a + 1.0 is nested; t2 and t3 are
    # cached (t3 for its shape), so they keep their lines
    assert lines == [
        "a = x * y",
        "t2 = np.tanh(a + 1.0)",
        "t3 = t2 * y",
        "out = np.sum(t3)",
        "return out, (x, y, t2, t3)",
    ]


def test_nothing_moves_across_an_item_assignment():
    source = """import numpy as np


def f(x, y):
    h = np.exp(x * y) + 1.0
    k = np.sum(h * h)
    h[0] = np.sum(x * x)
    return np.sum(np.tanh(h * y)) + k
"""
    code = bpgen.generate(source)
    lines = _forward(code)
    at = lines.index("h_1[0] = t5")
    assert "t5 = np.sum(x * x)" in lines[:at]  # not nested into the item write
    rng = np.random.default_rng(0)
    check_gradients(source, [rng.standard_normal((3, 2)), rng.standard_normal(2)], "f")


def test_random_draws_stay_in_their_order():
    source = "import numpy as np\n\n\ndef f(x):\n"
    source += "    return np.sum(x * np.random.rand(3)) + np.sum(np.random.rand(3))\n"
    lines = _forward(bpgen.generate(source))
    draws = [line for line in lines if "np.random.rand(3)" in line]
    assert len(draws) == 2 and all(line.startswith("t") for line in draws)
    assert lines.index(draws[0]) < lines.index(draws[1])


def test_a_reader_that_would_not_fit_keeps_its_stages():
    long = " + ".join(f"np.sin(x{i} * y{i})" for i in range(6))
    params = ", ".join(f"x{i}, y{i}" for i in range(6))
    source = f"import numpy as np\n\n\ndef f({params}):\n    return np.sum({long})\n"
    lines = _forward(bpgen.generate(source))
    assert all(len(line) <= 84 for line in lines)
    assert any(line.startswith("t") and "np.sin(" in line for line in lines)


def test_switched_off_every_temporary_has_its_line():
    code = bpgen.generate(NEURON, options=bpgen.Options(renest=False))
    assert "    t3 = t1 + t2\n" in code
