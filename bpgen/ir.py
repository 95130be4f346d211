"""The IR: a program is a tree of regions, not a flat list of stages.

A region is a list of nodes: `Stage`s (one gate each, straight-line code) and
`Branch`es (a run-time `if`, whose two arms are regions again; `elif` is a
`Branch` alone in `orelse`). The backward keeps the same shape, with blocks of
statements for leaves (blocks.py). The IR knows nothing of LibCST: locations
are plain `Location`s and values are `ast` expressions.

Loops and calls have no node of their own, on purpose: a loop with a trip
count known while staging is unrolled into stages (loops.py), a run-time loop
is composed of straight-line part programs (flow.py), and a call to a user
function is one stage of a generated `<f>_forward`/`<f>_backward` pair
(helpers.py).

Passes that need every stage but not the structure read `leaves(body)` (or
`Program.stages`); passes that move code across regions walk the tree.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .location import Location


@dataclass
class Stage:
    """`target = value`, one gate (or a value without gradient when gate is None)."""

    target: str
    value: ast.expr
    gate: str | None
    inputs: dict[str, ast.expr] = field(default_factory=dict)
    params: dict[str, ast.expr] = field(default_factory=dict)
    at: Location | None = None  # the user's expression, for errors


class SetItem(ast.expr):
    """The value of `array` with `array[index] = item` done to a copy of it."""

    _fields = ("array", "index", "item")
    array: ast.Name  # the array written into, by name (stage.py)
    index: ast.expr
    item: ast.expr

    if TYPE_CHECKING:  # ast.AST takes its _fields in order

        def __init__(
            self, array: ast.Name, index: ast.expr, item: ast.expr
        ) -> None: ...


@dataclass
class Branch:
    """`if condition: then else: orelse`, at run time; `condition` names a
    staged value (or a parameter). The arms hold the same kind of node as the
    region around them: stages in the forward, blocks in the backward."""

    condition: str
    then: list[Any] = field(default_factory=list)
    orelse: list[Any] = field(default_factory=list)


Node = Stage | Branch


@dataclass
class Program:
    """The staged function: what every later step works on."""

    name: str
    signature: ast.arguments
    params: list[str]
    wrt: list[str]
    body: list[Node]
    outputs: list[ast.expr]
    returns_tuple: bool
    varied: set[str]
    scalar: bool
    float_params: set[str]
    floats: set[str]  # values proven to be floats (see kinds.py)
    modules: set[str]
    constants: set[str]
    taken: set[str]
    unnamed: set[str] = field(default_factory=set)  # bpgen's temporaries
    # parameters annotated `float`/`int`: floats by the user's word, not
    # proven by the text (`math.exp(a)` also takes a 0-d array `a`)
    declared_floats: set[str] = field(default_factory=set)
    # the user's `assert`s on parameters before anything is computed: the
    # forward checks them first (later ones are left out, as `python -O` does)
    checks: list[ast.Assert] = field(default_factory=list)
    # module constants that are no plain number (`GRID = np.linspace(...)`):
    # float64 arrays, which make float32 values float64 where they meet
    array_constants: set[str] = field(default_factory=set)

    @property
    def stages(self) -> list[Stage]:
        """Every stage in forward order, whatever branch it runs under."""
        return list(leaves(self.body))

    @property
    def straight(self) -> bool:
        """Whether the program is straight-line code (no run-time branch)."""
        return not any(isinstance(node, Branch) for node in self.body)


def leaves(body: Iterable[Any]) -> Iterator[Any]:
    """The stages (or blocks) of a region in order, arms `then` before `orelse`."""
    for node in body:
        if isinstance(node, Branch):
            yield from leaves(node.then)
            yield from leaves(node.orelse)
        else:
            yield node


def swept(body: list) -> Iterator[Any]:
    """The blocks of a backward region in the order the reverse sweep wrote
    them: each branch's `orelse` arm before its `then` arm. Passes that read
    the backward as one path (copies, hand-out) keep the sweep's order."""
    for node in body:
        if isinstance(node, Branch):
            yield from swept(node.orelse)
            yield from swept(node.then)
        else:
            yield node


def walk(body: list, where: tuple[str, ...] = ()) -> Iterator[tuple[Any, tuple]]:
    """(leaf, the conditions of the branches around it, outermost first)."""
    for node in body:
        if isinstance(node, Branch):
            inner = (*where, node.condition)
            yield from walk(node.then, inner)
            yield from walk(node.orelse, inner)
        else:
            yield node, where


def conditions(body: list) -> set[str]:
    """The conditions of every branch in a region, nested ones included."""
    found: set[str] = set()
    for node in body:
        if isinstance(node, Branch):
            found |= {node.condition} | conditions(node.then) | conditions(node.orelse)
    return found


def append(body: list, node: Any) -> None:
    """Add `node` at the end of a region: a branch on the condition of the
    branch just before it joins that branch (the condition is a staged
    value, so both test the same thing), and an empty branch is left out."""
    if isinstance(node, Branch):
        if not node.then and not node.orelse:
            return
        last = body[-1] if body else None
        if isinstance(last, Branch) and last.condition == node.condition:
            for node_arm, last_arm in (
                (node.then, last.then),
                (node.orelse, last.orelse),
            ):
                for child in node_arm:
                    append(last_arm, child)
            return
    body.append(node)


def join(body: list, keep: Callable[[Any], bool] = lambda leaf: True) -> list:
    """The region with only the leaves `keep` accepts, as `append` builds it:
    branches left empty vanish and branches left adjacent on one condition
    become one."""
    out: list = []
    for node in body:
        if isinstance(node, Branch):
            node = Branch(
                node.condition, join(node.then, keep), join(node.orelse, keep)
            )
            append(out, node)
        elif keep(node):
            out.append(node)
    return out
