"""Divide full arrays by a small one through its stored reciprocal.

`xhat = xmu / std` divides every element of an (N, D) array by a per-column
vector, and the backward divides again (`dxmu = dxhat / std`); a person
stores `istd = 1.0 / std` once (D divisions) and multiplies (`xmu * istd`,
`dxhat * istd`), and division is several times slower than multiplication.
With declared shapes this pass stages `a / b` as `r = 1.0 / b; a * r` when
`b` is known to be smaller than `a` (fewer axes, or 1 where `a` is not); one
reciprocal serves every division by the same `b`.
"""

from __future__ import annotations

import ast
import dataclasses

from .lower import _tag
from .stage import Program, Stage


def reuse_reciprocals(program: Program, shape: dict) -> Program:
    """`program` with every full-by-small division a product by a reciprocal."""
    if not any(s.gate == "div" for s in program.stages):
        return program
    taken, varied = set(program.taken), set(program.varied)
    inverse: dict[str, str] = {}
    stages: list[Stage] = []
    for stage in program.stages:
        a, b = stage.inputs.get("x"), stage.inputs.get("y")
        if not (
            stage.gate == "div"
            and isinstance(a, ast.Name)
            and isinstance(b, ast.Name)
            and _smaller(shape.get(b.id), shape.get(a.id))
        ):
            stages.append(stage)
            continue
        if b.id not in inverse:
            r = inverse[b.id] = _temp(taken)
            stages.append(_binop(r, ast.Constant(1.0), ast.Div(), b.id, "div", stage))
            if b.id in varied:
                varied.add(r)
        stages.append(_binop(stage.target, a, ast.Mult(), inverse[b.id], "mul", stage))
    if not inverse:
        return program
    return dataclasses.replace(program, stages=stages, taken=taken, varied=varied)


def _smaller(small, full) -> bool:
    """`small` is an array broadcasting into `full` with fewer elements.

    0-d divisors are left alone: `1.0 / n` on a Python number would raise
    where `x / n` gives NumPy's inf.
    """
    if not small or full is None or len(small) > len(full):
        return False
    aligned = list(zip(small, full[len(full) - len(small) :], strict=True))
    if not all(s in (1, f) for s, f in aligned):
        return False
    return len(small) < len(full) or any(s == 1 != f for s, f in aligned)


def _temp(taken: set[str]) -> str:
    n = 1
    while f"t{n}" in taken:
        n += 1
    taken.add(f"t{n}")
    return f"t{n}"


def _binop(
    target: str, left: ast.expr, op: ast.operator, right: str, gate: str, at: Stage
) -> Stage:
    left_copy = ast.Name(left.id, ast.Load()) if isinstance(left, ast.Name) else left
    value = ast.BinOp(left_copy, op, ast.Name(right, ast.Load()))
    _tag(value, gate, {"x": ("left",), "y": ("right",)})
    inputs = {"x": left_copy, "y": ast.Name(right, ast.Load())}
    return Stage(target, value, gate, inputs, {}, at.node)
