"""Straight-line code Tangent's suite writes that bpgen used to refuse
(issue 12): a closure-free nested `def` (staged like a helper), a dict of
differentiated values with literal keys (a named pack, also passed to a
helper), and a tuple of values picked at a computed position.

Every gradient is checked numerically in float64.
"""

from __future__ import annotations

import ast
import textwrap

import numpy as np
import pytest

import bpgen
from bpgen.check import check_gradients
from bpgen.errors import BpgenError


def _src(body: str) -> str:
    return "import numpy as np\n\n\n" + textwrap.dedent(body).lstrip()


def _refused(source: str, **kwargs) -> BpgenError:
    with pytest.raises(BpgenError) as info:
        bpgen.generate(source, filename="model.py", **kwargs)
    assert type(info.value).__name__ != "InternalError", str(info.value)
    return info.value


RNG = np.random.default_rng(12)

NESTED = _src("""
    def layer(x, w):
        def act(v):
            h = np.tanh(v)
            return h * h

        def twice(v):
            return act(v) * 2.0

        return np.sum(twice(x @ w)) + np.sum(act(w))
    """)


def test_nested_def_is_staged_like_a_helper():
    code = check_gradients(
        NESTED, [RNG.standard_normal((2, 3)), RNG.standard_normal((3, 3))]
    )
    assert "def act" not in code and "act_out" in code  # inlined, per call


def test_nested_def_in_a_static_loop():
    source = _src("""
        def iterpower(a):
            def _fn(a, n):
                return a * n

            for i in range(3):
                a = _fn(a, a)
            return a
        """)
    check_gradients(source, [0.9])


def test_nested_def_shadows_a_module_function():
    source = _src("""
        def act(v):
            return v * 100.0


        def f(x):
            def act(v):
                return np.sin(v)

            return np.sum(act(x))
        """)
    code = check_gradients(source, [RNG.standard_normal(4)], function="f")
    assert "np.sin" in code and "100.0" not in code


@pytest.mark.parametrize(
    ("body", "line", "words"),
    [
        (
            """
            def f(x):
                s = x * 2.0
                def g(t):
                    return t * s
                return g(x)
            """,
            6,
            "`g()` reads `s`, a local of the enclosing function",
        ),
        (
            """
            def f(x):
                y = x
                def g():
                    nonlocal y
                    y = y * 2
                    return y
                return g()
            """,
            6,
            "declares `nonlocal`",
        ),
        (
            """
            def f(x):
                return g(x)
                def g(t):
                    return t
            """,
            5,
            "`return` must be the last statement",
        ),
    ],
)
def test_nested_def_refusals_are_located(body, line, words):
    error = _refused(_src(body))
    assert error.lineno == line and words in error.message, str(error)


DICT = _src("""
    def saxpy(val):
        return val['a'] * val['b'] + val['c']


    def wrapper(a, b, c):
        return saxpy(dict(a=a, b=b, c=np.sin(c)))


    def literal(x, w):
        parts = {'h': x @ w, 'scale': 2.0}
        return np.sum(np.tanh(parts['h']) * parts['scale'])
    """)


@pytest.mark.parametrize("options", [{}, {"inline_helpers": True}])
def test_dict_of_values_passed_to_a_helper(options):
    opts = bpgen.Options(**options)
    check_gradients(DICT, [0.5, 0.6, 0.7], function="wrapper", options=opts)


def test_dict_literal_is_a_named_pack():
    code = check_gradients(
        DICT,
        [RNG.standard_normal((2, 3)), RNG.standard_normal((3, 4))],
        function="literal",
    )
    assert "parts" not in code  # the items themselves, no dict at run time


def test_dict_refusals_are_located():
    error = _refused(_src("def f(x, k):\n    d = {k: x}\n    return d[k]\n"))
    assert (error.lineno, error.col_offset) == (5, 9), str(error)
    assert "literal string keys" in error.message
    error = _refused(_src("def f(x):\n    d = dict(a=x)\n    return d['b']\n"))
    assert error.lineno == 6 and "no literal key 'b'" in error.message
    assert "'a'" in (error.hint or "")


PICK = _src("""
    def passthru_pack(a, b, c, i):
        x = a, b, c
        return x[i]


    def pick_row(w, v, k: int):
        rows = [w * 2.0, np.tanh(v), w * v]
        return np.sum(rows[k] ** 2)


    def pick_mixed(a, i: int):
        x = [1.0, a * a]
        return x[i] * a
    """)


@pytest.mark.parametrize("i", [0, 1, 2, -1])
def test_pack_at_a_computed_position(i):
    check_gradients(
        PICK, [0.7, 0.6, 0.5, i], function="passthru_pack", wrt=["a", "b", "c"]
    )
    w, v = RNG.standard_normal((2, 3)), RNG.standard_normal((2, 3))
    check_gradients(PICK, [w, v, i], function="pick_row", wrt=["w", "v"])
    if i < 2:
        check_gradients(PICK, [0.8, i], function="pick_mixed", wrt=["a"])


def test_pack_at_a_computed_position_gives_the_others_zero():
    namespace: dict = {}
    exec(bpgen.generate(PICK, function="passthru_pack", wrt=["a", "b", "c"]), namespace)
    out, cache = namespace["passthru_pack_forward"](0.7, 0.6, 0.5, 1)
    assert out == 0.6
    assert namespace["passthru_pack_backward"](1.0, cache) == (0.0, 1.0, 0.0)


def test_pack_sliced_at_a_computed_position_stays_refused():
    source = _src("def f(a, b, i):\n    x = a, b\n    y = x[i:]\n    return y[0]\n")
    error = _refused(source, wrt=["a", "b"])
    assert error.lineno == 6 and "computed position or a slice" in error.message


def test_scipy_special_erf_and_erfc_are_gates():
    source = (
        "import numpy as np\nimport scipy.special\nfrom scipy.special import erfc\n\n\n"
        "def f(x):\n    return np.sum(scipy.special.erf(x) * erfc(x * 0.5))\n"
    )
    code = check_gradients(source, [RNG.standard_normal((2, 3))])
    assert "scipy.special.erf(x)" in code and "import scipy.special" in code


CACHES = """
import numpy as np


def affine_forward(x, w, b):
    out = x @ w + b
    cache = (x, w, b)
    return out, cache


def relu_forward(a):
    out = np.maximum(a, 0)
    cache = a
    return out, cache


def affine_relu_forward(x, w, b):
    a, fc_cache = affine_forward(x, w, b)
    out, relu_cache = relu_forward(a)
    cache = (fc_cache, relu_cache)
    return out, cache


def loss(x, w, b):
    out, cache = affine_relu_forward(x, w, b)
    fcc, rc = cache
    xc, wc, bc = fcc
    fc, r = cache
    x0, w0, b0 = fc
    return np.sum(out ** 2) + np.sum(rc * w0[0, 0]) + np.sum(bc)
"""


@pytest.mark.parametrize("inline", [False, True])
def test_helpers_returning_a_cache_tuple(inline):
    """CS231n's `return out, cache` with `cache = (x, w, b)`, nested caches,
    and the caller unpacking them."""
    args = [RNG.standard_normal((2, 3)), RNG.standard_normal((3, 4))]
    args.append(RNG.standard_normal(4))
    options = bpgen.Options(inline_helpers=inline)
    check_gradients(CACHES, args, function="loss", options=options)


def test_a_returned_pack_of_the_differentiated_function_stays_refused():
    source = _src("def f(x):\n    cache = (x, x * 2.0)\n    return x * 3.0, cache\n")
    error = _refused(source)
    assert error.lineno == 6 and "can only be returned" in error.message


SIBLING = """\
import numpy as np

BASE = 1e-3
EPS = BASE * 0.01
SCALE = 2.0
"""

MODEL = """\
def norm(x, w):
    h = (x @ w) * SCALE
    return np.sum(h / np.sqrt(np.var(h) + EPS))
"""


def test_constants_of_a_module_next_to_the_input(tmp_path):
    (tmp_path / "consts.py").write_text(SIBLING)
    model = tmp_path / "model.py"
    model.write_text("import numpy as np\nfrom consts import EPS, SCALE\n\n\n" + MODEL)
    code = bpgen.generate(model.read_text(), "norm", filename=str(model))
    assert "BASE = 0.001\nEPS = BASE * 0.01" in code  # what EPS reads, first
    # the same code as with the constants written into the input module
    together = SIBLING + "\n\n" + MODEL
    alone = bpgen.generate(together, "norm")
    assert sorted(code.splitlines()[1:]) == sorted(alone.splitlines()[1:])
    args = [RNG.standard_normal((2, 3)), RNG.standard_normal((3, 2))]
    check_gradients(together, args, "norm")
    # edited: the new value is copied, not the one read before
    (tmp_path / "consts.py").write_text(SIBLING.replace("2.0", "3.0"))
    code = bpgen.generate(model.read_text(), "norm", filename=str(model))
    assert "SCALE = 3.0" in code


def test_a_sibling_constant_the_input_redefines_is_the_inputs(tmp_path):
    (tmp_path / "consts.py").write_text(SIBLING)
    model = tmp_path / "model.py"
    text = "import numpy as np\nfrom consts import EPS\n\nEPS = 0.5\n\n\n"
    model.write_text(text + "def f(x):\n    return np.sum(x * EPS)\n")
    code = bpgen.generate(model.read_text(), "f", filename=str(model))
    assert "EPS = 0.5" in code and "BASE" not in code


EIGH = _src("""
    def top(a, x):
        s = a @ a.T
        w, v = np.linalg.eigh(s)
        return np.sum((v.T @ x) ** 2 * w[:, None])


    def batch(a):
        w, v = np.linalg.eigh(a + np.swapaxes(a, -1, -2))
        return np.sum(v[..., 0] ** 2 * np.arange(3.0)) + np.sum(w**3)


    def lower_only(a):
        w, v = np.linalg.eigh(a)
        return np.sum(np.abs(v[:, -1]) * np.arange(3.0)) + w[0]
    """)


def test_eigh_eigenvectors():
    """Sign-invariant uses of the eigenvectors (distinct eigenvalues); NumPy
    reads the lower triangle only, so a non-symmetric matrix is fine too."""
    r = np.random.default_rng(1)
    check_gradients(EIGH, [r.standard_normal((3, 3)), r.standard_normal((3, 2))], "top")
    check_gradients(EIGH, [r.standard_normal((2, 3, 3))], "batch")
    check_gradients(EIGH, [r.standard_normal((3, 3))], "lower_only")


def test_eigh_keeps_float32():
    namespace: dict = {}
    exec(bpgen.generate(EIGH, "batch"), namespace)
    a = np.random.default_rng(2).standard_normal((2, 3, 3)).astype(np.float32)
    out, cache = namespace["batch_forward"](a)
    (da,) = namespace["batch_backward"](np.float32(1.0), cache)
    assert da.dtype == np.float32 and da.shape == a.shape


def test_builtin_sum_of_listed_values():
    source = _src("""
        def f(x, w):
            losses = [np.sum(x * w), np.sum(w**2) * 0.5]
            return sum(losses) + sum((x[0, 0], 1.0))
        """)
    code = check_gradients(source, [RNG.standard_normal((2, 2))] * 2)
    calls = [n.func for n in ast.walk(ast.parse(code)) if isinstance(n, ast.Call)]
    assert not any(isinstance(f, ast.Name) and f.id == "sum" for f in calls)  # a + b
    error = _refused(_src("def f(x):\n    return sum(x)\n"))  # an array: unknown
    assert error.lineno == 5 and "sum" in error.message


def test_dict_written_at_literal_keys():
    source = _src("""
        def f(x, w):
            grads = {}
            grads['h'] = x @ w
            grads['h'] = np.tanh(grads['h'])
            grads['n'] = 2.0
            cfg = {'eps': 1e-5}
            return np.sum(grads['h'] * grads['n']) + cfg['eps']
        """)
    check_gradients(source, [RNG.standard_normal((2, 2)), RNG.standard_normal((2, 2))])
    error = _refused(_src("def f(x, k):\n    d = {}\n    d[k] = x\n    return x\n"))
    assert (error.lineno, error.col_offset) == (6, 4)
    assert "literal string key" in error.message


def test_scipy_special_gammaln_and_digamma():
    source = (
        "import numpy as np\nimport scipy.special as sp\n\n\n"
        "def f(x):\n"
        "    return np.sum(sp.gammaln(x) * sp.digamma(x) + sp.psi(x * 2.0))\n"
    )
    code = check_gradients(source, [RNG.random((2, 3)) + 0.5])
    assert "scipy.special.polygamma(1, " in code


@pytest.mark.parametrize(
    "loop, args",
    [("for i in range(n):", [0.7, 3]), ("while a < n:", [1.1, 3.0])],
    ids=["range(n)", "while"],
)
def test_nested_def_in_a_function_with_a_run_time_loop(loop, args):
    """Tangent's iterpower_with_nested_def: flow.py composes the loop from the
    function's text; the closure-free nested def is a helper of every part."""
    source = _src(f"""
        def f(a, n):
            def _fn(a, n):
                return a * n

            {loop}
                a = _fn(a, a)
            return a
        """)
    code = check_gradients(source, args)
    assert "def _fn_backward" in code


def test_a_closure_in_a_function_with_a_run_time_loop_is_located():
    source = _src("""
        def f(a, n):
            k = 2.0

            def _fn(a):
                return a * k

            for i in range(n):
                a = _fn(a)
            return a
        """)
    error = _refused(source)
    assert (error.lineno, error.col_offset) == (7, 4), str(error)
    assert "reads `k`" in str(error) and "parameter" in (error.hint or "")


def test_dict_get_reads_the_item_itself():
    """`d.get('a')` on a dict of values is the item, with its gradient (not
    a call that would drop it)."""
    source = _src("""
        def f(x):
            d = {'a': x}
            return np.sum(d.get('a') * x) + d.get('b', 2.0)
        """)
    code = check_gradients(source, [RNG.standard_normal(3)])
    assert ".get(" not in code
    error = _refused(_src("def f(x):\n    d = {'a': x}\n    return np.sum(d.keys())\n"))
    assert error.lineno == 6 and "only by a literal key" in error.message
    error = _refused(_src("def f(x):\n    d = {'a': x}\n    return d\n"))
    assert error.lineno == 6 and "item by item" in error.message
