"""Questions about Python statements the planner and writers ask: which names
a statement reads and binds (in order), which arrays it writes item by item,
which names only ever count a `range`, which a `for` hands out."""

from __future__ import annotations

import ast


def has_loop(function_source: str) -> bool:
    """Whether a function's text holds a `for` or `while` statement, or a
    `raise` (a check in an `if` arm): what the stager leaves to composition."""
    tree = ast.parse(function_source)
    return any(isinstance(n, (ast.For, ast.While, ast.Raise)) for n in ast.walk(tree))


def stores(node: ast.AST) -> set[str]:
    """Names bound here; `y[i] = v` binds a new version of `y`."""
    return {
        n.id
        for n in ast.walk(node)
        if isinstance(n, ast.Name) and isinstance(n.ctx, (ast.Store, ast.Del))
    } | item_writes(node)


def item_writes(node: ast.AST) -> set[str]:
    """Arrays written into item by item: `y[i] = v`, `y[i] += v`."""
    return {
        n.value.id
        for n in ast.walk(node)
        if isinstance(n, ast.Subscript)
        and isinstance(n.ctx, ast.Store)
        and isinstance(n.value, ast.Name)
    }


def loads(node: ast.AST) -> set[str]:
    names = {
        n.id
        for n in ast.walk(node)
        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)
    }
    for n in ast.walk(node):  # `s += e` reads s
        if isinstance(n, ast.AugAssign) and isinstance(n.target, ast.Name):
            names.add(n.target.id)
    return names


def range_counters(function: ast.FunctionDef) -> set[str]:
    """Names only ever bound by `for NAME in range(...)`: ints in every part."""
    counters, other, bound = set(), set(), set()
    for node in ast.walk(function):
        if (
            isinstance(node, ast.For)
            and isinstance(node.target, ast.Name)
            and isinstance(node.iter, ast.Call)
            and isinstance(node.iter.func, ast.Name)
            and node.iter.func.id == "range"
        ):
            counters.add(node.target.id)
            bound.add(id(node.target))
        elif (
            isinstance(node, ast.Name)
            and isinstance(node.ctx, ast.Store)
            and id(node) not in bound
        ):
            other.add(node.id)
        elif isinstance(node, ast.arg):
            other.add(node.arg)
    return counters - other


def ordered_loads(stmt: ast.stmt, locals_: set[str]) -> list[str]:
    """Names a statement reads, in the order they appear (the value first)."""
    nodes = [
        n
        for n in ast.walk(stmt)
        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load) and n.id in locals_
    ]
    nodes.sort(key=lambda n: (n.lineno, n.col_offset))
    if isinstance(stmt, ast.AugAssign) and isinstance(stmt.target, ast.Name):
        nodes.insert(0, stmt.target)
    names: list[str] = []
    for n in nodes:
        if n.id not in names:
            names.append(n.id)
    return names


def ordered_stores(stmt: ast.stmt) -> list[str]:
    """Names a statement assigns, or writes items into (`y[i] = v`)."""
    names = []
    targets = getattr(stmt, "targets", None) or [getattr(stmt, "target", None)]
    for target in targets:
        while isinstance(target, (ast.Subscript, ast.Attribute)):
            target = target.value
        if isinstance(target, ast.Name) and isinstance(target.ctx, ast.Load):
            names.append(target.id)
    for n in ast.walk(stmt):
        if (
            isinstance(n, ast.Name)
            and isinstance(n.ctx, ast.Store)
            and n.id not in names
        ):
            names.append(n.id)
    return names


def iterated(node: ast.expr) -> set[str]:
    """Names whose values a `for` hands out (range's bounds are only ints)."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        if node.func.id == "range":
            return set()
        if node.func.id in ("enumerate", "zip", "reversed"):
            out: set[str] = set()
            for arg in node.args:
                out |= iterated(arg)
            return out
    return loads(node)


def paired(target: ast.expr, iterable: ast.expr) -> list[tuple[str, ast.expr]]:
    """(name, sequence) for each loop variable bound to an item of a sequence:
    `for x_t in xs`, `for i, x_t in enumerate(xs)`, `for a, b in zip(xs, ys)`,
    nested as in `for i, (a, b) in enumerate(zip(xs, ys))`."""
    if isinstance(target, ast.Name):
        return [(target.id, iterable)]
    call = iterable if isinstance(iterable, ast.Call) else None
    func = call.func.id if call and isinstance(call.func, ast.Name) else None
    if not isinstance(target, ast.Tuple) or call is None:
        return []
    if any(isinstance(a, ast.Starred) for a in call.args):
        return []
    if func == "enumerate" and len(call.args) == 1 and len(target.elts) == 2:
        return paired(target.elts[1], call.args[0])
    if func == "zip" and len(call.args) == len(target.elts):
        pairs = []
        for t, a in zip(target.elts, call.args, strict=True):
            pairs += paired(t, a)
        return pairs
    return []


def counted(stmts: list[ast.stmt]) -> set[str]:
    """Names these statements read only as `len(name)`."""
    sized, other = set(), set()
    for stmt in stmts:
        inside = set()
        for n in ast.walk(stmt):
            if (
                isinstance(n, ast.Call)
                and isinstance(n.func, ast.Name)
                and n.func.id == "len"
                and len(n.args) == 1
                and isinstance(n.args[0], ast.Name)
            ):
                sized.add(n.args[0].id)
                inside.add(id(n.args[0]))
        other |= {
            n.id
            for n in ast.walk(stmt)
            if isinstance(n, ast.Name) and id(n) not in inside
        }
    return sized - other
