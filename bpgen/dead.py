"""Dead code, both ways: forward stages the output does not need, and
gradients nothing reads."""

from __future__ import annotations

import ast

from .blocks import Block, defined_all, loads, uses
from .ir import Node, Program, join, walk
from .tags import of


def live_stages(program: Program) -> list[Node]:
    """The program's body with only the stages the outputs need (and every
    random draw and print); a branch left with no stage goes, its condition unread."""
    needed = {o.id for o in program.outputs if isinstance(o, ast.Name)}
    kept: set[int] = set()
    for stage, where in reversed(list(walk(program.body))):
        # a random draw is kept: dropping it would change the draws after it;
        # a print is kept: the user reads it
        drawn = any(of(n).random or of(n).effect for n in ast.walk(stage.value))
        if stage.target in needed or drawn:
            kept.add(id(stage))
            needed |= loads(stage.value) | set(where)
    return join(program.body, lambda stage: id(stage) in kept)


def drop_dead(blocks: list[Block], keep: set[str]) -> list[Block]:
    """Remove gradients that nothing reads and the function does not return."""
    while True:
        used = set(keep)
        for block in blocks:
            for statement in block.statements:
                used |= uses(statement)
        dead = [
            (block, s)
            for block in blocks
            for s in block.statements
            if not defined_all(s) & used
        ]
        if not dead:
            return blocks
        for block, statement in dead:
            block.statements.remove(statement)
