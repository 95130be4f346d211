"""User-declared gradients (`@bpgen.gradient_of`, issue 12 item 3): read from
the source text, a call to the target becomes a gate whose backward is the
declared expression; the generated module never imports bpgen."""

from __future__ import annotations

import math
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import bpgen
from bpgen.check import check_gradients
from bpgen.errors import BpgenError

pytest.importorskip("scipy")

ERF = textwrap.dedent("""\
    import math

    import numpy as np
    import scipy.special
    from scipy.special import erf as error_function

    import bpgen


    @bpgen.gradient_of(scipy.special.erf)
    def erf_grad(g, out, x):
        return g * 2 / math.sqrt(math.pi) * np.exp(-x * x)


    @bpgen.gradient_of(math.erf)
    def math_erf_grad(g, out, x):
        \"\"\"math.erf on floats.\"\"\"
        return g * 2 / math.sqrt(math.pi) * math.exp(-x * x)


    @bpgen.gradient_of(scipy.special.xlogy)
    def xlogy_grad(g, out, x, y):
        return g * np.log(y), g * x / y


    @bpgen.gradient_of(scipy.special.logsumexp)
    def logsumexp_grad(g, out, a, axis):
        return g * np.exp(a - out), None


    def gelu(x):
        return 0.5 * x * (1 + scipy.special.erf(x / math.sqrt(2)))


    def imported(x):
        return np.sum(error_function(x) * x)


    def scalar(x, y):
        return math.erf(x * y) + y


    def two_inputs(x, y):
        return np.sum(scipy.special.xlogy(x, y) * x)


    def keyword(x, y):
        return scipy.special.logsumexp(x * y, axis=0)


    def softmax_loss(x):
        return scipy.special.logsumexp(x, 0) - x[0]
    """)


def _arrays(*shapes):
    rng = np.random.default_rng(0)
    return [rng.uniform(0.2, 0.9, size=s) for s in shapes]


@pytest.mark.parametrize(
    "function, args",
    [
        ("gelu", _arrays((3, 4))),
        ("imported", _arrays((5,))),
        ("scalar", [0.3, -0.7]),
        ("two_inputs", _arrays((2, 3), (2, 3))),
        ("keyword", _arrays((4,), (4,))),
        ("softmax_loss", _arrays((6,))),
    ],
)
def test_declared_gradients_are_right(function: str, args: list) -> None:
    code = check_gradients(ERF, args, function)
    assert "bpgen" not in code.split("\n", 1)[1]


def test_the_generated_module_reads_well() -> None:
    code = bpgen.generate(ERF, "gelu")
    assert "import scipy.special\n" in code
    assert "t4 = 1 + scipy.special.erf(t2)" in code
    assert "2 / math.sqrt(math.pi) * np.exp(-t2 * t2)" in code


def test_math_erf_is_written_with_math_only() -> None:
    code = bpgen.generate(ERF, "scalar")
    assert "numpy" not in code and "math.exp(" in code


def test_an_input_without_gradient_is_not_differentiated() -> None:
    code = bpgen.generate(ERF, "softmax_loss")
    assert "scipy.special.logsumexp(x, 0)" in code
    bad = ERF + "\n\ndef bad(x):\n    return scipy.special.logsumexp(x, x[0])\n"
    with pytest.raises(BpgenError, match="`axis=` must be written as a literal"):
        bpgen.generate(bad, "bad")


def test_declarations_are_not_differentiated_themselves() -> None:
    from bpgen.generate import generate_module

    names = generate_module(ERF, None, None)
    assert "def erf_grad_forward" not in names and "def gelu_forward" in names


def test_through_the_decorator(tmp_path, monkeypatch) -> None:
    module = tmp_path / "erf_layer.py"
    module.write_text(
        ERF.replace("\ndef gelu(x):", "\n@bpgen.differentiable\ndef gelu(x):")
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("BPGEN_CACHE_DIR", str(tmp_path / "cache"))
    import importlib

    layer = importlib.import_module("erf_layer")
    x = _arrays((3,))[0]
    out, cache = layer.gelu.forward(x)
    (dx,) = layer.gelu.backward(np.ones_like(out), cache)
    h = 1e-6
    numeric = (layer.gelu(x + h) - layer.gelu(x - h)) / (2 * h)
    np.testing.assert_allclose(dx, numeric, rtol=1e-6)


def test_through_the_cli(tmp_path) -> None:
    source = tmp_path / "erf_layer.py"
    source.write_text(ERF)
    target = tmp_path / "erf_layer_bp.py"
    done = subprocess.run(
        [sys.executable, "-m", "bpgen", str(source), "-f", "gelu", "-o", str(target)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    namespace: dict = {}
    exec(target.read_text(), namespace)
    out, cache = namespace["gelu_forward"](0.5)
    (dx,) = namespace["gelu_backward"](1.0, cache)
    expected = 0.5 * (1 + math.erf(0.5 / math.sqrt(2))) + 0.5 * math.exp(-0.125) / (
        math.sqrt(2 * math.pi)
    )
    assert math.isclose(dx, expected, rel_tol=1e-12)


def test_an_unknown_call_offers_a_declaration_to_paste() -> None:
    source = (
        "import numpy as np\nfrom scipy.special import log_ndtr\n\n\n"
        "def f(x):\n    return log_ndtr(x) * x\n"
    )
    with pytest.raises(BpgenError) as info:
        bpgen.generate(source, "f")
    hint = info.value.hint
    assert "def log_ndtr_grad(g, out, x):" in hint
    pasted = textwrap.dedent(hint.partition(":\n")[2])
    pasted = pasted.replace(
        "dlog_ndtr_dx", "np.exp(-x * x / 2 - out) / np.sqrt(2 * np.pi)"
    )
    check_gradients(source + "\n\n" + pasted + "\n", _arrays((4,)), "f")


def test_the_declaration_offered_names_the_real_parameters() -> None:
    source = (
        "import scipy.special as sp\n\n\ndef f(x, y):\n    return sp.rel_entr(x, y)\n"
    )
    with pytest.raises(BpgenError) as info:
        bpgen.generate(source, "f")
    assert "@bpgen.gradient_of(sp.rel_entr)\n" in info.value.hint
    assert "def rel_entr_grad(g, out, x1, x2):" in info.value.hint


SOLVER = textwrap.dedent("""\
    import numpy as np

    import bpgen

    ITERATIONS = 60


    def sqrt_newton(a):
        \"\"\"An iterative solver: a loop, not differentiated.\"\"\"
        x = np.ones_like(a)
        for _ in range(ITERATIONS):
            x = half(x + a / x)
        return x


    def half(v):
        return 0.5 * v


    @bpgen.gradient_of(sqrt_newton)
    def sqrt_newton_grad(g, out, a):
        return g * 0.5 / out


    def f(a, b):
        return np.sum(sqrt_newton(a * b) * b)
    """)


def test_a_declared_function_of_the_module_is_copied_and_called() -> None:
    r = np.random.default_rng(0)
    args = [r.uniform(0.5, 2, size=(3, 4)), r.uniform(0.5, 2, size=4)]
    code = check_gradients(SOLVER, args, "f")
    assert "bpgen" not in code.split("\n", 1)[1]
    # the solver, what it calls and the constant it reads, as written
    assert "def sqrt_newton(a):\n" in code and "def half(v):\n" in code
    assert "ITERATIONS = 60\n" in code and "t2 = sqrt_newton(a * b)" in code
    assert "def sqrt_newton_forward" not in code


def test_the_solver_is_not_differentiated_in_all_functions_mode(tmp_path) -> None:
    source = tmp_path / "solver.py"
    source.write_text(SOLVER)
    done = subprocess.run(
        [sys.executable, "-m", "bpgen", str(source)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert "def f_backward(" in done.stdout and "def half_backward(" in done.stdout
    assert "def sqrt_newton_forward(" not in done.stdout


def test_a_gradient_may_call_library_functions() -> None:
    source = textwrap.dedent("""\
        import numpy as np
        import scipy.special as sp

        import bpgen


        @bpgen.gradient_of(sp.gammaln)
        def gammaln_grad(g, out, x):
            return g * sp.digamma(x)


        def f(x):
            return np.sum(sp.gammaln(x * x))
        """)
    x = np.random.default_rng(0).uniform(0.5, 2, size=(3, 4))
    code = check_gradients(source, [x], "f")
    assert "import scipy.special\n" in code
    assert "dt1 = dt2 * scipy.special.digamma(t1)" in code
