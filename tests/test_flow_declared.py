"""Declared shapes and leading asserts on the composed path (bpgen/flow/).

The composite forward checks the declared shapes once, with the
straight-line path's guard, so a wrong declaration is a ValueError and never
a wrong gradient; the parts are told the shapes and use them. Asserts on
parameters at the top stay the forward's first lines; any other is left
out, as on the straight-line path.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from oracle import check_oracles

import bpgen
from bpgen.check import check_gradients, load
from bpgen.errors import UsageError
from bpgen.generate import generate_module

RNN = """import numpy as np


def rnn(x, h0, Wx, Wh, b):
    N, T, D = x.shape
    h = h0
    hs = []
    for t in range(T):
        h = np.tanh(x[:, t, :] @ Wx + h @ Wh + b)
        hs.append(h)
    return np.stack(hs, axis=1)
"""

RNN_SHAPES = {"x": "N T D", "h0": "N H", "Wx": "D H", "Wh": "H H", "b": "H"}

RNN_ANNOTATED = """from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from jaxtyping import Float


def rnn(
    x: Float[np.ndarray, "N T D"],
    h0: Float[np.ndarray, "N H"],
    Wx: Float[np.ndarray, "D H"],
    Wh: Float[np.ndarray, "H H"],
    b: Float[np.ndarray, "H"],
):
    N, T, D = x.shape
    h = h0
    hs = []
    for t in range(T):
        h = np.tanh(x[:, t, :] @ Wx + h @ Wh + b)
        hs.append(h)
    return np.stack(hs, axis=1)
"""


def _rnn_args(n=2, t=3, d=4, h=5, seed=0):
    rng = np.random.default_rng(seed)
    return [
        rng.standard_normal((n, t, d)),
        rng.standard_normal((n, h)),
        rng.standard_normal((d, h)) * 0.5,
        rng.standard_normal((h, h)) * 0.5,
        rng.standard_normal(h),
    ]


def _function(code: str, name: str) -> str:
    """The text of one generated function."""
    start = code.index(f"def {name}(")
    end = code.find("\n\n\ndef ", start)
    return code[start:] if end < 0 else code[start:end]


# -- declared shapes ------------------------------------------------------------


def test_declared_shapes_are_checked_once_in_the_composite_forward():
    code = check_gradients(RNN, _rnn_args(), "rnn", shapes=RNN_SHAPES)
    forward = _function(code, "rnn_forward")
    body = forward.split('"""', 2)[2].lstrip("\n")
    assert body.startswith("    if (\n") and "_check_shapes(\n" in body
    assert code.count("_check_shapes(") == 2  # the call and the helper's def
    assert "_check_shapes" not in _function(code, "rnn_step_forward")


def test_a_wrong_declaration_is_a_value_error_not_a_wrong_gradient():
    code = bpgen.generate(RNN, "rnn", shapes=RNN_SHAPES)
    forward, _ = load(code, "rnn")
    x, h0, Wx, Wh, b = _rnn_args()
    forward(x, h0, Wx, Wh, b)  # as declared: runs
    # b of size 1 broadcasts in NumPy, but it is declared "H": refused at once
    with pytest.raises(ValueError, match=r"b has shape \(1,\), declared \(H\)"):
        forward(x, h0, Wx, Wh, b[:1])
    with pytest.raises(ValueError, match=r"x has shape \(2, 12\), declared"):
        forward(x.reshape(2, 12), h0, Wx, Wh, b)
    with pytest.raises(ValueError, match="Wh has shape"):
        forward(x, h0, Wx, Wh[:, :4], b)


def test_annotations_are_checked_once_and_the_gradients_are_right():
    code = check_oracles(RNN_ANNOTATED, _rnn_args(seed=1)).code
    assert code.count("_check_shapes(") == 2
    forward, _ = load(code, "rnn")
    x, h0, Wx, Wh, b = _rnn_args()
    with pytest.raises(ValueError, match="h0 has shape"):
        forward(x, h0[:1], Wx, Wh, b)


def test_the_parts_use_the_shapes_of_parameters_slices_and_carried_values():
    general = bpgen.generate(RNN, "rnn")
    declared = bpgen.generate(RNN, "rnn", shapes=RNN_SHAPES)
    step = _function(declared, "rnn_step_backward")
    # x[:, t, :] of "N T D" is "N D", and h is "N H" in every step (h0's
    # shape, which the step keeps): CS231n's rnn_step_backward
    assert step.split("\n", 2)[2] == (
        "    x_t, Wx, h, Wh, h_1 = cache\n"
        "    # h_1 = np.tanh(x_t @ Wx + h @ Wh + b)\n"
        "    dt4 = dout * (1 - h_1**2)\n"
        "    db = np.sum(dt4, axis=0)\n"
        "    dh = dt4 @ Wh.T\n"
        "    dWh = h.T @ dt4\n"
        "    dx_t = dt4 @ Wx.T\n"
        "    dWx = x_t.T @ dt4\n"
        "    return (dx_t, dWx, dh, dWh, db)"
    )
    assert "x_t.ndim" in _function(general, "rnn_step_backward")


def test_a_declared_size_taken_as_not_1_is_guarded_in_the_composite():
    """A part took the declared A for the size of `g * h` (h's first axis is
    not declared): a `g` of size 1 there is refused by the forward, as the
    straight-line path refuses it (without the guard the backward failed in
    `dg += dg_t` with NumPy's broadcasting error)."""
    source = """import numpy as np


def bn(g, b, W, x, n):
    s = 0.0
    for i in range(n):
        h = x.reshape(x.shape[0], -1) @ W
        s = s + np.sum((g * h + b) ** 2)
    return s
"""
    shapes = {"g": "A D", "b": "A D", "W": "K D"}
    rng = np.random.default_rng(0)
    W, x = rng.standard_normal((3, 5)), rng.standard_normal((4, 3))
    g, b = rng.standard_normal((4, 5)), rng.standard_normal((4, 5))
    code = check_gradients(source, [g, b, W, x, 2], "bn", shapes=shapes)
    forward, _ = load(code, "bn")
    with pytest.raises(ValueError, match="g has size 1 on axis 0, declared A"):
        forward(g[:1], b[:1], W, x, 2)


def test_a_number_declared_0_d_is_guarded_without_numpy():
    source = """def f(x, n):
    y = x
    i = 0
    while i < n:
        y = y * x + 1.0
        i += 1
    return y
"""
    code = check_gradients(source, [0.7, 3], "f", ["x"], shapes={"x": ""})
    assert '    if getattr(x, "ndim", 0):\n' in code
    assert "_check_shapes" not in code
    forward, _ = load(code, "f")
    with pytest.raises(ValueError, match="x: declared 0-d"):
        forward(np.ones(2), 3)


def test_an_array_declared_in_a_module_without_numpy_imports_it():
    source = """def f(x, n):
    y = x
    for i in range(n):
        y = y * x
    return y
"""
    code = check_gradients(
        source, [np.array([0.5, -0.7]), 3], "f", ["x"], shapes={"x": "D"}
    )
    assert "import numpy as np\n" in code
    forward, _ = load(code, "f")
    with pytest.raises(ValueError, match="x has shape"):
        forward(np.ones((2, 2)), 3)


def test_no_guards_leaves_the_check_out_but_keeps_the_shapes():
    options = bpgen.Options(guards=False)
    code = check_gradients(RNN, _rnn_args(), "rnn", shapes=RNN_SHAPES, options=options)
    assert "_check_shapes" not in code
    assert "dWx = x_t.T @ dt4" in code


def test_a_parameter_assigned_again_is_not_declared_to_the_parts():
    """`x = x * 2.0` in the loop: the part reads the new x, whose shape the
    declaration does not give (here it broadcasts to W's)."""
    source = """import numpy as np


def f(x, W, n):
    for i in range(n):
        x = np.tanh(x * W)
    return x
"""
    rng = np.random.default_rng(2)
    x, W = rng.standard_normal(3), rng.standard_normal((2, 3))
    check_gradients(source, [x, W, 2], "f", ["x", "W"], shapes={"x": "D"})


def test_shapes_for_a_composed_function_beside_a_plain_one():
    source = """import numpy as np


def g(a):
    return a * 2.0


def f(x, n):
    y = x
    for i in range(n):
        y = np.sin(y)
    return y
"""
    code = generate_module(source, shapes={"x": "D"})
    assert code is not None and "_check_shapes(x=(x, " in code
    with pytest.raises(UsageError, match="which no function here takes"):
        generate_module(source, shapes={"z": "D"})


def test_the_decorator_specialises_a_composed_function(tmp_path, monkeypatch):
    module = RNN.replace("import numpy as np\n", "import numpy as np\n\nimport bpgen")
    module = module.replace("def rnn(", "@bpgen.differentiable\ndef rnn(")
    (tmp_path / "flow_rnn_mod.py").write_text(module)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("BPGEN_CACHE_DIR", str(tmp_path / "cache"))
    sys.modules.pop("flow_rnn_mod", None)
    import flow_rnn_mod

    args = _rnn_args()
    out, cache = flow_rnn_mod.rnn.forward(*args)
    assert np.array_equal(out, flow_rnn_mod.rnn(*args))
    dout = np.random.default_rng(3).standard_normal(out.shape)
    grads = flow_rnn_mod.rnn.backward(dout, cache)
    namespace: dict = {}
    exec(flow_rnn_mod.rnn.source, namespace)  # the general code
    general = namespace["rnn_backward"](dout, namespace["rnn_forward"](*args)[1])
    for mine, expected in zip(grads, general, strict=True):
        assert np.allclose(mine, expected, rtol=1e-12, atol=1e-12)
    texts = [p.read_text() for p in Path(tmp_path / "cache").glob("rnn-*.py")]
    assert any("dWx = x_t.T @ dt1" in t for t in texts), texts


# -- asserts ----------------------------------------------------------------------

ASSERTS = """import numpy as np


def f(x, W, n):
    \"\"\"A docstring first.\"\"\"
    assert x.shape[1] == W.shape[0], "x and W do not fit"
    assert n > 0
    h = x * 2.0
    assert h.ndim == 2
    for i in range(n):
        assert i >= 0
        h = np.tanh(h @ W)
    return h
"""


def test_leading_asserts_on_parameters_are_the_forwards_first_lines():
    rng = np.random.default_rng(4)
    x, W = rng.standard_normal((2, 3)), rng.standard_normal((3, 3)) * 0.5
    code = check_oracles(ASSERTS, [x, W, 2], wrt=["x", "W"]).code
    forward = _function(code, "f_forward")
    lines = forward.splitlines()
    assert lines[2:4] == [
        '    assert x.shape[1] == W.shape[0], "x and W do not fit"',
        "    assert n > 0",
    ]
    assert code.count("assert ") == 2  # the others are left out, as -O does
    # a part no longer reads W or n for an assert it does not keep
    assert "def f_part_forward(x):" in code
    f, _ = load(code, "f")
    with pytest.raises(AssertionError, match="x and W do not fit"):
        f(x, W[:2], 2)
    with pytest.raises(AssertionError):
        f(x, W, 0)


def test_asserts_follow_the_shape_guard():
    code = bpgen.generate(ASSERTS, "f", ["x", "W"], shapes={"x": "N D", "W": "D D"})
    body = _function(code, "f_forward").split('"""', 2)[2].splitlines()
    guard_end = next(i for i, line in enumerate(body) if "_check_shapes(" in line)
    first_assert = next(i for i, line in enumerate(body) if "assert" in line)
    assert guard_end < first_assert


def test_an_assert_after_a_computation_or_on_a_local_is_left_out():
    source = """import numpy as np


def f(x, n):
    y = x * 1.0
    assert n > 0
    for i in range(n):
        y = np.sin(y)
    return y
"""
    code = check_gradients(source, [np.array([0.2, 0.4]), 2], "f", ["x"])
    assert "assert" not in code
    f, _ = load(code, "f")
    f(np.array([0.2]), 0)  # as `python -O` runs it


def test_an_assert_that_is_a_whole_loop_body_leaves_the_loop_empty():
    source = """import numpy as np


def f(x, n):
    y = np.sin(x)
    for i in range(n):
        assert i < n
    for i in range(n):
        y = y * x
    return y
"""
    check_oracles(source, [np.array([0.2, -0.4]), 2], wrt=["x"])


def test_a_parameter_called_len_keeps_shape_indexing():
    source = """import numpy as np


def f(x, w, len):
    y = x
    for i in range(len):
        y = np.sin(y * w[:, None])
    return y
"""
    rng = np.random.default_rng(5)
    args = [rng.standard_normal((2, 3)), rng.standard_normal(2), 2]
    shapes = {"x": "N D", "w": "N"}
    code = check_gradients(source, args, "f", ["x", "w"], shapes=shapes)
    assert "w.shape != (x.shape[0],)" in _function(code, "f_forward")
    plain = bpgen.generate(source.replace("len", "k"), "f", ["x", "w"], shapes=shapes)
    assert "w.shape != (len(x),)" in _function(plain, "f_forward")


@pytest.mark.parametrize("loop", [False, True])
def test_a_long_guard_of_numbers_is_split_as_black_splits_it(loop):
    """Four numbers declared 0-d: the `if` test is longer than a line; black
    was handed it without a body and bpgen failed with an internal error."""
    names = ["alpha_value", "beta_value", "gamma_value", "delta_value"]
    body = "    return alpha_value * beta_value + gamma_value * delta_value\n"
    if loop:
        body = (
            "    y = alpha_value\n    for i in range(3):\n"
            "        y = y * beta_value + gamma_value * delta_value\n    return y\n"
        )
    source = f"def f({', '.join(names)}):\n{body}"
    code = check_gradients(
        source, [0.3, 0.5, -0.2, 0.7], "f", shapes={n: "" for n in names}
    )
    forward, _ = load(code, "f")
    with pytest.raises(ValueError, match="declared 0-d"):
        forward(0.3, np.ones(2), -0.2, 0.7)


CHANGING = {
    "broadcast-up": (  # h0 "H", then (N, H): h's shape changes in step one
        """import numpy as np


def f(x, h0, W, n):
    h = h0
    for t in range(n):
        h = np.tanh(x @ W + h)
    return h
""",
        {"x": "N D", "h0": "H", "W": "D H"},
        [(3, 2), (4,), (2, 4), 2],
    ),
    "reduced": (  # (N, H), then (H,), then a number
        """import numpy as np


def f(h0, n):
    h = h0
    for t in range(n):
        h = np.sum(np.sin(h), axis=0)
    return h
""",
        {"h0": "N H"},
        [(3, 2), 2],
    ),
}


@pytest.mark.parametrize("name", sorted(CHANGING))
def test_a_carried_value_whose_shape_changes_gets_no_shape(name):
    source, shapes, spec = CHANGING[name]
    rng = np.random.default_rng(6)
    args = [rng.standard_normal(s) * 0.5 if isinstance(s, tuple) else s for s in spec]
    code = check_gradients(source, args, "f", shapes=shapes)
    step = _function(code, "f_step_backward")
    general = _function(bpgen.generate(source, "f"), "f_step_backward")
    # h's gradient is taken to h's own shape, whatever it is in that step
    assert "dh = _unbroadcast(dt2, np.shape(h))" in step or step == general


def test_a_value_made_before_the_loop_gets_the_shape_its_part_proves():
    source = """import numpy as np


def f(x, W, V, n):
    a = np.tanh(x @ W)
    s = 0.0
    for t in range(n):
        s = s + np.sum((a @ V) ** 2)
    return s
"""
    rng = np.random.default_rng(8)
    args = [
        rng.standard_normal((3, 2)),
        rng.standard_normal((2, 4)),
        rng.standard_normal((4, 5)),
        2,
    ]
    shapes = {"x": "N D", "W": "D H", "V": "H K"}
    code = check_gradients(source, args, "f", ["x", "W", "V"], shapes=shapes)
    step = _function(code, "f_step_backward")
    assert "da = dt1 @ V.T\n" in step and "dV = a.T @ dt1\n" in step, step
