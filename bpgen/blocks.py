"""The backward's IR: blocks of statements, one per forward stage undone.

Blocks sit in a tree of regions as the forward's stages do (ir.Branch: the
backward branches where the forward did). The reverse sweep writes them; the
passes after it (passes.py) read and rewrite them; emit prints them. The
facts here (which gradient a statement defines, which names it reads) are
what every such pass asks.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TypeGuard, cast

from .ir import Branch, Node, Stage, leaves

# the generated module's `_unbroadcast(grad, shape)`: sums a gradient back to
# a shape known only at run time
UNBROADCAST = "\x00unbroadcast\x00"


@dataclass
class Block:
    """The statements that undo one forward stage (or a note)."""

    stage: Stage | None = None
    note: str | None = None
    statements: list[ast.stmt] = field(default_factory=list)
    # gradients a generated backward hands out here (`dx, dw = g_backward(..)`):
    # new arrays nobody else holds, tagged where the call is written
    handed_new: set[str] = field(default_factory=set)


@dataclass
class Backward:
    forward: list[Node]  # the forward region undone (ir.py)
    cache: list[str]
    shapes: dict[str, str]  # cached name -> the value whose shape it holds
    blocks: list[Block | Branch]  # a tree of regions, as `forward`
    returns: list[str]
    dout: str
    cache_name: str

    def tests_shapes(self) -> bool:
        """Whether the backward looks at shapes at run time (`_unbroadcast`,
        `.ndim`): code specialised to the arguments' ranks would not."""
        tree = ast.Module(statements(self.blocks), [])
        # `_unbroadcast(g, ())` sums to a number whatever g's rank: no test
        to_number = {id(n.func) for n in ast.walk(tree) if _sums_to_number(n)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Name) and node.id == UNBROADCAST:
                if id(node) in to_number:
                    continue
                return True
            if isinstance(node, ast.Attribute) and node.attr == "ndim":
                return True  # x.ndim, np.ndim(x)
        return False


def _sums_to_number(node: ast.AST) -> TypeGuard[ast.Call]:
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == UNBROADCAST
        and len(node.args) == 2
        and isinstance(node.args[1], ast.Tuple)
        and not node.args[1].elts
    )


def statements(blocks: Sequence[Block | Branch]) -> list[ast.stmt]:
    """Every statement of a region of blocks, branches included, in order."""
    return [s for b in leaves(blocks) for s in b.statements]


def loads(node: ast.AST) -> set[str]:
    """Every name `node` reads."""
    return {
        n.id
        for n in ast.walk(node)
        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)
    }


def defined(statement: ast.stmt) -> str | None:
    """The gradient a statement assigns or updates."""
    if isinstance(statement, ast.Assign):
        target = statement.targets[0]
        if isinstance(target, ast.Tuple):  # (dx, dw) = helper_backward(...)
            return None
        return _id(target.value) if isinstance(target, ast.Subscript) else _id(target)
    if isinstance(statement, ast.AugAssign):
        target = statement.target
        return target.id if isinstance(target, ast.Name) else _id(target.value)
    if isinstance(statement, ast.Expr):  # np.add.at(dv, index, g)
        return _id(_call(statement).args[0])
    return None


def _id(node: ast.expr) -> str:
    # a gradient the backward writes (or indexes) is always a plain name
    return cast(ast.Name, node).id


def _call(statement: ast.Expr) -> ast.Call:
    # the backward's only expression statement is `np.add.at(dv, index, g)`
    return cast(ast.Call, statement.value)


def defined_all(statement: ast.stmt) -> set[str | None]:
    """Every gradient a statement assigns (a helper's backward assigns several)."""
    target = statement.targets[0] if isinstance(statement, ast.Assign) else None
    if isinstance(target, ast.Tuple):
        return {e.id for e in target.elts if isinstance(e, ast.Name) and e.id != "_"}
    return {defined(statement)}


def uses(statement: ast.stmt) -> set[str]:
    """Names a statement reads, besides the gradient it updates."""
    if isinstance(statement, (ast.AugAssign, ast.Assign)):
        target = (
            statement.target
            if isinstance(statement, ast.AugAssign)
            else statement.targets[0]
        )
        if isinstance(target, ast.Subscript):
            return loads(target.slice) | loads(statement.value)
    if isinstance(statement, ast.Expr):
        return set().union(*(loads(a) for a in _call(statement).args[1:]))
    # the backward writes only assignments and np.add.at
    return loads(cast("ast.Assign | ast.AugAssign", statement).value)


class Rename(ast.NodeTransformer):
    """Rename the names read (stores keep theirs)."""

    def __init__(self, names: dict[str, str]) -> None:
        self.names = names

    def visit_Name(self, node: ast.Name) -> ast.Name:
        if node.id in self.names and isinstance(node.ctx, ast.Load):
            return ast.Name(self.names[node.id], ast.Load())
        return node
