"""The generator's own speed, against black alone formatting its output.

Each timed `generate()` starts from the source text (the parse cache and
the memo of long lines' splits are cleared), as a user's first call does.
"""

from __future__ import annotations

import importlib
import random
import statistics
from typing import Any

import bpgen

from .timing import seconds

_GATES = [
    "{a} + {b}",
    "{a} * {b}",
    "{a} - {b}",
    "{a} / {b}",
    "{a} ** 2",
    "math.sin({a})",
    "math.exp({a})",
    "1.0 / (1 + math.exp(-{a}))",
]


def straight_line(n: int, seed: int = 0) -> str:
    """A straight-line scalar function of `n` one-gate statements, all live."""
    rng = random.Random(seed)
    lines = ["import math", "", "", "def big(x, y, z):"]
    names = ["x", "y", "z"]
    for i in range(n):
        gate = rng.choice(_GATES)
        a, b = names[-1], rng.choice(names)
        lines.append(f"    v{i} = {gate.format(a=a, b=b)}")
        names.append(f"v{i}")
    lines.append(f"    return {names[-1]}")
    return "\n".join(lines) + "\n"


def black_format(code: str) -> str:
    """black alone, in the mode bpgen's output is in."""
    from bpgen.emit import black_format

    return black_format(code)


def _generate(source: str) -> str:
    pipeline = importlib.import_module("bpgen.generate")  # the module, not the function
    cache = getattr(pipeline, "_parse", None)
    if cache is not None and hasattr(cache, "cache_clear"):
        cache.cache_clear()  # time the whole pipeline, parse included
    emit = importlib.import_module("bpgen.emit")
    for memo in ("_fit", "_fit_nested"):  # black's splits of long lines, per process
        fit = getattr(emit, memo, None)
        if fit is not None and hasattr(fit, "cache_clear"):
            fit.cache_clear()
    return bpgen.generate(source)


def generator_speed(sizes: list[int], repeats: int) -> list[dict[str, Any]]:
    """Medians of `generate()` and of black alone on its output, per size.

    The sizes are interleaved within each repeat (and each generate() is
    followed by black on the same output), so that a change in the shared
    machine's load during the run falls on every size alike: the growth
    from the smallest size to the largest is a ratio of these medians."""
    _generate(straight_line(5))  # imports libcst and black, warms caches
    black_format("x = 1\n")
    sources = {n: straight_line(n) for n in sizes}
    codes = {n: _generate(source) for n, source in sources.items()}
    gen: dict[int, list[float]] = {n: [] for n in sizes}
    fmt: dict[int, list[float]] = {n: [] for n in sizes}
    for _ in range(repeats):
        for n in sizes:
            for _ in range(1 if n >= 1000 else 3):  # small ones: noisier
                gen[n].append(seconds(_generate, sources[n]))
                fmt[n].append(seconds(black_format, codes[n]))
    return [
        {
            "statements": n,
            "output_lines": codes[n].count("\n"),
            "generate_s": statistics.median(gen[n]),
            "black_s": statistics.median(fmt[n]),
            "ratio": statistics.median(gen[n]) / statistics.median(fmt[n]),
        }
        for n in sizes
    ]
