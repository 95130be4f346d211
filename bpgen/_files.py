"""Small file helpers shared by the command line, the decorator's cache and
the snapshot helper: atomic writes, reading Python source, unified diffs.

Kept free of heavy imports: the decorator's warm path goes through here.
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path

from .errors import SourceSyntaxError


def atomic_write(
    path: str | os.PathLike[str], data: bytes, *, durable: bool = True
) -> None:
    """Replace `path` with `data` so that nobody ever sees half a file.

    The bytes go to a temporary file in the same directory, which is then
    renamed over `path` (`os.replace` is atomic on POSIX and Windows). An
    interrupted write leaves the old file, or no file, never a torn one. An
    existing file keeps its permission bits; a symlink keeps pointing at the
    (rewritten) file it points to. `durable` also fsyncs before the rename so
    a power cut cannot leave an empty file behind.
    """
    target = Path(os.path.realpath(path)) if os.path.islink(path) else Path(path)
    try:
        mode: int | None = stat.S_IMODE(os.stat(target).st_mode)
    except OSError:
        mode = None
    fd, temp = _create_temp(target)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            if durable:
                os.fsync(handle.fileno())
        if mode is not None:
            os.chmod(temp, mode)
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise


def _create_temp(target: Path) -> tuple[int, str]:
    """A new file next to `target`, created with 0o666 minus the umask."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    for _ in range(100):
        temp = target.with_name(f".{target.name}.{os.urandom(4).hex()}.tmp")
        try:
            return os.open(temp, flags, 0o666), str(temp)
        except FileExistsError:
            continue
    raise FileExistsError(f"could not create a temporary file next to {target}")


def decode_source(data: bytes, filename: str) -> str:
    """Python source bytes as text: PEP 263 coding cookie, BOM, any newlines."""
    import io
    import tokenize

    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        text = data.decode(encoding)
    except (SyntaxError, LookupError, UnicodeDecodeError) as exc:
        raise SourceSyntaxError(
            f"cannot decode the file: {exc}",
            filename=filename,
            hint="save the file as UTF-8 (or declare its encoding with a "
            "`# -*- coding: ... -*-` line)",
        ) from None
    text = text.removeprefix("\ufeff")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def unified_diff(old: bytes | None, new: bytes, old_name: str, new_name: str) -> str:
    """A unified diff from `old` (None: the file does not exist) to `new`.

    Lines without a final newline get the usual `\\ No newline at end of file`
    marker, so the diff can be fed to `patch`.
    """
    import difflib

    before = [] if old is None else old.decode("utf-8", "replace").splitlines(True)
    after = new.decode("utf-8", "replace").splitlines(True)
    lines = difflib.unified_diff(
        before, after, "/dev/null" if old is None else old_name, new_name
    )
    out = []
    for line in lines:
        if line.endswith("\n"):
            out.append(line)
        else:
            out.append(line + "\n\\ No newline at end of file\n")
    return "".join(out)
