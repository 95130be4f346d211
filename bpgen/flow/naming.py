"""The composite's names (gradients, records, temporaries), shared by the
forward and backward writers, and the loops and rows they ask about."""

from __future__ import annotations

import ast

from .items import (
    Branch,
    ListOp,
    Loop,
    Part,
    ends_in_check,
    reads_of,
    recorded,
    touches,
)
from .plan import Planner
from .syntax import paired


class Naming:
    """Names given once, in the order the composite first asks for them."""

    p: Planner
    names: dict
    counts: dict[str, int]
    varied: set[str]

    def loops(self, items: list) -> list[Loop]:
        out: list[Loop] = []
        for item in items:
            if isinstance(item, Branch):
                out += self.loops(item.then) + self.loops(item.orelse)
            elif isinstance(item, Loop):
                out += [item] + self.loops(item.body)
        return out

    def used(self, loop: Loop) -> set[str]:
        """Names some generated part in the loop differentiates."""
        return {n for part in self.p.parts if part.name for n in part.wrt} & reads_of(
            loop.body
        )

    def rows(self, node: ast.For | ast.While) -> list[tuple[str, str]]:
        """(row, x) of `for row in x`, also inside `enumerate(x)` and
        `zip(x, y)`: x a differentiated parameter, iterated over its first
        axis, so each row carries its gradient into `dx[i]`."""
        if not isinstance(node, ast.For):
            return []
        return [
            (row, x.id)
            for row, x in paired(node.target, node.iter)
            if isinstance(x, ast.Name)
            and x.id in self.p.params
            and x.id not in self.p.reassigned
            and x.id in self.varied
        ]

    def sizes(self, op) -> str:
        """The name of a concatenated list's item sizes along its axis."""
        if op.joined != "concatenate":  # np.vstack(hs) and the like: shapes
            return self.name((id(op), "sizes"), f"{op.list}_shapes")
        return self.name((id(op), "sizes"), f"{op.list}_sizes")

    def extreme(self, op: ListOp) -> list[str]:
        """The records of `m = max(L)`: the place of the item it returned, and
        the list's length."""
        at = self.name((id(op), "at"), f"{op.list}_at")
        return [at, self.name((id(op), "len"), f"{op.list}_len")]

    def name(self, key, base: str) -> str:
        if key not in self.names:
            self.names[key] = self.p.fresh(base)
        return self.names[key]

    def grad(self, var: str) -> str:
        return self.name(("d", var), f"d{var}")

    def numbered(self, key, base: str) -> str:
        if key not in self.names:
            self.counts[base] = self.counts.get(base, 0) + 1
            self.names[key] = self.p.fresh(f"{base}{self.counts[base]}")
        return self.names[key]

    def records(self, items: list) -> list[str]:
        out = []
        for item in items:
            if isinstance(item, Part) and item.name:
                out.append(self.numbered((id(item), "rec"), "cache"))
            elif isinstance(item, ListOp) and item.kind in ("max", "min"):
                out += self.extreme(item)
            elif isinstance(item, Branch):
                if recorded(item.then, self.varied) or recorded(
                    item.orelse, self.varied
                ):
                    if not (ends_in_check(item.then) or ends_in_check(item.orelse)):
                        out.append(self.numbered((id(item), "rec"), "c"))
                    out += self.records(item.then) + self.records(item.orelse)
            elif isinstance(item, Loop) and self.records(item.body):
                out.append(self.name((id(item), "rec"), "caches"))
            elif isinstance(item, Loop) and touches(item.body):
                out.append(self.numbered((id(item), "rec"), "steps"))
        return out
