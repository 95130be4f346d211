"""Broadcast dropping: `dv = np.broadcast_to(e, v.shape)` is just `e` where
every use of `dv` broadcasts by itself."""

from __future__ import annotations

import ast
from typing import cast

from .blocks import Block, defined, loads, statements, uses
from .shapes import Shapes


def broadcast_value(expr: ast.expr) -> ast.expr | None:
    """`e` when `expr` only spreads `e` over a shape: `np.broadcast_to(e, s)`
    or `np.full_like(a, e)`."""
    if not (isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute)):
        return None
    if expr.func.attr == "broadcast_to":
        return expr.args[0]
    if expr.func.attr == "full_like":
        return expr.args[1]
    return None


def drop_broadcasts(
    blocks: list[Block], keep: set[str], owner: dict[str, str], shapes: Shapes
) -> list[Block]:
    """Where every use of `dv` is multiplied by a value of v's shape (or
    scattered), it broadcasts there by itself, and the cache need not keep
    `v` for its shape. `owner` maps a gradient to its variable."""
    every = statements(blocks)
    definitions: dict[str | None, list[ast.stmt]] = {}
    for statement in every:
        definitions.setdefault(defined(statement), []).append(statement)
    for name, defs in definitions.items():
        if name is None or name in keep or len(defs) != 1:
            continue
        (definition,) = defs
        if not isinstance(definition, ast.Assign):
            continue
        spread = broadcast_value(definition.value)
        if spread is None:
            continue
        klass = shapes.klass.get(owner.get(name, ""))
        reads = [s for s in every if s is not definition and name in uses(s)]
        if (
            klass is not None
            and reads
            and all(_broadcasts_in(s, name, klass, shapes) for s in reads)
        ):
            definition.value = spread
    return blocks


def _broadcasts_in(statement: ast.stmt, name: str, klass: int, shapes: Shapes) -> bool:
    """Whether every read of `name` in `statement` meets a full-shape factor."""
    if isinstance(statement, ast.Expr):  # np.add.at(d, index, name) broadcasts
        call = cast(ast.Call, statement.value)  # the backward's only one
        return name not in loads(call.args[1])
    if isinstance(statement, ast.AugAssign) and isinstance(
        statement.target, ast.Subscript
    ):
        return name not in loads(statement.target.slice)

    def ok(node: ast.AST) -> bool:
        if (
            isinstance(node, ast.Call)
            and getattr(node.func, "attr", "") == "zeros_like"
        ):
            return True  # reads only the dtype
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Mult, ast.Div)):
            factors = _factors(node)
            if any(name in loads(f) for f in factors):
                full = any(
                    isinstance(f, ast.Name) and shapes.klass.get(f.id) == klass
                    for f in factors
                )
                return full and all(
                    isinstance(f, ast.Name) or name not in loads(f) or ok(f)
                    for f in factors
                )
            return True
        if isinstance(node, ast.Name):
            return node.id != name
        return all(ok(child) for child in ast.iter_child_nodes(node))

    # the backward writes only assignments and np.add.at
    return ok(cast("ast.Assign | ast.AugAssign", statement).value)


def _factors(node: ast.expr) -> list[ast.expr]:
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Mult, ast.Div)):
        return _factors(node.left) + _factors(node.right)
    return [node]
