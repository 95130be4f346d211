"""Unit tests of single passes, source in and facts or code out.

The black-box tests (samples, snapshots, properties) keep the whole pipeline
honest; these pin what each pass decides on its own, so a change to one
shows up here first, with a small example.
"""

from __future__ import annotations

import ast

import pytest

from bpgen import dims, handout, kinds
from bpgen.blocks import Block
from bpgen.generate import _parse
from bpgen.lower import NP
from bpgen.parse import find_function
from bpgen.shapes import infer, summed_axes
from bpgen.stage import stage


def staged(body: str, params: str = "x, y", wrt=None, **kwargs):
    source = f"import math\nimport numpy as np\n\n\ndef f({params}):\n{body}"
    parsed = _parse(source, "<test>", 0)
    return stage(parsed, find_function(parsed, "f"), wrt, **kwargs)


# -- kinds: floats are proven per value --------------------------------------------


@pytest.mark.parametrize(
    "body, floats",
    [
        ("    return math.exp(x) * y\n", {"x"}),
        ("    return 1.0 / (1 + math.exp(-(x * y)))\n", {"x", "y"}),
        ("    return max(x, y) + x\n", {"x", "y"}),
        ("    return x * math.pi + y\n", set()),
        ("    return math.sqrt(np.sum(x)) * y\n", set()),
    ],
)
def test_math_arguments_are_proven_floats(body, floats):
    program = staged(body)
    assert program.floats & {"x", "y"} == floats
    assert program.scalar == (floats == {"x", "y"})


def test_dicts_labels_and_sizes_leave_the_default_wrt():
    program = staged(
        "    n = x.shape[0]\n    return y[np.arange(n), k] * p['scale']\n",
        params="x, y, k, p",
    )
    assert program.wrt == ["y"]


def test_an_unread_parameter_keeps_its_zero_gradient():
    assert staged("    return x * 2.0\n").wrt == ["x", "y"]


def test_proven_arrays():
    program = staged("    return x.T @ y + x.shape[0]\n")
    assert kinds.proven_arrays(program.stages, program.params) == {"x", "y"}


# -- dims: symbolic shapes -----------------------------------------------------------


@pytest.mark.parametrize(
    "spec, shape",
    [
        ("N D", ("N", "D")),
        ("N, 3", ("N", 3)),
        ("", ()),
        ("1 M", (1, "M")),
        ("batch *rest", None),
        ("...", None),
        (("N", 4), ("N", 4)),
        ("N _", ("N", None)),
    ],
)
def test_parse(spec, shape):
    assert dims.parse(spec) == shape


def test_broadcast_unifies_sizes_that_are_not_one():
    known = dims.Dims({"x": ("_1", "_2"), "b": ("_3",)})
    assert known.broadcast([known.shape["x"], known.shape["b"]]) == ("_1", "_3")
    assert known.root("_2") == known.root("_3")


def test_declared_names_that_differ_do_not_unify():
    known = dims.Dims({"x": ("N", "D"), "w": ("E", "M")})
    with pytest.raises(dims.ShapeError, match="D and E"):
        known.same("D", "E")


def test_a_size_that_may_be_one_gives_way():
    known = dims.Dims({"x": ("N", "D")})
    unknown = known.fill((None, "D"))
    assert known.broadcast([known.shape["x"], unknown]) == ("N", "D")


def _shapes(body: str, declared: dict, params: str = "x, b"):
    program = staged(body, params=params)

    def error(at, message, hint=None):
        return AssertionError(message)

    parsed = {k: dims.parse(v) for k, v in declared.items()}
    return program, infer(program, dims.infer(program, parsed, error))


@pytest.mark.parametrize(
    "declared, axes",
    [
        ({"x": "N M", "b": "M"}, ((0,), ())),
        ({"x": "N M", "b": "1 M"}, ((), (0,))),
        ({"x": "B N M", "b": "N 1"}, ((0,), (2,))),
        ({"x": "N M", "b": "N M"}, ((), ())),
    ],
)
def test_summed_axes(declared, axes):
    program, shapes = _shapes("    out = x + b\n    return out\n", declared)
    assert summed_axes(shapes, "b", "out") == axes


def test_products_and_reductions():
    program, shapes = _shapes(
        "    h = x @ b\n    s = np.sum(h, axis=0)\n    return s\n",
        {"x": "N D", "b": "D M"},
    )
    assert shapes.dims.canonical(shapes.dims.shape["h"]) == ("N", "M")
    assert shapes.dims.canonical(shapes.dims.shape["s"]) == ("M",)


def test_indexing_with_arrays_that_stand_together():
    program, shapes = _shapes(
        "    n = x.shape[0]\n    t = x[np.arange(n), b]\n    return t\n",
        {"x": "N C", "b": "N"},
    )
    assert shapes.dims.shape["t"] == ("N",)


# -- handout: what the caller may write into -----------------------------------------


def _statements(text: str) -> list[ast.stmt]:
    """Generated code spells NumPy with a placeholder name."""
    tree = ast.parse(text)
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id == "np":
            node.id = NP
    return tree.body


def _spelled(statement: ast.stmt) -> str:
    module = ast.fix_missing_locations(ast.Module([statement], []))
    return ast.unparse(module).replace(NP, "np")


def _fixes(text: str, returns, params, floats=(), arrays=()) -> list[str]:
    fixes = handout.hand_out(
        [Block(statements=_statements(text))],
        list(returns),
        list(params),
        set(floats),
        set(arrays),
    )
    return [_spelled(f) for f in fixes]


def test_fresh_products_are_handed_out_as_they_are():
    text = "dx = dout * y\ndy = dout * x\n"
    assert _fixes(text, ["dx", "dy"], ["x", "y"], arrays={"x", "y"}) == []


def test_dout_itself_is_copied():
    text = "dx = dout\ndy = dout\n"
    assert _fixes(text, ["dx", "dy"], ["x", "y"], arrays={"x", "y"}) == [
        "dx = dx.copy()",
        "dy = dy.copy()",
    ]


def test_a_view_of_a_fresh_array_is_fresh_but_two_of_them_share():
    text = "dt = dout * 2.0\ndx = dt.reshape(x.shape)\ndy = dt.T\n"
    assert _fixes(text, ["dx", "dy"], ["x", "y"], arrays={"x", "y"}) == [
        "dy = dy.copy()"
    ]


def test_unknown_kinds_decide_at_run_time():
    text = "dx = np.broadcast_to(dout, np.shape(x))\ndy = np.where(c, dout * 2, 0.0)\n"
    assert _fixes(text, ["dx", "dy"], ["x", "y"]) == [
        "dx = \x00like\x00(dx, x, copy=True)",
        "dy = \x00like\x00(dy, y)",
    ]


def test_floats_become_python_floats_unless_they_are_already():
    text = "dx = np.sum(dout * y)\ndy = -float(np.sum(dout)) / y\n"
    assert _fixes(text, ["dx", "dy"], ["x", "y"], floats={"x", "y"}) == [
        "dx = float(dx)"
    ]
