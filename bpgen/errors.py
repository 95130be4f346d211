"""Errors that bpgen shows to users.

Every refusal is a `BpgenError`; one about a place in the source reads like a
compiler's diagnostic, so editors and terminals can jump to it.
"""

from __future__ import annotations


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
