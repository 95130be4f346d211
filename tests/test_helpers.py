"""Calls to functions of the same module (issue 12, item 2): the helper's body
is staged at each call, so each call keeps its own intermediates, activity
flows through it, and recursion is a located error.
"""

from __future__ import annotations

import sys
import textwrap

import numpy as np
import pytest

import bpgen
from bpgen.check import check_gradients
from bpgen.errors import BpgenError

INLINE = bpgen.Options(inline_helpers=True)  # the fastest code: helpers inlined

LAYERS = textwrap.dedent("""\
    import numpy as np


    def affine_forward(x, w, b):
        out = x.reshape(x.shape[0], -1).dot(w) + b
        return out


    def relu_forward(x):
        return np.maximum(0, x)


    def affine_relu_forward(x, w, b):
        a = affine_forward(x, w, b)
        return relu_forward(a)


    def two_layer(x, w1, b1, w2, b2):
        h = affine_relu_forward(x, w1, b1)
        return affine_forward(h, w2, b2)


    def pair(x, y):
        return x * y, x + y


    def uses_pair(x, y):
        a, b = pair(x, y)
        c, d = pair(a, b)
        return c * d


    def returns_pair(x, y):
        return pair(y, x)


    def scaled(x, p, k=2):
        return x * p.get("scale", 2.0) + k


    def uses_dict(x, p):
        return scaled(x, p) + scaled(x * x, p, k=3)


    def first(x, n):
        return x[:n] * 3.0


    def uses_int(x):
        return first(x, 2).sum()


    def rec(x):
        return twice(x)


    def twice(x):
        return rec(x) * 2.0
    """)


def rng() -> np.random.Generator:
    return np.random.default_rng(0)


def test_helpers_calling_helpers() -> None:
    r = rng()
    args = [r.normal(size=(4, 3, 2)), r.normal(size=(6, 5)), r.normal(size=5)]
    args += [r.normal(size=(5, 3)), r.normal(size=3)]
    check_gradients(LAYERS, args, "two_layer", options=INLINE)


def test_each_call_keeps_its_own_intermediates() -> None:
    code = bpgen.generate(LAYERS, "two_layer", options=INLINE)
    forward = code[
        code.index("def two_layer_forward(") : code.index("def two_layer_backward(")
    ]
    # affine_forward staged twice: two reshapes, two products, each cached apart
    assert forward.count(".reshape(") == 2
    assert "t1.dot(w1)" in forward and "t3.dot(w2)" in forward
    assert "np.maximum(0, out)" in forward


def test_helpers_returning_tuples() -> None:
    r = rng()
    check_gradients(
        LAYERS, [r.normal(size=3), r.normal(size=3)], "uses_pair", options=INLINE
    )
    code = bpgen.generate(LAYERS, "returns_pair", options=INLINE)
    assert "return (out, out_1), " in code or "return (t1, t2), " in code, code
    check_gradients(
        LAYERS, [r.normal(size=3), r.normal(size=3)], "returns_pair", options=INLINE
    )


def test_dict_and_int_parameters_carry_no_gradient() -> None:
    r = rng()
    check_gradients(
        LAYERS, [r.normal(size=3), {"scale": 1.5}], "uses_dict", options=INLINE
    )
    # _unbroadcast and _like too
    assert bpgen.generate(LAYERS, "uses_dict", options=INLINE).count("def ") == 4
    check_gradients(LAYERS, [r.normal(size=4)], "uses_int", options=INLINE)


def test_activity_flows_through_the_call() -> None:
    r = rng()
    args = [r.normal(size=(4, 6)), r.normal(size=(6, 5)), r.normal(size=5)]
    check_gradients(LAYERS, args, "affine_relu_forward", ["w"], options=INLINE)
    code = bpgen.generate(LAYERS, "affine_relu_forward", ["w"], options=INLINE)
    assert "dx" not in code and "db" not in code


def test_recursion_through_helpers_is_located() -> None:
    with pytest.raises(BpgenError) as info:
        bpgen.generate(LAYERS, "rec", filename="layers.py")
    error = info.value
    line = LAYERS.splitlines().index("    return rec(x) * 2.0") + 1
    assert (error.lineno, error.col_offset) == (line, 11)
    assert "`rec()` is called recursively (rec -> twice -> rec)" in error.message


def test_a_missing_argument_is_located() -> None:
    source = LAYERS + "\n\ndef bad(x):\n    return relu_forward()\n"
    with pytest.raises(BpgenError) as info:
        bpgen.generate(source, "bad", filename="layers.py")
    assert info.value.lineno == source.count("\n")
    assert "missing argument `x`" in info.value.message


def test_a_helper_called_by_a_module_constant_is_located() -> None:
    source = (
        "def g(t):\n    return t * 2.0\n\n\nC = g(3.0)\n\n\n"
        "def f(x):\n    return x * C\n"
    )
    with pytest.raises(BpgenError) as info:
        bpgen.generate(source, "f", filename="m.py")
    assert (info.value.lineno, info.value.col_offset) == (5, 4)
    assert "not in module constants" in info.value.message


# -- Options(inline_helpers=False): CS231n's <g>_forward/<g>_backward pairs ----

PAIRS = bpgen.Options(inline_helpers=False)  # the default, said outright


@pytest.mark.parametrize(
    "function, shapes, wrt",
    [
        ("two_layer", [(4, 3, 2), (6, 5), (5,), (5, 3), (3,)], None),
        ("affine_relu_forward", [(4, 6), (6, 5), (5,)], ["w"]),
        ("uses_pair", [(3,), (3,)], None),
        ("returns_pair", [(3,), (3,)], None),
        ("uses_int", [(4,)], None),
    ],
)
def test_pairs_give_the_same_gradients(function, shapes, wrt) -> None:
    r = rng()
    args = [r.normal(size=s) for s in shapes]
    check_gradients(LAYERS, args, function, wrt, options=PAIRS)


def test_pairs_with_a_dict_parameter() -> None:
    check_gradients(
        LAYERS, [rng().normal(size=3), {"scale": 1.5}], "uses_dict", options=PAIRS
    )


def test_pairs_read_like_layer_utils() -> None:
    code = bpgen.generate(LAYERS, "affine_relu_forward", options=PAIRS)
    # each helper once, as its own pair; the caller keeps each call's cache
    assert code.count("def affine_forward_forward(") == 1
    assert code.count("def relu_forward_backward(") == 1
    assert "affine_forward_pair = affine_forward_forward(x, w, b)" in code
    assert "dx, dw, db = affine_forward_backward(" in code
    backward = code[code.index("def affine_relu_forward_backward(") :]
    assert "affine_forward_pair, relu_forward_pair = cache" in backward


def test_pairs_compute_what_the_caller_needs() -> None:
    code = bpgen.generate(LAYERS, "affine_relu_forward", ["w"], options=PAIRS)
    backward = code[code.index("def affine_relu_forward_backward(") :]
    assert "dw = affine_forward_backward(daffine_forward_out" in backward
    helper = code[code.index("def affine_forward_backward(") :]
    assert '"""Gradients of affine_forward with respect to w."""' in helper


def test_a_pair_grows_to_what_every_caller_needs() -> None:
    from bpgen.generate import generate_module

    source = (
        "import numpy as np\n\n\ndef lin(x, w):\n    return x * w\n\n\n"
        "def first(x):\n    return np.sum(lin(x, 3.0))\n\n\n"
        "def second(x, w):\n    return np.sum(lin(x, w) * w)\n"
    )
    code = generate_module(source, ["first", "second"], options=PAIRS)
    assert code is not None and code.count("def lin_backward(") == 1
    assert '"""Gradients of lin with respect to x, w."""' in code
    namespace: dict = {}
    exec(code, namespace)
    x, w, h = np.array([0.5, -1.0]), np.array([2.0, 0.3]), 1e-6
    _, cache = namespace["second_forward"](x, w)
    dx, dw = namespace["second_backward"](1.0, cache)
    np.testing.assert_allclose(dx, w * w)
    np.testing.assert_allclose(dw, 2 * x * w)
    _, cache = namespace["first_forward"](x)
    (dx,) = namespace["first_backward"](1.0, cache)
    np.testing.assert_allclose(dx, np.full(2, 3.0), atol=h)


def test_pairs_refuse_recursion_with_its_cycle() -> None:
    with pytest.raises(BpgenError) as info:
        bpgen.generate(LAYERS, "rec", filename="layers.py", options=PAIRS)
    assert "`rec()` is called recursively (rec -> twice -> rec)" in info.value.message


# -- helpers from another module of the user's, next to the input file ---------

LAYERS_FILE = """\
import numpy as np


def affine_forward(x, w, b):
    return x.reshape(x.shape[0], -1).dot(w) + b


def relu_forward(x):
    return np.maximum(0, x)


SCALE = 2.0


def scaled(x):
    return x * SCALE
"""

NET = """\
def net(x, w1, b1, w2, b2):
    h = relu_forward(affine_forward(x, w1, b1))
    return np.sum(layers.affine_forward(h, w2, b2))


def bad(x):
    return layers.scaled(x)
"""


def test_helpers_from_a_module_next_to_the_input(tmp_path) -> None:
    (tmp_path / "layers.py").write_text(LAYERS_FILE)
    net = tmp_path / "net.py"
    imports = "import numpy as np\nfrom layers import affine_forward, relu_forward\n"
    net.write_text(imports + "import layers\n\n\n" + NET)
    code = bpgen.generate(net.read_text(), "net", filename=str(net), options=INLINE)
    # the same code as with the helpers written into the input module
    together = LAYERS_FILE + "\n\n" + NET.replace("layers.", "")
    assert (
        code.partition("\n")[2]
        == bpgen.generate(together, "net", options=INLINE).partition("\n")[2]
    )
    r = rng()
    args = [r.normal(size=s) for s in [(4, 3, 2), (6, 5), (5,), (5, 3), (3,)]]
    check_gradients(together, args, "net", options=INLINE)


def test_a_sibling_helper_reading_its_own_constant(tmp_path) -> None:
    (tmp_path / "layers.py").write_text(LAYERS_FILE)
    net = tmp_path / "net.py"
    net.write_text("import numpy as np\nimport layers\n\n\n" + NET)
    code = bpgen.generate(net.read_text(), "bad", filename=str(net))
    assert "SCALE = 2.0" in code  # copied with the helper that reads it
    check_gradients(
        LAYERS_FILE + "\n\n" + NET.replace("layers.", ""), [rng().normal(size=3)], "bad"
    )


def test_a_sibling_constant_the_input_redefines_is_located(tmp_path) -> None:
    (tmp_path / "layers.py").write_text(LAYERS_FILE)
    net = tmp_path / "net.py"
    net.write_text("import numpy as np\nimport layers\n\nSCALE = 3.0\n\n\n" + NET)
    with pytest.raises(BpgenError) as info:
        bpgen.generate(net.read_text(), "bad", filename=str(net))
    assert info.value.filename == str(tmp_path / "layers.py")
    assert info.value.lineno == 15 and "defines its own `SCALE`" in info.value.message


def test_an_unknown_module_is_still_refused_without_a_file() -> None:
    source = "import layers\n\n\ndef f(x):\n    return layers.relu(x)\n"
    with pytest.raises(BpgenError, match="`layers.relu` is not a function"):
        bpgen.generate(source, "f")


def test_the_decorator_regenerates_when_a_sibling_changes(
    tmp_path, monkeypatch
) -> None:
    (tmp_path / "layers_s.py").write_text(LAYERS_FILE)
    net = tmp_path / "net_s.py"
    net.write_text(
        "import numpy as np\nfrom layers_s import relu_forward\n\nimport bpgen\n\n\n"
        "@bpgen.differentiable\ndef g(x):\n    return np.sum(relu_forward(x) * 3.0)\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("BPGEN_CACHE_DIR", str(tmp_path / "cache"))
    import importlib

    x = np.array([-1.0, 2.0])
    module = importlib.import_module("net_s")
    _, cache = module.g.forward(x)
    np.testing.assert_allclose(module.g.backward(1.0, cache)[0], [0.0, 3.0])
    # relu becomes the identity: the cached entry must not be reused
    (tmp_path / "layers_s.py").write_text(
        LAYERS_FILE.replace("np.maximum(0, x)", "x * 1.0")
    )
    for name in ("net_s", "layers_s"):
        sys.modules.pop(name)
    module = importlib.import_module("net_s")
    _, cache = module.g.forward(x)
    np.testing.assert_allclose(module.g.backward(1.0, cache)[0], [3.0, 3.0])


def test_a_pair_is_not_widened_by_probing_its_callers() -> None:
    # two_layer_loss wrt W1: affine is asked for w (inside affine_relu) and x
    # (the hidden layer into the scores), never for b
    from pathlib import Path

    source = (Path(__file__).parent.parent / "samples" / "layer_utils.py").read_text()
    code = bpgen.generate(source, "two_layer_loss", ["W1"], options=PAIRS)
    assert '"""Gradients of affine with respect to x, w."""' in code
    assert '"""Gradients of affine_relu with respect to w."""' in code


def test_the_decorator_keyword_writes_pairs(tmp_path, monkeypatch) -> None:
    (tmp_path / "layers_k.py").write_text(
        LAYERS
        + "\n\n@bpgen.differentiable(inline_helpers=False)\n"
        + "def net(x, w, b):\n    return np.sum(affine_relu_forward(x, w, b))\n"
    )
    text = (tmp_path / "layers_k.py").read_text()
    (tmp_path / "layers_k.py").write_text("import bpgen\n" + text)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("BPGEN_CACHE_DIR", str(tmp_path / "cache"))
    import importlib

    module = importlib.import_module("layers_k")
    assert "def affine_relu_forward_backward(" in module.net.source
    r = rng()
    x, w, b = r.normal(size=(4, 6)), r.normal(size=(6, 5)), r.normal(size=5)
    _, cache = module.net.forward(x, w, b)
    db = module.net.backward(1.0, cache)[2]
    h = 1e-6
    step = np.zeros(5)
    step[0] = h
    numeric = (module.net(x, w, b + step) - module.net(x, w, b - step)) / (2 * h)
    np.testing.assert_allclose(db[0], numeric, rtol=1e-5)
