"""The same input always produces byte-identical output.

Every sample, a set of random programs (tests/programs.py), the switch-off
settings and the bad-input corpus's refusals are generated in separate Python
processes with different PYTHONHASHSEED values, and in this process twice (in
two different orders); every run must give the same bytes, error messages
included.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cases import SAMPLES
from hypothesis import HealthCheck, given, settings
from programs import programs

from bpgen.options import Options

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
HASH_SEEDS = ["0", "4242", "random"]

WORKER = r"""
import json, sys
import bpgen
from bpgen.errors import BpgenError
from bpgen.options import Options

jobs = json.load(open(sys.argv[1]))
results = []
for source, function, wrt, options in jobs:
    try:
        options = Options(**options)
        results.append(bpgen.generate(source, function, wrt, options=options))
    except BpgenError as exc:
        results.append("refused: " + str(exc))
json.dump(results, sys.stdout)
"""


def _collect(mode: str, count: int) -> list[str]:
    found: list[str] = []

    @settings(
        max_examples=count,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(programs(mode))
    def collect(program):
        found.append((program.source, program.wrt))

    collect()
    return found


def _jobs() -> list[tuple]:
    jobs = []
    off = {name: False for name in Options.switches()}
    for path in sorted(SAMPLES.glob("*.py")):
        source = path.read_text()
        jobs.append(
            (source, None if source.count("\ndef ") == 1 else _first(source), None, {})
        )
        jobs.append((source, jobs[-1][1], None, off))
    for mode, count in (("math", 10), ("numpy", 20)):
        for source, wrt in _collect(mode, count):
            jobs.append((source, "f", wrt, {}))
    corpus = HERE / "corpus"
    for path in sorted(corpus.glob("*")) if corpus.is_dir() else []:
        if path.is_file() and path.stat().st_size < 20_000:
            try:
                text = path.read_text(encoding="utf-8")
            except UnicodeDecodeError:
                continue
            jobs.append((text, None, None, {}))
    return jobs


def _first(source: str) -> str:
    return source.split("\ndef ", 1)[1].split("(", 1)[0]


def _run_here(jobs) -> list[str]:
    import bpgen
    from bpgen.errors import BpgenError

    results = []
    for source, function, wrt, options in jobs:
        try:
            results.append(
                bpgen.generate(source, function, wrt, options=Options(**options))
            )
        except BpgenError as exc:
            results.append("refused: " + str(exc))
    return results


@pytest.fixture(scope="module")
def jobs(tmp_path_factory):
    jobs = _jobs()
    path = tmp_path_factory.mktemp("determinism") / "jobs.json"
    path.write_text(json.dumps(jobs))
    return jobs, path, _run_here(jobs)


def test_same_output_in_one_process_in_any_order(jobs):
    jobs, _, first = jobs
    again = _run_here(jobs[::-1])[::-1]
    assert [
        i for i, (a, b) in enumerate(zip(first, again, strict=True)) if a != b
    ] == []


def test_same_output_across_processes_and_hash_seeds(jobs, tmp_path):
    jobs, path, here = jobs
    worker = tmp_path / "worker.py"
    worker.write_text(WORKER)
    processes = {}
    for seed in HASH_SEEDS:
        env = {**os.environ, "PYTHONHASHSEED": seed}
        processes[seed] = subprocess.Popen(
            [sys.executable, str(worker), str(path)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            cwd=ROOT,
        )
    outputs = {}
    for seed, process in processes.items():
        out, err = process.communicate(timeout=600)
        assert process.returncode == 0, err
        outputs[seed] = json.loads(out)
    for seed, results in outputs.items():
        assert len(results) == len(jobs)
        differing = [
            i for i, (a, b) in enumerate(zip(here, results, strict=True)) if a != b
        ]
        assert differing == [], (
            f"PYTHONHASHSEED={seed}: {len(differing)} of {len(jobs)} outputs differ, "
            f"first:\n{jobs[differing[0]][0]}"
        )
