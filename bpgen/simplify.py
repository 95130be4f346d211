"""Peepholes that make instantiated rules read like hand-written code.

`g * 1`, `(2 - 1)`, `x ** 1` and `-(-g)` come from splicing atoms into rule
templates; a person would never write them. The reverse sweep runs these on
each rule it instantiates (passes.Sweep.peepholes); the statement-level
passes (gradient copies, dead gradients) are copies.py and dead.py.
"""

from __future__ import annotations

import ast
import operator
from typing import TypeGuard, cast

_FOLD = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Pow: operator.pow,
}


def number(node: ast.expr) -> float | None:
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return cast(float, node.value)  # an int or a float: checked above
    if (
        isinstance(node, ast.UnaryOp)
        and isinstance(node.op, ast.USub)
        and isinstance(node.operand, ast.Constant)
        and type(node.operand.value) in (int, float)
    ):
        return -cast(float, node.operand.value)
    return None


def constant(value: float) -> ast.expr:
    if value < 0:
        return ast.UnaryOp(ast.USub(), ast.Constant(-value))
    return ast.Constant(value)


class Peephole(ast.NodeTransformer):
    """Bottom-up algebraic clean-up; never changes a value."""

    def visit_BinOp(self, node: ast.BinOp) -> ast.expr:
        self.generic_visit(node)
        left, right = number(node.left), number(node.right)
        op = type(node.op)
        if type(left) is int and type(right) is int and op in _FOLD and abs(right) < 64:
            return constant(_FOLD[op](left, right))
        if op is ast.Mult:
            if right == 1:
                return node.left
            if left == 1:
                return node.right
            if right == -1:
                return negate(node.left)
            if left == -1:
                return negate(node.right)
        if op in (ast.Div, ast.Pow) and right == 1:
            return node.left
        # a * -b is -a * b: the sign reads better at the front (and is exact)
        if op in (ast.Mult, ast.Div) and _is_negation(node.right):
            return negate(ast.BinOp(node.left, node.op, node.right.operand))
        return node

    def visit_UnaryOp(self, node: ast.UnaryOp) -> ast.expr:
        self.generic_visit(node)
        if isinstance(node.op, ast.UAdd):
            return node.operand
        if isinstance(node.op, ast.USub) and _is_negation(node.operand):
            return node.operand.operand
        return node


def negate(node: ast.expr) -> ast.expr:
    """-node, with the sign on the leftmost factor: -a * b rather than -(a * b)."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Mult, ast.Div)):
        return ast.BinOp(negate(node.left), node.op, node.right)
    if _is_negation(node):
        return node.operand
    value = number(node)
    if value is not None:
        return constant(-value)
    return ast.UnaryOp(ast.USub(), node)


def split_sign(node: ast.expr) -> tuple[bool, ast.expr]:
    """(True, a * b) for -a * b; (False, node) when there is no leading minus."""
    if _is_negation(node):
        return True, node.operand
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Mult, ast.Div)):
        negative, left = split_sign(node.left)
        if negative:
            return True, ast.BinOp(left, node.op, node.right)
    return False, node


def _is_negation(node: ast.expr) -> TypeGuard[ast.UnaryOp]:
    return (
        isinstance(node, ast.UnaryOp)
        and isinstance(node.op, ast.USub)
        and number(node) is None
    )


def expression(node: ast.expr) -> ast.expr:
    return Peephole().visit(node)
