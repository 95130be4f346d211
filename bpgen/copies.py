"""Gradient copy propagation: `dsigx = dden`, assigned once, is just `dden`."""

from __future__ import annotations

import ast

from .blocks import Block, Rename, defined_all


def propagate_copies(blocks: list[Block], keep: set[str]) -> list[Block]:
    """Drop each single-assignment copy of a gradient and rename its uses;
    `keep` (the returned gradients) keep their names."""
    definitions: dict[str | None, int] = {}
    for block in blocks:
        for statement in block.statements:
            for name in defined_all(statement):
                definitions[name] = definitions.get(name, 0) + 1
    renames: dict[str, str] = {}
    for block in blocks:
        for statement in list(block.statements):
            if (
                isinstance(statement, ast.Assign)
                and isinstance(statement.value, ast.Name)
                and isinstance(statement.targets[0], ast.Name)
                and definitions[statement.targets[0].id] == 1
                and statement.targets[0].id not in keep
            ):
                source = statement.value.id
                renames[statement.targets[0].id] = renames.get(source, source)
                block.statements.remove(statement)
    if renames:
        rename = Rename(renames)
        for block in blocks:
            block.statements = [rename.visit(s) for s in block.statements]
    return blocks
