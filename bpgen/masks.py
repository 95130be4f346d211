"""A ReLU-style mask zeroes a dead gradient in place: `dh *= h > 0`.

`dt = dh * (h > 0)` allocates a second array of `dh`'s size while `dh` is
still alive; a person writes `dh *= h > 0` (or `dh[h <= 0] = 0`) and calls
the result `dh`. That is only safe when nothing else can see `dh`'s buffer,
so the pass proves it first (the alias proof):

- the backward allocated it: `dh`'s first definition is a new array
  (reverse.allocates), and every later one updates that array or makes a new one;
- nothing else reads it: the mask statement is the only one that loads `dh`
  besides `dh`'s own updates before it, so no view, cache entry or returned
  gradient holds it, and it is not returned;
- the mask is a comparison (multiplying by booleans keeps the dtype) of `dh`'s
  own shape class, so the in-place product has the same shape as the new one.

It runs before broadcast dropping, which may leave a gradient smaller than
its variable.
"""

from __future__ import annotations

import ast
from collections.abc import Callable

from .blocks import UNBROADCAST
from .shapes import SCALAR, Shapes


def mask_in_place(
    blocks: list,
    keep: set[str],
    owner: dict[str, str],
    shapes: Shapes,
    allocates: Callable[[ast.expr], bool],
) -> list:
    """`blocks` with each provably safe `dA = dB * mask` done in place on dB."""
    out = [s for block in blocks for s in block.statements]
    home = [b for b, block in enumerate(blocks) for _ in block.statements]
    for i in range(len(out)):
        found = _masked(out[i], owner, shapes)
        if found is None:
            continue
        target, buffer, mask = found
        if buffer in keep or not _alone(out, i, buffer, allocates):
            continue
        if not _first_here(out, i, target, allocates):
            continue
        store = ast.Name(buffer, ast.Store())
        out[i] = ast.copy_location(ast.AugAssign(store, ast.Mult(), mask), out[i])
        if target in keep:
            copy = ast.Assign(
                [ast.Name(target, ast.Store())], ast.Name(buffer, ast.Load())
            )
            out.insert(i + 1, copy)
            home.insert(i + 1, home[i])
        else:
            rename = _Rename(target, buffer)
            out[i + 1 :] = [rename.visit(s) for s in out[i + 1 :]]
    for block in blocks:
        block.statements = []
    for b, statement in zip(home, out, strict=True):
        blocks[b].statements.append(statement)
    return blocks


def _masked(statement: ast.stmt, owner, shapes: Shapes):
    """(dA, dB, mask) when `statement` is `dA = dB * mask` or `dA = mask * dB`."""
    if not (
        isinstance(statement, ast.Assign)
        and isinstance(statement.targets[0], ast.Name)
        and isinstance(statement.value, ast.BinOp)
        and isinstance(statement.value.op, ast.Mult)
    ):
        return None
    value = statement.value
    for buffer, mask in ((value.left, value.right), (value.right, value.left)):
        if not (isinstance(buffer, ast.Name) and isinstance(mask, ast.Compare)):
            continue
        klass = shapes.klass.get(owner.get(buffer.id, ""))
        if klass is not None and klass != SCALAR and shapes.of(mask)[1] == klass:
            return statement.targets[0].id, buffer.id, mask
    return None


def _defines(statements: list[ast.stmt], name: str) -> list[int]:
    """Indices of the statements that assign or update `name`."""
    return [i for i, s in enumerate(statements) if _defined(s) == name]


def _defined(statement: ast.stmt) -> str | None:
    target: ast.expr | None
    if isinstance(statement, ast.Assign):
        target = statement.targets[0]
    elif isinstance(statement, ast.AugAssign):
        target = statement.target
    elif isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call):
        args = statement.value.args  # np.add.at(dv, index, g)
        target = args[0] if args else None
    else:
        return None
    if isinstance(target, ast.Subscript):
        target = target.value
    return target.id if isinstance(target, ast.Name) else None


def _reads(statements: list[ast.stmt], name: str) -> bool:
    return any(
        isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Load)
        for s in statements
        for n in ast.walk(s)
    )


def _alone(statements: list[ast.stmt], at: int, buffer: str, allocates) -> bool:
    """The backward owns `buffer`, and statement `at` is its last reader."""
    definitions = _defines(statements, buffer)
    if not definitions or definitions[-1] > at:
        return False
    first = statements[definitions[0]]
    if not (isinstance(first, ast.Assign) and isinstance(first.targets[0], ast.Name)):
        return False
    if not _new(first.value, allocates):
        return False
    for i in definitions[1:]:
        later = statements[i]
        if (
            isinstance(later, ast.Assign)
            and isinstance(later.targets[0], ast.Name)
            and not _new(later.value, allocates)
        ):
            return False  # rebound to something it may share
    others = [s for i, s in enumerate(statements) if i != at and i not in definitions]
    return not _reads(others, buffer)


def _first_here(statements: list[ast.stmt], at: int, target: str, allocates) -> bool:
    """`target` first appears at `at`, and later only updates its array."""
    if _reads(statements[:at], target) or _defines(statements[:at], target):
        return False
    for statement in statements[at + 1 :]:
        if (
            isinstance(statement, ast.Assign)
            and isinstance(statement.targets[0], ast.Name)
            and _defined(statement) == target
            and not _new(statement.value, allocates)
        ):
            return False
    return True


def _new(value: ast.expr, allocates) -> bool:
    """A new array; `_unbroadcast(e, shape)` is `e` itself or a new sum."""
    if (
        isinstance(value, ast.Call)
        and isinstance(value.func, ast.Name)
        and value.func.id == UNBROADCAST
        and value.args
    ):
        return _new(value.args[0], allocates)
    return allocates(value)


class _Rename(ast.NodeTransformer):
    def __init__(self, old: str, new: str) -> None:
        self.old, self.new = old, new

    def visit_Name(self, node: ast.Name) -> ast.Name:
        if node.id == self.old:
            return ast.Name(self.new, node.ctx)
        return node
