"""No gradient through a softmax's max shift: it is exactly zero.

`s = z - np.max(z, axis=1, keepdims=True)` guards `np.exp` against overflow;
what follows (`e / np.sum(e, axis=1, keepdims=True)`, or `s - logsumexp(s)`)
does not change when a constant per row is added to `s`. So the gradient
reaching the max is zero, and a person writes none: `dz` is `ds` alone. This
pass proves that shape of program and marks the max as not varied, so the
reverse sweep never differentiates it (no tie count, no extra full pass).
"""

from __future__ import annotations

import ast
import dataclasses

from .kinds import names_in
from .stage import Program, Stage

MAX_GATES = frozenset({"amax", "max"})


def drop_shift_gradients(program: Program) -> Program:
    """`program` with every provably dead max shift no longer varied."""
    if not any(stage.gate in MAX_GATES for stage in program.stages):
        return program  # the common case, without a walk over every stage
    readers = _readers(program)
    outputs = set().union(*map(names_in, program.outputs)) if program.outputs else set()
    dead = {
        stage.target
        for stage in program.stages
        if stage.gate in MAX_GATES
        and stage.target in program.varied
        and stage.target not in outputs
        and _only_shifts(stage, readers, outputs)
    }
    if not dead or _reassigned(program):
        return program
    return dataclasses.replace(program, varied=program.varied - dead)


def _readers(program: Program) -> dict[str, list[Stage]]:
    readers: dict[str, list[Stage]] = {}
    for stage in program.stages:
        for name in names_in(stage.value) | _input_names(stage):
            readers.setdefault(name, []).append(stage)
    return readers


def _input_names(stage: Stage) -> set[str]:
    names: set[str] = set()
    for value in (*stage.inputs.values(), *stage.params.values()):
        names |= names_in(value)
    return names


def _reassigned(program: Program) -> bool:
    """A name staged twice would make the reader map ambiguous: leave it."""
    targets = [s.target for s in program.stages]
    return len(set(targets)) != len(targets)


def _name(node: ast.expr | None) -> str | None:
    return node.id if isinstance(node, ast.Name) else None


def _literal(node: ast.expr | None) -> object:
    """The value of a literal param (None when absent), else a sentinel."""
    if node is None:
        return None
    try:
        return ast.literal_eval(node)
    except ValueError:
        return _UNKNOWN


_UNKNOWN = object()


def _axis(stage: Stage) -> object:
    return _literal(stage.params.get("axis"))


def _keeps(stage: Stage) -> bool:
    """The reduction broadcasts back: keepdims=True, or a reduction to 0-d."""
    return _literal(stage.params.get("keepdims")) is True or _axis(stage) is None


def _only_shifts(m: Stage, readers, outputs) -> bool:
    """Every reader of max `m` is `z - m`, whose value is shift-invariant."""
    z = _name(m.inputs.get("a"))
    if z is None or not _keeps(m) or _axis(m) is _UNKNOWN:
        return False
    subs = readers.get(m.target, [])
    return bool(subs) and all(
        s.gate == "sub"
        and _name(s.inputs.get("x")) == z
        and _name(s.inputs.get("y")) == m.target
        and s.target not in outputs
        and _invariant(s.target, _axis(m), readers, outputs)
        for s in subs
    )


def _fits(axis: object, reduction: Stage) -> bool:
    """A shift constant along `axis` cancels in a normalisation along `reduction`."""
    if axis is None:
        return _axis(reduction) is not _UNKNOWN and _keeps(reduction)
    return _axis(reduction) == axis and _keeps(reduction)


def _invariant(s: str, axis: object, readers, outputs) -> bool:
    """Whether every use of `s` is a softmax or log-softmax along `axis`."""
    uses = readers.get(s, [])
    return bool(uses) and all(
        _softmax(u, s, axis, readers, outputs)
        or _log_softmax(u, s, axis, readers, outputs)
        or _log_softmax_sub(u, s, axis, readers)
        for u in uses
    )


def _softmax(e: Stage, s: str, axis, readers, outputs) -> bool:
    """`e = exp(s)`, read only by `S = sum(e)` and `e / S` (S read only there)."""
    if e.gate != "exp" or _name(e.inputs.get("x")) != s or e.target in outputs:
        return False
    sums = [r for r in readers.get(e.target, []) if r.gate == "sum"]
    divs = [r for r in readers.get(e.target, []) if r.gate == "div"]
    if len(sums) != 1 or len(sums) + len(divs) != len(readers[e.target]):
        return False
    (total,) = sums
    if _name(total.inputs.get("a")) != e.target or not _fits(axis, total):
        return False
    if total.target in outputs or readers.get(total.target, []) != divs or not divs:
        return False
    return all(
        (_name(d.inputs.get("x")), _name(d.inputs.get("y"))) == (e.target, total.target)
        for d in divs
    )


def _log_softmax(lse: Stage, s: str, axis, readers, outputs) -> bool:
    """`L = logsumexp(s)` (fused), read only by `s - L`."""
    if lse.gate != "logsumexp" or _name(lse.inputs.get("a")) != s:
        return False
    if lse.target in outputs or not _fits(axis, lse):
        return False
    uses = readers.get(lse.target, [])
    return bool(uses) and all(
        u.gate == "sub"
        and _name(u.inputs.get("x")) == s
        and _name(u.inputs.get("y")) == lse.target
        for u in uses
    )


def _log_softmax_sub(u: Stage, s: str, axis, readers) -> bool:
    """`s - L` where L is a logsumexp of s that `_log_softmax` accepts."""
    if u.gate != "sub" or _name(u.inputs.get("x")) != s:
        return False
    lse = _name(u.inputs.get("y"))
    return any(
        r.gate == "logsumexp"
        and r.target == lse
        and _name(r.inputs.get("a")) == s
        and _fits(axis, r)
        for r in readers.get(s, [])
    )
