"""bpgen.testing: the snapshot helper users get, and its pytest plugin."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bpgen import testing
from bpgen.generate import generate_module
from bpgen.testing import assert_snapshot, assert_text_snapshot

SOURCE = """\
import math


def f(x, y):
    return math.exp(x) * y


def g(x):
    return x * x
"""


@pytest.fixture(autouse=True)
def no_update_switch(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests decide updating themselves, even under --bpgen-update."""
    monkeypatch.delenv("BPGEN_UPDATE", raising=False)
    session = testing._current()
    if session is not None:
        monkeypatch.setattr(session, "update", False)
        monkeypatch.setattr(session, "written", [])  # keep the summary about real files


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A scratch project: the current directory and pytest's rootdir."""
    monkeypatch.chdir(tmp_path)
    session = testing._current()
    if session is not None:
        monkeypatch.setattr(session, "rootdir", tmp_path)
    (tmp_path / "model.py").write_text(SOURCE)
    return tmp_path


def test_relative_paths_are_resolved_against_the_rootdir(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (project / "tests" / "snapshots").mkdir(parents=True)
    snapshot = project / "tests" / "snapshots" / "model.py"
    snapshot.write_text(generate_module(SOURCE, filename="model.py"))
    monkeypatch.chdir(project / "tests")  # pytest started from tests/
    assert_snapshot("model.py", "tests/snapshots/model.py")
    assert_snapshot("model.py", "tests/snapshots/model.py", update=True)
    assert sorted(p.name for p in (project / "tests").rglob("*.py")) == ["model.py"]


def test_a_missing_source_is_one_line_naming_the_path_tried(project: Path) -> None:
    import bpgen

    with pytest.raises(bpgen.BpgenError) as info:
        assert_snapshot("modle.py", "snap.py")
    message = str(info.value)
    assert "\n" not in message
    assert f"cannot read 'modle.py' ({project / 'modle.py'}): " in message
    assert f"resolved against pytest's rootdir, {project}" in message


def test_passes_when_the_snapshot_matches(project: Path) -> None:
    snapshot = project / "snap.py"
    snapshot.write_text(generate_module(SOURCE, filename="model.py"))
    assert_snapshot("model.py", snapshot)
    assert_snapshot(project / "model.py", snapshot)  # absolute: header stays relative
    assert_snapshot(Path("model.py"), "snap.py")


def test_selects_functions_wrt_and_filename(project: Path) -> None:
    snapshot = project / "snap.py"
    snapshot.write_text(generate_module(SOURCE, ["f"], ["y"], filename="pkg/model.py"))
    assert_snapshot(
        "model.py", snapshot, functions="f", wrt=["y"], filename="pkg/model.py"
    )
    with pytest.raises(AssertionError):
        assert_snapshot("model.py", snapshot, functions="f", update=False)


def test_source_text_and_functions(project: Path) -> None:
    snapshot = project / "snap.py"
    snapshot.write_text(generate_module(SOURCE, filename="<source>"))
    assert_snapshot(SOURCE, snapshot)

    sys.path.insert(0, str(project))
    try:
        import model
    finally:
        sys.path.remove(str(project))
        sys.modules.pop("model", None)
    snapshot.write_text(generate_module(SOURCE, ["g"], filename="model.py"))
    assert_snapshot(model.g, snapshot)


def test_fails_with_a_diff_and_the_refresh_command(
    project: Path, request: pytest.FixtureRequest
) -> None:
    snapshot = project / "snap.py"
    good = generate_module(SOURCE, filename="model.py")
    stale = good.replace("def g_backward(", "def g_backward_old(")
    snapshot.write_text(stale)
    with pytest.raises(AssertionError) as info:
        assert_snapshot("model.py", snapshot)
    message = str(info.value)
    assert message.startswith("generated code differs from snapshot snap.py:")
    assert "--- snap.py (snapshot)\n+++ snap.py (generated)\n@@ " in message
    assert (
        "\n-def g_backward_old(dout, cache):\n+def g_backward(dout, cache):\n"
        in message
    )
    assert "accept it with:" in message
    command = message.rstrip().splitlines()[-1].strip()
    assert request.node.nodeid in command or repr(request.node.nodeid) in command
    assert "--bpgen-update" in command or command.startswith("BPGEN_UPDATE=1 ")
    assert snapshot.read_text() == stale  # never written unless asked


def test_a_missing_snapshot_fails(project: Path) -> None:
    with pytest.raises(AssertionError) as info:
        assert_snapshot("model.py", project / "snaps" / "model.py")
    assert str(info.value).startswith("snapshot snaps/model.py does not exist.")
    assert "To create it" in str(info.value)
    assert not (project / "snaps").exists()


def test_update_writes_only_when_asked(project: Path, monkeypatch) -> None:
    snapshot = project / "snaps" / "model.py"
    assert_snapshot("model.py", snapshot, update=True)  # creates it (and its directory)
    assert snapshot.read_text() == generate_module(SOURCE, filename="model.py")
    assert_snapshot("model.py", snapshot)

    snapshot.write_text("stale\n")
    monkeypatch.setenv("BPGEN_UPDATE", "1")
    assert_snapshot("model.py", snapshot)
    assert snapshot.read_text() == generate_module(SOURCE, filename="model.py")

    os.utime(snapshot, ns=(1_000_000_000, 1_000_000_000))
    assert_snapshot("model.py", snapshot)  # equal: not rewritten
    assert snapshot.stat().st_mtime_ns == 1_000_000_000

    snapshot.write_text("stale\n")
    with pytest.raises(AssertionError):
        assert_snapshot("model.py", snapshot, update=False)  # the argument wins
    assert snapshot.read_text() == "stale\n"


@pytest.mark.parametrize(
    "value, expected",
    [("1", True), ("true", True), ("yes", True), ("0", False), ("", False)],
)
def test_update_environment_variable(monkeypatch, value: str, expected: bool) -> None:
    monkeypatch.setenv("BPGEN_UPDATE", value)
    assert testing.update_requested() is expected


def test_text_snapshots_compare_bytes(tmp_path: Path) -> None:
    snapshot = tmp_path / "snap.txt"
    snapshot.write_bytes(b"a\r\nb\r\n")
    with pytest.raises(AssertionError) as info:
        assert_text_snapshot("a\nb\n", snapshot)
    assert "differs only in line endings" in str(info.value)
    snapshot.write_bytes(b"a\nb")
    with pytest.raises(AssertionError) as info:
        assert_text_snapshot("a\nb\n", snapshot)
    assert "\\ No newline at end of file" in str(info.value)
    assert_text_snapshot("a\nb", snapshot)


def test_refresh_command_outside_pytest(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PYTEST_CURRENT_TEST")
    monkeypatch.setattr(sys, "argv", ["check_snapshots.py", "--all"])
    command = testing._refresh_command()
    assert command.startswith("BPGEN_UPDATE=1 ")
    assert command.endswith("check_snapshots.py --all")


PLUGIN_TEST = """\
from bpgen.testing import assert_snapshot


def test_model():
    assert_snapshot("model.py", "snapshots/model.py")
"""


def test_pytest_plugin_round_trip(tmp_path: Path) -> None:
    """In a real pytest run: missing fails with the command; --bpgen-update writes.

    (What a drifted snapshot shows is tested in-process above.)
    """
    (tmp_path / "model.py").write_text(SOURCE)
    (tmp_path / "test_model.py").write_text(PLUGIN_TEST)
    env = dict(os.environ, PYTEST_DISABLE_PLUGIN_AUTOLOAD="1")  # a fast, clean run
    env.pop("BPGEN_UPDATE", None)

    def run(*args: str) -> subprocess.CompletedProcess:
        command = [sys.executable, "-m", "pytest", "-p", "bpgen.testing"]
        command += ["-p", "no:cacheprovider", "-q", "--rootdir", str(tmp_path)]
        return subprocess.run(
            [*command, *args],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )

    missing = run()
    assert missing.returncode == 1, missing.stdout
    assert "snapshot snapshots/model.py does not exist." in missing.stdout
    assert "    pytest --bpgen-update test_model.py::test_model\n" in missing.stdout

    updated = run("--bpgen-update")
    assert updated.returncode == 0, updated.stdout
    assert "bpgen snapshots written" in updated.stdout
    assert "\nsnapshots/model.py\n" in updated.stdout
    snapshot = tmp_path / "snapshots" / "model.py"
    assert snapshot.read_text() == generate_module(SOURCE, filename="model.py")

    # started from a subdirectory, the paths still mean the same files
    (tmp_path / "sub").mkdir()
    again = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "bpgen.testing", "-p",
         "no:cacheprovider", "-q", "--rootdir", str(tmp_path), "../test_model.py"],
        cwd=tmp_path / "sub", env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert again.returncode == 0, again.stdout
