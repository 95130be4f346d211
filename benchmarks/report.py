"""What a run prints and writes: the tables, the machine, the targets.

The targets are issue 14's; each is one `add(...)` in `targets`, with the
number seen and whether it is met. A contender's column comes from its name
(COLUMNS), so a new contender needs no change here.
"""

from __future__ import annotations

import contextlib
import os
import platform
import statistics
import subprocess
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

import bpgen

from . import peers
from .timing import MIN_REPEATS

ROOT = Path(__file__).resolve().parent.parent
COLUMNS = {"autograd": "autograd", "torch": "PyTorch", "jax": "JAX jit"}
TIME_LIMIT = {"scalar": 1.0, "array": 1.03}  # bpgen / hand-written
MEMORY_LIMIT = 1.02  # peak bytes, bpgen / hand-written
SELF_CHECK_LIMIT = 0.01  # |hand-written copy / hand-written - 1|: the timing's error
GENERATOR_LIMIT = 0.6  # generate() / black alone on its output
GROWTH_LIMIT = 11.0  # generate() at 2,000 statements / at 200
COLD_LIMIT, WARM_LIMIT = 10e-3, 0.5e-3  # decorated import, per function


@dataclass
class Result:
    """What was measured for one workload."""

    name: str
    kind: str
    seconds: dict[str, float] = field(default_factory=dict)
    spread: dict[str, list[float]] = field(default_factory=dict)
    status: dict[str, str] = field(default_factory=dict)
    samples: dict[str, list[float]] = field(default_factory=dict)
    peaks: dict[str, int] = field(default_factory=dict)
    code: dict[str, str] = field(default_factory=dict)  # generated modules

    def ratio(self, name: str, base: str = "hand-written") -> float:
        """Median over repeats of name's time / base's time in the same repeat.

        The two were timed one right after the other, under the same load
        from whatever else shares the machine, so this ratio is steadier
        than a ratio of medians.
        """
        pairs = zip(self.samples[name], self.samples[base], strict=True)
        return statistics.median(a / b for a, b in pairs)

    def add_samples(self, samples: dict[str, list[float]]) -> None:
        self.samples = samples
        for name, values in samples.items():
            self.seconds[name] = statistics.median(values)
            q = statistics.quantiles(values, n=4) if len(values) > 1 else values * 3
            self.spread[name] = [min(values), q[0], q[2], max(values)]

    def json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "seconds": self.seconds,
            "spread": self.spread,
            "status": self.status,
            "repeats": len(self.samples.get("hand-written", [])),
            "ratios": {k: self.ratio(k) for k in self.seconds},
        }


# -- formatting ---------------------------------------------------------------


def time_text(seconds: float) -> str:
    if seconds < 0:
        return "-" + time_text(-seconds)
    for unit, scale in (("s", 1), ("ms", 1e-3), ("µs", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


def ratio_text(x: float) -> str:
    return f"{x:.2f}×" if x < 10 else f"{x:.0f}×"


def mib(n: int) -> str:
    return f"{n / 2**20:.1f} MiB"


def markdown(head: list[str], rows: list[list[Any]]) -> str:
    widths = [max(len(str(c)) for c in col) for col in zip(head, *rows, strict=True)]

    def line(cells):
        cells = [str(c).ljust(w) for c, w in zip(cells, widths, strict=True)]
        return "| " + " | ".join(cells) + " |"

    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(head), rule, *map(line, rows)])


def _cell(r: Result, name: str) -> str:
    if name in r.seconds:
        return ratio_text(r.ratio(name))
    status = r.status.get(name, "absent")
    if status.startswith("refused"):
        return "refused"
    if "differ" in status or "shape" in status:
        return "WRONG"
    return "failed" if status.startswith("failed") else "—"


# -- tables -------------------------------------------------------------------


def header(
    info: dict[str, Any],
    peer_names: list[str],
    repeats: int,
    budget: float | None = None,
) -> str:
    """The run's first lines: machine, versions, allocator, repeats."""
    lines = [
        f"# {info['processor']}, {info['cores']} cores, Python {info['python']}, "
        f"NumPy {info['numpy']}, bpgen {info['bpgen']} ({info['commit']})"
    ]
    if info.get("OPENBLAS_CORETYPE"):
        lines.append(
            f"# warning: OPENBLAS_CORETYPE={info['OPENBLAS_CORETYPE']} slows NumPy"
        )
    pinned = all(info["allocator"].values())
    lines.append(f"# allocator: {'pinned' if pinned else 'glibc defaults'}")
    counted = f"{repeats} shuffled repeats"
    if budget is not None:
        counted += f" or what fits {budget:.0f} s (at least {MIN_REPEATS})"
    lines.append(
        f"# peers: {', '.join(peer_names) or 'none'}; {counted}, medians "
        f"of {info['clock']} time; threads: {info['threads']}\n"
    )
    return "\n".join(lines)


def timing_table(results: list[Result], contenders: list[str]) -> str:
    head = ["workload", "hand-written", *(COLUMNS.get(c, c) for c in contenders)]
    head += ["grad/fwd hand", "grad/fwd bpgen"]
    rows = []
    for r in results:
        row = [r.name, time_text(r.seconds["hand-written"])]
        row += [_cell(r, name) for name in contenders]
        row.append(ratio_text(r.ratio("hand-written", "forward")))
        cheap = r.ratio("bpgen", "forward") if "bpgen" in r.seconds else None
        row.append("—" if cheap is None else ratio_text(cheap))
        rows.append(row)
    return markdown(head, rows)


def ablation_table(results: list[Result], ablations: list[str]) -> str:
    """bpgen beside itself with one switch off, general and declared shapes."""
    base = ["bpgen", "bpgen shapes"]
    head = ["workload", *base, *ablations]
    rows = [[r.name, *(_cell(r, name) for name in base + ablations)] for r in results]
    return markdown(head, rows)


def memory_table(results: list[Result], shown: list[str] | None = None) -> str:
    """Peak bytes of every contender measured (or of those in `shown`)."""
    measured = [r for r in results if r.peaks]
    names = ["hand-written"]
    for r in measured:  # in column order
        names += [n for n in r.peaks if n not in names and (not shown or n in shown)]
    rows = []
    for r in measured:
        p = r.peaks
        row = [r.name, *(mib(p[n]) if n in p else "—" for n in names)]
        row.append(f"{p['bpgen'] / p['hand-written']:.2f}×" if "bpgen" in p else "—")
        rows.append(row)
    head = ["workload", *(COLUMNS.get(n, n) for n in names), "bpgen/hand"]
    return markdown(head, rows)


def generator_table(rows: list[dict[str, Any]]) -> str:
    head = ["statements", "lines out", "generate()", "black alone", "ratio"]
    cells = [
        [
            r["statements"],
            r["output_lines"],
            time_text(r["generate_s"]),
            time_text(r["black_s"]),
            f"{r['ratio']:.2f}×",
        ]
        for r in rows
    ]
    return markdown(head, cells)


def import_lines(imports: dict[str, Any]) -> list[str]:
    n = imports["functions"]
    lines = [
        f"Import of a module with {n} decorated functions (subprocesses): cold "
        f"{time_text(imports['cold_s'])}, warm {time_text(imports['warm_s'])}, "
        f"undecorated {time_text(imports['plain_s'])}"
    ]
    if "cold_in_process_s" in imports:
        lines.append(
            "Per function, libraries already imported: cold "
            f"{time_text(imports['cold_in_process_s'] / n)} in-process, "
            f"{time_text(imports['cold_subprocess_s'] / n)} as a subprocess "
            f"difference; warm {time_text(imports['warm_in_process_s'] / n)} "
            f"in-process, {time_text(imports['warm_subprocess_s'] / n)} as a "
            "subprocess difference"
        )
    return lines


# -- targets ------------------------------------------------------------------


def targets(
    results: list[Result],
    generator: list[dict[str, Any]],
    imports: dict[str, Any],
) -> list[dict[str, Any]]:
    """Issue 14's targets, each with the number seen and whether it is met."""
    out = []

    def add(what, value, limit, met, text):
        out.append(
            {"target": what, "value": value, "limit": limit, "met": met, "text": text}
        )

    for r in results:
        if "hand-written copy" in r.seconds:
            error = r.ratio("hand-written copy") - 1
            add(
                f"{r.name}: timing self-check",
                error,
                SELF_CHECK_LIMIT,
                abs(error) <= SELF_CHECK_LIMIT,
                f"{r.name}: the hand-written code against a copy of itself "
                f"{1 + error:.3f}× (target 1.00 ± {SELF_CHECK_LIMIT:.2f})",
            )
        if "bpgen" not in r.seconds:
            text = f"{r.name}: bpgen {r.status.get('bpgen')}"
            add(f"{r.name}: bpgen gradient", None, None, False, text)
            continue
        limit = TIME_LIMIT[r.kind]
        for name in ("bpgen", "bpgen shapes"):
            if name in r.seconds:
                ratio = r.ratio(name)
                add(
                    f"{r.name}: {name} time vs hand-written",
                    ratio,
                    limit,
                    ratio <= limit,
                    f"{r.name}: {name} {ratio_text(ratio)} hand-written "
                    f"(target ≤ {limit}×)",
                )
        if "bpgen" in r.peaks:
            peak, hand = r.peaks["bpgen"], r.peaks["hand-written"]
            add(
                f"{r.name}: peak memory vs hand-written",
                peak / hand,
                MEMORY_LIMIT,
                peak <= hand * MEMORY_LIMIT,
                f"{r.name}: bpgen peak {mib(peak)}, hand-written {mib(hand)} "
                f"({peak / hand:.3f}×, target ≤ {MEMORY_LIMIT}×)",
            )
    for row in generator:
        add(
            f"generate {row['statements']} statements vs black",
            row["ratio"],
            GENERATOR_LIMIT,
            row["ratio"] <= GENERATOR_LIMIT,
            f"generate() on {row['statements']} statements: "
            f"{time_text(row['generate_s'])}, black alone "
            f"{time_text(row['black_s'])} ({row['ratio']:.2f}×, "
            f"target ≤ {GENERATOR_LIMIT}×)",
        )
    if len(generator) >= 2:
        small, large = generator[0], generator[-1]
        growth = large["generate_s"] / small["generate_s"]
        limit = GROWTH_LIMIT * (large["statements"] / small["statements"]) / 10
        add(
            "generator growth",
            growth,
            limit,
            growth <= limit,
            f"generate() {large['statements']} statements / {small['statements']}: "
            f"{growth:.1f}× (target ≤ {limit:.0f}×)",
        )
    n = imports.get("functions")
    for kind, limit in (("cold", COLD_LIMIT), ("warm", WARM_LIMIT)):
        for how in ("in_process", "subprocess"):
            key = f"{kind}_{how}_s"
            if key in imports:
                each = imports[key] / n
                add(
                    f"{kind} decorated import per function ({how})",
                    each,
                    limit,
                    each <= limit,
                    f"{kind} import, {how.replace('_', '-')}: {time_text(each)} "
                    f"per function (target ≤ {time_text(limit)})",
                )
    return out


# -- the machine --------------------------------------------------------------


def machine() -> dict[str, Any]:
    info: dict[str, Any] = {
        "platform": platform.platform(),
        "processor": _cpu_model(),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "bpgen": bpgen.__version__,
        "commit": _git("rev-parse", "--short", "HEAD"),
        "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE"),
        "allocator": {
            k: os.environ.get(k)
            for k in ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_")
        },
    }
    try:
        from threadpoolctl import threadpool_info

        keys = ("internal_api", "version", "architecture", "num_threads")
        info["blas"] = [{k: p.get(k) for k in keys} for p in threadpool_info()]
    except ImportError:
        pass
    for name in ("black", "libcst", *peers.PEERS, "jaxlib"):
        with contextlib.suppress(metadata.PackageNotFoundError):
            info[name] = metadata.version(name)
    return info


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def _git(*args: str) -> str | None:
    try:
        done = subprocess.run(
            ["git", *args], cwd=ROOT, capture_output=True, text=True, check=True
        )
    except (OSError, subprocess.CalledProcessError):
        return None
    return done.stdout.strip()
