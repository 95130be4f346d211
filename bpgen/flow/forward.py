"""The composite forward: the user's `if`/`for`/`while` kept as written, each
generated part called in its place, and what the backward needs recorded:
the branch taken, one cache per part per iteration."""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING, cast

from .items import (
    Branch,
    Jump,
    ListOp,
    Part,
    ends_in_check,
    is_check,
    prints,
    returns_name,
)
from .naming import Naming

if TYPE_CHECKING:
    from .items import Loop


class Forward(Naming):
    """Writes the forward; `leaving` holds each loop's record line for `break`."""

    leaving: list
    wrt: list[str]
    needed: set[str]
    extra: list[str]
    numpy: str | None

    if TYPE_CHECKING:  # the backward's, beside this class in Composer

        def loop_records(self, item: Loop) -> list[str]: ...

    def verbatim(self, stmts: list[ast.stmt], ind: str) -> list[str]:
        first, last = stmts[0].lineno, stmts[-1].end_lineno or stmts[0].lineno
        body = [self.p.line(n) for n in range(first, last + 1)]
        base = len(body[0]) - len(body[0].lstrip())
        return [ind + line[base:] if line.strip() else "" for line in body]

    def forward(self, items: list, ind: str) -> list[str]:
        lines: list[str] = []
        for item in items:
            if isinstance(item, Jump):  # the records of arms not run are None
                record, others = self.leaving[-1]
                lines += [f"{ind}{r} = None" for recs in others for r in recs]
                lines += [f"{ind}{record}"] * bool(record) + [f"{ind}break"]
            elif isinstance(item, ListOp) and item.returns:
                out = self.name("out", "out")
                returned = item.stmt  # `return np.stack(L)` (lists.py)
                assert isinstance(returned, ast.Return) and returned.value is not None
                value = ast.get_source_segment(self.p.text, returned.value)
                recs = self.records(self.p.items) + self.saved_values()
                comma = "," if len(recs) == 1 else ""
                lines.append(f"{ind}{out} = {value}")
                lines += self.item_sizes(item, ind, out)
                lines.append(f"{ind}return {out}, ({', '.join(recs)}{comma})")
            elif isinstance(item, ListOp) and item.written:
                lines.append(f"{ind}{item.written}")
                lines += self.item_sizes(item, ind)
            elif isinstance(item, ListOp):
                lines += self.verbatim([item.stmt], ind)
                lines += self.item_sizes(item, ind)
            elif isinstance(item, Part) and returns_name(item):
                recs = self.records(self.p.items) + self.saved_values()
                comma = "," if len(recs) == 1 else ""
                returned = item.stmts[0]  # checked by returns_name
                assert isinstance(returned, ast.Return)
                assert isinstance(returned.value, ast.Name)
                value = returned.value.id
                lines.append(f"{ind}return {value}, ({', '.join(recs)}{comma})")
            elif isinstance(item, Part):
                if not item.name:
                    if item.outputs or is_check(item) or prints(item):
                        lines += self.verbatim(item.stmts, ind)
                    continue
                rec = self.name((id(item), "rec"), "cache")
                args = ", ".join(
                    (
                        # parsed from this very text: it has its position
                        cast(str, ast.get_source_segment(self.p.text, item.slices[n]))
                        if n in item.slices
                        else n
                    )
                    for n in item.inputs
                )
                if item.returns:
                    outs = self.name("out", "out")
                elif len(item.outputs) == 1:
                    outs = item.outputs[0]
                else:
                    outs = "(" + ", ".join(item.outputs) + ")"
                lines.append(f"{ind}{outs}, {rec} = {item.name}_forward({args})")
                if item.returns:
                    recs = self.records(self.p.items) + self.saved_values()
                    comma = "," if len(recs) == 1 else ""
                    lines.append(f"{ind}return {outs}, ({', '.join(recs)}{comma})")
            elif isinstance(item, Branch):
                then_recs, else_recs = (
                    self.records(item.then),
                    self.records(item.orelse),
                )
                test = ast.get_source_segment(self.p.text, item.node.test)
                if (id(item), "rec") in self.names:
                    c = self.name((id(item), "rec"), "c")
                    lines.append(f"{ind}{c} = {test}")
                    test = c
                lines.append(f"{ind}if {test}:")
                then = self.arm(item.then, else_recs, ind + "    ")
                lines += then or [f"{ind}    pass"]
                orelse = self.arm(item.orelse, then_recs, ind + "    ")
                if orelse:
                    lines.append(f"{ind}else:")
                    lines += orelse
            else:
                node = item.node
                recs = self.loop_records(item)
                steps = (id(item), "rec") in self.names and not recs
                record = ""
                if recs:
                    lst = self.name((id(item), "rec"), "caches")
                    lines.append(f"{ind}{lst} = []")
                    tup = recs[0] if len(recs) == 1 else "(" + ", ".join(recs) + ")"
                    record = f"{lst}.append({tup})"
                elif steps:  # no caches, but names the backward must pass back
                    lst = self.names[(id(item), "rec")]
                    lines.append(f"{ind}{lst} = 0")
                    record = f"{lst} += 1"
                if isinstance(node, ast.For):
                    target = ast.get_source_segment(self.p.text, node.target)
                    it = ast.get_source_segment(self.p.text, node.iter)
                    lines.append(f"{ind}for {target} in {it}:")
                else:
                    test = ast.get_source_segment(self.p.text, node.test)
                    lines.append(f"{ind}while {test}:")
                self.leaving.append((record, []))
                body = self.forward(item.body, ind + "    ")
                self.leaving.pop()
                if record and not (item.body and isinstance(item.body[-1], Jump)):
                    body.append(f"{ind}    {record}")
                lines += body or [f"{ind}    pass"]
        return lines

    def item_sizes(self, op: ListOp, ind: str, value: str = "") -> list[str]:
        """`hs_sizes = [np.shape(item)[1] for item in hs]` after a concatenation
        whose backward splits the gradient there; `losses_at =
        losses.index(worst)` and `losses_len = len(losses)` after `worst =
        max(losses)`: the place of the item it returned (the first extreme
        one: `index` finds that very object) and the list's length."""
        if op.kind in ("max", "min") and (id(op), "at") in self.names:
            at, size = self.names[(id(op), "at")], self.names[(id(op), "len")]
            value = value or op.name
            return [
                f"{ind}{at} = {op.list}.index({value})",
                f"{ind}{size} = len({op.list})",
            ]
        if (id(op), "sizes") not in self.names:
            return []
        np_ = self.numpy or "np"
        v = self.name((id(op), "item"), "item")
        size = f"{np_}.shape({v})[{op.axis}]"
        if op.joined != "concatenate":  # np.vstack(hs): the items' shapes
            size = f"{np_}.shape({v})"
        return [f"{ind}{self.sizes(op)} = [{size} for {v} in {op.list}]"]

    def arm(self, items: list, other_recs: list[str], ind: str) -> list[str]:
        """One arm of an `if`: its lines, then None for the other arm's records
        (before a `break` that ends the arm, which sets them itself)."""
        others = self.leaving[-1][1] if self.leaving else []
        others.append(other_recs)
        lines = self.forward(items, ind)
        others.pop()
        if not (items and isinstance(items[-1], Jump) or ends_in_check(items)):
            lines += [f"{ind}{r} = None" for r in other_recs]
        return lines

    def saved(self) -> list[str]:
        """Parameters whose zeros the backward needs (known once it is written)."""
        saved = [p for p in self.wrt if p in self.needed]
        return saved + [v for v in self.extra if v not in saved]

    def saved_values(self) -> list[str]:
        """`saved()` as the forward's return reads them: a parameter assigned
        again is the value it was called with, kept first (`x_arg = x`)."""
        originals = getattr(self, "originals", {})
        return [originals.get(name, name) for name in self.saved()]
