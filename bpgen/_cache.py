"""The decorator's on-disk cache of generated modules.

One entry is one file, `<cache dir>/<function>-<key>.py`: the generated module
followed by a trailer line `# bpgen cache entry <key> sha256 <digest>`, where
the digest covers the module text. Next to it, `<same>.<python>.code` keeps
the compiled code (marshal, with a digest), the way `__pycache__` does for
modules; tracebacks and debuggers show the lines of the `.py` entry. The key
hashes everything the generated text depends on (the module's full source,
the file name, the function, `wrt`, the options, bpgen's version and the files
bpgen itself is made of), so a changed constant, switch or bpgen never reuses a
stale entry.

What real machines do to caches is handled here:

- a corrupted or truncated entry fails its digest check and is regenerated;
- a read-only (or missing, or unwritable) location just means no caching;
- concurrent processes write to private temporary files and `os.replace`
  them into place, so a reader sees a whole entry or none.

The cache does not grow forever: a write prunes entries not used for
`MAX_AGE_DAYS` days, then the least recently used ones beyond `max_bytes()`
(`$BPGEN_CACHE_MAX_MB`, default 64): the first write of a process, then at
most once every `PRUNE_EVERY_S` seconds. Pruning stats every file (~13 us a
file on a test machine), so pruning on every write made each function of a
cold import pay ~10 ms with 400 entries cached, ~110 ms with 4,000. A hit
marks its entry used (its mtime, refreshed at most once a day).
`bpgen --cache-info` and `bpgen --clear-cache` show and empty it; only
files named like entries are ever removed.

Where: `$BPGEN_CACHE_DIR` when set, else the per-user cache directory
(`$XDG_CACHE_HOME/bpgen` or `~/.cache/bpgen` on Linux, `~/Library/Caches/bpgen`
on macOS, `%LOCALAPPDATA%\\bpgen\\Cache` on Windows). `BPGEN_NO_CACHE=1` turns
caching off.
"""

from __future__ import annotations

import contextlib
import hashlib
import marshal
import os
import re
import sys
import time
import types
from pathlib import Path

FORMAT = "1"
KEY_LENGTH = 40  # hex digits of sha256 kept in file names
_TRAILER = "# bpgen cache entry "
_FACTS = " facts "
MAX_AGE_DAYS = 30
DEFAULT_MAX_MB = 64
_DAY = 86400.0
PRUNE_EVERY_S = 60.0
_last_prune: dict[Path, float] = {}  # cache directory -> time.monotonic()
# an entry's files: NAME-KEY.py and NAME-KEY.TAG.code; temporaries .NAME.HEX.tmp
_ENTRY_FILE = re.compile(rf"^(.+-[0-9a-f]{{{KEY_LENGTH}}})(\.py|\.[\w.-]+\.code)$")
_TEMP_FILE = re.compile(rf"^\..+-[0-9a-f]{{{KEY_LENGTH}}}\..*\.[0-9a-f]{{8}}\.tmp$")

_fingerprint: str | None = None


def directory() -> Path | None:
    """Where entries live, or None when caching is turned off."""
    if os.environ.get("BPGEN_NO_CACHE", "").strip().lower() not in (
        "",
        "0",
        "false",
        "no",
    ):
        return None
    configured = os.environ.get("BPGEN_CACHE_DIR")
    if configured:
        return Path(os.path.expanduser(configured))
    try:
        home = Path.home()
    except (RuntimeError, KeyError):
        return None
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA")
        root = Path(base) if base else home / "AppData" / "Local"
        return root / "bpgen" / "Cache"
    if sys.platform == "darwin":
        return home / "Library" / "Caches" / "bpgen"
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    root = Path(xdg) if os.path.isabs(xdg) else home / ".cache"
    return root / "bpgen"


def key(*parts: str) -> str:
    """The cache key of one generation: a digest of its inputs and of bpgen."""
    from . import __version__

    digest = hashlib.sha256()
    for part in (FORMAT, __version__, _bpgen_fingerprint(), _python(), *parts):
        data = part.encode("utf-8", "surrogatepass")
        digest.update(len(data).to_bytes(8, "little"))
        digest.update(data)
    return digest.hexdigest()[:KEY_LENGTH]


def _python() -> str:
    return f"{sys.version_info[0]}.{sys.version_info[1]}"


def _bpgen_fingerprint() -> str:
    """Size and mtime of bpgen's own modules: an edited checkout misses."""
    global _fingerprint
    if _fingerprint is None:
        package = Path(__file__).parent
        items = []
        try:
            with os.scandir(package) as entries:
                for entry in entries:
                    if entry.name.endswith(".py"):
                        info = entry.stat()
                        items.append(f"{entry.name}:{info.st_size}:{info.st_mtime_ns}")
        except OSError:
            pass
        _fingerprint = ";".join(sorted(items))
    return _fingerprint


def entry_path(root: Path, name: str, entry_key: str) -> Path:
    return root / f"{name}-{entry_key}.py"


def code_path(entry: Path) -> Path:
    """Where the compiled code of an entry is kept (like a .pyc)."""
    return entry.with_name(f"{entry.stem}.{sys.implementation.cache_tag}.code")


def load(path: Path, entry_key: str) -> str | None:
    """The module text stored at `path`, or None when missing or damaged."""
    entry = load_entry(path, entry_key)
    return None if entry is None else entry[0]


def load_entry(path: Path, entry_key: str) -> tuple[str, frozenset[str]] | None:
    """The module text stored at `path` and the facts stored with it."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    body, _, trailer = text[:-1].rpartition("\n")
    if not text.endswith("\n") or not trailer.startswith(_TRAILER):
        return None
    body += "\n"
    listed = trailer.removeprefix(f"{_TRAILER}{entry_key}").partition(" sha256 ")[0]
    facts = frozenset(listed.removeprefix(_FACTS).split(",")) if listed else frozenset()
    if trailer != _trailer(body, entry_key, facts):
        return None
    _mark_used(path)
    return body, facts


def _mark_used(path: Path) -> None:
    """Refresh the entry's mtime (pruning's clock), at most once a day."""
    with contextlib.suppress(OSError):
        if time.time() - path.stat().st_mtime > _DAY:
            os.utime(path)


def store(
    path: Path, entry_key: str, text: str, facts: frozenset[str] = frozenset()
) -> bool:
    """Write one entry atomically; False (and no cache) when that fails."""
    from ._files import atomic_write

    if not text.endswith("\n"):
        return False
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        data = entry_text(text, entry_key, facts).encode("utf-8")
        atomic_write(path, data, durable=False)
    except OSError:
        return False
    if _prune_due(path.parent):
        prune(path.parent, keep=path)
    return True


def _prune_due(root: Path) -> bool:
    """Whether this write prunes: this process's first, then once a minute."""
    now = time.monotonic()
    last = _last_prune.get(root)
    if last is not None and now - last < PRUNE_EVERY_S:
        return False
    _last_prune[root] = now
    return True


def max_bytes() -> int:
    """The size limit pruning keeps the cache under."""
    try:
        megabytes = float(os.environ.get("BPGEN_CACHE_MAX_MB", DEFAULT_MAX_MB))
    except ValueError:
        megabytes = DEFAULT_MAX_MB
    return int(max(megabytes, 0) * 1024 * 1024)


def _entries(root: Path) -> dict[str, list[tuple[Path, os.stat_result]]]:
    """The cache's files by entry (temporaries under their own names)."""
    found: dict[str, list[tuple[Path, os.stat_result]]] = {}
    try:
        scan = list(os.scandir(root))
    except OSError:
        return found
    for item in scan:
        match = _ENTRY_FILE.match(item.name)
        if match is None and not _TEMP_FILE.match(item.name):
            continue
        try:
            if not item.is_file(follow_symlinks=False):
                continue
            info = item.stat(follow_symlinks=False)
        except OSError:
            continue
        group = match.group(1) if match else item.name
        found.setdefault(group, []).append((Path(item.path), info))
    return found


def prune(
    root: Path, *, keep: Path | None = None, now: float | None = None
) -> tuple[int, int]:
    """Remove stale entries; returns (files removed, bytes freed).

    An entry is stale when unused for MAX_AGE_DAYS (a temporary file after a
    day), or when it is among the least recently used beyond max_bytes().
    `keep` (the entry just written) is never removed.
    """
    now = time.time() if now is None else now
    kept = None if keep is None else _ENTRY_FILE.match(keep.name)
    keep_group = kept.group(1) if kept else None
    groups = []
    for group, files in _entries(root).items():
        used = max(info.st_mtime for _, info in files)
        size = sum(info.st_size for _, info in files)
        temporary = group.endswith(".tmp")
        groups.append((used, group, size, files, temporary))
    groups.sort(reverse=True)  # most recently used first
    removed = freed = 0
    total = 0
    limit = max_bytes()
    for used, group, size, files, temporary in groups:
        age = now - used
        stale = age > (_DAY if temporary else MAX_AGE_DAYS * _DAY)
        if group != keep_group and (stale or total + size > limit):
            for path, info in files:
                with contextlib.suppress(OSError):
                    path.unlink()
                    removed += 1
                    freed += info.st_size
            continue
        total += size
    return removed, freed


def clear() -> tuple[int, int]:
    """Remove every entry (`bpgen --clear-cache`): (files removed, bytes freed)."""
    root = directory()
    removed = freed = 0
    if root is None:
        return removed, freed
    for files in _entries(root).values():
        for path, info in files:
            with contextlib.suppress(OSError):
                path.unlink()
                removed += 1
                freed += info.st_size
    return removed, freed


def describe() -> str:
    """What `bpgen --cache-info` prints: location, entries, size, limits."""
    root = directory()
    if root is None:
        return "location: none (caching is off: BPGEN_NO_CACHE is set)\n"
    groups = _entries(root)
    entries = [g for g in groups.values() if g[0][0].suffix != ".tmp"]
    files = sum(len(g) for g in groups.values())
    size = sum(info.st_size for g in groups.values() for _, info in g)
    lines = [f"location: {root}" + ("" if root.is_dir() else " (not created yet)")]
    lines.append(
        f"entries:  {len(entries)} ({files} file{'s' if files != 1 else ''}, "
        f"{human(size)})"
    )
    if entries:
        newest = max(info.st_mtime for g in entries for _, info in g)
        oldest = min(max(info.st_mtime for _, info in g) for g in entries)
        stamp = "%Y-%m-%d %H:%M"
        lines.append(
            f"used:     oldest {time.strftime(stamp, time.localtime(oldest))}, "
            f"newest {time.strftime(stamp, time.localtime(newest))}"
        )
    lines.append(
        f"pruned:   on writes (first of a process, then once a minute), entries "
        f"unused for {MAX_AGE_DAYS} days, then "
        f"the least recently used beyond {human(max_bytes())} (BPGEN_CACHE_MAX_MB)"
    )
    return "\n".join(lines) + "\n"


def human(size: int) -> str:
    """A byte count as people read it: 980 B, 12.4 KiB, 3.0 MiB."""
    value = float(size)
    for unit in ("B", "KiB", "MiB"):
        if value < 1024 or unit == "MiB":
            return f"{size} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GiB"  # pragma: no cover


def load_code(path: Path, entry: Path) -> types.CodeType | None:
    """The code object compiled from `entry`, or None when missing or damaged.

    The header names the entry file it was compiled from (tracebacks use
    that name), the interpreter's bytecode magic and a digest of the rest.
    """
    try:
        data = path.read_bytes()
    except OSError:
        return None
    header, _, body = data.partition(b"\n")
    if header != _code_header(entry, body):
        return None
    try:
        code = marshal.loads(body)
    except (EOFError, ValueError, TypeError):
        return None
    return code if isinstance(code, types.CodeType) else None


def store_code(path: Path, entry: Path, code: types.CodeType) -> None:
    """Keep `code` next to its entry; failing to is fine (it is recompiled)."""
    from ._files import atomic_write

    body = marshal.dumps(code)
    with contextlib.suppress(OSError):
        atomic_write(path, _code_header(entry, body) + b"\n" + body, durable=False)


def _code_header(entry: Path, body: bytes) -> bytes:
    from importlib.util import MAGIC_NUMBER

    digest = hashlib.sha256(body).hexdigest()
    source = os.fsencode(entry).hex()
    return f"bpgen-code {MAGIC_NUMBER.hex()} {digest} {source}".encode("ascii")


def entry_text(text: str, entry_key: str, facts: frozenset[str] = frozenset()) -> str:
    """What `store` writes for `text` (its lines match the file's lines), with
    the facts about it the generator reported (generate.FACTS)."""
    return f"{text}{_trailer(text, entry_key, facts)}\n"


def _trailer(text: str, entry_key: str, facts: frozenset[str]) -> str:
    """The last line: the key, the facts, a digest of the text and facts."""
    listed = _FACTS + ",".join(sorted(facts)) if facts else ""
    return f"{_TRAILER}{entry_key}{listed} sha256 {_digest(text + listed)}"


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
