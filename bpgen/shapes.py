"""What bpgen can know about shapes without running the code.

Two facts per variable: its rank when known, and a shape class: two variables
in one class surely have the same shape. A broadcasting gate's gradient needs
summing back only when its input's class differs from its output's, which is
how the generated code stays free of reductions where shapes already agree.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from .stage import Program, Stage

SCALAR = 0  # the class of every rank-0 value

_SAME_SHAPE = frozenset(
    """pos neg exp expm1 log log2 log10 log1p sqrt square reciprocal sigmoid sin cos
    tan arcsin arccos arctan sinh cosh tanh abs copy""".split()
)
_REDUCTIONS = frozenset({"sum", "mean", "amax", "amin", "var", "std"})


@dataclass
class Shapes:
    rank: dict[str, int | None] = field(default_factory=dict)
    klass: dict[str, int] = field(default_factory=dict)
    count: int = 1

    def fresh(self) -> int:
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
        if isinstance(node, (ast.Compare, ast.BinOp)):
            parts = [node.left, *node.comparators] if isinstance(
                node, ast.Compare
            ) else [node.left, node.right]
            return self.merge([self.of(p) for p in parts])
        return None, None

    def merge(self, facts: list[tuple[int | None, int | None]]):
        """Rank and class of the broadcast of several values."""
        classes = {k for r, k in facts if k != SCALAR}
        ranks = [r for r, _ in facts]
        rank = None if None in ranks else max(ranks, default=0)
        if not classes:
            return rank, SCALAR
        if len(classes) == 1 and None not in classes:
            return rank, classes.pop()
        return rank, None


def infer(program: Program) -> Shapes:
    shapes = Shapes()
    for name in program.params:
        if program.scalar:
            shapes.rank[name], shapes.klass[name] = 0, SCALAR
        else:
            shapes.rank[name], shapes.klass[name] = None, shapes.fresh()
    for stage in program.stages:
        rank, klass = (0, SCALAR) if program.scalar else _stage(shapes, stage)
        shapes.rank[stage.target] = rank
        shapes.klass[stage.target] = shapes.fresh() if klass is None else klass
    return shapes


def _stage(shapes: Shapes, stage: Stage) -> tuple[int | None, int | None]:
    gate, inputs = stage.gate, stage.inputs
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
    if gate in ("dot", "matmul"):
        rx, _ = shapes.of(inputs["x"])
        ry, _ = shapes.of(inputs["y"])
        if rx is None or ry is None:
            return None, None
        if gate == "dot" or max(rx, ry) <= 2:
            return max(rx + ry - 2, 0), None if rx + ry > 2 else SCALAR
        return max(rx, ry), None
    if gate == "outer":
        return 2, None
    if gate == "transpose":
        return shapes.of(inputs["a"])[0], None
    if gate == "reshape":
        target = _literal(stage.params.get("shape"))
        if isinstance(target, (tuple, list)):
            return len(target), None
        return (1 if isinstance(target, int) else None), None
    if gate == "expand_dims":
        rank = shapes.of(inputs["a"])[0]
        return (None if rank is None else rank + 1), None
    facts = [shapes.of(v) for v in inputs.values()]
    if "condition" in stage.params:
        facts.append(shapes.of(stage.params["condition"]))
    return shapes.merge(facts)


def _literal(node: ast.expr | None):
    if node is None:
        return None
    try:
        return ast.literal_eval(node)
    except ValueError:
        return _Unknown


class _Unknown:
    pass
