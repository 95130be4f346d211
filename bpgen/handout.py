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

READ_ONLY = "read-only"  # a broadcast_to view: not writable at all
# the generated module's helper: a gradient as its argument's kind
LIKE = "\x00like\x00"

LIKE_HELPER = '''def {name}(grad, arg, copy=False):
    """grad as arg's kind: a float for a number, else an array of arg's dtype."""
    if isinstance(arg, (int, float)):
        return float(grad)
    return {np}.array(grad, getattr(arg, "dtype", None), copy=copy or None)
'''


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

    def assign(self, name: str, expr: ast.expr) -> None:
        self.base[name] = self.of(expr)


def hand_out(
    statements: list[ast.stmt],
    returns: list[str],
    params: list[str],
    floats: set[str],
    arrays: set[str],
    scalar: bool = False,
    branched: bool = False,
    handed_new: set[str] | frozenset[str] = frozenset(),
) -> list[ast.stmt]:
    """Statements that make each returned gradient safe (often none).

    `returns[i]` is the gradient of `params[i]`; `floats` are the values
    proven floats, `arrays` parameters proven arrays. In a `scalar` (pure
    float) backward only a gradient that may be `dout` itself (a 0-d array
    dout) needs a fix: arithmetic on it already gives a float. A `branched`
    backward is read as one path here: a gradient counts as shared (or as
    a possible 0-d array) when any assignment, on any branch, makes it so.
    `handed_new` are the gradients a generated backward hands out (the
    reverse sweep tags them where it writes the call): new, unshared arrays.
    """
    memory = _Memory(set(returns))
    pure: dict[str, bool] = {}  # arithmetic on floats only, so far
    # on some path: a foreign value, a value that may be a 0-d array
    foreign: set[str] = set()
    for statement in statements:
        if isinstance(statement, ast.Assign) and isinstance(
            statement.targets[0], ast.Name
        ):
            name = statement.targets[0].id
            memory.assign(name, statement.value)
            pure[name] = _pure_float(statement.value, floats) and (
                not branched or pure.get(name, True)
            )
            if not memory.base[name].startswith("new "):
                foreign.add(name)
        elif _hands_out_new(statement, handed_new):
            # a generated backward hands out fresh, unshared gradients
            for item in statement.targets[0].elts:
                memory.base[item.id] = f"new {next(memory.tokens)}"
                pure[item.id] = False
        elif isinstance(statement, ast.AugAssign) and isinstance(
            statement.target, ast.Name
        ):
            name = statement.target.id
            pure[name] = pure.get(name, False) and _pure_float(statement.value, floats)
    fixes: list[ast.stmt] = []
    seen: set[str] = set()
    for grad, param in zip(returns, params, strict=True):
        base = memory.base.get(grad, grad)
        shared = not base.startswith("new ") or base in seen
        # a branch may make a float on one path and a 0-d array on another:
        # np.positive hands out a float for either
        shared = shared or (branched and grad in foreign)
        seen.add(base)
        load = ast.Name(grad, ast.Load())
        if scalar:
            if base.startswith("new ") and not (branched and grad in foreign):
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
        else:
            value = _by_kind(grad, param, shared)
        fixes.append(ast.Assign([ast.Name(grad, ast.Store())], value))
        if shared:
            seen.add(f"copy of {grad}")
    return fixes


def _hands_out_new(statement: ast.stmt, handed_new: set[str] | frozenset[str]) -> bool:
    """`dx, dw = g_backward(...)` with every target tagged as handed out new."""
    if not (
        isinstance(statement, ast.Assign)
        and isinstance(statement.targets[0], ast.Tuple)
        and all(isinstance(item, ast.Name) for item in statement.targets[0].elts)
    ):
        return False
    names = {item.id for item in statement.targets[0].elts} - {"_"}
    return bool(names) and names <= handed_new


def _by_kind(grad: str, param: str, shared: bool) -> ast.expr:
    """For an argument whose kind the text does not show, decided at run time
    by the module's `_like` helper: a float for a number, else an array of
    the argument's dtype (a 0-d array for a 0-d array, not a NumPy scalar;
    float32 also where the forward upcast), copied when it may be shared."""
    args: list[ast.expr] = [ast.Name(grad, ast.Load()), ast.Name(param, ast.Load())]
    copy = [ast.keyword("copy", ast.Constant(True))] if shared else []
    return ast.Call(ast.Name(LIKE, ast.Load()), args, copy)


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
