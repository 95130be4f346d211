"""`bpgen.gradient_of` is a no-op at run time: a module that declares a
gradient imports and runs with or without bpgen doing anything."""

from __future__ import annotations

import math
import subprocess
import sys

import bpgen


def test_gradient_of_returns_the_function_unchanged() -> None:
    def erf_grad(g: float, out: float, x: float) -> float:
        return g * 2 / math.sqrt(math.pi) * math.exp(-x * x)

    marked = bpgen.gradient_of(math.erf)(erf_grad)
    assert marked is erf_grad
    assert marked(1.0, math.erf(0.0), 0.0) == 2 / math.sqrt(math.pi)


def test_gradient_of_keeps_import_bpgen_light() -> None:
    probe = (
        "import math, sys, bpgen\n"
        "@bpgen.gradient_of(math.erf)\n"
        "def erf_grad(g, out, x):\n"
        "    return g * 2 / math.sqrt(math.pi) * math.exp(-x * x)\n"
        "print(erf_grad(1.0, 0.0, 0.0) > 1.0, sorted({m.split('.')[0] for m in "
        "sys.modules} & {'libcst', 'black', 'numpy'}))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "True []"
