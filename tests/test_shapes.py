"""Declared shapes: annotations in jaxtyping's spelling, `shapes=`, guards.

With the shapes known, the backward reads like a careful person's: no
`_unbroadcast`, no `.ndim` tests, bias gradients summed over exactly the
broadcast axes, plain `.T` products.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import bpgen
from bpgen.check import check_gradients, load
from bpgen.generate import generate_module

ROOT = Path(__file__).resolve().parent.parent
SHAPED = sorted((ROOT / "samples").glob("*_shaped.py"))

LAYER = "import numpy as np\n\n\ndef layer(x, W, b):\n    return np.tanh(x @ W + b)\n"
ANNOTATED = """from __future__ import annotations

import numpy as np
from jaxtyping import Float


def layer(
    x: Float[np.ndarray, "N D"], W: Float[np.ndarray, "D M"], b: Float[np.ndarray, "M"]
):
    return np.tanh(x @ W + b)
"""
LAYER_SHAPES = {"x": "N D", "W": "D M", "b": "M"}
BY_HAND = [
    "dt2 = dout * (1 - out**2)",
    "db = np.sum(dt2, axis=0)",
    "dx = dt2 @ W.T",
    "dW = x.T @ dt2",
]


def backward_lines(code: str, name: str) -> list[str]:
    body = code.split(f"def {name}_backward", 1)[1].splitlines()[1:]
    return [
        line.strip()
        for line in body
        if line.strip() and not line.strip().startswith(("#", '"""', "return"))
    ]


@pytest.mark.parametrize(
    "code",
    [
        pytest.param(lambda: bpgen.generate(LAYER, shapes=LAYER_SHAPES), id="shapes="),
        pytest.param(lambda: bpgen.generate(ANNOTATED), id="annotations"),
    ],
)
def test_the_layer_is_four_lines(code):
    lines = backward_lines(code(), "layer")
    assert lines[0] == "x, W, out = cache"
    assert lines[1:] == BY_HAND


def test_without_shapes_the_layer_is_general():
    code = bpgen.generate(LAYER)
    assert "_unbroadcast" in code and "ndim" in code


@pytest.mark.parametrize("sample", SHAPED, ids=[p.stem for p in SHAPED])
def test_shaped_samples_are_free_of_runtime_shape_tests(sample):
    code = generate_module(sample.read_text())
    backward = code.split("_backward(", 1)[1]
    assert "_unbroadcast" not in code
    assert ".ndim" not in backward
    general = generate_module(
        (sample.parent / sample.name.replace("_shaped", "")).read_text()
    )
    general_backward = general.split("_backward(", 1)[1].splitlines()
    # the general softmax-CE gate calls a helper where the declared one writes
    # its two statements: the helper's body is the general backward's too
    helper = general.split("def _softmax_pick(", 1)[1:]
    extra = helper[0].split("\n\n\n", 1)[0].splitlines() if helper else []
    assert len(backward.splitlines()) <= len(general_backward) + len(extra)


def test_declared_mismatch_is_located():
    shapes = {"x": "N D", "W": "E M", "b": "M"}
    with pytest.raises(bpgen.BpgenError) as info:
        bpgen.generate(LAYER, shapes=shapes, filename="layer.py")
    error = info.value
    assert (error.lineno, error.col_offset) == (5, 19)
    assert "D and E" in str(error)


def test_unknown_parameter_in_shapes_is_refused():
    with pytest.raises(bpgen.BpgenError, match="`q`"):
        bpgen.generate(LAYER, shapes={"q": "N"})


def test_bad_dimension_is_refused():
    with pytest.raises(bpgen.BpgenError, match="cannot be read"):
        bpgen.generate(LAYER, shapes={"x": "N D+1"})


def test_guard_names_the_argument_and_both_shapes():
    forward, _ = load(bpgen.generate(LAYER, shapes=LAYER_SHAPES), "layer")
    forward(np.ones((2, 3)), np.ones((3, 4)), np.ones(4))
    with pytest.raises(
        ValueError, match=r"W has shape \(2, 4\), declared \(D, M\) with D=3"
    ):
        forward(np.ones((2, 3)), np.ones((2, 4)), np.ones(4))
    with pytest.raises(ValueError, match=r"x has shape \(3,\), declared \(N, D\)"):
        forward(np.ones(3), np.ones((3, 4)), np.ones(4))


def test_guards_can_be_left_out():
    options = bpgen.Options(guards=False)
    code = bpgen.generate(LAYER, shapes=LAYER_SHAPES, options=options)
    assert "_check_shapes" not in code


@pytest.mark.parametrize(
    "shapes, args",
    [
        ({"x": "N 1", "b": "1 M"}, [(4, 1), (1, 3)]),
        ({"x": "N M", "b": "M"}, [(4, 3), (3,)]),
        ({"x": "B N M", "b": "N 1"}, [(2, 4, 3), (4, 1)]),
        ({"x": "N M", "b": ""}, [(4, 3), ()]),
    ],
)
def test_broadcast_sums_are_exact(shapes, args):
    source = "import numpy as np\n\n\ndef f(x, b):\n    return np.exp(x * b)\n"
    rng = np.random.default_rng(0)
    values = [rng.standard_normal(s) if s else 0.5 for s in args]
    # the gradients are checked numerically with the declared shapes in force
    code = bpgen.generate(source, shapes=shapes)
    assert "_unbroadcast" not in code
    check = check_gradients(source, values, shapes=shapes)
    assert check == code


def test_labels_leave_the_default_wrt():
    source = """from __future__ import annotations

import numpy as np


def f(scores: Float[np.ndarray, "N C"], y: Int[np.ndarray, "N"]):
    return np.sum(scores[np.arange(scores.shape[0]), y])
"""
    assert "with respect to scores." in bpgen.generate(source)
    with pytest.raises(bpgen.BpgenError, match="integers or booleans"):
        bpgen.generate(source, wrt=["scores", "y"])


def _cli(tmp_path, *words):
    import subprocess
    import sys

    (tmp_path / "layer.py").write_text(LAYER)
    return subprocess.run(
        [sys.executable, "-m", "bpgen", "layer.py", *words],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={**__import__("os").environ, "PYTHONPATH": str(ROOT)},
    )


def test_the_command_line_declares_shapes(tmp_path):
    done = _cli(tmp_path, "--shape", "x=N,D", "--shape", "W=D,M", "--shape", "b=M")
    assert done.returncode == 0, done.stderr
    assert backward_lines(done.stdout, "layer")[1:] == BY_HAND
    assert done.stdout == bpgen.generate(
        LAYER, shapes=LAYER_SHAPES, filename="layer.py"
    )


def test_the_command_line_refuses_bad_shapes(tmp_path):
    done = _cli(tmp_path, "--shape", "x")
    assert done.returncode == 2 and "NAME=DIMS" in done.stderr
    done = _cli(tmp_path, "--shape", "q=N")
    assert done.returncode == 2 and "`q`" in done.stderr
    done = _cli(tmp_path, "--shape", "x=N,D", "--shape", "W=E,M")
    assert done.returncode == 1
    assert done.stderr.startswith("layer.py:5:20: error:") and "D and E" in done.stderr


def test_check_names_the_shapes_to_regenerate(tmp_path):
    done = _cli(tmp_path, "--shape", "x=N,D", "-o", "out.py", "--check")
    assert done.returncode == 1
    assert "--shape x=N,D" in done.stderr
