"""What the rewrite passes (shift, centre, xent) read off a staged program."""

from __future__ import annotations

import ast

from .kinds import names_in
from .stage import Program, Stage

UNKNOWN = object()  # a param that is not a literal


def name_of(node: ast.expr | None) -> str | None:
    return node.id if isinstance(node, ast.Name) else None


def literal(node: ast.expr | None, default: object = None) -> object:
    """A literal param's value (`default` when absent), else UNKNOWN."""
    if node is None:
        return default
    try:
        return ast.literal_eval(node)
    except ValueError:
        return UNKNOWN


def restaged(program: Program) -> bool:
    """A name staged twice makes the reader map ambiguous: passes leave it."""
    targets = [s.target for s in program.stages]
    return len(set(targets)) != len(targets)


def readers(program: Program) -> dict[str, list[Stage]]:
    """The stages that read each name (in their value, inputs or params)."""
    found: dict[str, list[Stage]] = {}
    for stage in program.stages:
        names = names_in(stage.value)
        for value in (*stage.inputs.values(), *stage.params.values()):
            names |= names_in(value)
        for name in names:
            found.setdefault(name, []).append(stage)
    return found
