"""The IR (Program, Stage, the backward's Blocks) holds no LibCST node:
locations are plain (file, line, column), so a second front end can make it."""

from __future__ import annotations

import ast
import copy
import dataclasses
from pathlib import Path

import libcst as cst
import pytest

import bpgen
from bpgen import dims, shapes
from bpgen.blocks import Block
from bpgen.dead import live_stages
from bpgen.generate import _parse
from bpgen.ir import Branch, Stage, append, conditions, join, leaves, swept, walk
from bpgen.location import Location
from bpgen.options import Options
from bpgen.parse import find_function
from bpgen.reverse import Reverse
from bpgen.stage import stage
from bpgen.tags import Tags, of, retag

SAMPLES = sorted((Path(__file__).parent.parent / "samples").glob("*.py"))


def _front_end_nodes(value, seen: set[int]) -> list[object]:
    """Every LibCST node reachable from `value` through fields and lists."""
    if id(value) in seen or isinstance(value, (str, int, float, bool, type(None))):
        return []
    seen.add(id(value))
    if isinstance(value, cst.CSTNode):
        return [value]
    if isinstance(value, Location):
        return []  # opaque: file, line, column
    if dataclasses.is_dataclass(value):
        children = [getattr(value, f.name) for f in dataclasses.fields(value)]
    elif isinstance(value, ast.AST):
        children = list(vars(value).values())
    elif isinstance(value, dict):
        children = [*value.keys(), *value.values()]
    elif isinstance(value, (list, tuple, set, frozenset)):
        children = list(value)
    else:
        return []
    return [n for child in children for n in _front_end_nodes(child, seen)]


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.stem)
def test_the_ir_holds_no_libcst_node(path):
    parsed = _parse(path.read_text(), str(path), 0)
    checked = 0
    for name in parsed.functions:
        try:
            program = stage(parsed, find_function(parsed, name), None)
        except Exception:
            continue  # a sample of a refusal, or a helper of another sample
        inferred = shapes.infer(program, dims.infer(program, {}, None))
        backward = Reverse(program, inferred, Options(), None).run()
        assert _front_end_nodes(program, set()) == []
        assert _front_end_nodes(backward, set()) == []
        checked += 1
    assert checked


def test_a_stage_knows_its_line_and_column():
    source = "import numpy as np\n\n\ndef f(x):\n    h = np.exp(x)\n    return h * x\n"
    program = stage(
        _parse(source, "m.py", 0), find_function(_parse(source, "m.py", 0), "f"), None
    )
    at = program.stages[0].at
    assert (at.filename, at.line, at.column) == ("m.py", 5, 8)
    assert at.source_line == "    h = np.exp(x)"


def test_a_known_location_needs_no_front_end():
    at = Location.known("f.py", 3, 4, "    y = x")
    assert (at.line, at.column, at.source_line) == (3, 4, "    y = x")


def test_facts_on_nodes_are_one_explicit_record():
    source = (
        "import numpy as np\n\n\ndef f(x, n: int):\n"
        "    h = np.exp(x).reshape(n, -1)\n    r = np.random.rand(3)\n"
        "    return np.sum(h[n] * r[0])\n"
    )
    parsed = _parse(source, "m.py", 0)
    program = stage(parsed, find_function(parsed, "f"), None)
    nodes = [n for e in _expressions(program) for n in ast.walk(e)]
    extras = {k for n in nodes for k in vars(n)} - {
        f for n in nodes for f in (*n._fields, *n._attributes)
    }
    assert extras == {"bp"}  # no loose bp_* attributes
    assert any(of(n).integer for n in nodes) and any(of(n).random for n in nodes)
    gates = {of(s.value).gate for s in program.stages}
    assert {"exp", "reshape", "getitem"} <= gates
    assert all(isinstance(of(s.value), Tags) for s in program.stages)


def test_retag_replaces_the_record_so_copies_stay_apart():
    node = ast.Name("x", ast.Load())
    retag(node, gate="exp")
    shared = copy.copy(node)
    retag(node, random=True)
    assert (of(node).gate, of(node).random) == ("exp", True)
    assert (of(shared).gate, of(shared).random) == ("exp", False)
    assert of(ast.Name("y", ast.Load())) == Tags()


def _expressions(program):
    for s in program.stages:
        yield s.value
        yield from s.inputs.values()
        yield from s.params.values()
    yield from program.outputs


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.stem)
def test_front_end_facts_are_one_explicit_record(path):
    """Nothing but `bp` (a tags.Tags) is hung on an IR expression."""
    parsed = _parse(path.read_text(), str(path), 0)
    tagged = 0
    for name in parsed.functions:
        try:
            program = stage(parsed, find_function(parsed, name), None)
        except Exception:
            continue
        for expression in _expressions(program):
            for node in ast.walk(expression):
                extra = set(vars(node)) - set(node._fields) - set(node._attributes)
                assert extra <= {"bp"}, (type(node).__name__, extra)
                if extra:
                    assert isinstance(node.bp, Tags)
                    tagged += 1
    assert tagged


# -- the tree of regions -------------------------------------------------------------

_NESTED = """import numpy as np


def f(x, a: float, b: float):
    if a > 0:
        if b > 0:
            h = x * 2.0
        else:
            h = np.sin(x)
            h = h * x
    elif b > 1:
        h = np.exp(x)
    else:
        h = x
    return np.sum(h)
"""


def _tree(body) -> list:
    """A region as nested lists: a stage's target, a block's stage target (or
    note), a branch as (condition, then, orelse)."""
    out: list = []
    for node in body:
        if isinstance(node, Branch):
            out.append((node.condition, _tree(node.then), _tree(node.orelse)))
        elif isinstance(node, Block):
            out.append(node.stage.target if node.stage is not None else node.note)
        else:
            out.append(node.target)
    return out


def _staged(source: str):
    parsed = _parse(source, "m.py", 0)
    return stage(parsed, find_function(parsed, "f"), None)


def test_staging_if_elif_else_two_deep_gives_the_tree():
    program = _staged(_NESTED)
    # an elif is a branch alone in orelse; each arm assigns the merged name
    # (`h_4 = h` where the arm's own value has another name) at its end
    assert _tree(program.body) == [
        "cond",
        (
            "cond",
            ["cond_1", ("cond_1", ["h"], ["h_1", "h"]), "h_4"],
            ["cond_2", ("cond_2", ["h_3"], ["h_3"]), "h_4"],
        ),
        "out",
    ]
    assert [s.target for s in program.stages] == [
        "cond", "cond_1", "h", "h_1", "h", "h_4", "cond_2", "h_3", "h_3", "h_4", "out",
    ]  # fmt: skip
    assert not program.straight
    where = {s.target: w for s, w in walk(program.body) if s.target != "h_4"}
    assert where["h_1"] == ("cond", "cond_1") and where["out"] == ()


def test_reversal_reverses_each_arm_and_keeps_the_branches():
    program = _staged(_NESTED)
    inferred = shapes.infer(program, dims.infer(program, {}, None))
    backward = Reverse(program, inferred, Options(), None).run()
    note = "new arrays the caller may write into, a float for a float"
    # the arm that staged h_1 then h undoes h first; `h_4 = h` is a copy the
    # passes drop, so its block (left empty) goes with it
    assert _tree(backward.blocks) == [
        "out",
        (
            "cond",
            [("cond_1", ["h"], ["h", "h_1"])],
            [("cond_2", ["h_3"], ["h_3"])],
        ),
        note,
    ]
    assert _tree(backward.forward) == _tree(program.body)


def test_reversal_starts_at_zero_a_gradient_only_one_arm_reaches():
    source = (
        "import numpy as np\n\n\ndef f(x, y, a: float):\n"
        "    if a > 0:\n        h = x * y\n    else:\n        h = x * 2.0\n"
        "    return np.sum(h)\n"
    )
    program = _staged(source)
    inferred = shapes.infer(program, dims.infer(program, {}, None))
    backward = Reverse(program, inferred, Options(), None).run()
    (branch,) = [b for b in backward.blocks if isinstance(b, Branch)]
    assert branch.condition == "cond"
    assert _tree(branch.orelse)[-1] == "no gradient reaches these on this branch"
    zero = ast.fix_missing_locations(branch.orelse[-1].statements[0])
    assert ast.unparse(zero).replace("\x00", "") == "dy = np.zeros_like(y)"


def test_adjacent_branches_on_one_condition_are_one_region():
    a, b, c = (Stage(n, ast.Name("x", ast.Load()), None) for n in "abc")
    body: list = []
    append(body, Branch("t", [a], []))
    append(body, Branch("t", [b], [c]))
    append(body, Branch("u", [], []))  # empty: left out
    assert _tree(body) == [("t", ["a", "b"], ["c"])]
    kept = join([Branch("t", [a], [b]), c, Branch("t", [a], [])], lambda s: s is not c)
    assert _tree(kept) == [("t", ["a", "a"], ["b"])]
    assert conditions([c, Branch("t", [Branch("u", [a], [])], [])]) == {"t", "u"}
    assert list(leaves(kept)) == [a, a, b]
    assert list(swept(kept)) == [b, a, a]  # the sweep undoes orelse first


def test_dead_code_drops_a_branch_nothing_needs_and_its_condition():
    source = (
        "import numpy as np\n\n\ndef f(x, a: float):\n"
        "    if a > 0:\n        unused = np.exp(x)\n    else:\n"
        "        unused = np.sin(x)\n    return x * 2.0\n"
    )
    program = _staged(source)
    assert not program.straight
    assert _tree(live_stages(program)) == ["out"]
    assert "cond" not in bpgen.generate(source)  # neither `if` nor its test
