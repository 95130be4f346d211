"""The composite backward: the same structure in reverse (`if c1:`, `for cache3
in reversed(caches2):`), each part's backward called in its place.

Gradients are tracked statically as absent, owned (a new array: `+=` is
safe), borrowed (the caller's `dout`: never written into) or maybe (None on
some path: `dx = g if dx is None else dx + g`)."""

from __future__ import annotations

import ast
from typing import cast

from .items import (
    Branch,
    Jump,
    ListOp,
    Loop,
    Part,
    ends_in_check,
    exposed_in,
    is_alias,
    returns_name,
    writes_of,
)
from .naming import Naming
from .syntax import loads, stores

ABSENT, OWN, BORROWED, MAYBE = None, "own", "borrowed", "maybe"
# a list's gradient: "list" (one per item), "each" (one for every item), or
# MIXED (either, or None, as the arm the forward took left it)
MIXED = "mixed"
_LISTS = ("list", "each", MIXED)


def _join(a, b):
    if a == b:
        return a
    if MAYBE in (a, b) or ABSENT in (a, b):
        return MAYBE
    return BORROWED  # own and borrowed


class Backward(Naming):
    """Writes the backward, item by item from the last."""

    numpy: str | None
    wrt: list[str]
    after: set[str] | None
    extra: list[str]
    needed: set[str]
    zeroed: set[str]
    aliased: set[str]

    def backward(self, items: list, state: dict, ind: str, loop: bool) -> list[str]:
        lines: list[str] = []
        top = items is self.p.items
        for k in range(len(items) - 1, -1, -1):
            item = items[k]
            self.after = writes_of(items[k + 1 :]) if top else None
            if isinstance(item, Jump):
                continue
            if isinstance(item, ListOp):
                lines += self.list_backward(item, state, ind)
            elif isinstance(item, Part) and returns_name(item):
                returned = item.stmts[0]  # checked by returns_name
                assert isinstance(returned, ast.Return)
                assert isinstance(returned.value, ast.Name)
                name = returned.value.id
                if name in self.varied:
                    lines.append(f"{ind}{self.grad(name)} = dout")
                    state[name] = BORROWED
            elif isinstance(item, Part):
                if item.name:
                    lines += self.part_backward(item, state, ind, loop)
                elif is_alias(item) and not item.returns:
                    lines += self.alias_backward(item, state, ind)
                else:  # `y = 1.0`: what y was before gets no gradient from here
                    for stmt in item.stmts:
                        for var in stores(stmt):
                            state[var] = ABSENT
            elif isinstance(item, Branch):
                lines += self.branch_backward(item, state, ind, loop)
            else:
                lines += self.loop_backward(item, state, ind)
        return lines

    def part_backward(self, part: Part, state: dict, ind: str, loop: bool) -> list[str]:
        rec = self.name((id(part), "rec"), "cache")
        guard = None
        if part.returns:
            dout = "dout"
        else:
            live = [o for o in part.varied_out if state.get(o) is not ABSENT]
            if not live:  # no gradient reaches this part
                for o in part.outputs:
                    state[o] = ABSENT
                return []
            if len(part.outputs) == 1 and state.get(live[0]) == MAYBE:
                guard = self.grad(live[0])
            douts = []
            for o in part.outputs:
                flows = o in part.varied_out and state.get(o) is not ABSENT
                douts.append(self.grad(o) if flows else "None")
                state[o] = ABSENT
            dout = douts[0] if len(douts) == 1 else "(" + ", ".join(douts) + ")"
        targets, after = [], []
        before = dict(state)
        if guard is not None:  # inside `if dy is not None:` the inputs may be None
            for i in part.wrt:  # but for `y = y + x`: dy is spent, y's is new
                if state.get(i) is ABSENT and self.grad(i) != guard:
                    state[i] = MAYBE
        for i in part.wrt:
            g = self.grad(i)
            s = state.get(i)
            if s is ABSENT:
                targets.append(g)
                state[i] = OWN
                continue
            tmp = self.name((id(part), "tmp", i), f"d{i}_t" if loop else f"d{i}_part")
            targets.append(tmp)
            if s == OWN:
                after.append(f"{ind}{g} += {tmp}")
            elif s == BORROWED:
                after.append(f"{ind}{g} = {g} + {tmp}")
            else:
                after.append(f"{ind}{g} = {tmp} if {g} is None else {g} + {tmp}")
            state[i] = OWN
        lhs = ", ".join(targets) + ("," if len(targets) == 1 else "")
        lines = [f"{ind}{lhs} = {part.name}_backward({dout}, {rec})"] + after
        lines += self.scatter(part, state, ind)  # indented below if guarded
        if guard is None:
            return lines
        # `dy` may be None (no gradient on some path): run the part only if not
        pre = []
        arrays = [_sliced(s) for n, s in part.slices.items() if n in part.wrt]
        for i in dict.fromkeys(list(part.wrt) + arrays):
            if before.get(i) is ABSENT and self.grad(i) != guard:  # None already
                pre.append(f"{ind}{self.grad(i)} = None")
            state[i] = MAYBE if before.get(i) in (ABSENT, MAYBE) else before.get(i)
        body = [f"    {line}" for line in lines]
        for name in part.slices:
            state[name] = ABSENT
        return pre + [f"{ind}if {guard} is not None:"] + body

    def scatter(self, part: Part, state: dict, ind: str) -> list[str]:
        """`dx[:, t, :] += dx_t`: a slice input's gradient into its array's."""
        lines = []
        for name, subscript in part.slices.items():
            if name not in part.wrt:
                continue
            x = subscript.value.id  # type: ignore[attr-defined]
            # parsed from this very text: it has its position
            segment = cast(str, ast.get_source_segment(self.p.text, subscript))
            g, index = self.grad(x), segment
            index = index[index.index("[") :]
            for fixed in sorted(loads(subscript.slice) - self.p.ints):
                if fixed not in self.extra:  # HH of `x[n, :, i:i + HH]`: saved
                    self.extra.append(fixed)
            if state.get(x) is ABSENT:  # outside every loop that zeroed it
                lines.append(f"{ind}{g} = {self.zeros(x)}")
            elif state.get(x) == MAYBE:
                lines.append(f"{ind}{g} = {self.zeros(x)} if {g} is None else {g}")
            elif state.get(x) == BORROWED:
                lines.append(f"{ind}{g} = {g}.copy()")
            lines.append(f"{ind}{g}{index} += {self.grad(name)}")
            state[x] = OWN
            state[name] = ABSENT
        return lines

    def list_backward(self, op: ListOp, state: dict, ind: str) -> list[str]:
        """np.stack: the list of slices along the axis; sum: the same gradient
        for every item; append: pop the last (or take the sum's)."""
        gl = self.grad(op.list)
        if op.kind == "stack":
            s = BORROWED if op.returns else state.get(op.name)
            state[op.name] = ABSENT
            if s is ABSENT:
                return []
            g = "dout" if op.returns else self.grad(op.name)
            np_ = self.numpy or "np"
            slices = g if op.axis == 0 else f"{np_}.moveaxis({g}, {op.axis}, 0)"
            return [ind + _gathered(gl, state, op.list, f"list({slices})")]
        if op.kind == "concat":  # split at the items' sizes, recorded forward
            s = BORROWED if op.returns else state.get(op.name)
            state[op.name] = ABSENT
            if s is ABSENT:
                return []
            g = "dout" if op.returns else self.grad(op.name)
            sizes = self.sizes(op)
            if sizes not in self.extra:
                self.extra.append(sizes)
            np_ = self.numpy or "np"
            if op.joined != "concatenate":  # vstack, hstack, column_stack
                return [
                    ind + _gathered(gl, state, op.list, _unjoined(op, g, sizes, np_))
                ]
            split = f"{np_}.split({g}, {np_}.cumsum({sizes})[:-1], axis={op.axis})"
            return [ind + _gathered(gl, state, op.list, split)]
        if op.kind == "sum":  # every item's gradient is the sum's
            s = BORROWED if op.returns else state.get(op.name)
            state[op.name] = ABSENT
            if s is ABSENT:
                return []
            g = "dout" if op.returns else self.grad(op.name)
            return [ind + _gathered(gl, state, op.list, g, each=True)]
        if op.kind in ("max", "min"):
            return self.extreme_backward(op, state, ind)
        if state.get(op.list) not in _LISTS:
            return []
        if state[op.list] == MIXED:
            return self.mixed_item(op, state, ind)
        pop = f"{gl}.pop()" if state[op.list] == "list" else gl
        if op.name in self.p.lists:  # a list of lists: the item's is a list too
            return [ind + _gathered(self.grad(op.name), state, op.name, f"list({pop})")]
        g = self.grad(op.name)
        s = state.get(op.name)
        if s is ABSENT:
            state[op.name] = BORROWED
            return [f"{ind}{g} = {pop}"]
        if s == OWN:
            return [f"{ind}{g} += {pop}"]
        state[op.name] = OWN
        if s == BORROWED:
            return [f"{ind}{g} = {g} + {pop}"]
        return [f"{ind}{g} = {pop} + (0 if {g} is None else {g})"]

    def mixed_item(self, op: ListOp, state: dict, ind: str) -> list[str]:
        """An item's gradient from a list read in one arm of an `if` only (or
        read otherwise in each): a list, one gradient for all, or None."""
        gl, g = self.grad(op.list), self.grad(op.name)
        if op.name in self.p.lists:
            raise self.p.error(
                op.stmt,
                f"the list of lists `{op.list}` is read in one arm of an `if` "
                "only, or read otherwise in each",
                f"read it before the `if`: `{op.list}_array = np.stack({op.list})`",
            )
        t = self.name((id(op), "mixed"), f"d{op.name}_t")
        pop = f"{t} = {gl}.pop() if type({gl}) is list else {gl}"
        s = state.get(op.name)
        if s is ABSENT:
            state[op.name] = MAYBE
            return [f"{ind}{pop}", f"{ind}{g} = {t}"]
        if s in (OWN, BORROWED):
            return [f"{ind}{pop}", f"{ind}{g} = {g} if {t} is None else {g} + {t}"]
        summed = f"{t} if {g} is None else ({g} if {t} is None else {g} + {t})"
        return [f"{ind}{pop}", f"{ind}{g} = {summed}"]

    def extreme_backward(self, op: ListOp, state: dict, ind: str) -> list[str]:
        """max/min: the gradient goes to the item returned, the others get
        none (`dlosses = [0.0] * losses_len; dlosses[losses_at] = dworst`)."""
        s = BORROWED if op.returns else state.get(op.name)
        state[op.name] = ABSENT
        if s is ABSENT:
            return []
        g = "dout" if op.returns else self.grad(op.name)
        gl = self.grad(op.list)
        at, size = self.extreme(op)  # recorded by the forward (naming.py)
        before = state.get(op.list)
        state[op.list] = "list"
        if before == "list":
            return [f"{ind}{gl}[{at}] = {gl}[{at}] + {g}"]
        if before == MIXED:
            return [
                f"{ind}{gl} = [0.0] * {size} if {gl} is None else "
                f"({gl} if type({gl}) is list else [{gl}] * {size})",
                f"{ind}{gl}[{at}] = {gl}[{at}] + {g}",
            ]
        if before == "each":  # one gradient for every item (a sum's) so far
            return [
                f"{ind}{gl} = [{gl}] * {size}",
                f"{ind}{gl}[{at}] = {gl}[{at}] + {g}",
            ]
        return [f"{ind}{gl} = [0.0] * {size}", f"{ind}{gl}[{at}] = {g}"]

    def alias_backward(self, part: Part, state: dict, ind: str) -> list[str]:
        """`a = b` backward: b's gradient is a's (`db = da`), or gains it."""
        lines = []
        for stmt in reversed(part.stmts):
            assign = cast(ast.Assign, stmt)  # an alias part: `a = b` (is_alias)
            a, b = cast(ast.Name, assign.targets[0]).id, cast(ast.Name, assign.value).id
            if a == b:
                continue
            sa = state.get(a)
            state[a] = ABSENT
            if sa is ABSENT:
                continue
            ga, gb = self.grad(a), self.grad(b)
            self.aliased.add(b)
            sb = state.get(b)
            if sb is ABSENT:
                lines.append(f"{ind}{gb} = {ga}")
                state[b] = sa
            elif sa == MAYBE:
                summed = f"{gb} if {ga} is None else {gb} + {ga}"
                if sb == MAYBE:
                    summed = f"{ga} if {gb} is None else ({summed})"
                lines.append(f"{ind}{gb} = {summed}")
                state[b] = MAYBE if sb == MAYBE else BORROWED
            elif sb == OWN:
                lines.append(f"{ind}{gb} += {ga}")
            elif sb == BORROWED:
                lines.append(f"{ind}{gb} = {gb} + {ga}")
                state[b] = OWN
            else:
                lines.append(f"{ind}{gb} = {ga} if {gb} is None else {gb} + {ga}")
                state[b] = OWN
        return lines

    def branch_backward(self, item: Branch, state: dict, ind: str, loop: bool):
        if ends_in_check(item.then) or ends_in_check(item.orelse):
            # `else: raise ...`: the backward runs only after the other arm
            live = item.orelse if ends_in_check(item.then) else item.then
            return self.backward(live, state, ind, loop)
        if (id(item), "rec") not in self.names:
            return []
        c = self.name((id(item), "rec"), "c")
        s1, s2 = dict(state), dict(state)
        then = self.backward(item.then, s1, ind + "    ", loop)
        orelse = self.backward(item.orelse, s2, ind + "    ", loop)
        for var in sorted((set(s1) | set(s2)) & self.p.lists):
            # a list read in one arm only, or read otherwise in each: which
            # gradient it has is known at run time only
            if s1.get(var) != s2.get(var) and {s1.get(var), s2.get(var)} & {*_LISTS}:
                for arm, st in ((then, s1), (orelse, s2)):
                    if st.get(var) not in _LISTS:
                        arm.append(f"{ind}    {self.grad(var)} = None")
                s1[var] = s2[var] = MIXED
        for var in sorted(set(s1) | set(s2)):
            joined = _join(s1.get(var), s2.get(var))
            param = var in self.p.params and var not in self.p.reassigned
            if joined == MAYBE and param and MAYBE not in (s1.get(var), s2.get(var)):
                for arm, st in ((then, s1), (orelse, s2)):
                    if st.get(var) is ABSENT:
                        arm.append(f"{ind}    {self.grad(var)} = {self.zeros(var)}")
                        st[var] = OWN
                joined = _join(s1.get(var), s2.get(var))
            if joined == MAYBE:
                if s1.get(var) is ABSENT:
                    then.append(f"{ind}    {self.grad(var)} = None")
                if s2.get(var) is ABSENT:
                    orelse.append(f"{ind}    {self.grad(var)} = None")
            state[var] = joined
        if not then and not orelse:
            return []
        if then == orelse:  # `y = x` in both arms: the same either way
            return [line[4:] for line in then]
        if not then:
            return [f"{ind}if not {c}:"] + orelse
        lines = [f"{ind}if {c}:"] + then
        if orelse:
            lines += [f"{ind}else:"] + orelse
        return lines

    def loop_records(self, item: Loop) -> list[str]:
        """The per-iteration record: the counter a slice input needs, then
        the caches and branches of the body."""
        recs = self.records(item.body)
        target = item.node.target if isinstance(item.node, ast.For) else None
        if recs and isinstance(target, ast.Name) and target.id in self.indexed(item):
            return [target.id] + recs
        return recs

    def indexed(self, item) -> set[str]:
        """Names the slice inputs of the parts under `item` index with."""
        if isinstance(item, Part):
            return {n for s in item.slices.values() for n in loads(s.slice)}
        if isinstance(item, Branch):
            items = item.then + item.orelse
        elif isinstance(item, Loop):
            items = item.body
        else:
            return set()
        return set().union(*map(self.indexed, items)) if items else set()

    def loop_backward(self, item: Loop, state: dict, ind: str) -> list[str]:
        recs = self.loop_records(item)
        if (id(item), "rec") not in self.names:
            return []
        lst = self.names[(id(item), "rec")]
        pre: list[str] = []
        shared = self.gradient_targets(item.body) - writes_of(item.body)
        for var in [p for p in self.p.params if p in shared]:
            if (
                state.get(var) is ABSENT
                and var in self.p.params
                and var not in self.p.reassigned
            ):
                pre.append(f"{ind}{self.grad(var)} = {self.zeros(var)}")
                state[var] = OWN
        # values one iteration hands the next: their gradients start at zero
        carried = writes_of(item.body) & self.gradient_targets(item.body)
        carried &= exposed_in(item)
        if self.after is not None:  # top level: values at the end
            for var in sorted(carried - self.after - self.p.lists):
                if state.get(var) is ABSENT:
                    pre.append(f"{ind}{self.grad(var)} = {self.zeros(var)}")
                    state[var] = OWN
                    if var not in self.extra:
                        self.extra.append(var)
        rows = self.rows(item.node)
        head = dict(state)
        for _ in range(6):
            end = dict(head)
            body = self.backward(item.body, end, ind + "    ", True)
            reached = {row: end.pop(row, None) for row, _ in rows}  # this step's
            new = {v: _join(head.get(v), end.get(v)) for v in set(head) | set(end)}
            if new == head:
                break
            head = new
        resets = []  # after the rows' adds below, which read this step's values
        for var in sorted(head):
            if head[var] == MAYBE and state.get(var) is ABSENT:
                pre.append(f"{ind}{self.grad(var)} = None")
            if head[var] == MAYBE and end.get(var) is ABSENT:
                resets.append(f"{ind}    {self.grad(var)} = None")
        state.clear()
        state.update(head)
        rows = [(row, x) for row, x in rows if reached[row] is not None]
        if rows:  # each row's gradient goes to its place in dx
            k = self.name((id(item), "row"), "i")
            for row, x in rows:
                if state.get(x) is ABSENT or x not in state:
                    pre.append(f"{ind}{self.grad(x)} = {self.zeros(x)}")
                elif state.get(x) == MAYBE:
                    g = self.grad(x)
                    pre.append(f"{ind}{g} = {self.zeros(x)} if {g} is None else {g}")
                elif state.get(x) == BORROWED:
                    pre.append(f"{ind}{self.grad(x)} = {self.grad(x)}.copy()")
                state[x] = OWN
                add = f"{self.grad(x)}[{k}] += {self.grad(row)}"
                if reached[row] == MAYBE:
                    add = f"if {self.grad(row)} is not None:\n{ind}        {add}"
                body.append(f"{ind}    {add}")
            body += resets
            target = ", ".join(recs)
            target = f"({target})" if len(recs) > 1 else target
            loop = f"for {k}, {target} in reversed(list(enumerate({lst}))):"
            if not recs:  # a counted loop (appends only): its rows counted down
                loop = f"for {k} in reversed(range({lst})):"
            return pre + [f"{ind}{loop}"] + body
        body += resets
        if not body:  # no gradient passes through this loop
            return pre
        if not recs:
            return pre + [f"{ind}for _ in range({lst}):"] + body
        target = ", ".join(recs)
        return pre + [f"{ind}for {target} in reversed({lst}):"] + body

    def zeros(self, var: str) -> str:
        """A zero gradient for `var` (saved for the backward when a parameter);
        0.0 in a module without NumPy, whose values are all numbers."""
        if self.numpy is None:
            return "0.0"
        if var in self.p.params:
            self.needed.add(var)
            self.zeroed.add(var)
        return f"{self.numpy}.zeros_like({var})"

    def gradient_targets(self, items: list) -> set[str]:
        out: set[str] = set()
        for item in items:
            if isinstance(item, Jump):
                continue
            if isinstance(item, ListOp):
                if item.kind == "append":
                    out.add(item.name)
            elif isinstance(item, Part):
                out |= set(item.wrt)
                out |= {_sliced(s) for n, s in item.slices.items() if n in item.wrt}
            elif isinstance(item, Branch):
                out |= self.gradient_targets(item.then) | self.gradient_targets(
                    item.orelse
                )
            else:
                out |= self.gradient_targets(item.body)
        return out


def _gathered(gl: str, state: dict, lst: str, value: str, each: bool = False) -> str:
    """`dhs = list(...)` for the list's first read in the backward; a later
    read (`np.stack(hs) * np.stack(hs)`, `sum(hs)` too) adds to it. With
    `each`, `value` is one gradient for every item (a `sum` read)."""
    before = state.get(lst)
    if before == MIXED:  # None, a list, or one gradient for every item
        if each:
            added = (
                f"[d + {value} for d in {gl}] if type({gl}) is list else {gl} + {value}"
            )
        else:
            added = (
                f"[a + b for a, b in zip({gl}, {value})] if type({gl}) is list "
                f"else [{gl} + b for b in {value}]"
            )
        state[lst] = MIXED if each else "list"
        return f"{gl} = {value} if {gl} is None else ({added})"
    if each and before == "each":
        line = f"{gl} = {gl} + {value}"
    elif each and before == "list":
        line, each = f"{gl} = [d + {value} for d in {gl}]", False
    elif each:
        line = f"{gl} = {value}"
    elif before == "list":
        line = f"{gl} = [a + b for a, b in zip({gl}, {value})]"
    elif before == "each":
        line = f"{gl} = [{gl} + b for b in {value}]"
    else:
        line = f"{gl} = {value}"
    state[lst] = "each" if each else "list"
    return line


# np.vstack/hstack/column_stack: (each item's size along the joined axis,
# given its shape `s`; the axis), from the items' recorded shapes
_JOINED = {
    "vstack": ("s[0] if len(s) > 1 else 1", "0"),
    "hstack": ("s[1] if len(s) > 1 else (s[0] if s else 1)", "{axis}"),
    "column_stack": ("s[1] if len(s) > 1 else 1", "1"),
}


def _unjoined(op: ListOp, g: str, shapes: str, np_: str) -> str:
    """The items' gradients of `np.vstack(hs)` (or hstack, column_stack): the
    gradient split at the items' sizes, each piece back in its item's shape."""
    size, axis = _JOINED[op.joined]
    axis = axis.format(axis=f"1 if len({shapes}[0]) > 1 else 0")
    sizes = f"{np_}.cumsum([{size} for s in {shapes}])[:-1]"
    pieces = f"{np_}.split({g}, {sizes}, axis={axis})"
    return f"[d.reshape(s) for d, s in zip({pieces}, {shapes})]"


def _sliced(subscript: ast.Subscript) -> str:
    """The parameter a slice input is cut from (`x` of `x[:, t, :]`)."""
    return cast(ast.Name, subscript.value).id
