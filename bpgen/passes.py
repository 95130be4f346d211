"""Every optimisation pass, composed in one place from `Options`.

    stage -> FORWARD -> dims, shapes -> TYPED -> reverse sweep -> BACKWARD
          -> handout -> saved values -> emit

A pass is one function in its own module: FORWARD and TYPED ones rewrite the
staged `Program` (TYPED ones also read the inferred shapes), BACKWARD ones
rewrite the sweep's `Block`s. Each runs when its switch is on (`--no-NAME`
turns it off). To add one: write the module, add one line to a list here.

A few choices cannot wait for a later pass: the sweep makes them as it writes
each rule (`Sweep`: `+=` in place, reading a cached output, summing broadcast
axes exactly, peepholes). They are taken from `Options` here too.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import accumulate, centre, masks, reciprocal, shift, xent
from .blocks import Block
from .broadcasts import drop_broadcasts
from .copies import propagate_copies
from .dead import drop_dead, live_stages
from .ir import Branch, Node, Program, swept
from .options import Options
from .shapes import Shapes


@dataclass(frozen=True)
class Pass:
    """One pass: it runs when any of its `switches` is on."""

    switches: tuple[str, ...]
    run: Callable[..., Any]
    # it matches straight-line code only; a pass that runs on branches too is
    # given every block in the sweep's order (ir.swept) and edits their
    # statements in place
    straight: bool = True
    arrays: bool = False  # it concerns arrays only, not all-float programs

    def wanted(self, options: Options, straight: bool, scalar: bool = False) -> bool:
        if self.straight and not straight:
            return False
        if self.arrays and scalar:
            return False
        return any(getattr(options, s) for s in self.switches)


@dataclass
class Context:
    """What a backward pass may read besides the blocks."""

    keep: set[str]  # the returned gradients: never renamed or dropped
    owner: dict[str, str]  # gradient -> the forward variable it belongs to
    shapes: Shapes
    allocates: Callable[[ast.expr], bool]  # a new array nobody else holds


@dataclass(frozen=True)
class Sweep:
    """The choices the reverse sweep makes as it writes each rule."""

    inplace: bool  # `dv += e` into an array the backward allocated
    reuse: bool  # a rule reads the cached output (`out`), not its expression
    broadcast: bool  # sum exactly the broadcast axes, not `_unbroadcast`
    peepholes: bool  # simplify.py on each instantiated rule; masks carried on

    @classmethod
    def of(cls, options: Options) -> Sweep:
        return cls(options.inplace, options.reuse, options.broadcast, options.simplify)


def _masks(blocks: list[Block], c: Context) -> list[Block]:
    return masks.mask_in_place(blocks, c.keep, c.owner, c.shapes, c.allocates)


def _accumulate(blocks: list[Block], c: Context) -> list[Block]:
    return accumulate.accumulate_in_place(blocks, c.keep, c.allocates)


def _broadcasts(blocks: list[Block], c: Context) -> list[Block]:
    return drop_broadcasts(blocks, c.keep, c.owner, c.shapes)


def _reciprocals(blocks: list[Block], c: Context) -> list[Block]:
    return reciprocal.multiply_by_reciprocals(blocks, c.owner, c.shapes)


def _copies(blocks: list[Block], c: Context) -> list[Block]:
    return propagate_copies(blocks, c.keep)


def _dead(blocks: list[Block], c: Context) -> list[Block]:
    return drop_dead(blocks, c.keep)


# on the staged program, before shapes are inferred: Program -> Program
FORWARD = [
    Pass(("shift",), shift.drop_shift_gradients),
    Pass(("centre",), centre.reuse_centring),
]

# on the staged program with its shapes: (Program, Shapes) -> Program
TYPED = [
    Pass(("xent",), xent.fuse),
]

# on the backward's blocks, in this order: (blocks, Context) -> blocks.
# Masks run before broadcast dropping, which may leave a gradient smaller
# than its variable; dead code goes last, after the copies it leaves.
BACKWARD = [
    Pass(("masks",), _masks, arrays=True),
    Pass(("inplace",), _accumulate, arrays=True),
    Pass(("broadcast",), _broadcasts, arrays=True),
    Pass(("reciprocal",), _reciprocals, arrays=True),
    Pass(("simplify",), _copies, straight=False),
    Pass(("simplify", "dce"), _dead, straight=False),
]


def forward(program: Program, options: Options) -> Program:
    straight = program.straight
    for p in FORWARD:
        if p.wanted(options, straight):
            program = p.run(program)
    return program


def typed(program: Program, shapes: Shapes, options: Options) -> Program:
    straight = program.straight
    for p in TYPED:
        if p.wanted(options, straight):
            program = p.run(program, shapes)
    return program


def live(program: Program, options: Options) -> list[Node]:
    """The forward region the backward undoes (all of it without --no-dce)."""
    return live_stages(program) if options.dce else program.body


def backward(
    blocks: list[Block | Branch],
    context: Context,
    options: Options,
    straight: bool,
    scalar: bool,
) -> list[Block | Branch]:
    for p in BACKWARD:
        if p.wanted(options, straight, scalar):
            if straight:
                blocks = p.run(blocks, context)
            else:  # the tree stays; its blocks' statements change
                p.run(list(swept(blocks)), context)
    return blocks


def save_shapes(options: Options) -> bool:
    """Whether values read only for their shape are saved as shapes."""
    return options.dce
