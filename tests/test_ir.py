"""The IR (Program, Stage, the backward's Blocks) holds no LibCST node:
locations are plain (file, line, column), so a second front end can make it."""

from __future__ import annotations

import ast
import copy
import dataclasses
from pathlib import Path

import libcst as cst
import pytest

from bpgen import dims, shapes
from bpgen.generate import _parse
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
