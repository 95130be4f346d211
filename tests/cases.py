"""Example inputs for every function in samples/, shared by the test suites.

A sample without an entry here fails `test_every_sample_has_cases`, so no
sample goes unchecked.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

SAMPLES = Path(__file__).resolve().parent.parent / "samples"


@dataclass(frozen=True)
class Case:
    sample: str  # file stem in samples/
    function: str
    make_args: Callable[[np.random.Generator], list[Any]]
    wrt: tuple[str, ...] | None = None

    @property
    def source(self) -> str:
        return (SAMPLES / f"{self.sample}.py").read_text()

    @property
    def id(self) -> str:
        return f"{self.sample}.{self.function}"


def _normal(*shape: int) -> Callable[[np.random.Generator], np.ndarray]:
    return lambda rng: rng.standard_normal(shape)


def _labels(n: int, k: int) -> Callable[[np.random.Generator], np.ndarray]:
    return lambda rng: rng.integers(0, k, size=n)


def _args(*makers: Callable | float) -> Callable[[np.random.Generator], list]:
    def make(rng: np.random.Generator) -> list:
        return [m(rng) if callable(m) else m for m in makers]

    return make


def _floats(*values: float) -> Callable[[np.random.Generator], list]:
    return lambda rng: [v + 0.1 * rng.standard_normal() for v in values]


_CASES = [
    Case("staged", "f", _floats(3.0, -4.0)),
    Case("multiply", "f", _floats(4.0, -3.0)),
    Case("add", "f", _floats(4.0, -3.0)),
    Case("max_gate", "f", _floats(4.0, 2.0)),
    Case("circuit", "f", _floats(-2.0, 5.0, -4.0)),
    Case("circuit", "f", _args(_normal(3, 1), _normal(4), _normal(3, 4))),
    Case("neuron", "neuron", _floats(2.0, -3.0, -3.0, -1.0, -2.0)),
    Case("gates", "reciprocal", _floats(2.0)),
    Case("gates", "add_constant", _floats(1.5)),
    Case("gates", "exponential", _floats(0.3)),
    Case("gates", "scale", _floats(2.0, 3.0)),
    Case("matmul", "matmul", _args(_normal(5, 10), _normal(10, 3))),
    Case("affine", "affine", _args(_normal(2, 3, 2), _normal(6, 4), _normal(4))),
    Case("relu", "relu", _args(_normal(3, 4))),
    Case("sigmoid_layer", "sigmoid", _args(_normal(3, 4))),
    Case("gelu", "gelu", _args(_normal(3, 4))),
    Case("gelu", "normal_cdf", _floats(0.3, -0.2, 1.5)),
    Case(
        "softmax_loss",
        "softmax_loss",
        _args(_normal(4, 5), _labels(4, 5)),
        ("scores",),
    ),
    Case("svm_loss", "svm_loss", _args(_normal(4, 5), _labels(4, 5)), ("scores",)),
    Case(
        "two_layer_net",
        "two_layer_loss",
        _args(
            _normal(4, 6),
            _normal(6),
            _normal(6, 3),
            _normal(3),
            _normal(5, 4),
            _labels(5, 3),
            0.1,
        ),
        ("W1", "b1", "W2", "b2"),
    ),
    Case("layer_utils", "affine", _args(_normal(2, 3, 2), _normal(6, 4), _normal(4))),
    Case("layer_utils", "relu", _args(_normal(3, 4))),
    Case("layer_utils", "affine_relu", _args(_normal(4, 6), _normal(6, 5), _normal(5))),
    Case(
        "layer_utils", "softmax_loss", _args(_normal(4, 5), _labels(4, 5)), ("scores",)
    ),
    Case(
        "layer_utils",
        "two_layer_loss",
        _args(
            _normal(5, 4),
            _labels(5, 3),
            _normal(4, 6),
            _normal(6),
            _normal(6, 3),
            _normal(3),
            0.1,
        ),
        ("W1", "b1", "W2", "b2"),
    ),
    Case("batchnorm", "batchnorm", _args(_normal(5, 3), _normal(3), _normal(3))),
    Case("layernorm", "layernorm", _args(_normal(4, 5), _normal(5), _normal(5))),
    Case(
        "dropout",
        "dropout",
        _args(_normal(3, 4), lambda rng: (rng.random((3, 4)) > 0.5) * 1.0, 0.5),
        ("x",),
    ),
    Case(
        "rnn_step",
        "rnn_step",
        _args(_normal(3, 4), _normal(3, 5), _normal(4, 5), _normal(5, 5), _normal(5)),
    ),
    Case("newton", "newton_sqrt", _floats(2.0)),
    Case("piecewise", "piecewise", _floats(2.0, 1.5)),
    Case("piecewise", "piecewise", _floats(0.5, 0.8)),
    Case("piecewise", "piecewise", _floats(-1.0, 0.7)),
    Case(
        "rnn3",
        "rnn3",
        _args(
            _normal(2, 3, 4),
            _normal(2, 5),
            lambda rng: 0.4 * rng.standard_normal((4, 5)),
            lambda rng: 0.4 * rng.standard_normal((5, 5)),
            _normal(5),
        ),
    ),
    # loops with a run-time trip count (flow.py)
    Case(
        "rnn",
        "rnn",
        _args(
            _normal(2, 4, 3), _normal(2, 5), _normal(3, 5), _normal(5, 5), _normal(5)
        ),
    ),
    Case(
        "lstm",
        "lstm",
        _args(
            _normal(2, 4, 3),
            _normal(2, 5),
            lambda rng: 0.5 * rng.standard_normal((3, 20)),
            lambda rng: 0.5 * rng.standard_normal((5, 20)),
            _normal(20),
        ),
    ),
    Case(
        "lstm",
        "lstm_step",
        _args(
            _normal(2, 3),
            _normal(2, 5),
            _normal(2, 5),
            _normal(3, 20),
            _normal(5, 20),
            _normal(20),
        ),
    ),
    Case(
        "rnn",
        "step",
        _args(_normal(3, 4), _normal(3, 5), _normal(4, 5), _normal(5, 5), _normal(5)),
    ),
]

# Every NumPy sample has a twin with its shapes declared (samples/*_shaped.py),
# checked on the same arguments.
CASES = _CASES + [
    Case(f"{case.sample}_shaped", case.function, case.make_args, case.wrt)
    for case in _CASES
    if (SAMPLES / f"{case.sample}_shaped.py").exists()
]
