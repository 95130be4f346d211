"""Random programs with run-time loops (nested up to two levels), branches on
values inside them and `continue`, checked numerically in float64.

Every branch condition is probed on the drawn arguments first: a program
whose condition comes within MARGIN of switching is set aside (hypothesis
`assume`), so finite differences never straddle a switch point. The normal
run draws a few dozen programs with a fixed seed; `BPGEN_LONG=1` (or
`-m slow`) draws fresh ones, more of them.
"""

from __future__ import annotations

import os

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, note, settings
from hypothesis import strategies as st

from bpgen.check import check_gradients

LONG = os.environ.get("BPGEN_LONG", "") not in ("", "0")
MARGIN = 1e-3

# loop-body updates of the carried array `h` and the scalar `s`; {v} is the
# loop variable (i, or j in an inner loop)
UPDATES = [
    "h = np.tanh(h * w + x[{v}])",
    "h = h + np.sin(x[{v}]) * w",
    "h = h * 0.9 + x[{v}] * x[{v}]",
    "s = s + np.sum(h * w)",
    "s = s * 0.5 + np.sum(np.cos(h))",
    "h = h * np.exp(-0.1 * x[{v}])",
]
CONDITIONS = ["np.sum(h) > 0.3", "np.sum(h * w) < 0.0", "s > 1.0"]


@st.composite
def bodies(draw, v: str, ind: str, depth: int) -> list[str]:
    lines: list[str] = []
    if draw(st.booleans()):  # an early `continue` on the counter
        lines += [f"{ind}if {v} % 2 == 1:", f"{ind}    continue"]
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["update", "update", "branch", "loop"]))
        if kind == "branch":
            cond = draw(st.sampled_from(CONDITIONS))
            lines.append(f"{ind}if {cond}:")
            lines.append(ind + "    " + draw(st.sampled_from(UPDATES)).format(v=v))
            if draw(st.booleans()):
                lines.append(f"{ind}else:")
                other = draw(st.sampled_from(UPDATES)).format(v=v)
                lines.append(ind + "    " + other)
        elif kind == "loop" and depth < 2:
            lines.append(f"{ind}for j in range(m):")
            lines += draw(bodies("j", ind + "    ", depth + 1))
        else:
            lines.append(ind + draw(st.sampled_from(UPDATES)).format(v=v))
    return lines


@st.composite
def flow_programs(draw) -> str:
    lines = [
        "import numpy as np",
        "",
        "",
        "def f(x, w, n: int, m: int):",
        "    h = np.zeros(3)",
        "    s = 0.0",
        "    for i in range(n):",
    ]
    lines += draw(bodies("i", "        ", 1))
    lines.append("    return s + np.sum(h * h) + np.sum(x * w)")
    return "\n".join(lines) + "\n"


def _margins(source: str, args: list) -> list[float]:
    """How far each branch condition evaluated is from switching."""
    seen: list[float] = []

    def probe(a, b):
        seen.append(abs(float(a) - float(b)))
        return a

    probed = source
    for cond in CONDITIONS:
        lhs, op, rhs = cond.rsplit(" ", 2)
        probed = probed.replace(f"if {cond}:", f"if _probe({lhs}, {rhs}) {op} {rhs}:")
    scope: dict = {"_probe": probe}
    exec(compile(probed, "<probe>", "exec"), scope)
    scope["f"](*[a.copy() if isinstance(a, np.ndarray) else a for a in args])
    return seen


def _settings(examples: int):
    return settings(
        max_examples=examples,
        deadline=None,
        derandomize=not LONG,
        database=None,
        suppress_health_check=list(HealthCheck),
    )


def _check(source: str, seed: int) -> None:
    note(source)
    rng = np.random.default_rng(seed)
    args = [0.5 * rng.standard_normal((4, 3)), rng.standard_normal(3), 4, 3]
    margins = _margins(source, args)
    assume(not margins or min(margins) > MARGIN)
    check_gradients(source, args, "f", ["x", "w"])


@_settings(12)
@given(flow_programs(), st.integers(0, 2**16))
def test_random_programs_with_run_time_loops_and_branches(source, seed):
    _check(source, seed)


@pytest.mark.slow
def test_random_flow_programs_long_run(request):
    if not LONG and "slow" not in (request.config.getoption("markexpr") or ""):
        pytest.skip("long run: set BPGEN_LONG=1 or select -m slow")

    @_settings(400)
    @given(flow_programs(), st.integers(0, 2**16))
    def run(source, seed):
        _check(source, seed)

    run()
