"""No gradient through a softmax's max shift: it is exactly zero.

`s = z - np.max(z, axis=1, keepdims=True)` guards `np.exp` against overflow;
what follows (`e / np.sum(e, axis=1, keepdims=True)`, or `s - logsumexp(s)`)
does not change when a constant per row is added to `s`. So the gradient
reaching the max is zero, and a person writes none: `dz` is `ds` alone. This
pass proves that shape of program and marks the max as not varied, so the
reverse sweep never differentiates it (no tie count, no extra full pass).
"""

from __future__ import annotations

import dataclasses

from .kinds import names_in
from .patterns import UNKNOWN, literal, name_of, restaged
from .patterns import readers as read_by
from .stage import Program, Stage

MAX_GATES = frozenset({"amax", "max"})


def drop_shift_gradients(program: Program) -> Program:
    """`program` with every provably dead max shift no longer varied."""
    if not any(stage.gate in MAX_GATES for stage in program.stages):
        return program  # the common case, without a walk over every stage
    readers = read_by(program)
    outputs = set().union(*map(names_in, program.outputs)) if program.outputs else set()
    dead = {
        stage.target
        for stage in program.stages
        if stage.gate in MAX_GATES
        and stage.target in program.varied
        and stage.target not in outputs
        and _only_shifts(stage, readers, outputs)
    }
    if not dead or restaged(program):
        return program
    return dataclasses.replace(program, varied=program.varied - dead)


def _axis(stage: Stage) -> object:
    return literal(stage.params.get("axis"))


def _keeps(stage: Stage) -> bool:
    """The reduction broadcasts back: keepdims=True, or a reduction to 0-d."""
    return literal(stage.params.get("keepdims")) is True or _axis(stage) is None


def _only_shifts(m: Stage, readers, outputs) -> bool:
    """Every reader of max `m` is `z - m`, whose value is shift-invariant."""
    z = name_of(m.inputs.get("a"))
    if z is None or not _keeps(m) or _axis(m) is UNKNOWN:
        return False
    subs = readers.get(m.target, [])
    return bool(subs) and all(
        s.gate == "sub"
        and name_of(s.inputs.get("x")) == z
        and name_of(s.inputs.get("y")) == m.target
        and s.target not in outputs
        and _invariant(s.target, _axis(m), readers, outputs)
        for s in subs
    )


def _fits(axis: object, reduction: Stage) -> bool:
    """A shift constant along `axis` cancels in a normalisation along `reduction`."""
    if axis is None:
        return _axis(reduction) is not UNKNOWN and _keeps(reduction)
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
    if e.gate != "exp" or name_of(e.inputs.get("x")) != s or e.target in outputs:
        return False
    sums = [r for r in readers.get(e.target, []) if r.gate == "sum"]
    divs = [r for r in readers.get(e.target, []) if r.gate == "div"]
    if len(sums) != 1 or len(sums) + len(divs) != len(readers[e.target]):
        return False
    (total,) = sums
    if name_of(total.inputs.get("a")) != e.target or not _fits(axis, total):
        return False
    if total.target in outputs or readers.get(total.target, []) != divs or not divs:
        return False
    return all(
        (name_of(d.inputs.get("x")), name_of(d.inputs.get("y")))
        == (e.target, total.target)
        for d in divs
    )


def _log_softmax(lse: Stage, s: str, axis, readers, outputs) -> bool:
    """`L = logsumexp(s)` (fused), read only by `s - L`."""
    if lse.gate != "logsumexp" or name_of(lse.inputs.get("a")) != s:
        return False
    if lse.target in outputs or not _fits(axis, lse):
        return False
    uses = readers.get(lse.target, [])
    return bool(uses) and all(
        u.gate == "sub"
        and name_of(u.inputs.get("x")) == s
        and name_of(u.inputs.get("y")) == lse.target
        for u in uses
    )


def _log_softmax_sub(u: Stage, s: str, axis, readers) -> bool:
    """`s - L` where L is a logsumexp of s that `_log_softmax` accepts."""
    if u.gate != "sub" or name_of(u.inputs.get("x")) != s:
        return False
    lse = name_of(u.inputs.get("y"))
    return any(
        r.gate == "logsumexp"
        and r.target == lse
        and name_of(r.inputs.get("a")) == s
        and _fits(axis, r)
        for r in readers.get(s, [])
    )
