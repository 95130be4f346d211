"""Benchmark bpgen's generated code against hand-written code and its peers.

    python -m benchmarks.run [--quick] [--json OUT] [--peers autograd,torch,jax]

One process measures every workload: bpgen's generated forward+backward
(generated once, outside timing), the hand-written staged code in
`benchmarks/handwritten.py`, and autograd, PyTorch and JAX where installed.
Times are medians of many interleaved repeats; ratios to the hand-written
code are medians of the per-repeat ratios (both timed back to back, under
the same load from whatever shares the machine). Before anything is timed,
every implementation's output and gradients are compared with the
hand-written ones, so a wrong gradient is reported as wrong rather than
timed. Then: the cheap-gradient ratio (forward+backward against the plain
forward alone), peak memory (tracemalloc) of forward+backward, the
generator's own speed against black alone formatting its output, and the
import time of decorated functions (benchmarks/import_time.py).

On a shared machine, `--threads 1` (the default) and `--clock cpu` (the
default) keep other processes' load out of the comparison as far as possible.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import time
import timeit
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

import bpgen
from bpgen.check import load

from . import handwritten, peers

ROOT = Path(__file__).resolve().parent.parent
RTOL, ATOL = 1e-6, 1e-9
MEMORY_SLACK = 4096  # bytes of Python objects (tuples, shapes) not counted as more
CLOCKS = {"cpu": time.process_time, "wall": time.perf_counter}
clock: Callable[[], float] = time.process_time


@dataclass
class Workload:
    """One function to differentiate, with its inputs and its hand-written pair."""

    name: str
    kind: str  # "scalar" or "array"
    source: str
    function: str
    wrt: list[str]
    args: list[Any]
    dout: Any
    hand: str  # prefix of the hand-written pair in handwritten.py
    peer_function: str

    @property
    def wrt_index(self) -> tuple[int, ...]:
        params = _params(self.source, self.function)
        return tuple(params.index(w) for w in self.wrt)


@dataclass
class Result:
    """What was measured for one workload."""

    name: str
    kind: str
    seconds: dict[str, float] = field(default_factory=dict)
    spread: dict[str, list[float]] = field(default_factory=dict)
    status: dict[str, str] = field(default_factory=dict)
    generated: str | None = None
    samples: dict[str, list[float]] = field(default_factory=dict)

    def ratio(self, name: str, base: str = "hand-written") -> float:
        """Median over repeats of name's time / base's time in the same repeat.

        The two were timed one right after the other, under the same load
        from whatever else shares the machine, so this ratio is steadier
        than a ratio of medians.
        """
        pairs = zip(self.samples[name], self.samples[base], strict=True)
        return statistics.median(a / b for a, b in pairs)


def _params(source: str, function: str) -> list[str]:
    import ast

    for node in ast.parse(source).body:
        if isinstance(node, ast.FunctionDef) and node.name == function:
            return [a.arg for a in node.args.args]
    raise KeyError(function)


def workloads(quick: bool) -> list[Workload]:
    """The issue's workloads; quick mode shrinks the large ones."""
    rng = np.random.default_rng(0)
    staged = (ROOT / "samples" / "staged.py").read_text()
    neuron = (ROOT / "samples" / "neuron.py").read_text()
    arrays = (ROOT / "benchmarks" / "forwards.py").read_text()
    out = [
        Workload(
            "staged f(x, y)",
            "scalar",
            staged,
            "f",
            ["x", "y"],
            [3.0, -4.0],
            1.0,
            "staged",
            "staged",
        ),
        Workload(
            "sigmoid neuron",
            "scalar",
            neuron,
            "neuron",
            ["w0", "w1", "w2", "x0", "x1"],
            [2.0, -3.0, -3.0, -1.0, -2.0],
            1.0,
            "neuron",
            "neuron",
        ),
    ]
    for m, k, n in [(5, 10, 3), (64, 64, 64) if quick else (512, 512, 512)]:
        W, X = rng.standard_normal((m, k)), rng.standard_normal((k, n))
        out.append(
            Workload(
                f"matmul {m}x{k}·{k}x{n}",
                "array",
                arrays,
                "matmul",
                ["W", "X"],
                [W, X],
                rng.standard_normal((m, n)),
                "matmul",
                "matmul",
            )
        )
    nets = [(64, 256, 256, 10), (1024, 1024, 1024, 10)]
    if quick:
        nets = [(16, 32, 32, 10), (64, 64, 64, 10)]
    for n, d, h, c in nets:
        args = [
            rng.standard_normal((d, h)) / np.sqrt(d),
            0.1 * rng.standard_normal(h),
            rng.standard_normal((h, c)) / np.sqrt(h),
            0.1 * rng.standard_normal(c),
            rng.standard_normal((n, d)),
            rng.integers(0, c, n),
            0.1,
        ]
        out.append(
            Workload(
                f"2-layer net {n}, {d}-{h}-{c}",
                "array",
                arrays,
                "two_layer",
                ["W1", "b1", "W2", "b2"],
                args,
                1.0,
                "two_layer",
                "two_layer",
            )
        )
    n, d = (32, 16) if quick else (256, 512)
    x = 3.0 + 2.0 * rng.standard_normal((n, d))
    args = [x, 1.0 + 0.1 * rng.standard_normal(d), 0.1 * rng.standard_normal(d), 1e-5]
    out.append(
        Workload(
            f"batchnorm {n}x{d}",
            "array",
            arrays,
            "batchnorm",
            ["x", "gamma", "beta"],
            args,
            rng.standard_normal((n, d)),
            "batchnorm",
            "batchnorm",
        )
    )
    return out


# -- checking -----------------------------------------------------------------


def _close(a, b) -> bool:
    if isinstance(a, (tuple, list)):
        return (
            isinstance(b, (tuple, list)) and len(a) == len(b) and all(map(_close, a, b))
        )
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=RTOL, atol=ATOL))


def _disagreement(result, expected) -> str:
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


# -- timing -------------------------------------------------------------------


@dataclass
class Timed:
    """A statement to time, in its own namespace."""

    stmt: str
    namespace: dict[str, Any]

    def timer(self) -> timeit.Timer:
        return timeit.Timer(self.stmt, timer=clock, globals=self.namespace)


def _pair_stmt(fwd, bwd, args, dout) -> Timed:
    names = [f"a{i}" for i in range(len(args))]
    ns = dict(zip(names, args, strict=True), fwd=fwd, bwd=bwd, dout=dout)
    return Timed(f"o, c = fwd({', '.join(names)})\ng = bwd(dout, c)", ns)


def _pair_step(fwd, bwd, args, dout) -> Callable[[], Any]:
    """Forward+backward as one call keeping the output, for peak memory."""

    def step():
        out, cache = fwd(*args)
        return out, bwd(dout, cache)

    return step


def _call_stmt(f, args) -> Timed:
    names = [f"a{i}" for i in range(len(args))]
    return Timed(f"o = f({', '.join(names)})", dict(zip(names, args, strict=True), f=f))


def _calibrate(timer: timeit.Timer, block: float) -> int:
    number = 1
    while True:
        elapsed = timer.timeit(number)
        if elapsed >= block or number >= 1 << 20:
            return number
        number = max(number * 2, int(number * block / max(elapsed, 1e-9) * 1.2))


def measure(
    timed: dict[str, Timed], repeats: int, block: float
) -> dict[str, list[float]]:
    """Per-call seconds of each statement, over interleaved repeats.

    Interleaving spreads drift (frequency, other load) over all contenders
    alike; one untimed call before each block lets thread pools that another
    library left spinning settle.
    """
    gc.collect()
    gc.freeze()  # what exists now is never garbage: keep collections cheap
    timers = {name: t.timer() for name, t in timed.items()}
    numbers = {name: _calibrate(t, block) for name, t in timers.items()}
    samples: dict[str, list[float]] = {name: [] for name in timers}
    for _ in range(repeats):
        for name, timer in timers.items():
            timer.timeit(1)
            samples[name].append(timer.timeit(numbers[name]) / numbers[name])
        gc.collect()
    return samples


# -- memory -------------------------------------------------------------------


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


# -- the workloads ------------------------------------------------------------


def run_workload(
    w: Workload, peer_names: list[str], repeats: int, block: float, memory: bool
) -> tuple[Result, dict[str, int]]:
    result = Result(w.name, w.kind)
    hand_fwd = getattr(handwritten, f"{w.hand}_forward")
    hand_bwd = getattr(handwritten, f"{w.hand}_backward")
    out, cache = hand_fwd(*w.args)
    expected = (out, tuple(hand_bwd(w.dout, cache)))
    namespace: dict[str, Any] = {}
    exec(compile(w.source, f"<{w.function}>", "exec"), namespace)  # noqa: S102
    plain = namespace[w.function]
    if not _close(plain(*w.args), out):
        raise AssertionError(
            f"{w.name}: hand-written forward differs from the plain one"
        )

    timed = {
        "hand-written": _pair_stmt(hand_fwd, hand_bwd, w.args, w.dout),
        "forward": _call_stmt(plain, w.args),
    }
    result.status["hand-written"] = "ok"
    steps = {"hand-written": _pair_step(hand_fwd, hand_bwd, w.args, w.dout)}
    try:
        code = bpgen.generate(w.source, w.function, w.wrt)
    except bpgen.BpgenError as error:
        result.status["bpgen"] = f"refused: {str(error).splitlines()[0]}"
    else:
        result.generated = code
        fwd, bwd = load(code, w.function)
        o, c = fwd(*w.args)
        problem = _disagreement((o, tuple(bwd(w.dout, c))), expected)
        result.status["bpgen"] = problem or "ok"
        if not problem:
            timed["bpgen"] = _pair_stmt(fwd, bwd, w.args, w.dout)
            timed["bpgen forward"] = _call_stmt(fwd, w.args)
            steps["bpgen"] = _pair_step(fwd, bwd, w.args, w.dout)
    for name in peer_names:
        try:
            step, to_numpy = peers.MAKERS[name](
                w.peer_function, w.args, w.wrt_index, w.dout
            )
            problem = _disagreement(to_numpy(step()), expected)
        except Exception as error:  # noqa: BLE001 - a failing peer must not stop the run
            problem = f"failed: {type(error).__name__}: {error}"
        result.status[name] = problem or "ok"
        if not problem:
            timed[name] = Timed("r = step()", {"step": step})
            if name == "autograd":
                steps[name] = step
    samples = measure(timed, repeats, block)
    result.samples = samples
    for name, values in samples.items():
        result.seconds[name] = statistics.median(values)
        q = statistics.quantiles(values, n=4) if len(values) > 1 else values * 3
        result.spread[name] = [min(values), q[0], q[2], max(values)]
    peaks = {}
    if memory and w.kind == "array":
        peaks = {name: peak_bytes(step) for name, step in steps.items()}
    return result, peaks


# -- the generator ------------------------------------------------------------

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
    """black alone, in the mode bpgen formats with."""
    import black

    mode = black.Mode(
        target_versions={black.TargetVersion.PY310},
        line_length=88,
        string_normalization=True,
        magic_trailing_comma=True,
    )
    return black.format_str(code, mode=mode)


def generator_speed(sizes: list[int], repeats: int) -> list[dict[str, Any]]:
    rows = []
    bpgen.generate(straight_line(5))  # imports libcst and black, warms caches
    for n in sizes:
        source = straight_line(n)
        code = bpgen.generate(source)
        gen, fmt = [], []
        for _ in range(repeats if n >= 1000 else 3 * repeats):  # small ones: noisier
            gen.append(_seconds(bpgen.generate, source))
            fmt.append(_seconds(black_format, code))
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


def _seconds(f: Callable[[str], Any], text: str) -> float:
    gc.collect()
    start = clock()
    f(text)
    return clock() - start


# -- machine and report -------------------------------------------------------


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
    }
    try:
        from threadpoolctl import threadpool_info

        info["blas"] = [
            {
                k: p.get(k)
                for k in ("internal_api", "version", "architecture", "num_threads")
            }
            for p in threadpool_info()
        ]
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


def _time(seconds: float) -> str:
    if seconds < 0:
        return "-" + _time(-seconds)
    for unit, scale in (("s", 1), ("ms", 1e-3), ("µs", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


def _ratio(x: float) -> str:
    return f"{x:.2f}×" if x < 10 else f"{x:.0f}×"


def _kib(n: int) -> str:
    return f"{n / 2**10:+.1f} KiB"


def _mib(n: int) -> str:
    return f"{n / 2**20:.1f} MiB"


def table(results: list[Result], peer_names: list[str]) -> str:
    head = (
        ["workload", "hand-written", "bpgen"]
        + [
            {"autograd": "autograd", "torch": "PyTorch", "jax": "JAX jit"}[p]
            for p in peer_names
        ]
        + ["grad/fwd hand", "grad/fwd bpgen"]
    )
    rows = []
    for r in results:
        hand = r.seconds["hand-written"]
        row = [r.name, _time(hand)]
        for name in ["bpgen", *peer_names]:
            if name in r.seconds:
                row.append(_ratio(r.ratio(name)))
            else:
                status = r.status.get(name, "absent")
                row.append(
                    "refused"
                    if status.startswith("refused")
                    else "WRONG"
                    if "differ" in status or "shape" in status
                    else "failed"
                    if status.startswith("failed")
                    else "—"
                )
        row.append(_ratio(r.ratio("hand-written", "forward")))
        row.append(_ratio(r.ratio("bpgen", "forward")) if "bpgen" in r.seconds else "—")
        rows.append(row)
    return _markdown(head, rows)


def _markdown(head: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(c)) for c in col) for col in zip(head, *rows, strict=True)]

    def line(cells):
        return (
            "| "
            + " | ".join(str(c).ljust(w) for c, w in zip(cells, widths, strict=True))
            + " |"
        )

    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(head), rule, *map(line, rows)])


def targets(
    results: list[Result],
    memory: dict[str, dict[str, int]],
    generator: list[dict[str, Any]],
    imports: dict[str, Any],
) -> list[dict[str, Any]]:
    """The issue's targets, each with the number seen and whether it is met."""
    out = []

    def add(what, value, limit, met, text):
        out.append(
            {"target": what, "value": value, "limit": limit, "met": met, "text": text}
        )

    for r in results:
        if "bpgen" not in r.seconds:
            add(
                f"{r.name}: bpgen gradient",
                None,
                None,
                False,
                f"{r.name}: bpgen {r.status.get('bpgen')}",
            )
            continue
        ratio = r.ratio("bpgen")
        limit = 1.0 if r.kind == "scalar" else 1.05
        add(
            f"{r.name}: time vs hand-written",
            ratio,
            limit,
            ratio <= limit,
            f"{r.name}: bpgen {_ratio(ratio)} hand-written (target ≤ {limit}×)",
        )
        if r.kind == "scalar":
            for peer, need in (("jax", 15), ("autograd", 300)):
                if peer in r.seconds:
                    speedup = r.ratio(peer, "bpgen")
                    add(
                        f"{r.name}: faster than {peer}",
                        speedup,
                        need,
                        speedup >= need,
                        f"{r.name}: bpgen {speedup:.0f}× faster "
                        f"than {peer} (target ≥ {need}×)",
                    )
        if "2-layer" in r.name:
            cheap = r.ratio("bpgen", "forward")
            add(
                f"{r.name}: forward+backward vs forward",
                cheap,
                3.0,
                cheap <= 3.0,
                f"{r.name}: bpgen forward+backward {cheap:.2f}× the forward "
                "(target ≤ 3×)",
            )
    for name, peaks in memory.items():
        if "bpgen" in peaks:
            # Arrays decide; a few hundred bytes of tuples and shapes do not.
            extra = peaks["bpgen"] - peaks["hand-written"]
            add(
                f"{name}: peak memory vs hand-written",
                peaks["bpgen"] / peaks["hand-written"],
                1.0,
                extra <= MEMORY_SLACK,
                f"{name}: bpgen peak {_mib(peaks['bpgen'])}, hand-written "
                f"{_mib(peaks['hand-written'])} ({_kib(extra)} more; target: "
                f"no more, but for {MEMORY_SLACK // 1024} KiB of Python objects)",
            )
    for row in generator:
        add(
            f"generate {row['statements']} statements vs black",
            row["ratio"],
            2.0,
            row["ratio"] <= 2.0,
            f"generate() on {row['statements']} statements: "
            f"{_time(row['generate_s'])}, black alone {_time(row['black_s'])} "
            f"({row['ratio']:.2f}×, target ≤ 2×)",
        )
    if len(generator) >= 2:
        small, large = generator[0], generator[-1]
        growth = large["generate_s"] / small["generate_s"]
        factor = large["statements"] / small["statements"]
        limit = 1.2 * factor
        add(
            "generator growth",
            growth,
            limit,
            growth <= limit,
            f"generate() {large['statements']} statements / {small['statements']}: "
            f"{growth:.1f}× (target ≤ {limit:.0f}×)",
        )
    if "warm_overhead_s" in imports:
        each = imports["warm_overhead_s"] / imports["functions"]
        add(
            "warm decorated import per function",
            each,
            1e-3,
            each <= 1e-3,
            f"warm import of {imports['functions']} decorated functions: "
            f"{_time(each)} per function over the undecorated module "
            "(target ≤ 1 ms)",
        )
    return out


def import_time(functions: int, repeats: int) -> dict[str, Any]:
    """Cold and warm import, measured by benchmarks/import_time.py."""
    script = ROOT / "benchmarks" / "import_time.py"
    command = [sys.executable, str(script), "--json"]
    command += ["--functions", str(functions), "--repeat", str(repeats)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, check=True)
        return json.loads(done.stdout)
    except (OSError, subprocess.CalledProcessError, json.JSONDecodeError) as error:
        detail = getattr(error, "stderr", "") or str(error)
        return {"error": f"import_time.py failed: {detail.strip()[-300:]}"}


def limit_threads(n: int) -> Callable[[], None]:
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.run", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="tiny sizes and few repeats: checks the script runs",
    )
    parser.add_argument(
        "--json",
        default=str(ROOT / "benchmarks" / "results.json"),
        help="where to write the results (default: %(default)s)",
    )
    parser.add_argument(
        "--peers",
        default=",".join(peers.PEERS),
        help="comma-separated peers to run if installed; '' for none",
    )
    parser.add_argument("--repeats", type=int, help="timed repeats per contender")
    parser.add_argument("--only", help="run only workloads whose name contains this")
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="threads per library (default 1; 0: their defaults)",
    )
    parser.add_argument(
        "--clock",
        choices=sorted(CLOCKS),
        default="cpu",
        help="process CPU time (default: robust on a shared machine) or wall time",
    )
    parser.add_argument(
        "--no-generator",
        action="store_true",
        help="skip the generator-speed measurement",
    )
    args = parser.parse_args(argv)

    repeats = args.repeats or (3 if args.quick else 31)
    block = 0.0 if args.quick else 0.01
    wanted = [p for p in args.peers.split(",") if p]
    unknown = set(wanted) - set(peers.PEERS)
    if unknown:
        parser.error(f"unknown peers: {', '.join(sorted(unknown))}")
    peer_names = [p for p in wanted if peers.available(p)]
    global clock
    clock = CLOCKS[args.clock]
    undo = limit_threads(args.threads)
    try:
        return _run(args, repeats, block, peer_names)
    finally:
        undo()


def _run(args, repeats, block, peer_names) -> int:

    info = machine()
    info["threads"] = args.threads or "library defaults"
    info["clock"] = args.clock
    print(
        f"# {info['processor']}, {info['cores']} cores, Python {info['python']}, "
        f"NumPy {info['numpy']}, bpgen {info['bpgen']} ({info['commit']})"
    )
    if info.get("OPENBLAS_CORETYPE"):
        print(f"# warning: OPENBLAS_CORETYPE={info['OPENBLAS_CORETYPE']} slows NumPy")
    print(
        f"# peers: {', '.join(peer_names) or 'none'}; {repeats} repeats, medians "
        f"of {args.clock} time; threads: {info['threads']}\n",
        flush=True,
    )

    results, memory = [], {}
    for w in workloads(args.quick):
        if args.only and args.only not in w.name:
            continue
        result, peaks = run_workload(w, peer_names, repeats, block, memory=True)
        results.append(result)
        if peaks:
            memory[w.name] = peaks
        bad = {k: v for k, v in result.status.items() if v != "ok"}
        for name, status in bad.items():
            print(f"# {w.name}: {name} {status}", file=sys.stderr)
    print(table(results, peer_names))

    if memory:
        print("\nPeak memory of forward+backward (tracemalloc):\n")
        names = ["hand-written", "bpgen", "autograd"]
        rows = [
            [w]
            + [_mib(p[n]) if n in p else "—" for n in names]
            + [f"{p['bpgen'] / p['hand-written']:.2f}×" if "bpgen" in p else "—"]
            for w, p in memory.items()
        ]
        print(_markdown(["workload", *names, "bpgen/hand"], rows))

    generator = []
    if not args.no_generator:
        sizes, reps = ([10, 40], 1) if args.quick else ([200, 2000], 3)
        generator = generator_speed(sizes, reps)
        print("\nGenerator speed (bpgen.generate vs black alone on its output):\n")
        rows = [
            [
                r["statements"],
                r["output_lines"],
                _time(r["generate_s"]),
                _time(r["black_s"]),
                f"{r['ratio']:.2f}×",
            ]
            for r in generator
        ]
        print(
            _markdown(
                ["statements", "lines out", "generate()", "black alone", "ratio"], rows
            )
        )

    imports = {}
    if not args.no_generator:
        functions, reps = (2, 1) if args.quick else (20, 5)
        imports = import_time(functions, reps)
        if "error" in imports:
            print(f"\nimport time: {imports['error']}", file=sys.stderr)
        else:
            print(
                f"\nImport of a module with {functions} decorated functions: "
                f"cold {_time(imports['cold_s'])}, warm {_time(imports['warm_s'])}, "
                f"undecorated {_time(imports['plain_s'])}"
            )

    checked = targets(results, memory, generator, imports)
    print("\nTargets:\n")
    for t in checked:
        print(f"- [{'x' if t['met'] else ' '}] {t['text']}")

    report = {
        "machine": info,
        "quick": args.quick,
        "repeats": repeats,
        "workloads": [
            {
                "name": r.name,
                "kind": r.kind,
                "seconds": r.seconds,
                "spread": r.spread,
                "status": r.status,
                "ratios": {k: r.ratio(k) for k in r.seconds},
            }
            for r in results
        ],
        "peak_bytes": memory,
        "generator": generator,
        "import": imports,
        "targets": checked,
    }
    Path(args.json).write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n")
    print(f"\nwrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
