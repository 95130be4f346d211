"""Declared shapes on the composed path. The composite forward checks them
once, as its first lines, with the straight-line path's own guard (emit.py):
a wrong declaration is a ValueError there, never a wrong gradient. Each part
is then told the shapes of the parameters it reads, and of the parameter
slices it takes (`x[:, t, :]` of `x: "N T D"` is `"N D"`), so its backward
sums exactly and multiplies plain matrices, without checking them again."""

from __future__ import annotations

import ast
from collections.abc import Callable, Mapping

from .. import emit
from ..errors import BpgenError
from ..kinds import _ARRAY_ATTRIBUTES
from ..lower import NP
from .items import Branch, ListOp, Loop, Part, is_alias
from .plan import Planner
from .syntax import stores

Shape = tuple  # of int | str | None, as dims.parse reads a declaration


def part_shapes(
    planner: Planner,
    part: Part,
    declared: Mapping[str, Shape | None],
    carried: Mapping[str, Shape] | None = None,
) -> dict[str, tuple]:
    """The declared shapes of the part's inputs that are the parameters as
    called (never assigned again) or basic slices of them, and the proven
    shapes of other names (`carried`); `_` for a size nobody names."""
    out: dict[str, Shape] = {}
    for name in part.inputs:
        if name in part.slices:
            subscript = part.slices[name]
            whole = declared.get(subscript.value.id)  # type: ignore[attr-defined]
            shape = None if whole is None else sliced(whole, subscript.slice)
        elif name in planner.params and name not in planner.reassigned:
            shape = declared.get(name)
        else:
            shape = (carried or {}).get(name)
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


def prove_carried(
    planner: Planner,
    declared: Mapping[str, Shape | None],
    carried: dict,
    outs: dict,
    generate_part: Callable,
    assumed: set[str],
) -> None:
    """Shapes of the names the parts hand each other (`h` of an RNN, from
    `h = h0` and the step's output), proven by induction: assume each name
    has the shape its first definitions give, generate the parts with the
    assumptions, and drop every name one of whose definitions (a part's
    output, an alias, the parameter as called) disagrees, until none does.
    A name assigned anything else (a list read, a loop target, code written
    as it is) is never assumed. The parts are generated again each round;
    `assumed` keeps the final round's sizes taken as not 1 (the guard)."""
    defs = _definitions(planner, declared)

    def shape_of(d) -> Shape | None:
        if isinstance(d, tuple) and d[:1] == ("alias",):  # `h = h0`
            source = d[1]
            if source in planner.params and source not in planner.reassigned:
                return declared.get(source)
            return carried.get(source)
        if isinstance(d, tuple) and d[:1] == ("part",):  # a part's output
            shapes = outs.get(d[1].name) or []
            return shapes[d[2]] if d[2] < len(shapes) else None
        return d  # the parameter as called, or None

    def agreed(name: str, optimistic: bool) -> Shape | None:
        seen = [
            shape_of(d)
            for d in defs[name]
            if not (optimistic and isinstance(d, tuple) and d[:1] == ("part",))
        ]
        if not seen or any(s is None or s == () for s in seen):
            return None  # a number stays the part's to infer (an int, a float)
        return seen[0] if all(s == seen[0] for s in seen) else None

    for _ in range(len(defs)):  # optimistic: the first definitions decide
        more = {n: agreed(n, True) for n in defs if n not in carried}
        more = {n: s for n, s in more.items() if s is not None}
        if not more:
            break
        carried.update(more)

    def regenerate() -> None:
        assumed.clear()
        for part in planner.parts:
            if part.name:
                generate_part(part, part.name, part.wrt)

    try:
        _settle(carried, defs, agreed, regenerate)
    except BpgenError:  # the proven shapes met a refusal: the parts without them
        carried.clear()
        regenerate()


def _settle(carried: dict, defs: dict, agreed: Callable, regenerate: Callable):
    """Drop the assumptions a definition contradicts, then add the shapes the
    proven ones give; keep none if more knowledge contradicts a proof."""
    for _ in range(len(defs) + 1):  # each round drops one, or settles
        regenerate()
        wrong = [n for n in carried if agreed(n, False) != carried[n]]
        if not wrong:
            break
        for name in wrong:
            del carried[name]
    for _ in range(len(defs) + 1):  # then add what the proven ones give
        new = {n: agreed(n, False) for n in defs if n not in carried}
        new = {n: s for n, s in new.items() if s is not None}
        if not new:
            return
        carried.update(new)
        regenerate()
        if any(agreed(n, False) != carried[n] for n in carried):
            break  # more knowledge contradicted a proof: keep none
    carried.clear()
    regenerate()


def _definitions(planner: Planner, declared: Mapping[str, Shape | None]) -> dict:
    """Every definition of each local that a part may read: ("part", part,
    k) for a part's k-th output, ("alias", b) for `a = b`, the declared shape
    of a parameter as called, None for anything else."""
    defs: dict[str, list] = {}
    for p in planner.params:
        if p in planner.reassigned:
            defs.setdefault(p, []).append(declared.get(p))

    def walk(items: list) -> None:
        for item in items:
            if isinstance(item, Part) and item.name:
                for k, name in enumerate(item.outputs):
                    defs.setdefault(name, []).append(("part", item, k))
            elif isinstance(item, Part) and is_alias(item) and not item.returns:
                for stmt in item.stmts:
                    a, b = stmt.targets[0].id, stmt.value.id  # type: ignore
                    defs.setdefault(a, []).append(("alias", b))
            elif isinstance(item, Part):
                for stmt in item.stmts:
                    for name in stores(stmt):
                        defs.setdefault(name, []).append(None)
            elif isinstance(item, ListOp):
                if item.kind != "append":
                    defs.setdefault(item.name, []).append(None)
            elif isinstance(item, Branch):
                walk(item.then)
                walk(item.orelse)
            elif isinstance(item, Loop):
                if isinstance(item.node, ast.For):
                    for name in stores(item.node.target):
                        defs.setdefault(name, []).append(None)
                walk(item.body)

    walk(planner.items)
    return defs
