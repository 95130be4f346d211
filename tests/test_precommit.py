"""The pre-commit hook: its entry, run as pre-commit runs it, on a scratch tree.

pre-commit runs `entry`, then `args`, then the staged files that match the
hook's `types` and the user's `files:` pattern. These tests read the hook from
`.pre-commit-hooks.yaml` and the user's side from the README's snippet, so
both are what a user gets.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

yaml = pytest.importorskip("yaml")

ROOT = Path(__file__).resolve().parent.parent

MODEL = """\
import math

SCALE = 2.0


def f(x, y):
    return math.tanh(x * y) * SCALE
"""


def hook() -> dict:
    (found,) = [
        h
        for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
        if h["id"] == "bpgen-check"
    ]
    return found


def readme_config() -> dict:
    text = (ROOT / "README.md").read_text()
    start = text.index("```yaml\n# .pre-commit-config.yaml\n") + len("```yaml\n")
    config = yaml.safe_load(text[start : text.index("```", start)])
    (repo,) = config["repos"]
    (used,) = repo["hooks"]
    assert used["id"] == "bpgen-check"
    return used


def run_hook(tree: Path, staged: list[str]) -> subprocess.CompletedProcess:
    """What pre-commit does for this hook with these staged files."""
    spec, user = hook(), readme_config()
    assert spec["types"] == ["python"] and spec["language"] == "python"
    files = [
        name
        for name in staged
        if name.endswith(".py") and re.search(user["files"], name)
    ]
    entry = shlex.split(spec["entry"])
    assert entry[0] == "bpgen"  # the console script; here: this checkout's module
    command = [sys.executable, "-m", "bpgen", *entry[1:], *user["args"], *files]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run(
        command, cwd=tree, env=env, capture_output=True, text=True, check=False
    )


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A user's project with src/model.py and its generated src/model_grad.py."""
    (tmp_path / "src").mkdir()
    (tmp_path / "src/model.py").write_text(MODEL)
    (tmp_path / "src/other.py").write_text("print('not a forward module')\n")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    subprocess.run(
        [sys.executable, "-m", "bpgen", "src/model.py", "-o", "{dir}/{stem}_grad.py"],
        cwd=tmp_path,
        env=env,
        check=True,
        capture_output=True,
    )
    return tmp_path


def test_clean_tree_passes(tree: Path) -> None:
    everything = ["src/model.py", "src/model_grad.py", "src/other.py"]
    result = run_hook(tree, everything)
    assert result.returncode == 0, result.stderr
    assert result.stderr == "python -m bpgen: 1 file up to date\n"


def test_drifted_forward_function_fails(tree: Path) -> None:
    model = tree / "src/model.py"
    model.write_text(MODEL.replace("SCALE = 2.0", "SCALE = 3.0"))
    before = (tree / "src/model_grad.py").read_text()
    result = run_hook(tree, ["src/model.py"])
    assert result.returncode == 1
    assert result.stderr == (
        "src/model_grad.py: stale; regenerate it with: "
        "python -m bpgen src/model.py -o src/model_grad.py\n"
        "python -m bpgen: 1 file would be regenerated\n"
    )
    assert (tree / "src/model_grad.py").read_text() == before  # --check writes nothing


def test_hand_edited_output_alone_fails(tree: Path) -> None:
    grad = tree / "src/model_grad.py"
    grad.write_text(grad.read_text().replace("dout *", "0.5 * dout *"))
    result = run_hook(tree, ["src/model_grad.py"])
    assert result.returncode == 1
    assert "src/model_grad.py: stale" in result.stderr


def test_unrelated_files_are_not_handed_to_bpgen(tree: Path) -> None:
    result = run_hook(tree, ["src/other.py"])  # nothing matches: pre-commit skips
    assert result.returncode == 2  # (bpgen itself needs a FILE)
    assert re.search(readme_config()["files"], "src/other.py") is None
