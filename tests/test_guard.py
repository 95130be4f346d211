"""The forward's shape guard: an inline test, then the explaining call.

`_mismatch` must be true exactly when `_check_shapes` would raise, for any
declaration (fixed sizes, names repeated within and across arguments, `_`)
and any shapes passed; otherwise a wrong shape would slip through, or a
right one would pay for the call.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import bpgen
from bpgen import emit
from bpgen.check import load

DIM = st.sampled_from(["N", "D", "M", 1, 3, None])
DECLARED = st.lists(st.lists(DIM, min_size=1, max_size=3), min_size=1, max_size=4)
SHAPE = st.lists(st.integers(1, 4), min_size=1, max_size=4).map(tuple)


def _compiled(declared: dict[str, tuple], builtin_len: bool = True):
    helper = emit.CHECK_SHAPES_HELPER.format(name="_check_shapes", np="np")
    names = ", ".join(declared)
    test = emit._mismatch(declared, builtin_len)
    text = f"{helper}\n\ndef mismatch({names}):\n    return {test}\n"
    namespace = {"np": np}
    exec(text, namespace)  # noqa: S102
    return namespace["mismatch"], namespace["_check_shapes"]


@settings(max_examples=300, deadline=None)
@given(DECLARED, st.data())
def test_inline_test_agrees_with_the_helper(dims, data):
    declared = {f"a{i}": tuple(d) for i, d in enumerate(dims)}
    mismatch, check = _compiled(declared, data.draw(st.booleans()))
    # half the time the declared shape itself, sizes drawn per name
    sizes = {name: data.draw(st.integers(1, 4)) for name in ("N", "D", "M")}
    args = {}
    for name, ds in declared.items():
        if data.draw(st.booleans()):
            shape = tuple(
                (
                    d
                    if type(d) is int
                    else data.draw(st.integers(1, 4)) if d is None else sizes[d]
                )
                for d in ds
            )
        else:
            shape = data.draw(SHAPE)
        args[name] = np.zeros(shape)
    anonymous = iter(range(1, 1000))  # each `_` its own name, as emit._guard
    spelled = {
        n: (args[n], tuple(f"_{next(anonymous)}" if d is None else d for d in ds))
        for n, ds in declared.items()
    }
    try:
        check(**spelled)
        raises = False
    except ValueError:
        raises = True
    assert mismatch(**args) == raises, (declared, {n: a.shape for n, a in args.items()})


def test_fixed_sizes_are_one_comparison_and_twins_compare_shapes():
    declared = {"x": (5, 10), "W": ("D", "M"), "mask": ("D", "M"), "b": ("M",)}
    text = emit._mismatch(declared)
    assert text == (
        "W.ndim != 2 or x.shape != (5, 10) or mask.shape != W.shape"
        " or b.shape != (W.shape[1],)"
    )
    assert emit._mismatch({"x": ("N", "D"), "y": ("N",)}) == (
        "x.ndim != 2 or y.shape != (len(x),)"
    )


def test_a_parameter_called_len_keeps_shape_indexing():
    source = "def f(x, len):\n    return x * len\n"
    code = bpgen.generate(source, shapes={"x": "N D", "len": "N D"})
    assert "or x.ndim != 2\n        or len.shape != x.shape\n" in code
    source = "def f(x, len):\n    return x * len\n"
    code = bpgen.generate(source, shapes={"x": "N D", "len": "D"})
    assert "len.shape != (x.shape[1],)" in code
    source = "def f(x, len):\n    return x * len\n"
    code = bpgen.generate(source, shapes={"x": "N D", "len": "N 1"})
    assert "len.shape != (x.shape[0], 1)" in code
    source = "def f(x, len):\n    return x.T @ len.T\n"
    code = bpgen.generate(source, shapes={"x": "N D", "len": "M N"})
    assert "x.ndim != 2 or len.ndim != 2 or len.shape[1] != x.shape[0]:" in code


LAYER = "import numpy as np\n\n\ndef layer(x, W, b):\n    return np.tanh(x @ W + b)\n"


def test_guarded_forward_calls_the_helper_only_on_a_mismatch():
    code = bpgen.generate(LAYER, shapes={"x": "N D", "W": "D M", "b": "M"})
    assert "or len(W) != x.shape[1]\n        or b.shape != (W.shape[1],)\n" in code
    forward, _ = load(code, "layer")
    forward(np.ones((2, 3)), np.ones((3, 4)), np.ones(4))
    try:
        forward(np.ones((2, 3)), np.ones((3, 4)), np.ones(5))
    except ValueError as error:
        assert str(error) == "b has shape (5,), declared (M) with M=4"
    else:
        raise AssertionError("a wrong bias shape passed the guard")


def test_a_list_where_an_array_is_declared_goes_to_the_explaining_call():
    # labels as a list: the inline test reads no attribute of it (it used to
    # raise AttributeError from the generated forward); the call accepts it
    source = (
        "import numpy as np\n\n\ndef f(s, y):\n"
        "    return np.sum(s[np.arange(s.shape[0]), y])\n"
    )
    code = bpgen.generate(source, "f", ["s"], shapes={"s": "N C", "y": "N"})
    assert "type(y) is not np.ndarray or" in code
    forward, backward = load(code, "f")
    s = np.arange(12.0).reshape(3, 4)
    out, cache = forward(s, [0, 3, 1])
    assert out == 0.0 + 7.0 + 9.0
    expected = np.zeros((3, 4))
    expected[[0, 1, 2], [0, 3, 1]] = 1.0
    assert np.array_equal(backward(1.0, cache)[0], expected)
    try:
        forward(s, [0, 3])
    except ValueError as error:
        assert str(error) == "y has shape (2,), declared (N) with N=3"
    else:
        raise AssertionError("a list of the wrong length passed the guard")
