"""Each pass of passes.py on its own: source in, source out.

In the style of LibCST's codemod tests: a small backward (or forward) goes
in as text, one pass runs, and the text that comes out is compared whole.
"""

from __future__ import annotations

import ast
import dataclasses
import textwrap

import pytest

import bpgen
from bpgen import masks, passes
from bpgen.blocks import Block
from bpgen.broadcasts import drop_broadcasts
from bpgen.copies import propagate_copies
from bpgen.dead import drop_dead, live_stages
from bpgen.generate import _parse
from bpgen.options import Options
from bpgen.parse import find_function
from bpgen.reverse import allocates
from bpgen.saved import save_shapes, saved_values
from bpgen.shapes import Shapes
from bpgen.stage import stage


def blocks_of(*sources: str) -> list[Block]:
    """One block per source text, its statements parsed."""
    return [Block(statements=ast.parse(textwrap.dedent(s)).body) for s in sources]


def text(blocks: list[Block]) -> str:
    return "\n".join(ast.unparse(s) for b in blocks for s in b.statements)


def staged(body: str, params: str = "x, y"):
    source = (
        f"import numpy as np\n\n\ndef f({params}):\n{textwrap.indent(body, '    ')}"
    )
    parsed = _parse(source, "<test>", 0)
    return stage(parsed, find_function(parsed, "f"), None)


def dedent(source: str) -> str:
    return textwrap.dedent(source).strip()


# -- gradient copies --------------------------------------------------------------


def test_a_copy_assigned_once_is_renamed_away():
    out = propagate_copies(blocks_of("da = dout * y", "db = da", "dx = db * 2"), {"dx"})
    assert text(out) == dedent("""
        da = dout * y
        dx = da * 2
        """)


def test_a_chain_of_copies_collapses_to_its_source():
    out = propagate_copies(blocks_of("db = dout\ndc = db\ndx = dc + dc"), {"dx"})
    assert text(out) == "dx = dout + dout"


def test_a_returned_copy_and_a_copy_assigned_twice_stay():
    source = "dx = dout\ndb = dout\ndb += dx\ndy = db"
    assert text(propagate_copies(blocks_of(source), {"dx", "dy"})) == dedent(source)


# -- dead gradients ------------------------------------------------------------------


def test_unread_gradients_go_until_none_is_left():
    out = drop_dead(blocks_of("da = dout * 2\ndb = da * y\ndx = dout * 3"), {"dx"})
    assert text(out) == "dx = dout * 3"


def test_a_scatter_keeps_the_gradient_it_reads():
    source = "dy = np.zeros_like(y)\nnp.add.at(dy, idx, dout)\ndx = dy * 2"
    assert text(drop_dead(blocks_of(source), {"dx"})) == dedent(source)


def test_dead_forward_stages_go_and_random_draws_stay():
    program = staged(
        "unused = np.exp(x)\nnoise = np.random.randn(3)\nh = x * y\nreturn h\n"
    )
    assert [s.target for s in program.stages][:2] == ["unused", "noise"]
    assert [s.target for s in live_stages(program)] == ["noise", "h"]


# -- broadcasts ----------------------------------------------------------------------


def shapes_of(**klass: int) -> Shapes:
    return Shapes(rank={n: 2 for n in klass}, klass=dict(klass))


def test_a_spread_only_multiplied_by_its_own_shape_is_dropped():
    source = "dh = np.broadcast_to(dout, h.shape)\ndx = dh * w"
    out = drop_broadcasts(blocks_of(source), {"dx"}, {"dh": "h"}, shapes_of(h=5, w=5))
    assert text(out) == "dh = dout\ndx = dh * w"


def test_a_spread_added_alone_stays():
    source = "dh = np.broadcast_to(dout, h.shape)\ndx = dh + w"
    out = drop_broadcasts(blocks_of(source), {"dx"}, {"dh": "h"}, shapes_of(h=5, w=5))
    assert text(out) == dedent(source)


def test_a_spread_multiplied_by_another_shape_stays():
    source = "dh = np.full_like(h, dout)\ndx = dh * w"
    out = drop_broadcasts(blocks_of(source), {"dx"}, {"dh": "h"}, shapes_of(h=5, w=6))
    assert text(out) == dedent(source)


# -- saved values --------------------------------------------------------------------


def test_a_value_read_only_for_its_shape_is_saved_as_its_shape():
    program = staged("h = np.exp(x)\nk = h * y\nreturn np.sum(k)\n")
    blocks = blocks_of("dk = np.broadcast_to(dout, k.shape)\ndh = dk * y\ndx = dh * h")
    cache = saved_values(program, program.stages, blocks)
    assert cache == ["y", "h", "k"]
    renames = save_shapes(program, cache, blocks, lambda name: name)
    assert renames == {"k": "k_shape"}
    assert text(blocks).splitlines()[0] == "dk = np.broadcast_to(dout, k_shape)"


# -- the sweep's choices and the pipeline ----------------------------------------------


def test_every_switch_has_its_one_place():
    """A switch of Options is a pass, a sweep choice, or a staging/emit one."""
    placed = {
        s
        for p in [*passes.FORWARD, *passes.TYPED, *passes.BACKWARD]
        for s in p.switches
    }
    sweep = {"inplace", "reuse", "broadcast", "simplify"}  # Sweep.of
    elsewhere = {"fusion", "activity", "dce", "guards", "renest", "fastpath"}  # emit…
    assert set(Options.switches()) == placed | sweep | elsewhere


def test_sweep_choices_follow_options():
    off = Options(inplace=False, reuse=False, broadcast=False, simplify=False)
    assert passes.Sweep.of(Options()) == passes.Sweep(True, True, True, True)
    assert passes.Sweep.of(off) == passes.Sweep(False, False, False, False)


def test_a_backward_pass_runs_only_where_it_applies():
    mask = passes.BACKWARD[0]
    assert mask.wanted(Options(), straight=True, scalar=False)
    assert not mask.wanted(Options(), straight=False, scalar=False)
    assert not mask.wanted(Options(), straight=True, scalar=True)
    assert not mask.wanted(Options(masks=False), straight=True, scalar=False)
    dead = passes.BACKWARD[-1]
    assert dead.wanted(Options(simplify=False), straight=False)
    assert not dead.wanted(Options(simplify=False, dce=False), straight=True)


LAYER = (
    "import numpy as np\n\n\ndef f(x, w):\n    h = np.tanh(x @ w)\n    return h * x\n"
)

LAYER_BACKWARD = """
x, w, h = cache
# out = h * x
dh = dout * x
dx = dout * h
# h = np.tanh(t1)
dt1 = dh * (1 - h**2)
# t1 = x @ w
dx += dt1 @ w.T
dw = x.T @ dt1
return (dx, dw)
"""


def backward_body(options: Options) -> str:
    # every stage keeps its comment: renest's own tests are in test_renest.py
    options = dataclasses.replace(options, renest=False)
    code = bpgen.generate(LAYER, shapes={"x": "N D", "w": "D D"}, options=options)
    body = code.split("def f_backward(dout, cache):")[1].split('"""')[2]
    return textwrap.dedent(body).strip()


@pytest.mark.parametrize(
    "switch, changed",
    [
        ("inplace", {"dx += dt1 @ w.T": "dx = dx + dt1 @ w.T"}),
        (
            "reuse",
            {
                "x, w, h = cache": "x, w, t1, h = cache",
                "dt1 = dh * (1 - h**2)": "dt1 = dh * (1 - np.tanh(t1) ** 2)",
            },
        ),
        (
            "broadcast",
            {
                "dh = dout * x": "dh = _unbroadcast(dout * x, np.shape(h))",
                "dx = dout * h": "dx = _unbroadcast(dout * h, np.shape(x))",
                "dx += dt1 @ w.T": "dx += _unbroadcast(dt1 @ w.T, np.shape(x))",
                "dw = x.T @ dt1": "dw = _unbroadcast(x.T @ dt1, np.shape(w))",
            },
        ),
    ],
)
def test_each_sweep_choice_changes_exactly_its_lines(switch, changed):
    assert backward_body(Options()) == LAYER_BACKWARD.strip()
    expected = LAYER_BACKWARD.strip()
    for before, after in changed.items():
        expected = expected.replace(before, after)
    off = dataclasses.replace(Options(), **{switch: False})
    assert backward_body(off) == expected


def test_masks_get_the_allocation_proof():
    assert allocates(ast.parse("a * b", mode="eval").body)
    assert not allocates(ast.parse("a", mode="eval").body)
    assert not allocates(ast.parse("a.T", mode="eval").body)


# -- masks ---------------------------------------------------------------------------


def test_a_mask_on_a_gradient_the_backward_allocated_is_done_in_place():
    source = "dh = dout @ w.T\ndt = dh * (h > 0)\ndx = dt @ w2"
    shapes = shapes_of(h=5, t=5)
    out = masks.mask_in_place(
        blocks_of(source), {"dx"}, {"dh": "h", "dt": "t"}, shapes, allocates
    )
    assert text(out) == "dh = dout @ w.T\ndh *= h > 0\ndx = dh @ w2"


def test_a_mask_on_the_callers_dout_makes_a_new_array():
    source = "dt = dout * (h > 0)\ndx = dt @ w2"
    shapes = shapes_of(h=5, out=5, t=5)
    out = masks.mask_in_place(
        blocks_of(source), {"dx"}, {"dout": "out", "dt": "t"}, shapes, allocates
    )
    assert text(out) == dedent(source)
