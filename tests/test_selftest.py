"""`bpgen FILE --emit-test OUT_test.py`: the emitted test, run as a user runs it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bpgen.cli import main

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"

SHAPED = """\
import numpy as np
from jaxtyping import Float


def layer(x: Float[np.ndarray, "N D"], w: Float[np.ndarray, "D M"], lr: float):
    return np.tanh(x.dot(w)) * lr
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "src").mkdir()
    (tmp_path / "tests").mkdir()
    for name in ("staged", "affine", "softmax_loss"):
        text = (SAMPLES / f"{name}.py").read_text()
        (tmp_path / "src" / f"{name}.py").write_text(text)
    return tmp_path


def pytest_run(project: Path, *files: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT), PYTEST_DISABLE_PLUGIN_AUTOLOAD="1")
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *files],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_emitted_tests_pass_then_catch_a_hand_edit(project: Path) -> None:
    for name in ("staged", "affine", "softmax_loss"):
        argv = [f"src/{name}.py", "-o", f"src/{name}_grad.py"]
        assert main([*argv, "--emit-test", f"tests/test_{name}.py", "-q"]) == 0
    affine = (project / "tests/test_affine.py").read_text()
    assert 'GENERATED = HERE / "../src/affine_grad.py"' in affine
    assert '"w": rng.uniform(0.2, 0.9, size=(3, 3)),' in affine
    labels = (project / "tests/test_softmax_loss.py").read_text()
    assert '"y": rng.integers(0, 3, size=(3,)),' in labels  # used as an index
    staged = (project / "tests/test_staged.py").read_text()
    assert '"x": float(rng.uniform(0.2, 0.9)),' in staged  # uses math: floats
    assert "import bpgen" not in staged  # with -o, the file on disk is tested

    passed = pytest_run(project, "tests")
    assert passed.returncode == 0, passed.stdout
    assert "3 passed" in passed.stdout

    grad = project / "src/affine_grad.py"
    text = grad.read_text()
    line = "    dx = dx2d.reshape(x.shape)\n"
    assert line in text
    grad.write_text(text.replace(line, line + "    dx = dx * 2\n"))  # a hand edit
    failed = pytest_run(project, "tests/test_affine.py")
    assert failed.returncode == 1
    assert "dx of affine()" in failed.stdout


def test_without_o_the_test_generates_at_test_time(project: Path) -> None:
    assert main(["src/staged.py", "--emit-test", "tests/test_live.py", "-q"]) == 0
    text = (project / "tests/test_live.py").read_text()
    assert "GENERATED" not in text
    assert 'generated = _generate(FORWARD, {"f": ["x", "y"]})' in text
    assert not (project / "src/staged_grad.py").exists()
    result = pytest_run(project, "tests/test_live.py")
    assert result.returncode == 0, result.stdout


def test_declared_shapes_and_float_parameters(project: Path) -> None:
    (project / "src/shaped.py").write_text(SHAPED)
    assert main(["src/shaped.py", "--emit-test", "tests/test_shaped.py", "-q"]) == 0
    text = (project / "tests/test_shaped.py").read_text()
    assert '"x": rng.uniform(0.2, 0.9, size=(3, 4)),' in text  # N=3, D=4
    assert '"w": rng.uniform(0.2, 0.9, size=(4, 5)),' in text  # D=4, M=5
    assert '"lr": float(rng.uniform(0.2, 0.9)),' in text


def test_emitting_is_deterministic_and_safe(
    project: Path, capsys: pytest.CaptureFixture
) -> None:
    argv = ["src/affine.py", "-o", "gen.py", "--emit-test", "tests/test_a.py"]
    assert main(argv) == 0
    first = (project / "tests/test_a.py").read_bytes()
    assert first.startswith(b"# Written by bpgen ")
    capsys.readouterr()
    assert main(argv) == 0
    assert "tests/test_a.py is up to date" in capsys.readouterr().err
    assert (project / "tests/test_a.py").read_bytes() == first

    mine = project / "tests/test_mine.py"
    mine.write_text("def test_mine():\n    pass\n")
    assert main(["src/affine.py", "--emit-test", str(mine)]) == 2
    assert "refusing to overwrite a file bpgen did not write" in capsys.readouterr().err
    assert mine.read_text().startswith("def test_mine")
    assert main(["src/affine.py", "--emit-test", "t.py", "--check", "-o", "g.py"]) == 2
    assert main(["src/affine.py", "src/staged.py", "--emit-test", "t.py"]) == 2
    assert main(["src/affine.py", "--emit-test", "src/affine.py"]) == 2
