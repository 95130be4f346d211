"""What bpgen can know about shapes without running the code.

Three facts per variable: its rank when known; a shape class (two variables
in one class surely have the same shape); and the class it broadcasts into
unchanged, and over which axes (the mean of x over axis 0 broadcasts into
x's class; its gradient is summed over axis 0). A broadcasting gate's gradient needs
summing back only when its input's class differs from its output's, which is
how the generated code stays free of reductions where shapes already agree.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from .dims import Dims, is_count
from .rules import BROADCAST, FLOATS, PRODUCT, REDUCE, RULES, SAME, Gate, of_kind
from .stage import Program, SetItem, Stage

SCALAR = 0  # the class of every rank-0 value

_SAME_SHAPE = of_kind(SAME)  # declared in rules.py
_REDUCTIONS = of_kind(REDUCE)


@dataclass(frozen=True)
class Into:
    """Broadcasts into `klass` along `axes` (kept as size 1 when `keepdims`)."""

    klass: int
    axes: tuple[int, ...]
    keepdims: bool


@dataclass
class Shapes:
    rank: dict[str, int | None] = field(default_factory=dict)
    klass: dict[str, int] = field(default_factory=dict)
    into: dict[str, Into] = field(default_factory=dict)
    # `into` as far as parameters outside wrt are numbers (`eps` in
    # `np.sqrt(var + eps)`): a hint for cost, never a proof for a sum
    likely: dict[str, Into] = field(default_factory=dict)
    count: int = 1
    dims: Dims | None = None

    def new_class(self) -> int:
        self.count += 1
        return self.count

    def of(self, node: ast.expr) -> tuple[int | None, int | None]:
        """(rank, class) of an atom or a simple static expression."""
        if isinstance(node, ast.Name):
            return self.rank.get(node.id), self.klass.get(node.id)
        if isinstance(node, ast.Constant) or (
            isinstance(node, ast.UnaryOp) and isinstance(node.operand, ast.Constant)
        ):
            return 0, SCALAR
        if is_count(node):
            return 0, SCALAR
        if isinstance(node, (ast.Compare, ast.BinOp)):
            parts = (
                [node.left, *node.comparators]
                if isinstance(node, ast.Compare)
                else [node.left, node.right]
            )
            return self.merge(parts)
        return None, None

    def merge(self, nodes: list[ast.expr]):
        """Rank and class of the broadcast of several values."""
        facts = [self.of(n) for n in nodes]
        ranks = [r for r, _ in facts]
        rank = (
            None
            if None in ranks
            else max((r for r in ranks if r is not None), default=0)
        )
        classes = {k for _, k in facts if k != SCALAR}
        if not classes:
            return rank, SCALAR
        for klass in classes - {None}:
            assert klass is not None
            if all(
                k in (klass, SCALAR) or self._fits(n, klass)
                for n, (_, k) in zip(nodes, facts, strict=True)
            ):
                return rank, klass
        return rank, None

    def _fits(self, node: ast.expr, klass: int) -> bool:
        into = self.into.get(node.id) if isinstance(node, ast.Name) else None
        return into is not None and into.klass == klass


def infer(program: Program, dims: Dims | None = None) -> Shapes:
    """Ranks and classes; exact wherever `dims` (declared shapes) knows the
    shape, as far as the text shows elsewhere."""
    shapes = Shapes(dims=dims)
    by_shape: dict[tuple, int] = {(): SCALAR}

    def known(name: str) -> tuple[int | None, int | None]:
        shape = dims.canonical(dims.shape.get(name)) if dims else None
        if shape is None:
            return None, None
        if None in shape:
            return len(shape), None
        if shape not in by_shape:
            by_shape[shape] = shapes.new_class()
        return len(shape), by_shape[shape]

    for name in program.params:
        if program.scalar or name in program.float_params:
            shapes.rank[name], shapes.klass[name] = 0, SCALAR
        else:
            rank, klass = known(name)
            shapes.rank[name] = rank
            shapes.klass[name] = shapes.new_class() if klass is None else klass
    for stage in program.stages:
        floats = program.scalar or stage.target in program.floats
        rank, klass = (0, SCALAR) if floats else known(stage.target)
        if klass is None and not floats:
            guessed, klass = _stage(shapes, stage)
            rank = guessed if rank is None else rank
            into = _into(shapes, stage)
            if into is not None:
                shapes.into[stage.target] = into
            else:
                hint = _likely(shapes, stage, program)
                if hint is not None:
                    shapes.likely[stage.target] = hint
        klass = shapes.new_class() if klass is None else klass
        if stage.target in shapes.klass:  # assigned before, or in the other arm
            rank, klass = _joined(shapes, stage.target, rank, klass)
        shapes.rank[stage.target] = rank
        shapes.klass[stage.target] = klass
    return shapes


def _joined(
    shapes: Shapes, name: str, rank: int | None, klass: int
) -> tuple[int | None, int]:
    """Facts true of `name` after either of two assignments (`y = a` in one
    arm of an `if`, `y = x` in the other): read after the `if`, `y` may have
    either shape, so only what both assignments agree on stays."""
    if shapes.klass[name] != klass:
        klass = shapes.new_class()
        shapes.into.pop(name, None)
        shapes.likely.pop(name, None)
    return (rank if shapes.rank.get(name) == rank else None), klass


def summed_axes(
    shapes: Shapes, value: str, total: str
) -> tuple[tuple[int, ...], tuple[int, ...]] | None:
    """(leading axes, kept axes) a gradient of `total`'s shape sums over to
    take `value`'s shape, when the declared shapes decide it."""
    dims = shapes.dims
    if dims is None:
        return None
    small = dims.canonical(dims.shape.get(value))
    big = dims.canonical(dims.shape.get(total))
    if small is None or big is None or len(small) > len(big):
        return None
    lead = len(big) - len(small)
    kept = []
    for axis, dim in enumerate(small):
        other = big[lead + axis]
        if dim == 1 and other != 1:
            kept.append(lead + axis)
        elif dim != other:
            return None  # different sizes, or one that may be 1
    return tuple(range(lead)), tuple(kept)


def _stage(shapes: Shapes, stage: Stage) -> tuple[int | None, int | None]:
    gate, inputs = stage.gate, stage.inputs
    if isinstance(stage.value, SetItem):  # some items replaced: the array's shape
        return shapes.of(stage.value.array)
    if gate is None:
        return shapes.of(stage.value)
    if gate in _SAME_SHAPE:
        return shapes.of(inputs["x" if "x" in inputs else "a"])
    if gate in _REDUCTIONS:
        rank, _ = shapes.of(inputs["a"])
        axis = _literal(stage.params.get("axis"))
        if _literal(stage.params.get("keepdims")) is True:
            return rank, None
        if axis is None:
            return 0, SCALAR
        if axis is _Unknown or rank is None:
            return None, None
        return rank - (len(axis) if isinstance(axis, (tuple, list)) else 1), None
    rule = RULES[gate]
    if rule.out_rank is not None:  # declared in rules.py
        ranks = {p: shapes.of(n)[0] for p, n in inputs.items()}
        rank = rule.out_rank(ranks, Gate(stage.params))
        return rank, SCALAR if rank == 0 else None
    if RULES[gate].kind in (BROADCAST, FLOATS):
        nodes = list(inputs.values())
        if "condition" in stage.params:
            nodes.append(stage.params["condition"])
        return shapes.merge(nodes)
    return None, None


def _into(shapes: Shapes, stage: Stage) -> Into | None:
    """How `stage.target` broadcasts into a larger class, if known."""
    gate, inputs = stage.gate, stage.inputs
    if gate is None or gate == "setitem":
        return None
    if gate in _SAME_SHAPE:
        name = inputs["x" if "x" in inputs else "a"]
        return shapes.into.get(name.id) if isinstance(name, ast.Name) else None
    if RULES[gate].broadcasts and RULES[gate].kind in (BROADCAST, PRODUCT):
        found = {
            shapes.into.get(n.id) if isinstance(n, ast.Name) else None
            for n in inputs.values()
            if shapes.of(n)[1] != SCALAR
        }
        return found.pop() if len(found) == 1 else None
    if gate in _REDUCTIONS and isinstance(inputs["a"], ast.Name):
        axis = _literal(stage.params.get("axis"))
        keep = _literal(stage.params.get("keepdims")) is True
        axes = tuple(axis) if isinstance(axis, (tuple, list)) else (axis,)
        if not all(type(k) is int and k >= 0 for k in axes):
            return None
        leading = sorted(axes) == list(range(len(axes)))
        klass = shapes.klass.get(inputs["a"].id)
        if klass is not None and (keep or leading):
            return Into(klass, tuple(sorted(axes)), keep)
    return None


def _likely(shapes: Shapes, stage: Stage, program: Program) -> Into | None:
    """How `stage.target` broadcasts into a larger class when every parameter
    outside wrt it meets is a number: a value proven smaller (or likely so)
    combined with such parameters and numbers only."""
    gate, inputs = stage.gate, stage.inputs
    if gate is None or gate == "setitem":
        return None
    if gate in _SAME_SHAPE:
        name = inputs["x" if "x" in inputs else "a"]
        if not isinstance(name, ast.Name):
            return None
        return shapes.into.get(name.id) or shapes.likely.get(name.id)
    if not (RULES[gate].broadcasts and RULES[gate].kind in (BROADCAST, PRODUCT)):
        return None
    found = set()
    for node in inputs.values():
        if shapes.of(node)[1] == SCALAR:
            continue
        if not isinstance(node, ast.Name):
            return None
        hint = shapes.into.get(node.id) or shapes.likely.get(node.id)
        if hint is not None:
            found.add(hint)
        elif node.id not in program.params or node.id in program.varied:
            return None  # a value of unknown size, or one differentiated
    return found.pop() if len(found) == 1 else None


def _literal(node: ast.expr | None):
    if node is None:
        return None
    try:
        return ast.literal_eval(node)
    except ValueError:
        return _Unknown


class _Unknown:
    pass
