"""The user's modules next to an input file that it imports (light: the
decorator's cache key reads them without loading the generator)."""

from __future__ import annotations

from pathlib import Path


def sibling_texts(text: str, filename: str) -> list[str]:
    """The text of each user module next to `filename` that `text` imports at
    top level: what generated code may also depend on (the decorator's cache
    key includes them, so editing `layers.py` regenerates its callers)."""
    if filename.startswith("<"):
        return []
    folder = Path(filename).resolve().parent
    found = []
    for line in text.splitlines():
        words = line.replace(",", " ").split()
        if not words or words[0] not in ("import", "from"):
            continue
        names = words[1:2] if words[0] == "from" else words[1:]
        for name in names:
            path = folder / f"{name}.py"
            if name.isidentifier() and path.is_file():
                found.append(path.read_text(encoding="utf-8"))
    return found
