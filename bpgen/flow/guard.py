"""Declared shapes on the composed path. The composite forward checks them
once, as its first lines, with the straight-line path's own guard (emit.py):
a wrong declaration is a ValueError there, never a wrong gradient. Each part
is then told the shapes of the parameters it reads, and of the parameter
slices it takes (`x[:, t, :]` of `x: "N T D"` is `"N D"`), so its backward
sums exactly and multiplies plain matrices, without checking them again."""

from __future__ import annotations

import ast
from collections.abc import Mapping

from .. import emit
from ..kinds import _ARRAY_ATTRIBUTES
from ..lower import NP
from .items import Part
from .plan import Planner

Shape = tuple  # of int | str | None, as dims.parse reads a declaration


def part_shapes(
    planner: Planner, part: Part, declared: Mapping[str, Shape | None]
) -> dict[str, tuple]:
    """The declared shapes of the part's inputs that are the parameters as
    called (never assigned again) or basic slices of them; `_` for a size
    nobody names."""
    out: dict[str, Shape] = {}
    for name in part.inputs:
        if name in part.slices:
            subscript = part.slices[name]
            whole = declared.get(subscript.value.id)  # type: ignore[attr-defined]
            shape = None if whole is None else sliced(whole, subscript.slice)
        elif name in planner.params and name not in planner.reassigned:
            shape = declared.get(name)
        else:
            shape = None
        if shape is not None:
            out[name] = shape
    return {n: tuple("_" if d is None else d for d in s) for n, s in out.items()}


def sliced(shape: Shape, index: ast.expr) -> Shape | None:
    """The shape of `x[index]` for basic indexing (plan._basic): a full `:`
    keeps its axis, a bounded slice keeps it at a size nobody names, an int
    drops it; None where that is not known (`...`, `None`, a bool)."""
    items = index.elts if isinstance(index, ast.Tuple) else [index]
    rest, out = list(shape), []
    for item in items:
        if not rest:
            return None
        if isinstance(item, ast.Slice):
            size = rest.pop(0)
            full = item.lower is None and item.upper is None and item.step is None
            out.append(size if full else None)
        elif isinstance(item, ast.Starred) or (
            isinstance(item, ast.Constant) and type(item.value) is not int
        ):  # `None` and `...` add or stretch axes; `True` adds one
            return None
        else:
            rest.pop(0)
    return tuple(out + rest)


def guard_lines(
    declared: Mapping[str, Shape | None],
    not_one: set[str],
    np_name: str,
    check_name: str,
    proven: set[str],
    builtin_len: bool,
) -> tuple[list[str], str]:
    """The forward's first lines and the helper they call ("" when none)."""
    guards = {p: s for p, s in declared.items() if s is not None}
    if not guards:
        return [], ""
    if all(s == () for s in guards.values()):  # numbers: no NumPy to call
        return emit.scalar_guard_lines(list(guards)), ""
    render = emit.Renderer({emit.CHECK_SHAPES: check_name, NP: np_name})
    # a list or a number where an array is declared: to the explaining call
    arrays = [p for p, s in guards.items() if s and p not in proven]
    typed = {p: f"{np_name}.ndarray" for p in arrays}
    lines = emit._guard_lines(guards, render, builtin_len, typed, np_name)
    lines += emit._not_one_lines(guards, frozenset(not_one))
    return lines, emit.CHECK_SHAPES_HELPER.format(name=check_name, np=np_name)


def proven_arrays(function: ast.FunctionDef) -> set[str]:
    """Parameters the function indexes, multiplies as matrices, or reads array
    attributes and methods of (kinds.proven_arrays' rule, on the text)."""
    params = {a.arg for a in function.args.args + function.args.kwonlyargs}

    def name(node: ast.AST) -> str | None:
        return node.id if isinstance(node, ast.Name) else None

    found: set[str | None] = set()
    for node in ast.walk(function):
        array_attribute = (
            isinstance(node, ast.Attribute) and node.attr in _ARRAY_ATTRIBUTES
        )
        if isinstance(node, ast.Subscript) or array_attribute:
            found.add(name(node.value))  # type: ignore[attr-defined]
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            found.add(name(node.func.value))
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.MatMult):
            found |= {name(node.left), name(node.right)}
    return {p for p in found if p in params}
