"""generate.has_loop, the walk over statements that decides whether a
function goes to the stager or to bpgen/flow/, finds exactly what
flow.has_loop finds in the function's text, on every function of this
repository's Python files (bpgen's own code included: loops, `raise`,
`try`, `with`, nested functions) and on hand-written edge cases."""

from __future__ import annotations

import ast
import pathlib
import textwrap

import libcst as cst
import pytest

from bpgen import flow
from bpgen.generate import has_loop

ROOT = pathlib.Path(__file__).resolve().parent.parent

# one function per case, cases apart by a blank line (a function never has one here)
EDGES = """
def f(x):
    return x

def f(x):
    for i in range(3):
        x = x * 2
    return x

def f(x):
    while x < 3:
        x = x * 2
    return x

def f(x):
    if x < 0: raise ValueError('no')
    return x

def f(x):
    y = [v for v in x]
    return lambda: y

def f(x):
    def g(v):
        for i in v:
            pass
    return x

def f(x):
    class C:
        while True:
            break
    return x

def f(x):
    try:
        y = x
    except ValueError:
        raise
    return y

def f(x):
    try:
        y = x
    finally:
        for i in x:
            pass
    return y

def f(x):
    with open(x) as h:
        if h:
            pass
        else:
            while h:
                pass

def f(x):
    match x:
        case 1:
            for i in x: pass
    return x

def f(x):
    match x:
        case 1:
            pass
    return x

def f(x):
    if x:
        pass
    elif x > 1:
        pass
    else:
        raise ValueError

async def f(x):
    async for i in x:
        pass

async def f(x):
    async for i in x:
        for j in i:
            pass

def f(x):
    return (y for y in x if y)
""".split("\n\n")


def _functions(module: cst.Module):
    stack: list[cst.CSTNode] = [module]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.FunctionDef):
            yield node
        for field in ("body", "orelse", "handlers", "finalbody", "cases"):
            value = getattr(node, field, None)
            if isinstance(value, cst.CSTNode):
                stack.append(value)
            elif isinstance(value, (tuple, list)):
                stack.extend(value)


def _sources():
    files = sorted(ROOT.glob("bpgen/**/*.py")) + sorted(ROOT.glob("tests/**/*.py"))
    files += sorted(ROOT.glob("samples/*.py")) + sorted(ROOT.glob("benchmarks/*.py"))
    return [(str(f.relative_to(ROOT)), f.read_bytes()) for f in files] + [
        (f"edge{i}", text) for i, text in enumerate(EDGES)
    ]


def test_the_edge_cases_cover_both_answers():
    found = {has_loop(next(_functions(cst.parse_module(t)))) for t in EDGES}
    assert found == {True, False}


@pytest.mark.parametrize("where, text", _sources(), ids=lambda v: str(v)[:40])
def test_has_loop_agrees_with_the_text_check(where, text):
    try:
        ast.parse(text)
        module = cst.parse_module(text)
    except (SyntaxError, ValueError, RecursionError, cst.ParserSyntaxError):
        pytest.skip("not Python that both parsers read (the corpus of refusals)")
    for function in _functions(module):
        text = textwrap.dedent(module.code_for_node(function))
        expected = flow.has_loop(text)
        assert has_loop(function) == expected, (where, function.name.value)
