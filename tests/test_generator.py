"""The core generator: the seed's staged example, naming, fan-out, fusion."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from cases import SAMPLES

import bpgen
from bpgen.check import check_gradients, load


def backward_body(code: str, name: str = "f") -> list[str]:
    body = code.split(f"def {name}_backward")[1].splitlines()[1:]
    return [line.strip() for line in body if line.strip()]


def seed_backward(x: float, y: float) -> tuple[float, float]:
    """The seed's hand-written backward pass, verbatim."""
    sigy = 1.0 / (1 + math.exp(-y))
    num = x + sigy
    sigx = 1.0 / (1 + math.exp(-x))
    xpy = x + y
    xpysqr = xpy**2
    den = sigx + xpysqr
    invden = 1.0 / den
    dnum = invden
    dinvden = num
    dden = (-1.0 / (den**2)) * dinvden
    dsigx = (1) * dden
    dxpysqr = (1) * dden
    dxpy = (2 * xpy) * dxpysqr
    dx = (1) * dxpy
    dy = (1) * dxpy
    dx += ((1 - sigx) * sigx) * dsigx
    dx += (1) * dnum
    dsigy = (1) * dnum
    dy += ((1 - sigy) * sigy) * dsigy
    return dx, dy


def test_staged_example_reads_like_the_seed():
    code = bpgen.generate((SAMPLES / "staged.py").read_text())
    body = backward_body(code)
    statements = [s for s in body if not s.startswith(("#", '"""', "return"))]
    unpack, *work = statements
    assert unpack.endswith("= cache")
    assert len(work) <= 12
    assert not any(re.search(r"\(1\) \*|\b1\.0 \*|\* 1\b", s) for s in work)
    assert any(s.startswith("dx += ") for s in work)
    assert any(s.startswith("dy += ") for s in work)
    assert "import numpy" not in code
    # reverse order: the last forward stage is undone first
    comments = [s for s in body if s.startswith("#")]
    assert comments[0] == "# f = num * invden"


def test_staged_example_matches_the_seed_at_3_minus_4():
    code = bpgen.generate((SAMPLES / "staged.py").read_text())
    forward, backward = load(code, "f")
    out, cache = forward(3.0, -4.0)
    dx, dy = backward(1.0, cache)
    assert (dx, dy) == pytest.approx(seed_backward(3.0, -4.0), rel=1e-14)


def test_output_is_deterministic():
    source = (SAMPLES / "two_layer_net.py").read_text()
    assert bpgen.generate(source) == bpgen.generate(source)


def test_cache_holds_only_what_backward_reads():
    code = bpgen.generate(
        "def f(x: float, y: float):\n    a = x + y\n    b = a * 3.0\n    return b\n"
    )
    assert "return b, ()" in code


def test_fan_out_accumulates_with_plus_equals():
    code = bpgen.generate(
        "def f(x: float):\n    a = x * x\n    b = a + x\n    return b * x\n"
    )
    assert sum(s.startswith("dx += ") for s in backward_body(code)) == 2
    check_gradients(
        "def f(x: float):\n    a = x * x\n    b = a + x\n    return b * x\n", [1.3]
    )


def test_user_names_are_kept_and_collisions_avoided():
    source = (
        "def f(x, dx):\n    dout = x * dx\n    cache = dout + x\n    return cache\n"
    )
    code = bpgen.generate(source)
    check_gradients(source, [1.5, -0.5])
    assert "def f_backward(" in code and "dout = x * dx" in code
    forward, backward = load(code, "f")
    out, saved = forward(1.5, -0.5)
    grads = backward(1.0, saved)
    assert grads == pytest.approx((-0.5 + 1.0, 1.5))


def test_reassignment_is_versioned_not_overwritten():
    source = (
        "import math\n\ndef f(x):\n"
        "    h = x * 2.0\n    h = math.sin(h)\n    h += x\n    return h\n"
    )
    code = bpgen.generate(source)
    assert "h_1 = math.sin(h)" in code and "h_2 = h_1 + x" in code
    check_gradients(source, [0.7])


def test_temporaries_are_numbered_in_order():
    code = bpgen.generate("def f(x, y):\n    return (x + y) * (x - y)\n")
    assert "t1 = x + y" in code and "t2 = x - y" in code and "out = t1 * t2" in code


def test_unreached_input_gets_zero_gradient():
    source = "def f(x: float, y: float):\n    return x * 2.0\n"
    forward, backward = load(bpgen.generate(source), "f")
    out, cache = forward(1.0, 2.0)
    assert backward(1.0, cache) == (2.0, 0.0)


def test_max_of_a_value_with_itself_has_derivative_one():
    forward, backward = load(bpgen.generate("def f(x):\n    return max(x, x)\n"), "f")
    assert backward(1.0, forward(2.0)[1]) == (1.0,)
    forward, backward = load(
        bpgen.generate("def f(x, y):\n    return min(x, y)\n"), "f"
    )
    assert backward(1.0, forward(2.0, 2.0)[1]) == (1.0, 0.0)


def test_tuple_assignment_and_tuple_return():
    source = (
        "def f(x, y):\n    a, b = x * y, x - y\n    a, b = b, a\n    return a, b * b\n"
    )
    check_gradients(source, [1.2, -0.7])
    code = bpgen.generate(source)
    forward, _ = load(code, "f")
    assert forward(1.2, -0.7)[0] == (1.2 - -0.7, (1.2 * -0.7) ** 2)


@pytest.mark.parametrize(
    "spelling",
    [
        "import math\n\ndef f(z):\n    return 1 / (1 + math.exp(-z))\n",
        "import math\n\ndef f(z):\n    return 1.0 / (math.exp(-z) + 1.0)\n",
        "from math import exp\n\ndef f(z):\n    return 1 / (1 + exp(-z))\n",
        "import math as m\n\ndef f(z):\n    return 1 / (1 + m.exp(-z))\n",
        "from math import exp as e\n\ndef f(z):\n    return 1 / (1 + e(-z))\n",
        "import numpy\n\ndef f(z):\n    return 1 / (1 + numpy.exp(-z))\n",
        "from numpy import exp\n\ndef f(z):\n    return 1 / (1 + exp(-z))\n",
    ],
)
def test_sigmoid_is_one_gate_in_any_spelling(spelling):
    code = bpgen.generate(spelling)
    assert "(1 - out) * out" in code
    check_gradients(spelling, [0.3])


def test_imports_are_resolved_by_qualified_name():
    source = (
        "from math import sin as s, cos\nimport math as m\n\n"
        "def f(x):\n    return s(x) * cos(x) + m.exp(x)\n"
    )
    code = bpgen.generate(source)
    assert "math.sin(x)" in code and "import math\n" in code
    check_gradients(source, [0.4])


def test_module_constants_are_copied():
    source = (
        "import math\n\nSCALE = 2.0\nSHIFT = SCALE * math.pi\n\n"
        "def f(x):\n    return x * SCALE + SHIFT\n"
    )
    code = bpgen.generate(source)
    assert "SCALE = 2.0" in code and "SHIFT = SCALE * math.pi" in code
    check_gradients(source, [0.4])


def test_module_alias_avoids_user_names():
    source = "import numpy\n\ndef f(np, x):\n    return numpy.exp(np) * x\n"
    code = bpgen.generate(source)
    check_gradients(source, [np.array([0.1, 0.2]), np.array([1.0, 2.0])])
    assert "import numpy\n" in code or "import numpy as" in code


def test_generic_functions_accept_arrays_and_floats():
    source = (SAMPLES / "circuit.py").read_text()
    check_gradients(source, [-2.0, 5.0, -4.0])
    check_gradients(source, [np.ones((3, 1)), np.arange(4.0), np.full((3, 4), 2.0)])


def test_switches_change_the_code_not_the_gradients():
    source = (SAMPLES / "staged.py").read_text()
    plain = bpgen.generate(source, options=bpgen.Options(simplify=False, fusion=False))
    assert plain != bpgen.generate(source)
    check_gradients(
        source, [3.0, -4.0], options=bpgen.Options(simplify=False, fusion=False)
    )


# not affine: its `.dot` with a weight of unseen rank is one line longer than
# 88 columns (the 2-D product first, a tensordot for other ranks): black wraps it
@pytest.mark.parametrize("sample", ["staged", "svm_loss", "batchnorm", "neuron"])
def test_emitted_text_is_already_blacks(sample, monkeypatch):
    """bpgen writes black's spelling (`x**2`, `dc[: n]`, blank lines), so black
    need not run at all; tests/test_spell.py checks the text is black's."""
    from bpgen import emit

    seen = []
    real = emit.black_format
    monkeypatch.setattr(
        emit, "black_format", lambda text: seen.append(text) or real(text)
    )
    code = bpgen.generate((SAMPLES / f"{sample}.py").read_text())
    assert seen == []
    assert real(code) == code


def test_concurrent_calls_leave_the_interpreter_as_found() -> None:
    """Recursion limit and gc are the process's: threads must not strand them."""
    import gc
    import sys
    import threading

    source = "import math\n\n\ndef f(x, y):\n    return math.exp(x * y) + x\n"
    limit, collecting = sys.getrecursionlimit(), gc.isenabled()
    seen: list[tuple[int, bool]] = []
    start = threading.Barrier(4)

    def work() -> None:
        start.wait()
        for _ in range(10):
            bpgen.generate(source)
            seen.append((sys.getrecursionlimit(), gc.isenabled()))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(seen) == 40
    assert (sys.getrecursionlimit(), gc.isenabled()) == (limit, collecting)
