"""What the front end tells later steps about one IR expression.

Staging splits lowered expressions apart, reversal copies them into rules:
the facts must travel with the node, through `copy.deepcopy` and rule
instantiation alike. So each node carries one explicit, immutable record
(`Tags`, in the `bp` attribute), read with `of` and changed with `retag`,
which replaces the record (a copy shares it safely). Its fields are the
whole vocabulary; nothing else is hung on AST nodes.
"""

from __future__ import annotations

import ast
from typing import Any, NamedTuple

from .location import Location

Slot = tuple  # the path to an input inside a node: ("args", 0), ("left",), ...


class Tags(NamedTuple):
    at: Location | None = None  # where in the user's file (for errors)
    gate: str | None = None  # the rule this node is a call of
    slots: dict[str, Slot] | None = None  # where each of the rule's inputs sits
    drops: str | None = None  # a conversion without gradient: float, array...
    extra: dict[str, Any] | None = None  # parameters packed apart: reshape(n, *r)
    random: bool = False  # a random draw: never dropped, never repeated
    integer: bool = False  # a parameter annotated `int`, read unchanged
    effect: bool = False  # print(...) alone on its line: kept, printed bare


_NONE = Tags()


def of(node: ast.AST) -> Tags:
    return node.__dict__.get("bp", _NONE)


def retag(node: ast.AST, **changes: Any) -> None:
    old = node.__dict__.get("bp")
    node.bp = Tags(**changes) if old is None else old._replace(**changes)  # type: ignore[attr-defined]
