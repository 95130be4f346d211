"""`print(...)` on a line of its own: kept in the forward, ignored backward.

People debug a forward with prints (`print(x.shape)`, `print("loss", loss)`,
`print(f"loss {loss:.3f}")`); a careful person differentiating it by hand
keeps them. The call is lowered like any expression, its arguments read as
values without gradient, and staged under a fresh name with the `effect`
tag: dead.py never drops it, renest.py never moves it, emit.py prints the
bare call where the user wrote it, and having no gate it has no rule in the
backward. Any other call whose result is unused stays refused (stage.py).
"""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

import libcst as cst

from .tags import retag

if TYPE_CHECKING:
    from .stage import Stager

_HINT = 'pass the values as arguments instead: `print("loss", loss)`'


def is_print(stager: Stager, call: cst.Call) -> bool:
    """Whether `call` calls the builtin print (no local, import or function
    of the module named print)."""
    lower = stager.lower
    return (
        lower._qualified(call.func) == "builtins.print"
        and "print" not in stager.source.functions
        and "print" not in lower.local_functions
    )


def stage_print(stager: Stager, call: cst.Call) -> None:
    """Stage `print(...)` as a value without gradient, printed bare."""
    args: list[ast.expr] = []
    keywords: list[ast.keyword] = []
    for arg in call.args:
        if arg.star:
            raise stager.source.error(
                arg,
                "`*args` in a print call is not supported",
                "pass each value: `print(a, b)`",
            )
        value = _argument(stager, arg.value)
        if arg.keyword is None:
            args.append(value)
        else:
            keywords.append(ast.keyword(arg.keyword.value, value))
    printed = ast.Call(ast.Name("print", ast.Load()), args, keywords)
    retag(printed, at=stager.source.location(call), effect=True)
    stager.emit(printed, None, {}, {}, stager.fresh("printed"))


def _argument(stager: Stager, node: cst.BaseExpression) -> ast.expr:
    if isinstance(node, cst.FormattedString):
        return _formatted(stager, node)
    return stager.lowered(node)


def _formatted(stager: Stager, node: cst.FormattedString) -> ast.JoinedStr:
    """`f"loss {loss:.3f}"`: each `{expr}` lowered as a value, its conversion
    and a literal format spec kept; a spec with `{...}` in it is refused."""
    parts: list[ast.expr] = []
    for part in node.parts:
        if isinstance(part, cst.FormattedStringText):
            parts.append(ast.Constant(_text(node, part.value)))
            continue
        spec = None
        if part.format_spec is not None:
            pieces = []
            for piece in part.format_spec:
                if not isinstance(piece, cst.FormattedStringText):
                    raise stager.source.error(
                        piece,
                        "a format spec computed in the f-string is not supported",
                        _HINT,
                    )
                pieces.append(_text(node, piece.value))
            spec = ast.JoinedStr([ast.Constant("".join(pieces))])
        if part.equal is not None:  # f"{x=}": the text `x=` then repr(x)
            raise stager.source.error(
                part, "`{x=}` in an f-string is not supported", _HINT
            )
        conversion = ord(part.conversion) if part.conversion else -1
        value = stager.lowered(part.expression)
        if any(
            isinstance(n, ast.Constant)
            and isinstance(n.value, str)
            or isinstance(n, ast.JoinedStr)
            for n in ast.walk(value)
        ):
            raise stager.source.error(
                part.expression, "a string inside an f-string's `{...}`", _HINT
            )
        parts.append(ast.FormattedValue(value, conversion, spec))
    return ast.JoinedStr(parts)


def _text(node: cst.FormattedString, raw: str) -> str:
    """The characters a literal piece of the f-string stands for."""
    prefix = node.prefix.lower().replace("f", "")
    quote = node.quote
    text = f"{prefix}{quote}{raw}{quote}"
    return ast.literal_eval(text).replace("{{", "{").replace("}}", "}")
