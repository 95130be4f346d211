"""The plan's tree: straight-line parts, list operations, branches, jumps and
loops, and what a run of them reads, writes, records and generates."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from .syntax import loads, stores


@dataclass
class Part:
    stmts: list[ast.stmt]
    inputs: list[str] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)
    returns: bool = False  # ends with the function's `return`
    name: str = ""  # the generated function's name; "" when inline
    wrt: list[str] = field(default_factory=list)
    varied_out: list[str] = field(default_factory=list)
    record: str = ""  # the forward's name for this part's cache
    # `x[:, t, :]` of a parameter, passed in as its own input: {name: subscript}
    slices: dict[str, ast.Subscript] = field(default_factory=dict)


@dataclass
class ListOp:
    """`L.append(v)`, `T = np.stack(L, axis=k)`, `np.array(L)` or `sum(L)` on a
    list built in a loop (see lists.py)."""

    stmt: ast.stmt
    kind: str  # "append", "stack" (np.array too), "concat", "sum", "max", "min"
    list: str
    name: str  # the appended value, or the stacked array
    axis: int = 0
    returns: bool = False  # `return np.stack(L, ...)`
    # `hs_item = (h * 2.0)` planned before `hs.append(hs_item)`
    value: ast.Assign | None = None
    written: str = ""  # the forward's line when it is not the user's statement
    # "concat": the NumPy function that joined (vstack, hstack, column_stack)
    joined: str = "concatenate"


@dataclass
class Branch:
    node: ast.If
    then: list
    orelse: list
    record: str = ""  # the condition's name


@dataclass
class Jump:
    """`break`: the iteration's record is appended before the loop is left."""

    node: ast.Break


@dataclass
class Loop:
    node: ast.For | ast.While
    body: list
    record: str = ""  # the list of per-iteration records


def reads_of(items: list) -> set[str]:
    out: set[str] = set()
    for item in items:
        if isinstance(item, Jump):
            continue
        if isinstance(item, ListOp):
            out |= {item.list, item.name} if item.kind == "append" else {item.list}
        elif isinstance(item, Part):
            for s in item.stmts:
                out |= loads(s)
        elif isinstance(item, Branch):
            out |= loads(item.node.test) | reads_of(item.then) | reads_of(item.orelse)
        else:
            head = (
                item.node.test if isinstance(item.node, ast.While) else item.node.iter
            )
            out |= loads(head) | reads_of(item.body)
    return out


def writes_of(items: list) -> set[str]:
    out: set[str] = set()
    for item in items:
        if isinstance(item, Jump):
            continue
        if isinstance(item, ListOp):
            out.add(item.list if item.kind == "append" else item.name)
        elif isinstance(item, Part):
            for s in item.stmts:
                out |= stores(s)
        elif isinstance(item, Branch):
            out |= writes_of(item.then) | writes_of(item.orelse)
        else:
            if isinstance(item.node, ast.For):
                out |= stores(item.node.target)
            out |= writes_of(item.body)
    return out


def exposed(items: list) -> set[str]:
    """Names these items may read before they assign them: the values one
    iteration hands the next (`h` of `h = np.tanh(h @ W)`), never a name
    assigned first (`hs_item` of `hs.append(h * 2.0)`). Only a part's or
    list read's own assignments count as made; a branch's or loop's may not
    run."""
    out: set[str] = set()
    made: set[str] = set()
    for item in items:
        if isinstance(item, Jump):
            continue
        if isinstance(item, Branch):
            reads = loads(item.node.test) | exposed(item.then) | exposed(item.orelse)
        elif isinstance(item, Loop):
            reads = loads(_head(item.node)) | exposed_in(item)
        else:
            reads = reads_of([item])
        out |= reads - made
        if isinstance(item, (Part, ListOp)):
            made |= writes_of([item])
    return out


def exposed_in(loop: Loop) -> set[str]:
    """`exposed` of a loop's body, less the names its `for` binds each step."""
    bound = stores(loop.node.target) if isinstance(loop.node, ast.For) else set()
    return exposed(loop.body) - bound


def _head(node: ast.For | ast.While) -> ast.expr:
    return node.test if isinstance(node, ast.While) else node.iter


def recorded(items: list, varied: set[str]) -> bool:
    """Whether the backward must know the branch: a part there is generated,
    or a name is assigned a value without gradient (`y = 1.0`) or another
    name's that may carry one (`y = x`: x's gradient is y's on this path),
    or a list is appended a value (`L.append(x)`: x's gradient is popped),
    or a max/min of a list records its place."""
    if any(_appends(items)):
        return True
    for item in items:
        inline = isinstance(item, Part) and not item.name
        if inline and is_alias(item):
            inline = any(s.value.id in varied for s in item.stmts)
        if inline and any(stores(s) for s in item.stmts):
            return True
    return named(items) or any(
        isinstance(item, (Branch, Loop))
        and recorded(
            item.then + item.orelse if isinstance(item, Branch) else item.body, varied
        )
        for item in items
    )


def parts_under(items: list):
    """The parts under these items, in the branches and loops too."""
    for item in items:
        if isinstance(item, Part):
            yield item
        elif isinstance(item, Branch):
            yield from parts_under(item.then + item.orelse)
        elif isinstance(item, Loop):
            yield from parts_under(item.body)


def touches(items: list) -> bool:
    """Whether some part here assigns a name (`b = a`, `y = 1.0`) or some
    append hands a list a value (`L.append(x)`): a loop of such items still
    passes gradients back once per iteration."""
    return any(any(map(stores, p.stmts)) for p in parts_under(items)) or any(
        _appends(items)
    )


def _appends(items: list):
    """Whether each item is, or holds, an append to a list or a max/min of
    one (whose record says which item it returned)."""
    for item in items:
        if isinstance(item, ListOp):
            yield item.kind in ("append", "max", "min")
        elif isinstance(item, Branch):
            yield any(_appends(item.then + item.orelse))
        elif isinstance(item, Loop):
            yield any(_appends(item.body))


def named(items: list) -> bool:
    """Whether any part under these items is generated (has a cache)."""
    return any(p.name for p in parts_under(items))


def is_check(part: Part) -> bool:
    """`raise ValueError(...)`: a check in the forward, nothing in the backward."""
    return isinstance(part.stmts[0], ast.Raise)


def prints(part: Part) -> bool:
    """Whether the part has a `print(...)` line: run in the forward even when
    it sets nothing read later (effects.py)."""
    return any(
        isinstance(s, ast.Expr)
        and isinstance(s.value, ast.Call)
        and isinstance(s.value.func, ast.Name)
        and s.value.func.id == "print"
        for s in part.stmts
    )


def ends_in_check(items: list) -> bool:
    """Whether this arm ends in a `raise`: the backward never runs after it."""
    return bool(items) and isinstance(items[-1], Part) and is_check(items[-1])


def returns_name(part: Part) -> bool:
    """`return h`: the value itself, no part needed."""
    last = part.stmts[-1]
    return (
        part.returns
        and len(part.stmts) == 1
        and isinstance(last, ast.Return)
        and isinstance(last.value, ast.Name)
    )


def is_alias(part: Part) -> bool:
    """`h = h0`: no gate, only a new name (kept in the forward as written)."""
    return all(
        isinstance(s, ast.Assign)
        and len(s.targets) == 1
        and isinstance(s.targets[0], ast.Name)
        and isinstance(s.value, ast.Name)
        for s in part.stmts
    )
