"""The benchmark script runs, and measures right gradients; no test asserts a time.

The quick mode runs every workload at tiny sizes with a few repeats, so the
script cannot rot; the gradients bpgen generates for the benchmark's
workloads are compared with the hand-written ones the benchmark times them
against, so it cannot silently time wrong code.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import bpgen  # noqa: E402
from benchmarks import handwritten, peers, run  # noqa: E402
from bpgen.check import load  # noqa: E402

WORKLOADS = run.workloads(quick=True)
LONG = os.environ.get("BPGEN_LONG", "") not in ("", "0")


@pytest.mark.parametrize("w", WORKLOADS, ids=[w.name for w in WORKLOADS])
def test_generated_gradients_match_hand_written(w):
    fwd, bwd = load(bpgen.generate(w.source, w.function, w.wrt), w.function)
    hand_fwd = getattr(handwritten, f"{w.hand}_forward")
    hand_bwd = getattr(handwritten, f"{w.hand}_backward")
    out, cache = fwd(*w.args)
    hand_out, hand_cache = hand_fwd(*w.args)
    assert np.allclose(out, hand_out, rtol=1e-9, atol=0)
    grads, hand_grads = bwd(w.dout, cache), hand_bwd(w.dout, hand_cache)
    assert len(grads) == len(hand_grads) == len(w.wrt)
    for name, g, h in zip(w.wrt, grads, hand_grads, strict=True):
        assert np.shape(g) == np.shape(h), name
        assert np.allclose(g, h, rtol=1e-7, atol=1e-12), name


def test_hand_written_gradients_match_central_differences():
    # The reference itself is checked, on the small two-layer net and batchnorm.
    for w in WORKLOADS:
        if w.kind != "array" or "matmul" in w.name:
            continue
        hand_fwd = getattr(handwritten, f"{w.hand}_forward")
        hand_bwd = getattr(handwritten, f"{w.hand}_backward")
        grads = hand_bwd(w.dout, hand_fwd(*w.args)[1])
        for k, index in enumerate(w.wrt_index):
            value = w.args[index]
            probe = np.unravel_index(
                np.arange(0, value.size, max(1, value.size // 7)), value.shape
            )
            for at in zip(*probe, strict=True):
                numeric = []
                for step in (1e-6, -1e-6):
                    args = list(w.args)
                    args[index] = value.copy()
                    args[index][at] += step
                    numeric.append(np.sum(hand_fwd(*args)[0] * w.dout))
                estimate = (numeric[0] - numeric[1]) / 2e-6
                assert np.isclose(grads[k][at], estimate, rtol=1e-5, atol=1e-8), (
                    w.name,
                    w.wrt[k],
                    at,
                )


def test_quick_run_writes_table_and_json(tmp_path):
    out = tmp_path / "bench.json"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks.run",
            "--quick",
            "--peers",
            "",
            "--json",
            str(out),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "| workload" in done.stdout and "Targets:" in done.stdout
    report = json.loads(out.read_text())
    assert {w["name"] for w in report["workloads"]} == {w.name for w in WORKLOADS}
    for w in report["workloads"]:
        assert w["status"]["bpgen"] == "ok", (w["name"], w["status"]["bpgen"])
        assert w["seconds"]["bpgen"] > 0 and w["seconds"]["hand-written"] > 0
    assert any("2-layer" in name for name in report["peak_bytes"])
    assert [g["statements"] for g in report["generator"]] == [10, 40]
    assert "warm_s" in report["import"] or "error" in report["import"]
    assert report["targets"] and all("met" in t for t in report["targets"])


@pytest.mark.slow
@pytest.mark.skipif(
    not any(peers.available(p) for p in peers.PEERS), reason="no peer installed"
)
def test_peers_agree_with_hand_written(tmp_path, request):
    # Importing PyTorch and JAX takes seconds: a long run, like the property tests.
    if not LONG and "slow" not in (request.config.getoption("markexpr") or ""):
        pytest.skip("long run: set BPGEN_LONG=1 or select -m slow")
    installed = [p for p in peers.PEERS if peers.available(p)]
    out = tmp_path / "bench.json"
    run.main(
        [
            "--quick",
            "--repeats",
            "1",
            "--only",
            "2-layer net 16,",
            "--no-generator",
            "--json",
            str(out),
        ]
    )
    (net,) = json.loads(out.read_text())["workloads"]
    for name in installed:
        assert net["status"][name] == "ok", (name, net["status"][name])


def test_self_check_times_a_copy_of_the_hand_written_code(tmp_path, capsys):
    # --self-check adds the hand-written pair compiled anew as a contender: a
    # column of its own and a target line saying how far from 1.00 it came.
    out = tmp_path / "bench.json"
    argv = ["--quick", "--self-check", "--only", "batchnorm", "--no-generator"]
    run.main([*argv, "--peers", "", "--json", str(out)])
    (bn,) = json.loads(out.read_text())["workloads"]
    assert bn["status"]["hand-written copy"] == "ok"
    assert bn["seconds"]["hand-written copy"] > 0
    printed = capsys.readouterr().out
    assert "| hand-written copy |" in printed
    assert "against a copy of itself" in printed


def test_measure_shuffles_the_order_within_each_repeat():
    # A fixed order hands the state one contender leaves (free lists, caches)
    # to the same next contender every time; each repeat draws a new order.
    from benchmarks import timing

    seen: list[str] = []
    timed = {
        name: timing.Timed("seen.append(name)", {"seen": seen, "name": name})
        for name in "abcd"
    }
    samples = timing.measure(timed, repeats=20, block=0.0)
    assert all(len(v) == 20 for v in samples.values())
    # calls go warm, timed, per contender: every second entry starts a turn
    turns = seen[len(timed) :]  # after one calibration call each
    orders = {tuple(turns[i : i + 8 : 2]) for i in range(0, len(turns), 8)}
    assert len(orders) > 1 and all(sorted(o) == list("abcd") for o in orders)


def test_a_budget_cuts_the_repeats_of_slow_statements_to_the_minimum():
    from benchmarks import timing

    slow = {"a": timing.Timed("sleep(0.002)", {"sleep": __import__("time").sleep})}
    clock = timing.clock
    timing.set_clock("wall")  # sleeping takes no CPU time
    try:
        cut = timing.measure(slow, repeats=100, block=0.0, budget=0.01)
        kept = timing.measure(slow, repeats=5, block=0.0, budget=10.0)
    finally:
        timing.clock = clock
    assert len(cut["a"]) == timing.MIN_REPEATS
    assert len(kept["a"]) == 5
