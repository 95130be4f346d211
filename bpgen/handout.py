"""Hand the gradients out safely: the last pass over the backward.

The contract: every returned gradient is a writable value of its argument's
kind (a float for a float) that shares memory with neither `dout`, the cache,
nor another returned gradient. Most gradients already are (a product is a new
array); this pass finds the ones that may not be, by following where each
gradient's memory comes from, and copies only those.
"""

from __future__ import annotations

import ast
import itertools

from .lower import NP
from .rules import VIEW_CALLS as _VIEWS  # calls that may return a view

# Calls that may make a 0-d array out of a float (ufuncs give a float back).
_ARRAY_MAKERS = frozenset(
    {"broadcast_to", "where", "zeros_like", "full_like", "ones_like", "copy"} | _VIEWS
)
READ_ONLY = "read-only"  # a broadcast_to view: not writable at all


def _callee(expr: ast.expr) -> str:
    func = expr.func if isinstance(expr, ast.Call) else None
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else ""


class _Memory:
    """Where each gradient's memory comes from: a fresh token per allocation,
    the name of a foreign value (dout, a cached value), or READ_ONLY."""

    def __init__(self, gradients: set[str]) -> None:
        self.gradients = gradients
        self.base: dict[str, str] = {}
        self.maker: dict[str, bool] = {}  # last value may be a 0-d array
        self.tokens = itertools.count()

    def of(self, expr: ast.expr) -> str:
        if isinstance(expr, ast.Name):
            return self.base.get(expr.id, expr.id)  # a foreign name is its own base
        if isinstance(expr, ast.Subscript):
            return self.of(expr.value)  # dout[0], g[i]: a view
        if isinstance(expr, ast.Attribute) and expr.attr == "T":
            return self.of(expr.value)
        if isinstance(expr, ast.IfExp):
            bases = [self.of(expr.body), self.of(expr.orelse)]
            return next((b for b in bases if not b.startswith("new ")), bases[0])
        if isinstance(expr, ast.Call):
            name = _callee(expr)
            if name in ("broadcast_to", "diagonal"):
                return READ_ONLY  # views NumPy makes read-only
            if name == "einsum" and len(expr.args) == 2:
                return self.of(expr.args[1])  # one operand: may be a view of it
            if name in _VIEWS:
                func = expr.func
                receiver = func.value if isinstance(func, ast.Attribute) else None
                method = receiver is not None and not (
                    isinstance(receiver, ast.Name) and receiver.id == NP
                )
                return self.of(receiver if method else expr.args[0])
            if name.endswith("unbroadcast\x00"):
                return self.of(expr.args[0])  # returned untouched when shapes agree
        return f"new {next(self.tokens)}"

    def makes_array(self, expr: ast.expr) -> bool:
        """Whether `expr` may be a 0-d array where a float went in."""
        if isinstance(expr, ast.Name):
            return self.maker.get(expr.id, False)
        if isinstance(expr, ast.IfExp):
            return self.makes_array(expr.body) or self.makes_array(expr.orelse)
        if not isinstance(expr, ast.Call):
            return False
        if _callee(expr).endswith("unbroadcast\x00"):
            return self.makes_array(expr.args[0])
        return _callee(expr) in _ARRAY_MAKERS

    def assign(self, name: str, expr: ast.expr) -> None:
        self.base[name] = self.of(expr)
        self.maker[name] = self.makes_array(expr)


def hand_out(
    statements: list[ast.stmt],
    returns: list[str],
    params: list[str],
    floats: set[str],
    arrays: set[str],
    scalar: bool = False,
) -> list[ast.stmt]:
    """Statements that make each returned gradient safe (often none).

    `returns[i]` is the gradient of `params[i]`; `floats` are the values
    proven floats, `arrays` parameters proven arrays. In a `scalar` (pure
    float) backward only a gradient that may be `dout` itself (a 0-d array
    dout) needs a fix: arithmetic on it already gives a float.
    """
    memory = _Memory(set(returns))
    pure: dict[str, bool] = {}  # arithmetic on floats only, so far
    for statement in statements:
        if isinstance(statement, ast.Assign) and isinstance(
            statement.targets[0], ast.Name
        ):
            name = statement.targets[0].id
            memory.assign(name, statement.value)
            pure[name] = _pure_float(statement.value, floats)
        elif isinstance(statement, ast.AugAssign) and isinstance(
            statement.target, ast.Name
        ):
            name = statement.target.id
            pure[name] = pure.get(name, False) and _pure_float(statement.value, floats)
    fixes: list[ast.stmt] = []
    seen: set[str] = set()
    np = ast.Name(NP, ast.Load())
    for grad, param in zip(returns, params, strict=True):
        base = memory.base.get(grad, grad)
        shared = not base.startswith("new ") or base in seen
        seen.add(base)
        load = ast.Name(grad, ast.Load())
        if scalar:
            if base.startswith("new "):
                continue  # floats are immutable: only a 0-d array dout may be shared
            value: ast.expr = ast.Call(ast.Name("float", ast.Load()), [load], [])
        elif param in floats:
            if pure.get(grad, False):
                continue
            # NumPy scalars (np.float32) and 0-d arrays become a float
            value = ast.Call(ast.Name("float", ast.Load()), [load], [])
        elif param in arrays:
            if not shared:
                continue
            value = ast.Call(ast.Attribute(load, "copy", ast.Load()), [], [])
        elif shared:
            # a new array, or a float for a float: what a ufunc gives back
            value = ast.Call(ast.Attribute(np, "positive", ast.Load()), [load], [])
        elif memory.maker.get(grad, False):
            # a 0-d array becomes a float; an array stays itself
            value = ast.Subscript(load, ast.Tuple([], ast.Load()), ast.Load())
        else:
            continue
        fixes.append(ast.Assign([ast.Name(grad, ast.Store())], value))
        if shared:
            seen.add(f"copy of {grad}")
    return fixes


def _pure_float(expr: ast.expr, floats: set[str]) -> bool:
    """Arithmetic on floats only: `-float(np.sum(g)) / p` with p a float."""
    if isinstance(expr, ast.BinOp):
        return _pure_float(expr.left, floats) and _pure_float(expr.right, floats)
    if isinstance(expr, ast.UnaryOp):
        return _pure_float(expr.operand, floats)
    if isinstance(expr, ast.Constant):
        return isinstance(expr.value, (int, float))
    if isinstance(expr, ast.Name):
        return expr.id in floats
    func = expr.func if isinstance(expr, ast.Call) else None
    return isinstance(func, ast.Name) and func.id == "float"
