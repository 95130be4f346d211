"""What the forward saves for the backward: the values it reads, and only
the shape of those it reads for their shape alone."""

from __future__ import annotations

import ast
from collections.abc import Callable

from .blocks import Block, loads, statements
from .ir import Branch, Node, Program, conditions, leaves, walk


def saved_values(
    program: Program, body: list[Node], blocks: list[Block | Branch]
) -> list[str]:
    """Parameters and values of the stages in `body` the backward reads, in
    forward order; the backward branches as the forward did."""
    read = conditions(blocks)
    for statement in statements(blocks):
        read |= loads(statement)
    order = [*program.params, *(s.target for s in leaves(body))]
    return list(dict.fromkeys(name for name in order if name in read))


def save_shapes(
    program: Program,
    cache: list[str],
    blocks: list[Block | Branch],
    take: Callable[[str], str],
) -> dict[str, str]:
    """Intermediates the backward reads only for their shape: cache the shape,
    so the array itself can be freed after the forward pass. Rewrites the
    blocks' `v.shape` reads; returns {value: its shape's new name}."""
    candidates = set(cache) - set(program.params)
    candidates -= conditions(blocks)
    # a value only one branch makes has no shape to take on the other
    candidates -= {stage.target for stage, where in walk(program.body) if where}
    for statement in statements(blocks):
        candidates -= _full_reads(statement, candidates)
    renames = {name: take(f"{name}_shape") for name in cache if name in candidates}
    if renames:
        rename = _ShapeRename(renames)
        for block in leaves(blocks):
            block.statements = [rename.visit(s) for s in block.statements]
    return renames


def _shape_of(node: ast.AST) -> str | None:
    """`v` when `node` is `v.shape` or `np.shape(v)`."""
    if isinstance(node, ast.Attribute) and node.attr == "shape":
        value = node.value
    elif (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "shape"
        and len(node.args) == 1
    ):
        value = node.args[0]
    else:
        return None
    return value.id if isinstance(value, ast.Name) else None


def _full_reads(node: ast.AST, names: set[str]) -> set[str]:
    """Names in `names` read for more than their shape."""
    if _shape_of(node) is not None:
        return set()
    if isinstance(node, ast.Name) and node.id in names:
        return {node.id}
    found: set[str] = set()
    for child in ast.iter_child_nodes(node):
        found |= _full_reads(child, names)
    return found


class _ShapeRename(ast.NodeTransformer):
    def __init__(self, names: dict[str, str]) -> None:
        self.names = names

    def visit(self, node: ast.AST) -> ast.AST:
        value = _shape_of(node)
        if value in self.names:
            return ast.Name(self.names[value], ast.Load())
        return self.generic_visit(node)
