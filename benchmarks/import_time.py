"""Cold and warm import time of a module with N `@bpgen.differentiable` functions.

    python benchmarks/import_time.py [--functions 20] [--repeat 5]

Each measurement is a fresh interpreter importing the module, timed inside
the interpreter around the `import`. "cold" starts from an empty cache
directory (generation runs, libcst and black are imported); "warm" imports
the same module again with the cache filled. "plain" is the same module
without the decorator (what the import costs anyway: numpy and the module
itself), so warm - plain is what bpgen adds to an import.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

TEMPLATES = [
    # scalar, math: the seed's staged example
    """
def {name}(x, y):
    sigy = 1.0 / (1 + math.exp(-y))
    num = x + sigy
    sigx = 1.0 / (1 + math.exp(-x))
    xpy = x + y
    den = sigx + xpy**2
    return num / den * SCALE
""",
    # scalar neuron
    """
def {name}(w0, w1, w2, x0, x1):
    dot = w0 * x0 + w1 * x1 + w2
    return 1.0 / (1 + math.exp(-dot))
""",
    # numpy affine + relu + sum
    """
def {name}(x, w, b):
    h = np.maximum(0, x @ w + b)
    return np.sum(h * h) * SCALE
""",
    # numpy tanh layer
    """
def {name}(x, w):
    z = np.tanh(x @ w)
    return np.mean(z * z)
""",
]

PROBE = """
import sys, time
sys.path.insert(0, {dir!r})
{before}
t = time.perf_counter()
import {module}
elapsed = time.perf_counter() - t
heavy = sorted(m for m in ("libcst", "black") if m in sys.modules)
import json
print(json.dumps({{"seconds": elapsed, "heavy": heavy}}))
"""


# What generation loads once per process: bpgen's pipeline modules (imported
# lazily), libcst, and black with its grammar (built on its first call). One
# generation of an unrelated function whose general matmul gradient goes to
# black loads them all; its statements use other names, so none of the
# module's statements is memoised by it.
LIBRARIES = (
    "import bpgen, bpgen.generate, libcst, black; "
    "bpgen.generate('def _warm(a, b):\\n    return a @ b\\n')"
)

# One interpreter: the libraries first, then the modules; the first import of
# each module compiles it (plain first, so both pay that), the second reads
# its .pyc, and for the decorated one the second finds the cache filled.
IN_PROCESS = """
import sys, time, json
sys.path.insert(0, {dir!r})
import numpy
{libraries}
def timed(name):
    sys.modules.pop(name, None)
    t = time.perf_counter()
    __import__(name)
    return time.perf_counter() - t
plain_cold = timed("plain_mod")
cold = timed("decorated_mod")
plain_warm = timed("plain_mod")
warm = timed("decorated_mod")
print(json.dumps({{"cold": cold - plain_cold, "warm": warm - plain_warm}}))
"""


def module_source(count: int, decorated: bool) -> str:
    lines = ["import math", "", "import numpy as np", ""]
    if decorated:
        lines.insert(0, "import bpgen")
    lines += ["SCALE = 2.0", ""]
    for i in range(count):
        body = TEMPLATES[i % len(TEMPLATES)].format(name=f"f{i}")
        if decorated:
            body = body.replace("\ndef ", "\n@bpgen.differentiable\ndef ", 1)
        lines.append(body)
    return "\n".join(lines)


def run(directory: Path, module: str, cache: Path, before: str = "") -> dict:
    env = dict(os.environ, BPGEN_CACHE_DIR=str(cache))
    env.pop("BPGEN_NO_CACHE", None)
    probe = PROBE.format(dir=str(directory), module=module, before=before)
    done = subprocess.run(
        [sys.executable, "-c", probe],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout)


def in_process(directory: Path, cache: Path) -> dict:
    env = dict(os.environ, BPGEN_CACHE_DIR=str(cache))
    env.pop("BPGEN_NO_CACHE", None)
    probe = IN_PROCESS.format(dir=str(directory), libraries=LIBRARIES)
    done = subprocess.run(
        [sys.executable, "-c", probe],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--functions", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", action="store_true", help="print JSON only")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "decorated_mod.py").write_text(module_source(args.functions, True))
        (root / "plain_mod.py").write_text(module_source(args.functions, False))
        (root / "libs_mod.py").write_text(f"{LIBRARIES}\nimport plain_mod\n")
        times: dict[str, list[float]] = {
            "cold": [],
            "warm": [],
            "plain": [],
            "bpgen": [],
            "libraries": [],
            "cold_in_process": [],
            "warm_in_process": [],
        }
        heavy_warm: set[str] = set()
        for attempt in range(args.repeat):
            cache = root / f"cache{attempt}"
            times["cold"].append(run(root, "decorated_mod", cache)["seconds"])
            result = run(root, "decorated_mod", cache)
            times["warm"].append(result["seconds"])
            heavy_warm.update(result["heavy"])
            times["plain"].append(run(root, "plain_mod", cache)["seconds"])
            # `import bpgen` alone, numpy already loaded
            times["bpgen"].append(run(root, "bpgen", cache, "import numpy")["seconds"])
            # the plain module plus what generation imports once
            times["libraries"].append(run(root, "libs_mod", cache)["seconds"])
            inside = in_process(root, root / f"inside{attempt}")
            times["cold_in_process"].append(inside["cold"])
            times["warm_in_process"].append(inside["warm"])

    report: dict = {
        "functions": args.functions,
        "repeat": args.repeat,
        "python": sys.version.split()[0],
        "warm_imports": sorted(heavy_warm),
    }
    for name, values in times.items():
        report[f"{name}_s"] = statistics.median(values)
        report[f"{name}_min_s"] = min(values)
    report["warm_overhead_s"] = report["warm_s"] - report["plain_s"]
    # beyond the one-time library imports, as differences of whole imports
    report["cold_subprocess_s"] = report["cold_s"] - report["libraries_s"]
    report["warm_subprocess_s"] = (
        report["warm_s"] - report["plain_s"] - report["bpgen_s"]
    )
    if args.json:
        print(json.dumps(report))
        return
    n = args.functions
    print(f"import of a module with {n} @bpgen.differentiable functions")
    print(f"({args.repeat} fresh interpreters each, Python {report['python']})")
    print(f"{'':32}{'median':>10}{'min':>10}")
    rows = [
        ("cold (empty cache)", "cold"),
        ("warm (cache filled)", "warm"),
        ("plain (no decorator)", "plain"),
        ("import bpgen alone", "bpgen"),
        ("plain + bpgen, libcst, black", "libraries"),
    ]
    for label, key in rows:
        median, least = report[f"{key}_s"] * 1000, report[f"{key}_min_s"] * 1000
        print(f"  {label:30}{median:8.1f} ms{least:7.1f} ms")
    print(f"  bpgen's warm overhead   {report['warm_overhead_s'] * 1000:8.1f} ms")
    for kind in ("cold", "warm"):
        each = [
            report[f"{kind}_{how}_s"] * 1000 / n for how in ("in_process", "subprocess")
        ]
        print(
            f"  {kind} per function beyond library imports: {each[0]:.2f} ms "
            f"in-process, {each[1]:.2f} ms as a subprocess difference"
        )
    heavy = ", ".join(report["warm_imports"]) or "neither libcst nor black"
    print(f"  warm import loaded:     {heavy}")


if __name__ == "__main__":
    main()
