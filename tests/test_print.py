"""`print(...)` alone on its line stays in the generated forward (effects.py):
the forward prints what the user's function prints, the backward prints
nothing, and the gradients still check numerically."""

import textwrap
from pathlib import Path

import black
import numpy as np
import pytest

import bpgen
from bpgen.check import check_gradients, load
from bpgen.errors import UnsupportedError

rng = np.random.default_rng(3)

STRAIGHT = """
import numpy as np


def f(x, w):
    print(x.shape)
    h = x @ w
    print("h", h.shape, np.sum(h))
    h = h + 1
    print(f"loss {np.sum(h * h):.3f} {h.ndim!r} {{braces}}")
    print(x, sep="|", end="!\\n")
    print()
    return np.sum(h * h)
"""

RUNTIME_IF = """
import numpy as np


def f(x, w):
    h = x @ w
    if np.sum(h) > 0:
        print("pos", np.sum(h))
        h = h * 2
    else:
        print("neg")
    print(h.shape)
    return np.sum(h * h)
"""

RUNTIME_LOOP = """
import numpy as np


def f(h0, w, n: int):
    h = h0
    print("start", h.shape)
    for t in range(n):
        h = np.tanh(h @ w)
        print(t, f"{np.sum(h):.4f}")
    print("end")
    return np.sum(h)
"""

LOOP_AND_IF = """
import numpy as np


def f(x, n: int):
    acc = x
    for t in range(n):
        if np.sum(acc) > 0:
            print("pos", t)
            acc = acc * 0.5
        else:
            acc = acc + 1.0
        print(t)
    return np.sum(acc * acc)
"""

UNROLLED = """
def f(x):
    s = 0.0
    for i in range(3):
        s = s + x[i] * x[i]
        print(i, s)
    return s
"""

SCALARS = """
import math


def f(a, b):
    c = a * b
    print('it\\'s "c"', f'{c:.2f} said "hi" {{}}\\tok')
    d = math.sin(c)
    print(d)
    return d + a
"""

HELPER = """
import numpy as np


def act(z):
    print("act", z.shape)
    return np.maximum(z, 0.0)


def f(x, w):
    h = act(x @ w)
    x = x + 1
    print(x)
    return np.sum(h * x[:, :1])
"""


PROGRAMS = {
    "straight": STRAIGHT,
    "runtime_if": RUNTIME_IF,
    "runtime_loop": RUNTIME_LOOP,
    "loop_and_if": LOOP_AND_IF,
    "unrolled": UNROLLED,
    "scalars": SCALARS,
    "helper": HELPER,
}


def _matrices() -> list:
    return [rng.standard_normal((2, 3)), rng.standard_normal((3, 3))]


INPUTS = {
    "straight": _matrices,
    "runtime_if": _matrices,
    "runtime_loop": lambda: [
        rng.standard_normal((2, 3)),
        0.5 * rng.standard_normal((3, 3)),
        3,
    ],
    "loop_and_if": lambda: [rng.standard_normal(4), 4],
    "unrolled": lambda: [rng.standard_normal(3)],
    "scalars": lambda: [0.7, -1.3],
    "helper": _matrices,
}


def _printed(capsys, call) -> str:
    capsys.readouterr()
    call()
    return capsys.readouterr().out


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_the_forward_prints_what_the_function_prints(name, capsys):
    source = textwrap.dedent(PROGRAMS[name])
    code = bpgen.generate(source, "f")
    namespace: dict = {}
    exec(compile(source, "<forward>", "exec"), namespace)
    forward, backward = load(code, "f")
    args = INPUTS[name]()
    expected = _printed(capsys, lambda: namespace["f"](*args))
    assert expected  # each program prints something
    results = []
    assert _printed(capsys, lambda: results.append(forward(*args))) == expected
    out, cache = results[0]
    assert _printed(capsys, lambda: backward(np.ones_like(out), cache)) == ""


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_both_arms_print_as_the_user_wrote(sign, capsys):
    source = textwrap.dedent(RUNTIME_IF)
    namespace: dict = {}
    exec(compile(source, "<forward>", "exec"), namespace)
    forward, _ = load(bpgen.generate(source, "f"), "f")
    x = np.abs(rng.standard_normal((2, 3))) + 0.1
    w = sign * (np.abs(rng.standard_normal((3, 3))) + 0.1)
    expected = _printed(capsys, lambda: namespace["f"](x, w))
    assert expected.startswith("pos" if sign > 0 else "neg")
    assert _printed(capsys, lambda: forward(x, w)) == expected


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_gradients_still_check(name):
    source = textwrap.dedent(PROGRAMS[name])
    wrt = ["h0", "w"] if name == "runtime_loop" else None
    wrt = ["x"] if name == "loop_and_if" else wrt
    check_gradients(source, INPUTS[name](), "f", wrt=wrt)


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_output_is_black_stable_and_deterministic(name):
    source = textwrap.dedent(PROGRAMS[name])
    code = bpgen.generate(source, "f")
    assert black.format_str(code, mode=black.Mode()) == code
    assert bpgen.generate(source, "f") == code


def test_the_print_sits_where_the_user_wrote_it_and_reads_the_new_value():
    code = bpgen.generate(textwrap.dedent(STRAIGHT), "f")
    forward = code.split("def f_forward", 1)[1].split("\ndef ", 1)[0]
    backward = code.split("def f_backward", 1)[1]
    lines = [line.strip() for line in forward.splitlines()]
    assert lines.index("print(x.shape)") < lines.index("h = x @ w")
    assert 'print("h", h.shape, np.sum(h))' in lines
    assert lines.index("h_1 = h + 1") < lines.index(
        'print(f"loss {np.sum(h_1 * h_1):.3f} {h_1.ndim!r} {{braces}}")'
    )
    assert 'print(x, sep="|", end="!\\n")' in lines
    assert "print()" in lines
    assert not any(
        line.startswith(("printed", "t")) and "print(" in line for line in lines
    )
    assert "print" not in backward


def test_a_print_at_the_top_of_a_function_with_loops_stays_in_its_forward():
    code = bpgen.generate(textwrap.dedent(RUNTIME_LOOP), "f")
    forward = code.split("def f_forward", 1)[1].split("\ndef ", 1)[0]
    assert 'print("start", h.shape)' in forward
    assert 'print(t, f"{np.sum(h_1):.4f}")' in code  # in the loop body's part
    assert "print" not in code.split("def f_backward", 1)[1]


def _refusal(source: str) -> UnsupportedError:
    with pytest.raises(UnsupportedError) as caught:
        bpgen.generate(textwrap.dedent(source), "f")
    return caught.value


@pytest.mark.parametrize(
    "line",
    ["abs(x)", "np.sum(x)", "x.sum()", "logging.info(x)", "warnings.warn('w')"],
)
def test_other_unused_calls_stay_refused(line):
    source = f"""
    import logging
    import warnings

    import numpy as np


    def f(x):
        {line}
        return np.sum(x * x)
    """
    message = str(_refusal(source))
    assert ":9:5:" in message
    assert "whose result is not used" in message
    assert "print(...) alone on its line is kept" in message
    assert "remove the statement (print" not in message


def test_a_module_function_named_print_is_not_the_builtin():
    message = str(_refusal("""
            def print(v):
                return v


            def f(x):
                print(x)
                return x * x
            """))
    assert ":7:5:" in message and "whose result is not used" in message


@pytest.mark.parametrize(
    "inner, column",
    [('f"{x:{width}}"', 16), ('f"{x=}"', 13), ("f\"{x + len('ab')}\"", 14)],
)
def test_an_fstring_it_cannot_keep_is_refused_with_a_hint(inner, column):
    source = f"""
    def f(x, width: int):
        print({inner})
        return x * x
    """
    error = _refusal(source)
    assert f":3:{column}:" in str(error), str(error)
    assert 'print("loss", loss)' in str(error)


def test_starred_print_arguments_are_refused():
    error = _refusal("""
        def f(x):
            print(*[x, x])
            return x * x
        """)
    assert ":3:11:" in str(error) and "*args" in str(error)


def test_the_readme_says_prints_are_kept():
    readme = (Path(__file__).parent.parent / "README.md").read_text()
    accepts = readme.split("## What bpgen accepts", 1)[1].split("\n## ", 1)[0]
    assert "print(...)" in accepts and "stays in the generated forward" in accepts
