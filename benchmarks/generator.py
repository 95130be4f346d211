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
    fit = getattr(importlib.import_module("bpgen.emit"), "_fit", None)
    if fit is not None and hasattr(fit, "cache_clear"):
        fit.cache_clear()  # and black's splits of long lines, memoised per process
    return bpgen.generate(source)


def generator_speed(sizes: list[int], repeats: int) -> list[dict[str, Any]]:
    rows = []
    _generate(straight_line(5))  # imports libcst and black, warms caches
    black_format("x = 1\n")
    for n in sizes:
        source = straight_line(n)
        code = _generate(source)
        gen, fmt = [], []
        for _ in range(repeats if n >= 1000 else 3 * repeats):  # small ones: noisier
            gen.append(seconds(_generate, source))
            fmt.append(seconds(black_format, code))
        rows.append(
            {
                "statements": n,
                "output_lines": code.count("\n"),
                "generate_s": statistics.median(gen),
                "black_s": statistics.median(fmt),
                "ratio": statistics.median(gen) / statistics.median(fmt),
            }
        )
    return rows
