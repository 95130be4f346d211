"""Snapshot tests for generated code: pin what bpgen writes in a committed file.

    from bpgen.testing import assert_snapshot

    def test_layers_backward():
        assert_snapshot("mypkg/layers.py", "tests/snapshots/layers.py")

The generated module is compared byte for byte with the snapshot file. When
they differ the assertion shows a unified diff and the exact command that
accepts the new output; a missing snapshot fails the same way. Snapshots are
only written when asked:

- `pytest --bpgen-update` (this module is a pytest plugin, registered by
  installing bpgen), or
- `BPGEN_UPDATE=1` in the environment (any test runner), or
- `update=True` in the call.

Nothing here imports pytest, libcst or black until it is needed.
"""

from __future__ import annotations

import os
import shlex
import sys
import types
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from .errors import UsageError
from .options import Options

__all__ = ["assert_snapshot", "assert_text_snapshot", "update_requested"]

UPDATE_ENV = "BPGEN_UPDATE"
UPDATE_OPTION = "--bpgen-update"


class _Session:
    """What the pytest plugin knows about the running session."""

    def __init__(self, update: bool, rootdir: Path, owner: int) -> None:
        self.update = update
        self.rootdir = rootdir
        self.owner = owner  # id() of the pytest config
        self.written: list[Path] = []


_sessions: list[_Session] = []  # a stack: pytester runs sessions inside sessions


def _current() -> _Session | None:
    return _sessions[-1] if _sessions else None


def update_requested() -> bool:
    """Whether snapshots should be rewritten (`--bpgen-update` or BPGEN_UPDATE)."""
    session = _current()
    if session is not None and session.update:
        return True
    return os.environ.get(UPDATE_ENV, "").strip().lower() in ("1", "true", "yes", "on")


def assert_snapshot(
    source: str | os.PathLike[str] | Callable[..., Any],
    snapshot: str | os.PathLike[str],
    *,
    functions: str | Sequence[str] | None = None,
    wrt: Sequence[str] | None = None,
    filename: str | None = None,
    options: Options | None = None,
    update: bool | None = None,
) -> None:
    """Assert that bpgen's module for `source` equals the file `snapshot`.

    `source` is one of:

    - a path to a Python file (`str` or `os.PathLike`): every top-level
      function is generated, or the ones named in `functions`;
    - a function (plain or `@bpgen.differentiable`): its module is read and
      that function is generated (`functions` defaults to its name);
    - Python source text: a `str` containing a newline.

    `filename` is what the generated header names; it defaults to the path
    relative to the project root (pytest's rootdir, else the current
    directory), so snapshots do not depend on where the checkout lives.
    `update` overrides `--bpgen-update` / `BPGEN_UPDATE`.

    Relative paths (`source` and `snapshot`) are resolved against pytest's
    rootdir (the current directory outside pytest), so a test passes
    whichever directory pytest starts from. A source that cannot be read
    raises `bpgen.BpgenError` naming the path tried.
    """
    __tracebackhide__ = True
    text, default_name, default_functions = _read(source)
    if isinstance(functions, str):
        functions = [functions]
    elif functions is None:
        functions = default_functions
    from .generate import generate_module

    generated = generate_module(
        text,
        None if functions is None else list(functions),
        None if wrt is None else list(wrt),
        filename=filename if filename is not None else default_name,
        options=options,
    )
    assert generated is not None  # without a refusals list a refusal raises
    assert_text_snapshot(generated, snapshot, update=update)


def assert_text_snapshot(
    text: str, snapshot: str | os.PathLike[str], *, update: bool | None = None
) -> None:
    """Assert that `text`, encoded as UTF-8, is exactly the file `snapshot`.

    On a difference, write `snapshot` when updating is asked for, else raise
    `AssertionError` with a unified diff and the command that refreshes it.
    """
    __tracebackhide__ = True
    from ._files import atomic_write, unified_diff

    path = _resolve(snapshot)
    actual = text.encode("utf-8")
    try:
        expected: bytes | None = path.read_bytes()
    except FileNotFoundError:
        expected = None
    if expected == actual:
        return
    if update if update is not None else update_requested():
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, actual)
        session = _current()
        if session is not None:
            session.written.append(path)
        return
    refresh = _refresh_command()
    shown = _relative(os.fspath(path))
    if expected is None:
        raise AssertionError(
            f"snapshot {shown} does not exist.\n"
            f"To create it from the current output, run:\n\n    {refresh}\n"
        )
    diff = unified_diff(expected, actual, f"{shown} (snapshot)", f"{shown} (generated)")
    note = ""
    if expected.replace(b"\r\n", b"\n") == actual:
        note = (
            "The snapshot differs only in line endings (CRLF on disk); check "
            "git's core.autocrlf or add `* text eol=lf` to .gitattributes.\n"
        )
    raise AssertionError(
        f"generated code differs from snapshot {shown}:\n\n{diff}\n{note}"
        f"If the new output is right, accept it with:\n\n    {refresh}\n"
    )


def _read(
    source: str | os.PathLike[str] | Callable[..., Any],
) -> tuple[str, str, list[str] | None]:
    """(source text, default header file name, default functions)."""
    from ._files import decode_source

    if isinstance(source, types.FunctionType):
        from .decorator import _source_lines, _unavailable

        lines = _source_lines(source)
        if not lines:
            raise _unavailable(source)
        name = _relative(source.__code__.co_filename)
        return "".join(lines), name, [source.__name__]
    if isinstance(source, str) and "\n" in source:
        return source, "<source>", None
    if isinstance(source, (str, os.PathLike)):
        path = _resolve(source)
        name = _relative(os.fspath(path))
        try:
            data = path.read_bytes()
        except OSError as error:
            raise UsageError(
                f"cannot read {os.fspath(source)!r} ({path}): "
                f"{error.strerror or error}; {_base_note()}"
            ) from None
        return decode_source(data, name), name, None
    raise TypeError(
        "assert_snapshot needs a path, a function or source text, "
        f"not {type(source).__name__}"
    )


def _root() -> Path:
    """What relative paths are relative to: pytest's rootdir, else the cwd."""
    session = _current()
    return session.rootdir if session is not None else Path.cwd()


def _resolve(path: str | os.PathLike[str]) -> Path:
    """`path`, made absolute against the project root (not the cwd)."""
    return _root() / Path(path)  # an absolute path stays itself


def _base_note() -> str:
    what = "pytest's rootdir" if _current() is not None else "the current directory"
    return f"relative paths are resolved against {what}, {_root()}"


def _relative(filename: str) -> str:
    """`filename` relative to the project root (else the current directory)."""
    path = Path(filename)
    try:
        absolute = path.resolve()
    except OSError:
        return path.as_posix()
    session = _current()
    bases = [session.rootdir] if session is not None else []
    for base in [*bases, Path.cwd()]:
        try:
            return absolute.relative_to(base.resolve()).as_posix()
        except ValueError:
            continue
    return path.as_posix()


def _refresh_command() -> str:
    """The exact command that rewrites the snapshot of the running test."""
    current = os.environ.get("PYTEST_CURRENT_TEST")
    if current is None:
        return f"{UPDATE_ENV}=1 {shlex.join([sys.executable, *sys.argv])}"
    nodeid = current.rsplit(" (", 1)[0]
    session = _current()
    if session is not None:
        command = f"pytest {UPDATE_OPTION} {shlex.quote(nodeid)}"
        if Path.cwd().resolve() != session.rootdir.resolve():
            command = f"cd {shlex.quote(str(session.rootdir))} && {command}"
        return command
    return f"{UPDATE_ENV}=1 pytest {shlex.quote(nodeid)}"


# -- pytest plugin (registered through the `pytest11` entry point) ----------


def pytest_addoption(parser: Any) -> None:
    group = parser.getgroup("bpgen")
    group.addoption(
        UPDATE_OPTION,
        action="store_true",
        default=False,
        help="rewrite bpgen snapshot files that differ (or are missing) "
        "instead of failing",
    )


def pytest_configure(config: Any) -> None:
    update = bool(config.getoption("bpgen_update", False))
    _sessions.append(_Session(update, Path(config.rootpath), id(config)))


def pytest_unconfigure(config: Any) -> None:
    _sessions[:] = [s for s in _sessions if s.owner != id(config)]


def pytest_terminal_summary(
    terminalreporter: Any, exitstatus: int, config: Any
) -> None:
    session = _current()
    if session is None or not session.written:
        return
    terminalreporter.write_sep("-", "bpgen snapshots written")
    for path in session.written:
        terminalreporter.write_line(_relative(os.fspath(path)))
