"""The generator's fast paths give exactly what the slow ones gave.

`stage._identifiers` walks node fields instead of running a CSTVisitor, and
`reverse._Substitute` copies a rule template while filling it in, instead
of `copy.deepcopy` and a NodeTransformer (issue 14: generator speed).
"""

from __future__ import annotations

import ast
import copy
import sys
from pathlib import Path

import libcst as cst
import pytest

from bpgen import parse, reverse, stage
from bpgen.tags import of, retag

ROOT = Path(__file__).resolve().parent.parent
FILES = sorted((ROOT / "samples").glob("*.py")) + sorted(
    (ROOT / "tests" / "corpus").glob("*.py")
)


def _visitor_names(function: cst.FunctionDef) -> set[str]:
    names: set[str] = set()

    class Collect(cst.CSTVisitor):
        def visit_Name(self, node: cst.Name) -> None:
            names.add(node.value)

    function.visit(Collect())
    return names


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_identifiers_match_a_visitor(path):
    try:
        source = parse.parse(path.read_text(encoding="utf-8"))
    except Exception:  # noqa: BLE001 - the corpus holds unreadable inputs too
        pytest.skip("not parsed")
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 20_000))  # the visitor recurses; deep corpus
    try:
        for function in source.functions.values():
            assert stage._identifiers(function) == _visitor_names(function)
    finally:
        sys.setrecursionlimit(limit)


def test_identifiers_see_every_kind_of_name():
    text = (
        "@deco.rate\ndef f(a: T = d, *, k=e) -> R:\n"
        "    '''doc'''\n    x = g(a.attr, kw=b)[c] if w else [z for z in q]\n"
        "    return x  # comment\n"
    )
    function = cst.parse_module(text).body[0]
    assert stage._identifiers(function) == _visitor_names(function)


def test_substitute_copies_and_fills_in():
    template = reverse._template("g * np.exp(x) / out")
    before = ast.dump(template, include_attributes=True)
    atom = ast.Name("t1", ast.Load())
    retag(atom, gate="exp")
    tree = reverse._Substitute({"x": atom, "g": ast.Name("dz", ast.Load())}, False)
    result = tree.visit(template)
    assert ast.dump(template, include_attributes=True) == before  # untouched
    expected = copy.deepcopy(template)
    assert ast.unparse(result) == "dz * \x00np\x00.exp(t1) / out"
    assert ast.unparse(expected) == "g * np.exp(x) / out"
    copied = result.left.right.args[0]
    assert copied is not atom and copied.id == "t1" and of(copied) is of(atom)
    nodes = {id(n) for n in ast.walk(result)} - {id(atom.ctx)}
    assert not nodes & {id(n) for n in ast.walk(template)} - {id(atom.ctx)}


def test_substitute_uses_math_twins_for_floats():
    template = reverse._template("g * np.cos(x)")
    result = reverse._Substitute({"x": ast.Name("y", ast.Load())}, True).visit(template)
    assert ast.unparse(result) == "g * \x00math\x00.cos(y)"
