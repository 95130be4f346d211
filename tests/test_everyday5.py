"""Everyday code, round 5: lists built in a loop joined by np.vstack, hstack,
column_stack or read by any NumPy function (`np.sum(L)`), and a list read
twice; conditional expressions, comprehensions and named lambdas (rewritten
as statements by bpgen/desugar.py); scipy.special's expit, logit, logsumexp,
softmax, log_softmax, xlogy.

Every accepted program is checked numerically in float64 and against the
gradient contract (float32 and float64); refusals stay located.
"""

from __future__ import annotations

import textwrap

import numpy as np
import pytest
from oracle import check_contract

import bpgen
from bpgen.check import check_gradients
from bpgen.errors import BpgenError

RNG = np.random.default_rng(55)


def _src(body: str, head: str = "import numpy as np\n\n\n") -> str:
    return head + textwrap.dedent(body).lstrip()


def _checked(source: str, args: list, wrt=None, contract: bool = True) -> str:
    code = check_gradients(source, args, "f", wrt)
    if contract:
        check_contract(source, args, "f", wrt, dtypes=(np.float32, np.float64))
    return code


def _refused(source: str) -> BpgenError:
    with pytest.raises(BpgenError) as info:
        bpgen.generate(source, "f", filename="model.py")
    assert type(info.value).__name__ != "InternalError", str(info.value)
    return info.value


# -- lists built in a loop, joined or read by NumPy -------------------------------

JOINED = {
    "vstack-rows": ("vstack", "x[i] * (i + 1.0)", (3, 4)),
    "vstack-blocks": ("vstack", "x * (i + 1.0)", (2, 3)),
    "hstack-vectors": ("hstack", "np.sin(x) * i", (4,)),
    "hstack-blocks": ("hstack", "x[:, i:] * (i + 1.0)", (2, 4)),
    "column-stack": ("column_stack", "np.tanh(x) * (i + 1.0)", (4,)),
    "concatenate": ("concatenate", "np.sin(x) * (i + 1.0)", (4,)),
}


@pytest.mark.parametrize("name", sorted(JOINED))
def test_a_list_built_in_a_loop_can_be_joined(name):
    func, item, shape = JOINED[name]
    source = _src(f"""
        def f(x, n: int):
            parts = []
            for i in range(n):
                parts.append({item})
            joined = np.{func}(parts)
            return np.sum(joined**2 * np.cos(joined))
        """)
    code = _checked(source, [RNG.standard_normal(shape), 3], ["x"])
    if func != "concatenate":  # the items' shapes are recorded, not their sizes
        assert "parts_shapes = [np.shape(item) for item in parts]" in code
        assert "d.reshape(s)" in code


def test_vstack_of_a_list_reads_like_the_stacked_rows():
    source = _src("""
        def f(x, n: int):
            rows = []
            for i in range(n):
                rows.append(x * i)
            return np.sum(np.vstack(rows) ** 2)
        """)
    code = _checked(source, [RNG.standard_normal(3), 4], ["x"])
    assert "rows_stacked = np.vstack(rows)" in code


def test_a_join_of_a_built_list_takes_the_list_alone():
    source = _src("""
        def f(x, n: int):
            rows = []
            for i in range(n):
                rows.append(x * i)
            return np.sum(np.vstack(rows, dtype=float))
        """)
    error = _refused(source)
    assert "np.vstack of a list built in a loop takes the list alone" in error.message
    assert (error.lineno, error.col_offset) == (8, 4)


@pytest.mark.parametrize(
    "read",
    ["np.sum(ys)", "np.mean(ys, axis=0) @ np.sum(ys, axis=0)", "np.max(ys) * 2.0"],
)
def test_a_numpy_function_reads_a_built_list_as_its_array(read):
    source = _src(f"""
        def f(x):
            ys = []
            for t in x:
                ys.append(np.tanh(t) * t)
            return {read}
        """)
    code = _checked(source, [RNG.standard_normal((3, 2))])
    assert "ys_array = np.array(ys)" in code


@pytest.mark.parametrize(
    "read",
    [
        "np.sum(np.stack(ys) * np.stack(ys))",
        "np.sum(sum(ys) * np.stack(ys))",
        "np.sum(sum(ys) * sum(ys))",
        "np.sum(np.stack(ys, axis=1) * np.vstack(ys))",
    ],
)
def test_a_list_read_twice_gathers_both_gradients(read):
    # the second read's gradient list replaced the first's: the gradient halved
    source = _src(f"""
        def f(x):
            ys = []
            for t in x:
                ys.append(np.tanh(t))
            return {read}
        """)
    _checked(source, [RNG.standard_normal((2, 2))])


# -- conditional expressions --------------------------------------------------------

MATH = "import math\n\nimport numpy as np\n\n\n"
IFEXP = {
    "assign": (
        "def f(x, a):\n    y = x * 2 if a > 0 else x * 3\n    return np.sum(y)",
        [(3,), -0.5],
    ),
    "assign-then": (
        "def f(x, a):\n    y = x * 2 if a > 0 else x * 3\n    return np.sum(y)",
        [(3,), 0.5],
    ),
    "leaky": ("def f(x):\n    return x if x > 0 else 0.01 * x", [-0.7]),
    "leaky-then": ("def f(x):\n    return x if x > 0 else 0.01 * x", [0.7]),
    "inside": ("def f(x):\n    return 2.0 * (x if x > 0 else 0.01 * x) + 1.0", [0.7]),
    "nested": (
        "def f(x):\n    y = x if x > 1 else (x * x if x > 0 else -x)\n"
        "    return y * 3.0",
        [0.5],
    ),
    "constant-arm": ("def f(x):\n    return x if x > 0 else 0.0", [0.3]),
    "math": ("def f(x):\n    return math.exp(x) if x < 0 else 1.0 + x", [-0.3]),
    "augmented": (
        "def f(x):\n    s = x * x\n    s += x if x > 0 else -x\n    return s",
        [-0.3],
    ),
    "lines": (
        "def f(x):\n    y = (x * 2.0\n         if x > 0\n         else x * 3.0)\n"
        "    return y",
        [0.3],
    ),
    "in-loop": (
        "def f(x, n: int):\n    s = 0.0\n    for i in range(n):\n"
        "        s = s + np.sum(x if i % 2 else -x * i)\n    return s",
        [(3,), 4],
    ),
}


def _args(shapes):
    return [RNG.standard_normal(s) if isinstance(s, tuple) else s for s in shapes]


@pytest.mark.parametrize("name", sorted(IFEXP))
def test_a_conditional_expression_is_an_if_else(name):
    body, shapes = IFEXP[name]
    args = _args(shapes)
    wrt = [
        p for p, s in zip(("x", "a"), shapes, strict=False) if not isinstance(s, int)
    ]
    _checked(MATH + body + "\n", args, wrt[:1] if "n: int" in body else None)


def test_an_assigned_conditional_expression_reads_as_the_if_else():
    code = bpgen.generate(MATH + IFEXP["assign"][0] + "\n", "f")
    assert "    if cond:\n        y = x * 2\n    else:\n        y = x * 3\n" in code
    assert "if cond:\n        # y = x * 2\n        dx = dy * 2\n" in code


def test_a_returned_conditional_expression_is_computed_into_picked():
    code = bpgen.generate(MATH + IFEXP["leaky"][0] + "\n", "f")
    assert "        picked = x\n    else:\n        picked = 0.01 * x\n" in code


def test_an_array_condition_raises_as_numpy_does():
    # `x if x > 0 else -x` on an array raises in NumPy itself; so does f_forward
    source = MATH + "def f(x):\n    return np.sum(x if x > 0 else -x)\n"
    namespace: dict = {}
    exec(bpgen.generate(source, "f"), namespace)
    with pytest.raises(ValueError, match="truth value of an array"):
        namespace["f_forward"](np.ones(3))


# -- comprehensions -----------------------------------------------------------------

HELPER = "def layer(x, W):\n    return np.tanh(x @ W)\n\n\n"
COMPREHENSIONS = {
    "stack": (
        "def f(xs, W):\n    return np.sum(np.stack([np.tanh(x @ W) for x in xs]))",
        [(3, 4), (4, 2)],
    ),
    "array": (
        "def f(xs):\n    return np.sum(np.array([x ** 2 for x in xs]) * 2.0)",
        [(3, 4)],
    ),
    "generator-sum": ("def f(w):\n    return sum(wi**2 for wi in w)", [(4,)]),
    "sum-of-list": ("def f(w):\n    return sum([np.sum(wi**2) for wi in w])", [(3, 2)]),
    "range": (
        "def f(x):\n    ys = [x[i] * i for i in range(3)]\n    return sum(ys)",
        [(3,)],
    ),
    "filtered": (
        "def f(x):\n    return sum(x[i] * i for i in range(4) if i % 2)",
        [(4,)],
    ),
    "np-sum": ("def f(x):\n    return np.sum([t * 2.0 for t in x])", [(3,)]),
    "name-reused": (
        "def f(x, xs):\n    ys = np.stack([x * 2.0 for x in xs])\n"
        "    return np.sum(ys * x)",
        [(4,), (3, 4)],
    ),
    "helper": (
        HELPER
        + "def f(xs, W):\n    return np.sum(np.stack([layer(x, W) for x in xs]) ** 2)",
        [(3, 4), (4, 2)],
    ),
    "conditional-item": (
        "def f(x):\n"
        "    return np.sum(np.stack([v if k > 0 else 2 * v for k, v in enumerate(x)]))",
        [(3, 2)],
    ),
    "vstack": (
        "def f(x):\n    return np.sum(np.vstack([x * i for i in range(1, 4)]) ** 2)",
        [(2,)],
    ),
}


@pytest.mark.parametrize("name", sorted(COMPREHENSIONS))
def test_a_comprehension_is_a_loop_appending_to_a_list(name):
    body, shapes = COMPREHENSIONS[name]
    _checked(MATH + body + "\n", _args(shapes))


def test_a_comprehension_reads_as_the_loop_it_stands_for():
    code = bpgen.generate(MATH + COMPREHENSIONS["stack"][0] + "\n", "f")
    assert "    items = []\n" in code and "    for x in xs:\n" in code
    assert "items_stacked = np.stack(items)" in code


def test_a_comprehension_variable_does_not_leak_into_the_function():
    # `x` is a parameter read after the comprehension: its loop variable is renamed
    code = bpgen.generate(MATH + COMPREHENSIONS["name-reused"][0] + "\n", "f")
    assert "for x2 in xs:" in code


# -- named lambdas ------------------------------------------------------------------

LAMBDAS = {
    "square": (
        "def f(x):\n    g = lambda t: t * t\n    return g(x) + g(2.0 * x)",
        [0.3],
    ),
    "leaky": (
        "def f(x):\n    act = lambda z: z if z > 0 else 0.1 * z\n"
        "    return act(x) * 3.0",
        [-0.3],
    ),
    "arrays": (
        "def f(x, w):\n    act = lambda z: np.maximum(z, 0.1 * z)\n"
        "    return np.sum(act(x @ w))",
        [(3, 4), (4, 2)],
    ),
}


@pytest.mark.parametrize("name", sorted(LAMBDAS))
def test_a_named_lambda_is_a_nested_def(name):
    body, shapes = LAMBDAS[name]
    _checked(MATH + body + "\n", _args(shapes))


def test_a_lambda_reading_a_local_is_refused_at_the_lambda():
    error = _refused(
        MATH + "def f(x, a):\n    b = a * 2\n    g = lambda t: t * b\n    return g(x)\n"
    )
    assert "reads `b`, a local of the enclosing function" in error.message
    assert (error.lineno, error.col_offset) == (8, 8)
    assert error.source_line == "    g = lambda t: t * b"


# -- what is not rewritten, and errors in rewritten code ----------------------------


@pytest.mark.parametrize(
    "body, where, words",
    [
        ("    y = 1.0; return x if x > y else y", (7, 20), "conditional expression"),
        ("    return np.sum(v * 2 for v in x)", (7, 18), "generator expression"),
        ("    h = g = lambda t: t\n    return x", (7, 12), "a lambda"),
    ],
    ids=["shared-line", "generator-elsewhere", "two-targets"],
)
def test_what_is_not_rewritten_is_refused_where_it_stands(body, where, words):
    error = _refused(MATH + "def f(x):\n" + body + "\n")
    assert words in error.message
    assert (error.lineno, error.col_offset) == where
    assert error.hint


@pytest.mark.parametrize(
    "body, where, line",
    [
        (
            "    y = x if x > 0 else math.fmod(x, 2.0)\n    return y",
            (7, 24),
            "    y = x if x > 0 else math.fmod(x, 2.0)",
        ),
        (
            "    return np.sum(np.stack([np.fmod(v, 2.0) for v in x]))",
            (7, 28),
            "    return np.sum(np.stack([np.fmod(v, 2.0) for v in x]))",
        ),
        (
            "    y = (x * 2.0\n         if x > 0\n         else math.fmod(x, 2.0))\n"
            "    return y",
            (9, 14),
            "         else math.fmod(x, 2.0))",
        ),
    ],
    ids=["arm", "comprehension-item", "lines"],
)
def test_an_error_in_rewritten_code_points_at_the_users_text(body, where, line):
    error = _refused(MATH + "def f(x):\n" + body + "\n")
    assert "fmod" in error.message
    assert (error.lineno, error.col_offset) == where
    assert error.source_line == line
    assert str(error).startswith(f"model.py:{where[0]}:{where[1] + 1}: error:")


def test_a_decorated_function_with_a_conditional_expression(tmp_path, monkeypatch):
    source = _src("""
        import bpgen


        @bpgen.differentiable
        def f(x, a):
            y = x * 2 if a > 0 else x * 3
            return np.sum(np.stack([t**2 for t in x]) * np.sum(y))
        """)
    (tmp_path / "ifexp_module.py").write_text(source)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("BPGEN_CACHE_DIR", str(tmp_path / "cache"))
    import ifexp_module

    x = np.arange(3.0)
    out, cache = ifexp_module.f.forward(x, 1.0)
    assert out == ifexp_module.f(x, 1.0) == 30.0
    # d/dx sum(x**2) * sum(2x) = 2x * sum(2x) + 2 * sum(x**2)
    np.testing.assert_allclose(ifexp_module.f.backward(1.0, cache)[0], [10, 22, 34])


# -- scipy.special ------------------------------------------------------------------

SCIPY = (
    "import numpy as np\nfrom scipy import special\n"
    "from scipy.special import expit\n\n\n"
)
SPECIAL = {
    "expit": ("def f(x, w):\n    return np.sum(expit(x @ w) * w[0])", [(3, 4), (4, 2)]),
    "logit": ("def f(p):\n    return np.sum(special.logit(p) ** 2)", ["p"]),
    "logsumexp": (
        "def f(x, y):\n"
        "    return np.sum(special.logsumexp(x, axis=1, keepdims=True) * y)",
        [(3, 4), (3, 1)],
    ),
    "softmax": (
        "def f(x, y):\n    return np.sum(special.softmax(x, axis=0) * y)",
        [(3, 4), (3, 4)],
    ),
    "log-softmax": (
        "def f(x, y):\n    return np.sum(special.log_softmax(x, axis=-1) * y)",
        [(3, 4), (4,)],
    ),
    "xlogy": ("def f(x, p):\n    return np.sum(special.xlogy(x, p))", [(3, 4), "p"]),
    "ndtr": ("def f(x):\n    return np.sum(special.ndtr(x) * x)", [(5,)]),
}


@pytest.mark.parametrize("name", sorted(SPECIAL))
def test_scipy_special_gates_keep_the_contract(name):
    body, shapes = SPECIAL[name]
    args = [
        RNG.uniform(0.1, 0.9, (3, 4)) if s == "p" else RNG.standard_normal(s)
        for s in shapes
    ]
    code = _checked(SCIPY + body + "\n", args)
    assert "import scipy.special" in code


@pytest.mark.parametrize(
    "call, words",
    [
        ("special.logsumexp(x, b=w)", "`b=`"),
        ("special.logsumexp(x, axis=1, return_sign=True)", "`return_sign=`"),
    ],
)
def test_logsumexp_weights_and_signs_are_refused(call, words):
    error = _refused(SCIPY + f"def f(x, w):\n    return np.sum({call})\n")
    assert words in error.message
    assert (error.lineno, error.col_offset) == (7, 18)


@pytest.mark.parametrize(
    "body, args, wrt",
    [
        (
            "def f(x, w, n: int):\n    s = 0.0\n    for i in range(n):\n"
            "        s = s + sum(v * i for v in w) * x\n    return s",
            [0.7, (3,), 3],
            ["x", "w"],
        ),
        (
            "def f(xs, n: int):\n    s = 0.0\n    for i in range(n):\n"
            "        s = s + np.sum(np.stack([x * i for x in xs]))\n    return s",
            [(2, 3), 3],
            ["xs"],
        ),
    ],
    ids=["generator", "list"],
)
def test_a_comprehension_inside_a_loop_is_a_list_made_each_iteration(body, args, wrt):
    # was refused (a list rebuilt in every iteration); tests/test_flow_comprehensions.py
    _checked(MATH + body + "\n", _args(args), wrt)


# -- the rewrite itself (bpgen/desugar.py), before and after --------------------------


def test_the_rewrite_before_and_after():
    from bpgen import desugar

    before = (
        "import numpy as np\n\n\ndef f(x, xs):\n"
        "    y = 2.0 * (x if x > 0 else -x)  # note\n"
        "    g = lambda t: t * t\n"
        "    return sum(g(v) for v in xs) + y\n"
    )
    after, linemap = desugar.rewrite(before)
    assert after == (
        "import numpy as np\n\n\ndef f(x, xs):\n"
        "    if x > 0:\n        picked = x\n    else:\n        picked = -x\n"
        "    y = 2.0 * (picked)  # note\n"
        "    def g(t):\n        return t * t\n"
        "    items = []\n    for v in xs:\n        items.append(g(v))\n"
        "    return sum(items) + y\n"
    )
    assert linemap is not None
    # `-x` (rewritten line 8, column 17) is the user's line 5, column 31
    assert linemap.where(8, 17) == (5, 31)
    # `g(v)` in the append (line 14, column 21) is the user's line 7, column 15
    assert linemap.where(14, 21) == (7, 15)
    assert linemap.where(2, 0) == (2, 0)  # lines before stay put
    assert desugar.rewrite("def f(x):\n    return x\n") == (
        "def f(x):\n    return x\n",
        None,
    )
