"""A gradient handed on by name takes its later terms in place.

    dt1 = dxhat * (1 / t3)      # a new array
    dt1 += dt5 * 2 * t1
    dx = dt1                    # x - mu hands dt1 on to x
    dmu = -np.sum(dt1, axis=0)
    dx = dx + dmu / x.shape[0]  # a second array of x's size

The sweep adds in place only into a buffer it allocated for that gradient
(`dt1 += ...`); `dx = dt1` shares dt1's buffer, which the sweep may still
read, so the next term makes a new array. A person writes `dx += dmu / N`:
one array of x's size fewer, and the sum runs in place (batch norm's
forward+backward: about 1-2% faster). The alias proof, as in masks.py:

- the buffer is new: the name `dx` was last bound to an array the backward
  allocated (reverse.allocates), or to a name `dt1` that was, and only
  updated in place since;
- nothing else holds it: between that binding and the sum, every read of
  either name makes new values from it (an operand of arithmetic, a
  comparison or a reduction), never a view or another name for it; the
  handed-on name is neither read nor updated after the sum, nor returned.

The term added is the sweep's contribution to `dx`, summed back to x's
shape already, so `dx += term` has the shape `dx + term` has.
"""

from __future__ import annotations

import ast
from collections.abc import Callable

from .blocks import UNBROADCAST, Block, loads

# Reductions that always return new values (a view is never a reduction).
_FRESH_CALLS = frozenset({"sum", "mean", "max", "min", "prod", "dot", "matmul"})


def accumulate_in_place(
    blocks: list[Block], keep: set[str], allocates: Callable[[ast.expr], bool]
) -> list[Block]:
    """`blocks` with each provably safe `dv = dv + e` written `dv += e`."""
    flat = [s for block in blocks for s in block.statements]
    for i, statement in enumerate(flat):
        found = _sum_into_self(statement)
        if found is None:
            continue
        name, term = found
        if name in loads(term):
            continue
        binding = _binding(flat, i, name)
        if binding is None:
            continue
        bound, value = binding
        buffer = _buffer(value, name, allocates)
        if buffer is None or not _alone(flat, bound, i, name, buffer, keep, allocates):
            continue
        target = ast.Name(name, ast.Store())
        update = ast.AugAssign(target, ast.Add(), term)
        flat[i] = ast.copy_location(update, statement)
        for block in blocks:
            block.statements = [
                flat[i] if s is statement else s for s in block.statements
            ]
    return blocks


def _sum_into_self(statement: ast.stmt) -> tuple[str, ast.expr] | None:
    """(v, e) when `statement` is `v = v + e`."""
    if not (
        isinstance(statement, ast.Assign)
        and len(statement.targets) == 1
        and isinstance(statement.targets[0], ast.Name)
        and isinstance(statement.value, ast.BinOp)
        and isinstance(statement.value.op, ast.Add)
        and isinstance(statement.value.left, ast.Name)
    ):
        return None
    name = statement.targets[0].id
    return (name, statement.value.right) if statement.value.left.id == name else None


def _binding(
    statements: list[ast.stmt], at: int, name: str
) -> tuple[int, ast.expr] | None:
    """Where `name` was last bound before `at` (`name = value`), and the
    value, when it was only updated in place (`name += ...`) since."""
    for k in range(at - 1, -1, -1):
        statement = statements[k]
        if name not in _targets(statement):
            continue
        if isinstance(statement, ast.AugAssign) and isinstance(
            statement.target, ast.Name
        ):
            continue
        if isinstance(statement, ast.Assign) and isinstance(
            statement.targets[0], ast.Name
        ):
            return k, statement.value
        return None
    return None


def _buffer(value: ast.expr, name: str, allocates) -> str | None:
    """Whose buffer `name = value` binds: `name`'s own when `value` is new,
    the other name's when it is that name (or `_unbroadcast` of it, which
    is that array or a new sum)."""
    if (
        isinstance(value, ast.Call)
        and isinstance(value.func, ast.Name)
        and value.func.id == UNBROADCAST
        and value.args
    ):
        value = value.args[0]
    if isinstance(value, ast.Name):
        return value.id
    return name if allocates(value) else None


def _alone(
    statements: list[ast.stmt],
    bound: int,
    at: int,
    name: str,
    buffer: str,
    keep: set[str],
    allocates,
) -> bool:
    """Nothing but `name` holds `buffer`'s array from `bound` on, once the
    sum at `at` runs."""
    between = statements[bound + 1 : at]
    if any(not _reads_fresh(s, name) for s in between):
        return False
    if buffer == name:
        return True
    if buffer in keep:
        return False
    binding = _binding(statements, bound, buffer)
    if binding is None or _buffer(binding[1], buffer, allocates) != buffer:
        return False  # not an array the backward allocated for `buffer`
    if any(buffer in _targets(s) for s in statements[bound + 1 :]):
        return False  # updated after it was handed on
    earlier = statements[binding[0] + 1 : bound]
    if any(not _reads_fresh(s, buffer) for s in earlier + between):
        return False
    return not any(buffer in loads(s) for s in statements[at:])


def _targets(statement: ast.stmt) -> set[str]:
    """The names a statement binds or updates (an item write updates its array;
    `np.add.at(d, index, g)` updates d)."""
    if isinstance(statement, ast.Assign):
        found = set()
        for target in statement.targets:
            for node in ast.walk(target):
                if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
                    found.add(node.id)
            if isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name):
                found.add(target.value.id)
        return found
    if isinstance(statement, ast.AugAssign):
        target = statement.target
        if isinstance(target, ast.Subscript):
            target = target.value
        return {target.id} if isinstance(target, ast.Name) else set()
    if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call):
        args = statement.value.args
        return {args[0].id} if args and isinstance(args[0], ast.Name) else set()
    return set()


def _reads_fresh(statement: ast.stmt, name: str) -> bool:
    """Every read of `name` in `statement` makes new values from it (an
    update `name += e` in place reads only e)."""
    if (
        isinstance(statement, ast.AugAssign)
        and isinstance(statement.target, ast.Name)
        and statement.target.id == name
    ):
        statement = ast.Expr(statement.value)
    for parent in ast.walk(statement):
        for child in ast.iter_child_nodes(parent):
            if not (isinstance(child, ast.Name) and child.id == name):
                continue
            if not isinstance(child.ctx, ast.Load):
                return False  # bound here: not this buffer any more
            if not _fresh_use(parent, child):
                return False
    return True


def _fresh_use(parent: ast.AST, child: ast.Name) -> bool:
    if isinstance(parent, (ast.BinOp, ast.UnaryOp, ast.Compare)):
        return True
    if isinstance(parent, ast.Call) and parent.args and parent.args[0] is child:
        func = parent.func
        callee = func.attr if isinstance(func, ast.Attribute) else ""
        return callee in _FRESH_CALLS
    return False
