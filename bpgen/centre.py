"""`np.var` reads the centred value the forward already holds.

    mu = np.mean(x, axis=0)
    var = np.var(x, axis=0)
    xhat = (x - mu) / np.sqrt(var + eps)

computes `x - mu` twice (inside np.var, and for xhat), and var's rule
recomputes it a third time in the backward. A person computes `xmu = x - mu`
once and writes `var = np.mean(xmu ** 2, axis=0)`; this pass stages the same:
the `x - mu` stage moves up to var's place and var becomes the mean of its
square, whose rules reuse `xmu` in both passes. Only when the subtraction
really centres along var's axis: the same literal axis, and `mu` keeps its
axis (keepdims=True) or the axis is 0 or None, so `x - mu` broadcasts back
along it; and only for ddof=0.
"""

from __future__ import annotations

import ast
import dataclasses

from .ir import Branch
from .lower import _tag
from .patterns import UNKNOWN, literal, name_of
from .stage import Program, Stage

NP_NAME = "\x00np\x00"  # how the stager spells the numpy module


def reuse_centring(program: Program) -> Program:
    """`program` with each `np.var(x)` staged as the mean of a held `x - mu`."""
    stages = list(program.stages)
    targets = [s.target for s in stages]
    if len(set(targets)) != len(targets):
        return program  # a name staged twice: positions would be ambiguous
    taken, varied = set(program.taken), set(program.varied)
    changed = False
    for v in [s for s in stages if s.gate == "var"]:
        found = _centring(v, stages)
        if found is None:
            continue
        sub = found
        stages.remove(sub)
        at = stages.index(v)  # after the removal: sub may have come first
        square = _temp(taken)
        stages[at : at + 1] = [sub, *_mean_of_square(v, sub.target, square)]
        if sub.target in varied:
            varied.add(square)
        changed = True
    if not changed:
        return program
    body: list[Stage | Branch] = [*stages]
    return dataclasses.replace(program, body=body, taken=taken, varied=varied)


def _centring(v: Stage, stages: list[Stage]) -> Stage | None:
    """The stage `x - mu` centring var's input along var's axis, if one exists."""
    x, axis = name_of(v.inputs.get("a")), literal(v.params.get("axis"))
    if x is None or axis is UNKNOWN or literal(v.params.get("ddof"), 0) != 0:
        return None
    if literal(v.params.get("keepdims"), False) not in (True, False):
        return None
    at = stages.index(v)
    for i, m in enumerate(stages):
        if m.gate != "mean" or i > at or name_of(m.inputs.get("a")) != x:
            continue
        keeps = literal(m.params.get("keepdims"), False)
        if literal(m.params.get("axis")) != axis or keeps not in (True, False):
            continue
        if not (keeps or axis in (0, None)):
            continue  # x - mu would broadcast mu along another axis
        for sub in stages[i + 1 :]:
            if (
                sub.gate == "sub"
                and name_of(sub.inputs.get("x")) == x
                and name_of(sub.inputs.get("y")) == m.target
            ):
                return sub
    return None


def _temp(taken: set[str]) -> str:
    n = 1
    while f"t{n}" in taken:
        n += 1
    taken.add(f"t{n}")
    return f"t{n}"


def _mean_of_square(v: Stage, centred: str, square: str) -> list[Stage]:
    """`square = centred ** 2` and `var = np.mean(square, axis, keepdims)`."""
    power = ast.BinOp(ast.Name(centred, ast.Load()), ast.Pow(), ast.Constant(2))
    _tag(power, "pow", {"x": ("left",), "y": ("right",)})
    inputs = {"x": ast.Name(centred, ast.Load()), "y": ast.Constant(2)}
    first = Stage(square, power, "pow", inputs, {}, v.at)
    axis = v.params.get("axis", ast.Constant(None))
    keepdims = v.params.get("keepdims", ast.Constant(False))
    keywords = [ast.keyword("axis", axis)]
    slots = {"a": ("args", 0), "axis": ("keywords", 0, "value")}
    if literal(keepdims) is True:
        keywords.append(ast.keyword("keepdims", keepdims))
        slots["keepdims"] = ("keywords", 1, "value")
    mean = ast.Attribute(ast.Name(NP_NAME, ast.Load()), "mean", ast.Load())
    call = ast.Call(mean, [ast.Name(square, ast.Load())], keywords)
    _tag(call, "mean", slots)
    params = {"axis": axis, "keepdims": keepdims}
    second = Stage(
        v.target, call, "mean", {"a": ast.Name(square, ast.Load())}, params, v.at
    )
    return [first, second]
