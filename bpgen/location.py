"""Where a piece of the IR came from in the user's file: file, line, column.

The IR keeps these instead of front-end nodes, so staging, analysis,
reversal and emission know nothing of LibCST. A front end that knows its
positions gives them at once (`Location.known`); the LibCST one hands out a
resolver, because LibCST computes positions for a whole module in one go,
and most runs never report an error.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

# (line, column, that line's text): 1-based line, 0-based column, as errors print
Span = tuple[int, int, "str | None"]


class Location:
    """`resolve(key)` gives the span when first asked; `key` is the front
    end's own handle on the place, opaque here."""

    __slots__ = ("filename", "_resolve", "_key", "_span")

    def __init__(
        self, filename: str, resolve: Callable[[Any], Span], key: Any = None
    ) -> None:
        self.filename = filename
        self._resolve: Callable[[Any], Span] | None = resolve
        self._key = key
        self._span: Span | None = None

    @classmethod
    def known(
        cls, filename: str, line: int, column: int, text: str | None = None
    ) -> Location:
        return cls(filename, lambda _: (line, column, text))

    @property
    def span(self) -> Span:
        if self._span is None:
            assert self._resolve is not None
            self._span = self._resolve(self._key)
            self._resolve = self._key = None
        return self._span

    @property
    def line(self) -> int:
        return self.span[0]

    @property
    def column(self) -> int:
        return self.span[1]

    @property
    def source_line(self) -> str | None:
        return self.span[2]

    def __repr__(self) -> str:
        return f"Location({self.filename}:{self.line}:{self.column})"
