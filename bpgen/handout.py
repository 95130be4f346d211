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
from typing import TypeGuard, cast

from .ir import Branch
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
    """Where each gradient's memory may come from: a fresh token per
    allocation, the name of a foreign value (dout, a cached value), or
    READ_ONLY. A name holds a set of bases: after a branch, those of either
    arm."""

    def __init__(self) -> None:
        self.base: dict[str, frozenset[str]] = {}
        self.tokens = itertools.count()
        self.pure: dict[str, bool] = {}  # arithmetic on floats only, so far

    def fork(self) -> _Memory:
        other = _Memory()
        other.base, other.pure = dict(self.base), dict(self.pure)
        other.tokens = self.tokens
        return other

    def join(self, then: _Memory, orelse: _Memory) -> None:
        """After `if`: a name may hold what either arm left in it."""
        for name in then.base.keys() | orelse.base.keys():
            self.base[name] = then.bases(name) | orelse.bases(name)
        for name in then.pure.keys() | orelse.pure.keys():
            self.pure[name] = then.pure.get(name, True) and orelse.pure.get(name, True)

    def bases(self, name: str) -> frozenset[str]:
        return self.base.get(name, frozenset({name}))  # foreign: its own base

    def of(self, expr: ast.expr) -> frozenset[str]:
        if isinstance(expr, ast.Name):
            return self.bases(expr.id)
        if isinstance(expr, ast.Subscript):
            return self.of(expr.value)  # dout[0], g[i]: a view
        if isinstance(expr, ast.Attribute) and expr.attr == "T":
            return self.of(expr.value)
        if isinstance(expr, ast.IfExp):
            return self.of(expr.body) | self.of(expr.orelse)
        if isinstance(expr, ast.Call):
            name = _callee(expr)
            if name in ("broadcast_to", "diagonal"):
                return frozenset({READ_ONLY})  # views NumPy makes read-only
            if name == "einsum" and len(expr.args) == 2:
                return self.of(expr.args[1])  # one operand: may be a view of it
            if name in _VIEWS:
                func = expr.func
                receiver = func.value if isinstance(func, ast.Attribute) else None
                method = receiver is not None and not (
                    isinstance(receiver, ast.Name) and receiver.id == NP
                )
                return self.of(
                    receiver if receiver is not None and method else expr.args[0]
                )
            if name.endswith("unbroadcast\x00"):
                return self.of(expr.args[0])  # returned untouched when shapes agree
        return self.new()

    def new(self) -> frozenset[str]:
        return frozenset({f"new {next(self.tokens)}"})

    def read(self, statement: ast.stmt, floats: set[str], handed_new) -> None:
        if isinstance(statement, ast.Assign) and isinstance(
            statement.targets[0], ast.Name
        ):
            name = statement.targets[0].id
            self.base[name] = self.of(statement.value)
            self.pure[name] = _pure_float(statement.value, floats)
        elif _hands_out_new(statement, handed_new):
            # a generated backward hands out fresh, unshared gradients
            # _hands_out_new checked: a tuple of names
            names = cast(ast.Tuple, statement.targets[0]).elts
            for item in cast("list[ast.Name]", names):
                self.base[item.id] = self.new()
                self.pure[item.id] = False
        elif isinstance(statement, ast.AugAssign) and isinstance(
            statement.target, ast.Name
        ):
            name = statement.target.id
            self.pure[name] = self.pure.get(name, False) and _pure_float(
                statement.value, floats
            )

    def walk(self, region: list, floats: set[str], handed_new) -> None:
        for node in region:
            if isinstance(node, Branch):
                then, orelse = self.fork(), self.fork()
                then.walk(node.then, floats, handed_new)
                orelse.walk(node.orelse, floats, handed_new)
                self.join(then, orelse)
            else:
                for statement in node.statements:
                    self.read(statement, floats, handed_new)


def _fresh(bases: frozenset[str]) -> bool:
    return all(base.startswith("new ") for base in bases)


def hand_out(
    blocks: list,
    returns: list[str],
    params: list[str],
    floats: set[str],
    arrays: set[str],
    scalar: bool = False,
    handed_new: set[str] | frozenset[str] = frozenset(),
) -> list[ast.stmt]:
    """Statements that make each returned gradient safe (often none).

    `blocks` is the backward's region tree; `returns[i]` is the gradient of
    `params[i]`; `floats` are the values proven floats, `arrays` parameters
    proven arrays. In a `scalar` (pure float) backward only a gradient that
    may be `dout` itself (a 0-d array dout) needs a fix: arithmetic on it
    already gives a float. After a branch a gradient may hold what either
    arm made, so it counts as shared (or as a possible 0-d array) when
    either does. `handed_new` are the gradients a generated backward hands
    out (the reverse sweep tags them where it writes the call): new,
    unshared arrays.
    """
    memory = _Memory()
    memory.walk(blocks, floats, handed_new)
    fixes: list[ast.stmt] = []
    seen: set[str] = set()
    for grad, param in zip(returns, params, strict=True):
        bases = memory.bases(grad)
        shared = not _fresh(bases) or bool(bases & seen)
        seen |= bases
        load = ast.Name(grad, ast.Load())
        if scalar:
            if _fresh(bases):
                continue  # floats are immutable: only a 0-d array dout may be shared
            value: ast.expr = ast.Call(ast.Name("float", ast.Load()), [load], [])
        elif param in floats:
            if memory.pure.get(grad, False):
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


def _hands_out_new(
    statement: ast.stmt, handed_new: set[str] | frozenset[str]
) -> TypeGuard[ast.Assign]:
    """`dx, dw = g_backward(...)` with every target tagged as handed out new."""
    if not (
        isinstance(statement, ast.Assign)
        and isinstance(statement.targets[0], ast.Tuple)
        and all(isinstance(item, ast.Name) for item in statement.targets[0].elts)
    ):
        return False
    elts = statement.targets[0].elts
    names = {item.id for item in elts if isinstance(item, ast.Name)} - {"_"}
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
