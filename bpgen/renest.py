"""Re-nesting: a temporary read once goes back into the expression reading it.

Staging names every intermediate value (`t1 = w0 * x0`, `t2 = w1 * x1`,
`t3 = t1 + t2`); the backward needs the stages, but in the forward a
temporary nothing else reads only keeps its value alive until the function
returns (a full array, for `W1 * W1`) and costs a store and a load. A person
writes `dot = w0 * x0 + w1 * x1 + w2`; this pass prints the forward so:

- only bpgen's own temporaries (`t1`, ...), never a name the user wrote, so a
  user's stages stay as staged (students read them);
- only one read in the whole forward, not cached, not returned, not read
  for its shape;
- never a random draw (its order among draws must not move), never a print,
  never an item assignment, and only in straight-line code (the caller's check);
- only the run of stages right above the reader, so nothing runs between a
  temporary and its reader, and in the backward the rules of the run follow
  the reader's under one comment (`# dot = w0 * x0 + w1 * x1 + w2`);
- only while the reader still fits on one line: a long nest reads worse than
  its stages.

It changes what is printed only: the backward's rules still see every
stage.
"""

from __future__ import annotations

import ast
import dataclasses
from collections import Counter
from collections.abc import Callable
from typing import TypeVar, cast

from .stage import SetItem, Stage
from .tags import of

_Node = TypeVar("_Node", bound=ast.AST)


def renest(
    stages: list[Stage],
    temporaries: set[str],
    kept: set[str],
    fits: Callable[[str, ast.expr], bool],
) -> list[Stage]:
    """The forward's stages with each single-use temporary inside its reader.

    `kept`: names read outside the forward's stages (cache, outputs, shapes);
    `fits(target, value)`: whether `target = value` prints on one line."""
    targets = [s.target for s in stages]
    if len(set(targets)) != len(targets):
        return stages
    reads = Counter(name for s in stages for name in _reads(s.value))
    movable = {
        s.target
        for s in stages
        if s.target in temporaries
        and s.target not in kept
        and reads[s.target] == 1
        and not isinstance(s.value, SetItem)
        and not any(of(n).random or of(n).effect for n in ast.walk(s.value))
    }
    if not movable:
        return stages
    made = {s.target: i for i, s in enumerate(stages)}
    nested: dict[str, ast.expr] = {}  # temporary -> its value, nests included
    first: dict[str, int] = {}  # printed stage -> the first stage it holds
    out: dict[str, Stage] = {}
    for j, stage in enumerate(stages):
        value, low = stage.value, j
        if not isinstance(value, SetItem):
            # latest first: a reader takes in only the run of stages right
            # above it, so the backward's rules stay under their comment
            by_stage = sorted(set(_reads(value)) & movable, key=made.__getitem__)
            for name in by_stage[::-1]:
                if made[name] != low - 1:
                    break
                tried = _substituted(value, name, nested[name])
                if not fits(stage.target, tried):
                    break
                value, low = tried, first[name]
                out.pop(name)
        first[stage.target] = low
        if stage.target in movable:
            nested[stage.target] = value
        out[stage.target] = (
            stage if value is stage.value else dataclasses.replace(stage, value=value)
        )
    return list(out.values())


def _reads(node: ast.AST) -> list[str]:
    """Names read, outermost first (a deterministic order)."""
    return [n.id for n in ast.walk(node) if isinstance(n, ast.Name)]


def _substituted(node: _Node, name: str, value: ast.expr) -> _Node:
    """`node` with its read of `name` replaced by `value`: new nodes along
    the path to it, everything else shared (stages are never mutated; no
    deepcopy, which would follow the tags' locations into the whole CST)."""
    if type(node) is ast.Name:
        # a read's replacement is an expression in an expression's place
        read = cast(ast.Name, node).id  # checked above (mypy narrows no TypeVar)
        return cast(_Node, value) if read == name else node
    fields, changed = {}, False
    for key, old in node.__dict__.items():
        new = old
        if isinstance(old, ast.AST):
            new = _substituted(old, name, value)
        elif type(old) is list:
            new = [
                _substituted(v, name, value) if isinstance(v, ast.AST) else v
                for v in old
            ]
            new = old if all(a is b for a, b in zip(new, old, strict=True)) else new
        changed = changed or new is not old
        fields[key] = new
    if not changed:
        return node
    copied = type(node).__new__(type(node))
    copied.__dict__.update(fields)
    return copied
