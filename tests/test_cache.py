"""The decorator's cache: pruning on write, `--cache-info`, `--clear-cache`."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from bpgen import _cache
from bpgen.cli import main

DAY = 86400


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "cache"
    monkeypatch.setenv("BPGEN_CACHE_DIR", str(directory))
    monkeypatch.delenv("BPGEN_NO_CACHE", raising=False)
    monkeypatch.delenv("BPGEN_CACHE_MAX_MB", raising=False)
    monkeypatch.setattr(_cache, "_last_prune", {})
    return directory


def new_process() -> None:
    """Forget when this process last pruned: its next write prunes."""
    _cache._last_prune.clear()


def entry(root: Path, name: str, days_unused: float, size: int = 100) -> Path:
    """An entry and its compiled code, last used `days_unused` days ago."""
    key = f"{abs(hash(name)):040x}"[:40]
    path = _cache.entry_path(root, name, key)
    assert _cache.store(path, key, "x = 1\n" + "#" * size + "\n")
    code = _cache.code_path(path)
    code.write_bytes(b"c" * size)
    stamp = time.time() - days_unused * DAY
    for file in (path, code):
        os.utime(file, (stamp, stamp))
    return path


def names(root: Path) -> list[str]:
    return sorted(p.name.split("-")[0] for p in root.iterdir() if p.suffix == ".py")


def test_writing_prunes_entries_unused_for_30_days(root: Path) -> None:
    entry(root, "old", 31)
    entry(root, "recent", 29)
    (root / "notes.txt").write_text("mine")  # not an entry: never touched
    (root / "f-short.py").write_text("not an entry either\n")
    new_process()
    entry(root, "new", 0)  # this write prunes
    assert names(root) == ["f", "new", "recent"]
    assert (root / "notes.txt").exists()
    assert not list(root.glob("old-*"))  # both of its files


def test_writing_prunes_least_recently_used_beyond_the_size_limit(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for age, name in enumerate(["a", "b", "c", "d"]):
        entry(root, name, 4 - age, size=100_000)  # a oldest, d newest
    monkeypatch.setenv("BPGEN_CACHE_MAX_MB", "0.5")  # room for about two
    new_process()
    entry(root, "e", 0, size=100_000)
    assert names(root) == ["c", "d", "e"]


def test_a_hit_marks_the_entry_used(root: Path) -> None:
    path = entry(root, "f", 20)
    key = path.stem.split("-", 1)[1]
    assert _cache.load(path, key) == "x = 1\n" + "#" * 100 + "\n"
    assert time.time() - path.stat().st_mtime < 60
    new_process()
    entry(root, "g", 0)  # 20 + 11 days later it would be pruned, not now
    assert names(root) == ["f", "g"]


def test_a_process_prunes_on_its_first_write_then_once_a_minute(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    entry(root, "old", 31)  # the first write: nothing to prune yet
    entry(root, "new", 0)  # a second later: no scan of the directory
    assert names(root) == ["new", "old"]
    later = time.monotonic() + _cache.PRUNE_EVERY_S + 1
    monkeypatch.setattr(_cache.time, "monotonic", lambda: later)
    entry(root, "newer", 0)  # a minute on: this write prunes
    assert names(root) == ["new", "newer"]


def test_stale_temporary_files_are_pruned(root: Path) -> None:
    fresh = entry(root, "f", 0)
    temp = root / f".{fresh.name}.0123abcd.tmp"
    temp.write_text("half")
    stamp = time.time() - 2 * DAY
    os.utime(temp, (stamp, stamp))
    _cache.prune(root)
    assert not temp.exists() and fresh.exists()


def test_cache_info_and_clear_cache(root: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["--cache-info"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"location: {root} (not created yet)\nentries:  0 (0 files")
    assert "unused for 30 days" in out

    entry(root, "f", 0, size=1000)
    entry(root, "g", 1, size=1000)
    (root / "notes.txt").write_text("mine")
    size = sum(p.stat().st_size for p in root.iterdir() if p.name != "notes.txt")
    assert main(["--cache-info"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"location: {root}\n")
    assert f"entries:  2 (4 files, {_cache.human(size)})\n" in out

    assert main(["--clear-cache"]) == 0
    assert capsys.readouterr().err == (
        f"removed 4 files ({_cache.human(size)}) from {root}\n"
    )
    assert [p.name for p in root.iterdir()] == ["notes.txt"]
    assert main(["--cache-info", "model.py"]) == 2


def test_cache_info_when_caching_is_off(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    monkeypatch.setenv("BPGEN_NO_CACHE", "1")
    assert main(["--cache-info"]) == 0
    assert "caching is off" in capsys.readouterr().out
    assert main(["--clear-cache"]) == 0
    assert "removed 0 files" in capsys.readouterr().err


def test_the_decorator_fills_what_cache_info_counts(
    root: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    import importlib.util

    path = tmp_path / "cachedmod.py"
    path.write_text(
        "import math\n\nimport bpgen\n\n\n@bpgen.differentiable\n"
        "def f(x):\n    return math.tanh(x)\n"
    )
    spec = importlib.util.spec_from_file_location("cachedmod_t", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert main(["--cache-info"]) == 0
    assert "entries:  1 (2 files, " in capsys.readouterr().out


def test_human_sizes() -> None:
    assert _cache.human(980) == "980 B"
    assert _cache.human(12_700) == "12.4 KiB"
    assert _cache.human(3 * 1024 * 1024) == "3.0 MiB"
