"""The workloads: one small function per workload, listed in WORKLOADS.

To add a workload, write a function `(rng, quick) -> list[Workload]` and add
it to WORKLOADS; its hand-written pair goes in handwritten.py and its peer
forwards in peers.py. An array workload may declare its parameters' shapes
(`shapes`): the benchmark then also times bpgen's declared-shape variant.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent


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
    shapes: dict[str, str] | None = None  # declared shapes (bpgen's `shapes=`)

    @property
    def wrt_index(self) -> tuple[int, ...]:
        params = _params(self.source, self.function)
        return tuple(params.index(w) for w in self.wrt)


def _params(source: str, function: str) -> list[str]:
    for node in ast.parse(source).body:
        if isinstance(node, ast.FunctionDef) and node.name == function:
            return [a.arg for a in node.args.args]
    raise KeyError(function)


def _text(*path: str) -> str:
    return ROOT.joinpath(*path).read_text()


def staged(rng, quick: bool) -> list[Workload]:
    source = _text("samples", "staged.py")
    return [
        Workload(
            "staged f(x, y)", "scalar", source, "f", ["x", "y"], [3.0, -4.0],
            1.0, "staged", "staged",
        )
    ]  # fmt: skip


def neuron(rng, quick: bool) -> list[Workload]:
    source = _text("samples", "neuron.py")
    wrt = ["w0", "w1", "w2", "x0", "x1"]
    args = [2.0, -3.0, -3.0, -1.0, -2.0]
    return [
        Workload(
            "sigmoid neuron", "scalar", source, "neuron", wrt, args, 1.0,
            "neuron", "neuron",
        )
    ]  # fmt: skip


def matmul(rng, quick: bool) -> list[Workload]:
    out = []
    for m, k, n in [(5, 10, 3), (64, 64, 64) if quick else (512, 512, 512)]:
        W, X = rng.standard_normal((m, k)), rng.standard_normal((k, n))
        out.append(
            Workload(
                f"matmul {m}x{k}·{k}x{n}", "array", _text("benchmarks", "forwards.py"),
                "matmul", ["W", "X"], [W, X], rng.standard_normal((m, n)),
                "matmul", "matmul", shapes={"W": "M K", "X": "K N"},
            )
        )  # fmt: skip
    return out


def two_layer(rng, quick: bool) -> list[Workload]:
    nets = [(16, 32, 32, 10), (64, 64, 64, 10)] if quick else [
        (64, 256, 256, 10), (1024, 1024, 1024, 10),
    ]  # fmt: skip
    shapes = {"W1": "D H", "b1": "H", "W2": "H C", "b2": "C", "X": "N D", "y": "N"}
    out = []
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
                f"2-layer net {n}, {d}-{h}-{c}", "array",
                _text("benchmarks", "forwards.py"), "two_layer",
                ["W1", "b1", "W2", "b2"], args, 1.0, "two_layer", "two_layer",
                shapes={**shapes, "reg": ""},
            )
        )  # fmt: skip
    return out


def batchnorm(rng, quick: bool) -> list[Workload]:
    n, d = (32, 16) if quick else (256, 512)
    x = 3.0 + 2.0 * rng.standard_normal((n, d))
    args = [x, 1.0 + 0.1 * rng.standard_normal(d), 0.1 * rng.standard_normal(d), 1e-5]
    return [
        Workload(
            f"batchnorm {n}x{d}", "array", _text("benchmarks", "forwards.py"),
            "batchnorm", ["x", "gamma", "beta"], args, rng.standard_normal((n, d)),
            "batchnorm", "batchnorm",
            shapes={"x": "N D", "gamma": "D", "beta": "D", "eps": ""},
        )
    ]  # fmt: skip


WORKLOADS: list[Callable[[Any, bool], list[Workload]]] = [
    staged,
    neuron,
    matmul,
    two_layer,
    batchnorm,
]


def workloads(quick: bool) -> list[Workload]:
    """Every workload, in table order; quick mode shrinks the large ones."""
    rng = np.random.default_rng(0)
    return [w for make in WORKLOADS for w in make(rng, quick)]
