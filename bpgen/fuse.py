"""Collapse known chains of gates into one gate, as the seed does for sigmoid.

`1 / (1 + exp(-z))` staged gate by gate costs four stages and caches three
values; fused, it is one stage whose backward is `(1 - s) * s` on the cached
output: simpler and numerically better.
"""

from __future__ import annotations

import ast

from .lower import _tag, gate_of, get_slot
from .tags import of


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
    if not isinstance(denominator, ast.BinOp):  # np.add(1, exp(-z)): not fused
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


def _inner(node: ast.expr, gate: str, name: str) -> tuple[ast.expr, tuple] | None:
    """The input `name` of `node` and its slot, when `node` is that gate."""
    if gate_of(node) != gate:
        return None
    slots = of(node).slots
    assert slots is not None  # lower._tag tags every gate with its slots
    slot = slots.get(name)
    return None if slot is None else (get_slot(node, slot), slot)


def _logsumexp(node: ast.expr) -> dict | None:
    """Slots of `log(sum(exp(z), axis, keepdims))` as one gate, else None."""
    found = _inner(node, "log", "x")
    summed = found and _inner(found[0], "sum", "a")
    exp = summed and _inner(summed[0], "exp", "x")
    if not (found and summed and exp):  # exp implies the other two
        return None
    to_sum, to_exp = found[1], summed[1]
    slots = {"a": to_sum + to_exp + exp[1]}
    sum_slots = of(found[0]).slots
    assert sum_slots is not None  # a gate: tagged with its slots
    for name, slot in sum_slots.items():  # axis=, keepdims=
        if name != "a":
            slots[name] = to_sum + slot
    return slots


def fuse(node: ast.expr) -> ast.expr:
    """Tag every sigmoid and log-sum-exp inside `node` as one gate (bottom-up)."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.expr):
            fuse(child)
    slots = _logsumexp(node)
    if slots is not None:
        # d/dz log(sum(exp(z))) = softmax(z) = exp(z - out): no exp(z) to cache
        _tag(node, "logsumexp", slots)
    negative = _sigmoid_input(node)
    if negative is not None:
        # slot of z: node.right (1 + exp(-z)) -> the exp call -> its argument -> operand
        assert isinstance(node, ast.BinOp)  # _sigmoid_input checked
        denominator = node.right
        assert isinstance(denominator, ast.BinOp)
        side = "right" if _is_one(denominator.left) else "left"
        _tag(node, "sigmoid", {"x": ("right", side, "args", 0, "operand")})
    return node
