"""How things are timed: interleaved repeats, one thread, a pinned allocator.

Nothing here knows a workload or a contender: a contender hands over a
statement to time (`Timed`) and, for memory, a step to run once.
"""

from __future__ import annotations

import gc
import os
import random
import sys
import time
import timeit
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

MIN_REPEATS = 31  # a budget never cuts the repeats below this

CLOCKS = {"cpu": time.process_time, "wall": time.perf_counter}
clock: Callable[[], float] = time.process_time

# glibc returns freed memory above these sizes to the system, and the next
# call page-faults it back in: a large-array benchmark then times the kernel.
# One GiB keeps freed temporaries in the heap, as a long-running job has them.
ALLOCATOR = {
    "MALLOC_MMAP_THRESHOLD_": str(1 << 30),
    "MALLOC_TRIM_THRESHOLD_": str(1 << 30),
}


def allocator_pinned() -> bool:
    return all(os.environ.get(k) == v for k, v in ALLOCATOR.items())


def pin_allocator(module: str, argv: list[str]) -> None:
    """Re-run this process with ALLOCATOR set (glibc reads it at start only).

    Returns only when it is already set, or cannot be (not Linux, or
    BPGEN_BENCH_NO_PIN=1); otherwise the process is replaced.
    """
    if allocator_pinned() or os.environ.get("BPGEN_BENCH_NO_PIN") == "1":
        return
    if not sys.platform.startswith("linux"):
        return
    os.environ.update(ALLOCATOR)
    sys.stdout.flush()
    os.execv(sys.executable, [sys.executable, "-m", module, *argv])


def set_clock(name: str) -> None:
    global clock
    clock = CLOCKS[name]


@dataclass
class Timed:
    """A statement to time, in its own namespace."""

    stmt: str
    namespace: dict[str, Any]

    def timer(self) -> timeit.Timer:
        return timeit.Timer(self.stmt, timer=clock, globals=self.namespace)


def pair_stmt(fwd, bwd, args, dout) -> Timed:
    """Forward then backward, as one timed statement."""
    names = [f"a{i}" for i in range(len(args))]
    ns = dict(zip(names, args, strict=True), fwd=fwd, bwd=bwd, dout=dout)
    return Timed(f"o, c = fwd({', '.join(names)})\ng = bwd(dout, c)\ndel o, c, g", ns)


def pair_step(fwd, bwd, args, dout) -> Callable[[], Any]:
    """Forward+backward as one call keeping the output, for peak memory."""

    def step():
        out, cache = fwd(*args)
        return out, bwd(dout, cache)

    return step


def call_stmt(f, args) -> Timed:
    names = [f"a{i}" for i in range(len(args))]
    return Timed(
        f"o = f({', '.join(names)})\ndel o", dict(zip(names, args, strict=True), f=f)
    )


def _calibrate(timer: timeit.Timer, block: float) -> tuple[int, float]:
    """Calls per timed block, and the seconds of one call."""
    number = 1
    while True:
        elapsed = timer.timeit(number)
        if elapsed >= block or number >= 1 << 20:
            return number, elapsed / number
        number = max(number * 2, int(number * block / max(elapsed, 1e-9) * 1.2))


def measure(
    timed: dict[str, Timed],
    repeats: int,
    block: float,
    seed: int = 0,
    budget: float | None = None,
) -> dict[str, list[float]]:
    """Per-call seconds of each statement, over interleaved repeats.

    Interleaving spreads drift (frequency, other load) over all contenders
    alike. Within a repeat the contenders run in a fresh shuffled order
    (seeded: runs are repeatable): what ran just before a contender leaves
    the allocator's free lists and the caches in a state that costs the next
    one a few per cent, and a fixed order hands that cost to the same
    contender every time. One untimed call before each block warms it (and
    lets thread pools that another library left spinning settle). With a
    `budget` (seconds), slow workloads get fewer repeats, never below
    MIN_REPEATS.
    """
    gc.collect()
    gc.freeze()  # what exists now is never garbage: keep collections cheap
    timers = {name: t.timer() for name, t in timed.items()}
    calibrated = {name: _calibrate(t, block) for name, t in timers.items()}
    numbers = {name: number for name, (number, _) in calibrated.items()}
    if budget is not None:
        round_seconds = sum((n + 1) * each for n, each in calibrated.values())
        fits = int(budget / max(round_seconds, 1e-9))
        repeats = max(min(repeats, fits), min(repeats, MIN_REPEATS))
    samples: dict[str, list[float]] = {name: [] for name in timers}
    order = list(timers)
    shuffle = random.Random(seed).shuffle
    for _ in range(repeats):
        shuffle(order)
        for name in order:
            timer = timers[name]
            timer.timeit(1)
            samples[name].append(timer.timeit(numbers[name]) / numbers[name])
        gc.collect()
    return samples


def peak_bytes(step: Callable[[], Any]) -> int:
    """Peak bytes allocated while `step` runs, above what was live before.

    NumPy reports its array buffers to tracemalloc, so this counts the
    intermediates, the cache and the gradients of a NumPy forward+backward.
    """
    gc.collect()
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        before, _ = tracemalloc.get_traced_memory()
        result = step()
        _, peak = tracemalloc.get_traced_memory()
        del result
    finally:
        tracemalloc.stop()
    return peak - before


def seconds(f: Callable[[str], Any], text: str) -> float:
    """One call's time on the chosen clock, after a collection."""
    gc.collect()
    start = clock()
    f(text)
    return clock() - start


def limit_threads(n: int, peers) -> Callable[[], None]:
    """Hold NumPy's BLAS, PyTorch and XLA to `n` threads; returns the undo.

    The 2-core machines this runs on are shared: a BLAS that wants both
    cores stalls whenever anything else runs, and the timings become
    scheduler noise. One thread each compares the code, not the scheduler.
    """
    if n <= 0:
        return lambda: None
    peers.THREADS = n
    flags = f"--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads={n}"
    os.environ["XLA_FLAGS"] = f"{os.environ.get('XLA_FLAGS', '')} {flags}".strip()
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        print(
            "# warning: threadpoolctl missing, BLAS threads not limited",
            file=sys.stderr,
        )
        return lambda: None
    return threadpool_limits(n).restore_original_limits
