"""Dead code, both ways: forward stages the output does not need, and
gradients nothing reads."""

from __future__ import annotations

import ast

from .blocks import Block, defined_all, loads, uses
from .stage import Program, Stage
from .tags import of


def live_stages(program: Program) -> list[Stage]:
    """The stages the outputs need (and every random draw), in order."""
    needed = {o.id for o in program.outputs if isinstance(o, ast.Name)}
    kept = []
    for stage in reversed(program.stages):
        # a random draw is kept: dropping it would change the draws after it
        drawn = any(of(n).random for n in ast.walk(stage.value))
        if stage.target in needed or drawn:
            kept.append(stage)
            needed |= loads(stage.value) | {c for c, _ in stage.guard}
    return kept[::-1]


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
