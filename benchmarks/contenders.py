"""The contenders: each is one function that readies a workload for timing.

A contender gets the workload and what the hand-written pair returns; it
returns an `Entry` (what to time, and a step for peak memory), or a string
saying why it is not timed ("refused: ...", "gradient 0 differs ...",
"absent"). To add one, write the function and add it to CONTENDERS; the
report gives it a column.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

import bpgen
from bpgen.check import load

from . import handwritten, peers
from .timing import Timed, call_stmt, pair_step, pair_stmt
from .workloads import Workload

RTOL, ATOL = 1e-6, 1e-9


@dataclass
class Entry:
    """A contender ready to time."""

    timed: dict[str, Timed]  # name -> statement ("bpgen", "bpgen forward", ...)
    step: Callable[[], Any] | None = None  # forward+backward once, for memory
    code: str | None = None  # the generated module, if any


Expected = tuple[Any, tuple]
Contender = Callable[[Workload, Expected], "Entry | str"]


def hand_written(w: Workload) -> tuple[Entry, Expected]:
    """The reference: its results are what every other contender must match."""
    fwd = getattr(handwritten, f"{w.hand}_forward")
    bwd = getattr(handwritten, f"{w.hand}_backward")
    out, cache = fwd(*w.args)
    expected = (out, tuple(bwd(w.dout, cache)))
    namespace: dict[str, Any] = {}
    exec(compile(w.source, f"<{w.function}>", "exec"), namespace)  # noqa: S102
    plain = namespace[w.function]
    if not _close(plain(*w.args), out):
        raise AssertionError(
            f"{w.name}: hand-written forward differs from the plain one"
        )
    timed = {
        "hand-written": pair_stmt(fwd, bwd, w.args, w.dout),
        "forward": call_stmt(plain, w.args),
    }
    return Entry(timed, pair_step(fwd, bwd, w.args, w.dout)), expected


def hand_written_copy(w: Workload, expected: Expected) -> Entry | str:
    """The hand-written pair again, compiled anew: the timing's self-check.

    Same text, different function objects; any ratio but 1.00 it gets is the
    measurement's own error (order, allocation and cache effects).
    """
    path = inspect.getsourcefile(handwritten)
    namespace: dict[str, Any] = {}
    text = Path(path).read_text()
    exec(compile(text, f"{path} (copy)", "exec"), namespace)  # noqa: S102
    fwd = namespace[f"{w.hand}_forward"]
    bwd = namespace[f"{w.hand}_backward"]
    timed = {"hand-written copy": pair_stmt(fwd, bwd, w.args, w.dout)}
    return Entry(timed, pair_step(fwd, bwd, w.args, w.dout))


def _generated(name: str, w: Workload, expected: Expected, **kw) -> Entry | str:
    try:
        code = bpgen.generate(w.source, w.function, w.wrt, **kw)
    except bpgen.BpgenError as error:
        return f"refused: {str(error).splitlines()[0]}"
    fwd, bwd = load(code, w.function)
    o, c = fwd(*w.args)
    problem = disagreement((o, tuple(bwd(w.dout, c))), expected)
    if problem:
        return problem
    timed = {
        name: pair_stmt(fwd, bwd, w.args, w.dout),
        f"{name} forward": call_stmt(fwd, w.args),
    }
    return Entry(timed, pair_step(fwd, bwd, w.args, w.dout), code)


def bpgen_general(w: Workload, expected: Expected) -> Entry | str:
    """bpgen as most users call it: no shapes declared."""
    return _generated("bpgen", w, expected)


def declares_shapes() -> bool:
    """Whether this bpgen takes `shapes=` (the declared-shapes issue)."""
    return "shapes" in inspect.signature(bpgen.generate).parameters


def bpgen_shapes(w: Workload, expected: Expected) -> Entry | str:
    """bpgen told each parameter's shape: no run-time broadcast or rank tests."""
    if w.shapes is None or not declares_shapes():
        return "absent"
    return _generated("bpgen shapes", w, expected, shapes=w.shapes)


def bpgen_shapes_unguarded(w: Workload, expected: Expected) -> Entry | str:
    """Declared shapes without the forward's shape check: the guard's cost."""
    if w.shapes is None or not declares_shapes():
        return "absent"
    options = bpgen.Options(guards=False)
    return _generated("bpgen no guard", w, expected, shapes=w.shapes, options=options)


def ablated(switch: str, shaped: bool = False) -> Contender:
    """bpgen with one Options switch off: that optimisation's effect, same run."""
    name = f"bpgen {'shapes ' if shaped else ''}-{switch}"

    def make(w: Workload, expected: Expected) -> Entry | str:
        options = bpgen.Options(**{switch: False})
        if not shaped:
            return _generated(name, w, expected, options=options)
        if w.shapes is None or not declares_shapes():
            return "absent"
        return _generated(name, w, expected, options=options, shapes=w.shapes)

    make.__doc__ = f"{name}: without {switch}."
    return make


def peer(name: str) -> Contender:
    def make(w: Workload, expected: Expected) -> Entry | str:
        try:
            step, to_numpy = peers.MAKERS[name](
                w.peer_function, w.args, w.wrt_index, w.dout
            )
            problem = disagreement(to_numpy(step()), expected)
        except Exception as error:  # noqa: BLE001 - a failing peer is reported
            return f"failed: {type(error).__name__}: {error}"
        if problem:
            return problem
        memory = step if name == "autograd" else None  # tracemalloc sees NumPy only
        return Entry({name: Timed("r = step()", {"step": step})}, memory)

    make.__doc__ = f"{name}, when installed (benchmarks/peers.py)."
    return make


def contenders(
    peer_names: list[str], ablate: list[str] | None = None, self_check: bool = False
) -> dict[str, Contender]:
    """Every contender of this run, in column order."""
    chosen: dict[str, Contender] = {}
    if self_check:
        chosen["hand-written copy"] = hand_written_copy
    chosen["bpgen"] = bpgen_general
    for switch in ablate or []:
        chosen[f"bpgen -{switch}"] = ablated(switch)
    if declares_shapes():
        chosen["bpgen shapes"] = bpgen_shapes
        chosen["bpgen no guard"] = bpgen_shapes_unguarded
        for switch in ablate or []:
            chosen[f"bpgen shapes -{switch}"] = ablated(switch, shaped=True)
    for name in peer_names:
        chosen[name] = peer(name)
    return chosen


# -- checking -----------------------------------------------------------------


def _close(a, b) -> bool:
    if isinstance(a, (tuple, list)):
        return (
            isinstance(b, (tuple, list)) and len(a) == len(b) and all(map(_close, a, b))
        )
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=RTOL, atol=ATOL))


def disagreement(result, expected) -> str:
    """ "" when `result` (output, gradients) matches the hand-written one."""
    out, grads = result
    if not _close(out, expected[0]):
        return "output differs from hand-written"
    if len(grads) != len(expected[1]):
        return f"{len(grads)} gradients, hand-written has {len(expected[1])}"
    for i, (g, e) in enumerate(zip(grads, expected[1], strict=True)):
        if not _close(g, e):
            g, e = np.asarray(g, dtype=float), np.asarray(e, dtype=float)
            if g.shape != e.shape:
                return f"gradient {i} has shape {g.shape}, expected {e.shape}"
            worst = float(np.max(np.abs(g - e)))
            return f"gradient {i} differs from hand-written (max abs diff {worst:.3g})"
    return ""
