"""Collapse known chains of gates into one gate, as the seed does for sigmoid.

`1 / (1 + exp(-z))` staged gate by gate costs four stages and caches three
values; fused, it is one stage whose backward is `(1 - s) * s` on the cached
output: simpler and numerically better.
"""

from __future__ import annotations

import ast

from .lower import _tag, gate_of


def _is_one(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value == 1 and node.value is not True


def _exp_of_negative(node: ast.expr) -> ast.expr | None:
    """The `z` of `exp(-z)`, else None."""
    if gate_of(node) != "exp" or not isinstance(node, ast.Call):
        return None
    if len(node.args) == 1 and not node.keywords and gate_of(node.args[0]) == "neg":
        return node.args[0]
    return None


def _sigmoid_input(node: ast.expr) -> ast.expr | None:
    """The `-z` node when `node` is `1 / (1 + exp(-z))` in any operand order."""
    if not (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div)):
        return None
    denominator = node.right
    if not _is_one(node.left) or gate_of(denominator) != "add":
        return None
    pairs = (
        (denominator.left, denominator.right),
        (denominator.right, denominator.left),
    )
    for one, other in pairs:
        if _is_one(one):
            negative = _exp_of_negative(other)
            if negative is not None:
                return negative
    return None


def fuse(node: ast.expr) -> ast.expr:
    """Tag every sigmoid inside `node` as one gate (bottom-up)."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.expr):
            fuse(child)
    negative = _sigmoid_input(node)
    if negative is not None:
        # slot of z: node.right (1 + exp(-z)) -> the exp call -> its argument -> operand
        denominator = node.right
        side = "right" if _is_one(denominator.left) else "left"
        _tag(node, "sigmoid", {"x": ("right", side, "args", 0, "operand")})
    return node
