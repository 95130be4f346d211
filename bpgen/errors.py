"""Errors that bpgen shows to users.

Every refusal is a `BpgenError`; one about a place in the source reads like a
compiler's diagnostic, so editors and terminals can jump to it.
"""

from __future__ import annotations

from collections.abc import Sequence


class BpgenError(Exception):
    """Base class of every error bpgen raises on purpose."""

    def __init__(
        self,
        message: str,
        *,
        filename: str | None = None,
        lineno: int | None = None,
        col_offset: int | None = None,
        source_line: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.message = message
        self.filename = filename
        self.lineno = lineno
        self.col_offset = col_offset
        self.source_line = source_line
        self.hint = hint
        super().__init__(self.render())

    def render(self) -> str:
        """`path:LINE:COL: error: message`, the line, a caret, then the hint."""
        if self.lineno is None:
            head = f"{self.filename}: error: " if self.filename else "error: "
            text = head + self.message
        else:
            col = (self.col_offset or 0) + 1
            text = f"{self.filename or '<source>'}:{self.lineno}:{col}: error: "
            text += self.message
            if self.source_line is not None:
                line = self.source_line.rstrip("\r\n").expandtabs(1)
                caret = " " * min(self.col_offset or 0, len(line)) + "^"
                text += f"\n    {line}\n    {caret}"
        if self.hint:
            text += f"\n  help: {self.hint}"
        return text

    def __str__(self) -> str:
        return self.render()


class UnsupportedError(BpgenError):
    """The forward function uses something bpgen cannot differentiate."""


class SourceSyntaxError(BpgenError):
    """The input is not valid Python."""


class FunctionNotFoundError(BpgenError):
    """The named function is not a top-level function of the module."""


class SourceUnavailableError(BpgenError):
    """The decorator could not read the function's source text."""


class UsageError(BpgenError):
    """The caller asked for something inconsistent (bad `wrt`, options, ...)."""


class InternalError(BpgenError):
    """bpgen itself failed: a bug to report, never the user's fault."""


def check_wrt(wrt: Sequence[str] | None) -> list[str] | None:
    """A list of names; a bare string (`wrt="xy"`) would read as its letters."""
    if wrt is None:
        return None
    if isinstance(wrt, str) or not all(isinstance(name, str) for name in wrt):
        raise UsageError(
            f"wrt must be a list of parameter names, not {wrt!r}",
            hint="for example wrt=['x'] or wrt=['w', 'b']",
        )
    return list(wrt)


def check_functions(functions: Sequence[str] | str | None, one: bool = False) -> None:
    """Function names are strings: one for `generate` (a list is a slip),
    a list of them for the CLI's module."""
    if functions is None or (one and isinstance(functions, str)):
        return
    if (
        one
        or isinstance(functions, str)
        or not all(isinstance(f, str) for f in functions)
    ):
        raise UsageError(
            f"name the function as a string, not {functions!r}",
            hint="for example bpgen.generate(source, 'f'), one call per function",
        )
