"""Every refusal: its class, the line and column it points at, its message."""

from __future__ import annotations

import pytest

import bpgen
from bpgen.errors import (
    FunctionNotFoundError,
    SourceSyntaxError,
    UnsupportedError,
    UsageError,
)

NP = "import numpy as np\n\n"

# (name, source, error class, line, column (0-based), words in the message)
REFUSALS = [
    (
        "while else",
        "def f(x):\n    while x < 1:\n        x = x * 2\n    else:\n        x = -x\n"
        "    return x\n",
        UnsupportedError,
        2,
        4,
        "a loop's `else:` is not supported",
    ),
    (
        "if",
        "def f(x):\n    if x * 2:\n        x = -x\n    return x\n",
        UnsupportedError,
        2,
        7,
        "a branch on a value being differentiated needs a comparison",
    ),
    (
        "unknown call",
        "import math\n\ndef f(x):\n    return x * math.fmod(x, 2.0)\n",
        UnsupportedError,
        4,
        15,
        "`math.fmod` is not a function bpgen can differentiate",
    ),
    (
        "lambda",
        "def f(x):\n    g = h = lambda z: z\n    return x\n",
        UnsupportedError,
        2,
        12,
        "a lambda is not supported",
    ),
    (
        "comprehension",
        NP + "def f(x):\n    n = 2; return np.sum([v * n for v in x])\n",
        UnsupportedError,
        4,
        25,
        "a list comprehension is not supported",
    ),
    (
        "global",
        "def f(x):\n    global y\n    return x\n",
        UnsupportedError,
        2,
        4,
        "`global` statements are not supported",
    ),
    (
        "yield",
        "def f(x):\n    yield x\n",
        UnsupportedError,
        2,
        4,
        "`yield` is not supported",
    ),
    (
        "async",
        "async def f(x):\n    return x\n",
        UnsupportedError,
        1,
        0,
        "async functions are not supported",
    ),
    (
        "item assignment into a parameter",
        NP + "def f(x):\n    y = x * 2\n    x[0] = 1.0\n    return y\n",
        UnsupportedError,
        5,
        4,
        "would change the parameter `x`",
    ),
    (
        "unused call",
        "def f(x):\n    abs(x)\n    return x\n",
        UnsupportedError,
        2,
        4,
        "a call whose result is not used",
    ),
    (
        "undefined",
        "def f(x):\n    return x * z\n",
        UnsupportedError,
        2,
        15,
        "name `z` is not defined",
    ),
    (
        "floor division",
        "def f(x):\n    return x // 2\n",
        UnsupportedError,
        2,
        11,
        "`x // 2` has no gradient",
    ),
    (
        "conditional",
        "def f(x):\n    y = 0.0; return x if x > y else y\n",
        UnsupportedError,
        2,
        20,
        "a conditional expression",
    ),
    (
        "no return",
        "def f(x):\n    y = x\n",
        UnsupportedError,
        1,
        4,
        "the function has no `return` at its end",
    ),
    (
        "early return",
        "def f(x):\n    return x\n    y = x\n",
        UnsupportedError,
        2,
        4,
        "`return` must be the last statement",
    ),
    ("star args", "def f(*xs):\n    return xs\n", UnsupportedError, 1, 6, "`*args`"),
    ("kwargs", "def f(x, **kw):\n    return x\n", UnsupportedError, 1, 9, "`**kwargs`"),
    (
        "and",
        "def f(x, y):\n    return x and y\n",
        UnsupportedError,
        2,
        11,
        "`and`/`or` are not supported",
    ),
    (
        "method",
        NP + "def f(x):\n    return x.conj()\n",
        UnsupportedError,
        4,
        13,
        "the method `.conj()` is not supported",
    ),
    (
        "keepdims variable",
        NP + "def f(x, k):\n    return np.sum(x, axis=1, keepdims=k)\n",
        UnsupportedError,
        4,
        11,
        "must be written as a literal",
    ),
    (
        "walrus",
        "def f(x):\n    return (y := x)\n",
        UnsupportedError,
        2,
        12,
        "an assignment expression",
    ),
    (
        "nested def",
        "def f(x):\n    s = x\n    def g(y):\n        return y * s\n    return g(x)\n",
        UnsupportedError,
        3,
        4,
        "only closure-free nested functions",
    ),
    (
        "with",
        "def f(x):\n    with open('a'):\n        pass\n    return x\n",
        UnsupportedError,
        2,
        4,
        "`with` blocks are not supported",
    ),
    (
        "try",
        "def f(x):\n    try:\n        y = x\n    except Exception:\n"
        "        y = x\n    return y\n",
        UnsupportedError,
        2,
        4,
        "`try` blocks are not supported",
    ),
    (
        "import inside",
        "def f(x):\n    import math\n    return x\n",
        UnsupportedError,
        2,
        4,
        "imports inside the function",
    ),
    (
        "attribute assign",
        "def f(x):\n    x.a = 1\n    return x\n",
        UnsupportedError,
        2,
        4,
        "assigning into an attribute",
    ),
    (
        "module as value",
        "import math\n\ndef f(x):\n    return x * math\n",
        UnsupportedError,
        4,
        15,
        "`math` (math) is used as a value",
    ),
    (
        "complex",
        "def f(x):\n    return x * 1j\n",
        UnsupportedError,
        2,
        15,
        "a complex number",
    ),
    (
        "augmented floor",
        "def f(x):\n    x //= 2\n    return x\n",
        UnsupportedError,
        2,
        6,
        "`//=` is not supported",
    ),
    (
        "differentiated static argument",
        NP + "def f(x):\n    return x.reshape(x)\n",
        UnsupportedError,
        4,
        11,
        "`shape=` must be written as a literal",
    ),
    (
        "syntax",
        "def f(x):\n    return x +\n",
        SourceSyntaxError,
        2,
        14,
        "invalid syntax",
    ),
    (
        "two functions",
        "def f(x):\n    return x\n\ndef g(x):\n    return x\n",
        FunctionNotFoundError,
        None,
        None,
        "name the one to differentiate",
    ),
]


@pytest.mark.parametrize(
    "name, source, kind, line, col, words", REFUSALS, ids=[r[0] for r in REFUSALS]
)
def test_refusal(name, source, kind, line, col, words):
    with pytest.raises(kind) as caught:
        bpgen.generate(source, filename="user.py")
    error = caught.value
    assert isinstance(error, bpgen.BpgenError)
    assert (error.lineno, error.col_offset) == (line, col)
    assert words in error.message
    text = str(error)
    if line is not None:
        assert text.startswith(f"user.py:{line}:{col + 1}: error: ")
        caret_line = text.splitlines()[2]
        assert caret_line.index("^") - 4 == col
    assert "help: " in text


def test_wrt_must_name_parameters():
    with pytest.raises(UsageError, match="`z` in wrt is not a parameter of f"):
        bpgen.generate("def f(x):\n    return x\n", wrt=["z"])


def test_unknown_function_name():
    with pytest.raises(FunctionNotFoundError, match="no top-level function named 'g'"):
        bpgen.generate("def f(x):\n    return x\n", "g")


def test_line_offset_points_into_the_users_file():
    with pytest.raises(UnsupportedError) as caught:
        bpgen.generate("def f(x):\n    return x * z\n", line_offset=40)
    assert caught.value.lineno == 42


def test_deep_nesting_is_not_a_recursion_error():
    source = "def f(x):\n    return " + "x + " * 3000 + "x\n"
    code = bpgen.generate(source)
    assert "def f_backward" in code


@pytest.mark.parametrize(
    "args, kwargs, message",
    [
        (
            ("def f(x, y):\n    return x * y\n", ["f"]),
            {},
            "name the function as a string",
        ),
        (
            ("def f(xy, x, y):\n    return x * y * xy\n",),
            {"wrt": "xy"},
            "wrt must be a list",
        ),
    ],
)
def test_slips_in_the_api_are_usage_errors(args, kwargs, message):
    # wrt="xy" once read as the letters x and y: the gradients of other params
    with pytest.raises(UsageError, match=message):
        bpgen.generate(*args, **kwargs)
