"""Control flow: static loops unrolled, branches decided while reading.

Every gradient is checked numerically in float64; what is refused is refused
with a located error.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pytest

import bpgen
from bpgen.check import check_gradients
from bpgen.generate import default_wrt
from bpgen.options import Options

SAMPLES = Path(__file__).resolve().parent.parent / "samples"

SCALAR = {
    "iter_third_pow1": """
        def f(a):
            out = 1
            for i in range(3):
                out = out * a
            return out
    """,
    "iter_third_pow2": """
        def f(a):
            out = a
            for i in range(3 - 1):
                out = out * a
            return out
    """,
    "superfor_iterpower": """
        def f(a):
            for i in range(2):
                for j in range(3):
                    a = a * a
            return a
    """,
    "super_iterpower": """
        def f(a):
            for i in range(3):
                a = a * a * a
            return a
    """,
    "loop_variable_in_body": """
        def f(a, b):
            s = 0.0
            for k in range(1, 7, 2):
                s = s + k * a * b**k
            return s
    """,
    "accumulate": """
        def f(a, b):
            s = 0.0
            for k in range(4):
                s += a * b
                s *= b
            return s
    """,
    "static_if_first_iteration": """
        def f(x, w):
            for t in range(3):
                if t == 0:
                    s = x * w
                elif t == 1:
                    s = s + w
                else:
                    s = s * w + x
            return s
    """,
    "loop_over_tuple": """
        import math

        def f(a, b, c):
            s = 0.0
            for v in (a, b * c, c):
                s = s + math.sin(v) * v
            return s
    """,
    "static_if_returns": """
        DEPTH = 2

        def f(a):
            if 2 > 1:
                return a * a
            return a
    """,
}


@pytest.mark.parametrize("name", sorted(SCALAR))
def test_scalar_loops(name):
    source = textwrap.dedent(SCALAR[name])
    params = source.split("def f(")[1].split(")")[0].split(", ")
    args = [0.7 + 0.1 * i for i in range(len(params))]
    check_gradients(source, args, "f")


def test_rnn_over_three_steps_shares_weights():
    source = textwrap.dedent("""
        import numpy as np

        def rnn(x, h0, Wx, Wh, b):
            h = h0
            hs = 0.0
            for t in range(3):
                h = np.tanh(x[:, t, :] @ Wx + h @ Wh + b)
                hs = hs + h
            return np.sum(hs * hs)
        """)
    rng = np.random.default_rng(0)
    N, T, D, H = 2, 3, 4, 5
    args = [
        rng.standard_normal((N, T, D)),
        rng.standard_normal((N, H)),
        0.3 * rng.standard_normal((D, H)),
        0.3 * rng.standard_normal((H, H)),
        rng.standard_normal(H),
    ]
    check_gradients(source, args, "rnn")
    # the shared weights' gradient is accumulated over the three steps (with
    # one rank test per gradient: else each step's `if` has it in both arms)
    code = check_gradients(source, args, "rnn", options=Options(fastpath=False))
    backward = code.split("def rnn_backward")[1]
    assert backward.count("dWh +=") + backward.count("dWh = dWh +") == 2
    shaped = {"x": "N T D", "h0": "N H", "Wx": "D H", "Wh": "H H", "b": "H"}
    code = check_gradients(source, args, "rnn", shapes=shaped)
    assert "dt3 @ Wh.T" in code or "@ Wh.T" in code


def test_power_iteration_unrolled():
    source = textwrap.dedent("""
        import numpy as np

        def rayleigh(A, v):
            for _ in range(4):
                w = A @ v
                v = w / np.sqrt(np.sum(w * w))
            return v @ (A @ v)
        """)
    rng = np.random.default_rng(1)
    A = rng.standard_normal((4, 4))
    args = [A + A.T, rng.standard_normal(4)]
    check_gradients(source, args, "rayleigh")


def _refusal(source: str) -> bpgen.BpgenError:
    with pytest.raises(bpgen.BpgenError) as info:
        bpgen.generate(textwrap.dedent(source), "f", filename="m.py")
    return info.value


REFUSED = {
    "runtime_condition": (
        """
        def f(a):
            if a * 2.0:
                a = a * 3.0
            return a
        """,
        "a branch on a value being differentiated needs a comparison",
        3,
    ),
    "return_in_loop": (  # `return a` twice is an early exit: accepted
        """
        def f(a):
            for i in range(3):
                return a * 2.0
            return a + 1.0
        """,
        "`return` inside a loop",
        4,
    ),
    "loop_variable_assigned": (
        """
        def f(a):
            for i in range(3):
                i = a
            return a
        """,
        "loop variable `i` is assigned",
        4,
    ),
}


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_refusals_are_located(name):
    source, message, line = REFUSED[name]
    error = _refusal(source)
    assert message in str(error), str(error)
    assert error.lineno == line, (error.lineno, str(error))
    assert error.hint


def test_loop_variable_after_the_loop_is_its_last_value():
    source = textwrap.dedent("""
        def f(a):
            for i in range(3):
                a = a * 2.0
            return a * i
        """)
    code = check_gradients(source, [0.5], "f")
    assert "out = a_3 * 2\n" in code, code


# -- higher order: the generated backward is valid input --------------------------


def _gradient_program(code: str, name: str, params: str, result: str) -> str:
    """`name_forward`'s body then `name_backward`'s (dout = 1.0) as one function."""
    forward = code.split(f"def {name}_forward({params}):\n")[1].split("\n\n\n")[0]
    backward = code.split(f"def {name}_backward(dout, cache):\n")[1].split("\n\n\n")[0]
    lines = [line for line in forward.splitlines()[1:] if "return " not in line]
    lines.append("    dout = 1.0")
    lines += [line for line in backward.splitlines()[2:] if "return " not in line]
    header = "import math\n\n\n" if "math." in code else ""
    body = "\n".join(lines)
    # float parameters: the backward's `dv += ...` then updates a float, not an array
    floats = ", ".join(f"{p}: float" for p in params.split(", "))
    return f"{header}def grad({floats}):\n{body}\n    return {result}\n"


def test_second_order_of_the_staged_example():
    source = (SAMPLES / "staged.py").read_text()
    code = bpgen.generate(source, "f")
    gradient = _gradient_program(code, "f", "x, y", "dx")
    # the Hessian's first row, checked against differences of the gradient
    second = check_gradients(gradient, [0.3, -0.4], "grad")
    assert "def grad_backward(" in second


def test_second_order_through_an_unrolled_loop():
    source = (SAMPLES / "newton.py").read_text()
    code = bpgen.generate(source, "newton_sqrt")
    gradient = _gradient_program(code, "newton_sqrt", "a", "da")
    check_gradients(gradient, [2.3], "grad")


# -- branches decided at run time --------------------------------------------------

BRANCHES = {
    "overwrite_if": """
        def f(a):
            if a > 0:
                a = a * 3.0
            else:
                a = a * 2.0
            return a
    """,
    "nested_if": """
        def f(a):
            if a > 0:
                if a < 10:
                    a = a * a
            else:
                a = 3.0 * a
            return a
    """,
    "multiarg_if": """
        def f(a):
            if a * a / 3.0 > 0:
                b = 3.0
            else:
                b = 4.0
            a = a * b
            if a < b - a * b:
                a = a * a
            elif a > b + 3.0 * a:
                if a / 2.0 < 0:
                    a = a / b
                else:
                    a = a * b
            else:
                a = -a
            return a
    """,
    "one_arm_reads_another_input": """
        import math

        def f(a, b):
            s = a * 2.0
            if a > b:
                s = s * math.exp(b)
            return s * a
    """,
    "return_in_both_arms": """
        import math

        def f(a, b):
            t = a * b
            if t > 1.0:
                return math.log(t)
            else:
                return t - 1.0
    """,
    "cond_in_unrolled_loop": """
        def f(a):
            for i in range(3):
                if a < 20:
                    a = a * a
            return a
    """,
    "kept_in_one_arm_dead_after": """
        import math

        def f(a, b):
            if b > 0.093:
                if b > -0.272:
                    a = b + b
                else:
                    b = math.sin(b)
                    a = math.exp(-b * b)
                b = a * a
            else:
                b = math.exp(-b * b)
            return a * b
    """,
    "bool_op_condition": """
        def f(a, b):
            if a > 0 and b > 0:
                c = a * b
            else:
                c = a + b
            return c * c
    """,
}

POINTS = [(-1.3, 0.4), (0.6, 0.3), (1.7, -0.8), (4.2, 2.5), (-2.5, -0.7)]


@pytest.mark.parametrize("name", sorted(BRANCHES))
@pytest.mark.parametrize("point", range(len(POINTS)))
def test_scalar_branches(name, point):
    source = textwrap.dedent(BRANCHES[name])
    params = source.split("def f(")[1].split(")")[0].split(", ")
    check_gradients(source, list(POINTS[point][: len(params)]), "f")


def test_branch_reads_like_the_forward():
    code = bpgen.generate(textwrap.dedent(BRANCHES["overwrite_if"]), "f")
    backward = code.split("def f_backward")[1]
    assert "    if cond:\n        # " in backward and "    else:\n" in backward
    forward = code.split("def f_forward")[1].split("def f_backward")[0]
    assert "cond = a > 0\n    if cond:\n" in forward


def test_gradient_started_in_one_arm_is_zero_in_the_other():
    source = textwrap.dedent(BRANCHES["one_arm_reads_another_input"])
    code = check_gradients(source, [0.2, 0.9], "f")
    assert "db = 0.0" in code, code
    check_gradients(source, [0.9, 0.2], "f")


def test_array_branch_on_a_scalar_condition():
    source = textwrap.dedent("""
        import numpy as np

        def f(x, W, scale):
            h = x @ W
            if np.sum(h) > 0:
                h = np.tanh(h) * scale
            else:
                y = np.exp(h)
                h = y / np.sum(y)
            return np.sum(h * h)
        """)
    rng = np.random.default_rng(3)
    for seed in range(4):
        rng = np.random.default_rng(seed)
        args = [rng.standard_normal((3, 4)), rng.standard_normal((4, 2)), 1.5]
        check_gradients(source, args, "f")


def test_branch_on_a_flag_parameter():
    source = textwrap.dedent("""
        import numpy as np

        def f(x, w, train):
            if train:
                y = x * w
            else:
                y = x + w
            return np.sum(y * y)
        """)
    rng = np.random.default_rng(5)
    for train in (True, False):
        args = [rng.standard_normal(4), rng.standard_normal(4), train]
        check_gradients(source, args, "f", ["x", "w"])
        # a flag carries no gradient: left out of the default wrt
        check_gradients(source, args, "f")
    assert default_wrt(source, "f") == ["x", "w"]
    with pytest.raises(bpgen.BpgenError, match="`train`"):
        bpgen.generate(source, "f", ["x", "train"])


def test_return_in_one_branch_then_more_code():
    source = textwrap.dedent("""
        def f(a):
            if a > 0:
                return a * a
            a = a * 2.0
            return a * a * a
        """)
    for a in (0.7, -0.6):
        check_gradients(source, [a], "f")


def test_second_order_through_a_branch():
    source = textwrap.dedent(BRANCHES["overwrite_if"]).replace("(a)", "(a: float)", 1)
    code = bpgen.generate(source, "f")
    assert "def f_backward" in code
    # the generated forward+backward of a branch is itself accepted input
    gradient = _gradient_program(code, "f", "a", "da")
    for a in (-0.7, 0.9):
        check_gradients(gradient, [a], "grad")


# -- the README shows the samples beside what bpgen writes --------------------------


def _columns(block: str, width: int) -> tuple[str, str]:
    lines = block.splitlines()
    left = "\n".join(line[:width].rstrip() for line in lines)
    right = "\n".join(line[width:].strip() for line in lines)
    return left, right


def _in_order(column: str, text: str) -> bool:
    at = 0
    for line in column.splitlines():
        if not line.strip() or line.startswith("# ..."):
            continue
        at = text.find(line.strip(), at)
        if at < 0:
            return False
    return True


@pytest.mark.parametrize(
    "sample, generated, width",
    [("piecewise", "piecewise", 43), ("rnn3", "rnn3_shaped", 52)],
)
def test_readme_branches_and_loops(sample, generated, width):
    readme = (SAMPLES.parent / "README.md").read_text()
    section = readme[readme.index("## Branches and loops") :]
    marker = f"def {sample}("
    start = section.index("```python\n", section.index(marker) - 200)
    block = section[start + len("```python\n") : section.index("```", start + 10)]
    left, right = _columns(block, width)
    assert _in_order(left, (SAMPLES / f"{sample}.py").read_text()), left
    code = bpgen.generate((SAMPLES / f"{generated}.py").read_text(), sample)
    assert _in_order(right, code[code.index(f"def {sample}_backward") :]), right


def test_branch_around_softmax_and_centring():
    source = textwrap.dedent("""
        import numpy as np

        def f(x, g, normalise):
            if normalise:
                m = x - np.mean(x, axis=1, keepdims=True)
                v = np.var(x, axis=1, keepdims=True)
                y = m / np.sqrt(v + 1e-5) * g
            else:
                e = np.exp(x - np.max(x, axis=1, keepdims=True))
                y = e / np.sum(e, axis=1, keepdims=True) * g
            return y
        """)
    for normalise in (True, False):
        rng = np.random.default_rng(int(normalise))
        args = [rng.standard_normal((3, 4)), rng.standard_normal(4), normalise]
        check_gradients(source, args, "f", ["x", "g"])
        shapes = {"x": "N D", "g": "D", "normalise": ""}
        check_gradients(source, args, "f", ["x", "g"], shapes=shapes)


# -- random programs with branches, checked away from their switch points -----------

_OPS = [
    "{a} * {b}",
    "{a} + {b}",
    "{a} - {b}",
    "math.sin({a})",
    "{a} * {a}",
    "math.exp(-{a} * {a})",
]


def _random_branchy(rng: np.random.Generator) -> str:
    """f(a, b): assignments to a and b under ifs nested up to two deep; each
    condition's distance from its switch point is appended to `_margins`."""
    lines: list[str] = []

    def block(depth: int, indent: str) -> None:
        for _ in range(int(rng.integers(1, 3))):
            if depth < 2 and rng.random() < 0.5:
                left, bound = rng.choice(["a", "b"]), f"{rng.normal():.3f}"
                lines.append(f"{indent}_margins.append({left} - {bound})")
                lines.append(f"{indent}if {left} > {bound}:")
                block(depth + 1, indent + "    ")
                if rng.random() < 0.7:
                    lines.append(f"{indent}else:")
                    block(depth + 1, indent + "    ")
                continue
            op = _OPS[rng.integers(len(_OPS))]
            value = op.format(a=rng.choice(["a", "b"]), b=rng.choice(["a", "b"]))
            lines.append(f"{indent}{rng.choice(['a', 'b'])} = {value}")

    block(0, "    ")
    body = "\n".join(lines)
    return f"import math\n\n\ndef f(a, b, _margins):\n{body}\n    return a * b\n"


@pytest.mark.parametrize("seed", range(12))
def test_random_programs_with_branches(seed):
    rng = np.random.default_rng(seed)
    instrumented = _random_branchy(rng)
    source = instrumented.replace(", _margins)", ")")
    source = "\n".join(line for line in source.splitlines() if "_margins" not in line)
    scope: dict = {}
    exec(compile(instrumented, "<program>", "exec"), scope)
    checked = 0
    for _ in range(4):
        point = [float(v) for v in rng.normal(size=2) * 1.5]
        margins: list[float] = []
        scope["f"](*point, margins)
        if margins and min(abs(m) for m in margins) < 1e-2:
            continue  # too near a switch point for central differences
        check_gradients(source, point, "f")
        checked += 1
    assert checked, instrumented


def test_gradient_from_a_branch_never_shares_dout():
    source = textwrap.dedent("""
        import numpy as np

        def f(x, flag):
            if flag:
                y = x + 0.0
            else:
                y = np.zeros_like(x) + x * 2.0
            return y
        """)
    code = bpgen.generate(source, "f", ["x"])
    namespace: dict = {}
    exec(compile(code, "<generated>", "exec"), namespace)
    for flag in (True, False):
        x = np.arange(3.0)
        out, cache = namespace["f_forward"](x, flag)
        dout = np.ones(3)
        (dx,) = namespace["f_backward"](dout, cache)
        assert not np.shares_memory(dx, dout)
        np.testing.assert_allclose(dx, np.ones(3) * (1.0 if flag else 2.0))


EARLY_RETURN = """
import numpy as np


def f(x):
    y = x * 2
    if np.sum(y) > 1.0:
        t = y * y
        return np.sum(t)
    z = np.sin(y)
    return np.sum(z)
"""


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_an_early_return_takes_the_rest_as_its_else(sign):
    x = sign * (np.abs(np.random.default_rng(3).standard_normal(4)) + 0.5)
    code = check_gradients(EARLY_RETURN, [x])
    assert "else:" in code


ONE_ARM_RETURN_IN_ELIF = """
def f(x):
    if x > 1.0:
        y = x * 2
    elif x > 0.0:
        return x * x
    else:
        y = x
    return y * x
"""


def test_a_return_in_one_arm_of_an_elif_chain_stays_refused():
    with pytest.raises(bpgen.BpgenError, match="only one branch"):
        bpgen.generate(ONE_ARM_RETURN_IN_ELIF)


IS_NONE = """
import numpy as np


def loss(X, W1, b1, W2, b2, y=None, reg=0.0):
    hidden = np.maximum(0, X.dot(W1) + b1)
    scores = hidden.dot(W2) + b2
    if y is None:
        return scores
    N = X.shape[0]
    shifted = scores - np.max(scores, axis=1, keepdims=True)
    probs = np.exp(shifted) / np.sum(np.exp(shifted), axis=1, keepdims=True)
    data_loss = -np.sum(np.log(probs[np.arange(N), y])) / N
    return data_loss + 0.5 * reg * (np.sum(W1 * W1) + np.sum(W2 * W2))


def maybe_mask(x, mask=None):
    if mask is not None:
        x = x * mask
    return np.sum(x * x)
"""


@pytest.mark.parametrize("labelled", [True, False])
def test_a_branch_on_is_none_cs231n_loss(labelled):
    # CS231n's TwoLayerNet.loss(X, y=None): the scores without labels
    rng = np.random.default_rng(4)
    args = [
        rng.standard_normal((4, 5)),
        rng.standard_normal((5, 6)),
        rng.standard_normal(6),
        rng.standard_normal((6, 3)),
        rng.standard_normal(3),
    ]
    args += [np.array([0, 2, 1, 1]), 0.1] if labelled else [None, 0.0]
    code = check_gradients(IS_NONE, args, "loss", ["W1", "b1", "W2", "b2"])
    assert "y is None" in code


@pytest.mark.parametrize("mask", [np.array([1.0, 0.0, 2.0]), None])
def test_a_branch_on_is_not_none(mask):
    x = np.array([0.3, -1.2, 0.8])
    check_gradients(IS_NONE, [x, mask], "maybe_mask", ["x"])
