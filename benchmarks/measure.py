"""One workload measured: every contender checked, then timed together.

The hand-written pair is the reference; each contender readies itself
against it (contenders.py) and only those whose output and gradients agree
are timed, interleaved in one `measure` call, so their ratios share the load.
"""

from __future__ import annotations

from .contenders import Contender, Entry, hand_written
from .report import Result
from .timing import measure, peak_bytes
from .workloads import Workload


def run_workload(
    w: Workload,
    chosen: dict[str, Contender],
    repeats: int,
    block: float,
    memory: bool = True,
    budget: float | None = None,
) -> Result:
    """Times (and, for arrays, peak memory) of every contender on `w`."""
    result = Result(w.name, w.kind)
    reference, expected = hand_written(w)
    entries: dict[str, Entry] = {"hand-written": reference}
    result.status["hand-written"] = "ok"
    for name, make in chosen.items():
        got = make(w, expected)
        result.status[name] = "ok" if isinstance(got, Entry) else got
        if isinstance(got, Entry):
            entries[name] = got
            if got.code is not None:
                result.code[name] = got.code
    timed = {k: t for entry in entries.values() for k, t in entry.timed.items()}
    result.add_samples(measure(timed, repeats, block, budget=budget))
    if memory and w.kind == "array":
        result.peaks = {
            name: peak_bytes(entry.step)
            for name, entry in entries.items()
            if entry.step is not None
        }
    return result
