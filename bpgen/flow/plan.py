"""Planning: cut a function with control flow into straight-line parts held
in a tree of branches and loops, find what each part reads and sets, and
which parameter slices (`x[:, t, :]`) a part in a loop takes as its own input."""

from __future__ import annotations

import ast
from collections.abc import Callable

from ..errors import BpgenError
from ..stage import kept_check
from .aliasing import sharing
from .exits import early_exits
from .items import Branch, Jump, ListOp, Loop, Part, reads_of
from .lists import inner_reads, list_op
from .syntax import (
    loads,
    ordered_loads,
    ordered_stores,
    range_counters,
    stores,
)

_COMPOUND = (ast.If, ast.For, ast.While)


class Planner:
    """Cuts the function into the tree of items; gives each part its inputs,
    outputs and slice inputs."""

    def __init__(
        self,
        text: str,
        function: ast.FunctionDef,
        error: Callable[[ast.AST, str, str | None], BpgenError],
    ):
        self.text = text
        self.lines = text.splitlines()
        self.function = function
        self.error = error
        self.edits: list[tuple[int, int, int, str]] = []  # (line, start, end, text)
        early_exits(self, function.body)  # first: what follows reads the result
        self.params = [a.arg for a in function.args.args + function.args.kwonlyargs]
        self.taken = {n.id for n in ast.walk(function) if isinstance(n, ast.Name)}
        self.taken |= set(self.params) | {function.name}
        self.locals = set(self.params) | stores(function)
        self.reassigned = stores(function)
        self.lists = {  # names assigned `[]`: lists the function builds
            t.id
            for n in ast.walk(function)
            if isinstance(n, ast.Assign)
            and isinstance(n.value, ast.List)
            and not n.value.elts
            for t in n.targets
            if isinstance(t, ast.Name)
        }
        appended = {
            n.func.value.id
            for n in ast.walk(function)
            if isinstance(n, ast.Call)
            and isinstance(n.func, ast.Attribute)
            and n.func.attr == "append"
            and isinstance(n.func.value, ast.Name)
        }
        for n in ast.walk(function):  # `L = [x0]` then L.append in a loop
            if (
                isinstance(n, ast.Assign)
                and isinstance(n.value, ast.List)
                and n.value.elts
                and isinstance(n.targets[0], ast.Name)
                and n.targets[0].id in appended
            ):
                name = n.targets[0].id
                raise error(
                    n,
                    f"the list `{name}` appended in a loop must start empty",
                    f"start with `{name} = []`, then append the first values "
                    f"by name: `{name}.append(v)`",
                )
        self.ints = range_counters(function)
        # `z = y`, `z = y[1:]`, `z = y.T`, `for z in y`: z and y share memory,
        # so a part cannot write into a copy of either (the other would not
        # see it); sharing a parameter's (aliases) is the caller's array
        self.sharing = sharing(function, self.locals)
        edges = {(t, v) for t, v, _ in self.sharing}
        self.aliases: dict[str, str] = {p: p for p in self.params}  # its parameter
        while True:
            more = {t: self.aliases[v] for t, v in sorted(edges) if v in self.aliases}
            more = {t: p for t, p in more.items() if t not in self.aliases}
            if not more:
                break
            self.aliases.update(more)
        for p in self.params:
            del self.aliases[p]
        self.parts: list[Part] = []
        self.nested = self.hoisted(function)
        self.checks = _leading_checks(function, self.params)
        body = [s for s in function.body if not isinstance(s, ast.FunctionDef)]
        self.items = self.cut(body, top=True)
        self.check_reads(self.items, function)
        self.live(self.items, set())
        once = [n for n in ast.walk(function) if isinstance(n, ast.Name)]
        stored = [n.id for n in once if isinstance(n.ctx, ast.Store)]
        self.once = {  # names bound once, at the top: the same in every step
            n
            for s in function.body
            if not isinstance(s, _COMPOUND)
            for n in stores(s)
            if stored.count(n) == 1
        }
        self.slice_inputs(self.items, [])

    def hoisted(self, function: ast.FunctionDef) -> list[ast.FunctionDef]:
        """Closure-free `def`s at the top of the function's body: each part
        sees them as module-level helpers."""
        nested = [s for s in function.body if isinstance(s, ast.FunctionDef)]
        deeper = [
            n
            for s in function.body
            if not isinstance(s, ast.FunctionDef)
            for n in ast.walk(s)
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
        ]
        if deeper:
            raise self.error(
                deeper[0],
                "a function defined inside a loop or branch is not supported",
                "define it at the top of the function, or at module level",
            )
        for node in nested:
            own = {a.arg for a in ast.walk(node.args) if isinstance(a, ast.arg)}
            own |= stores(node)
            reads = sorted((loads(node) - own) & self.locals)
            if (
                node.decorator_list
                or reads
                or any(
                    isinstance(n, (ast.Nonlocal, ast.Global)) for n in ast.walk(node)
                )
            ):
                what = "changes names in"
                if reads:
                    what = f"reads `{reads[0]}`, a local of"
                raise self.error(
                    node,
                    f"the nested function `{node.name}()` {what} the enclosing "
                    "function; bpgen stages only closure-free nested functions",
                    f"pass what it needs as parameters, or move `{node.name}` to "
                    "module level",
                )
        return nested

    def edit(self, lineno: int, start: int, end: int, text: str) -> None:
        """Columns start..end of a line read as `text` (see lists.py)."""
        self.edits.append((lineno, start, end, text))

    def line(self, lineno: int, a: int = 0, b: int | None = None, spans=()) -> str:
        """Columns a..b of a line of the module, edited, with `spans` (line,
        start, end, text) replaced too."""
        text = self.lines[lineno - 1]
        b = len(text) if b is None else b
        out = text[a:b]
        for line, s, e, new in sorted([*spans, *self.edits], reverse=True):
            if line == lineno and a <= s and e <= b:
                out = out[: s - a] + new + out[e - a :]
        return out

    def fresh(self, base: str) -> str:
        name, n = base, 0
        while name in self.taken:
            n += 1
            name = f"{base}_{n}"
        self.taken.add(name)
        return name

    # -- cutting ----------------------------------------------------------------

    def cut(
        self, stmts: list[ast.stmt], top: bool = False, tail: tuple = (), arm=False
    ) -> list:
        """Items of `stmts`, then of the `tail` blocks that follow them in the
        loop body. An `if` holding a `continue` or `break` takes the rest of
        the body into the arms that fall through, so every jump ends an arm:
        `if j == y[i]: continue` + rest becomes `if ...: pass else: rest`."""
        items: list = []
        run: list[ast.stmt] = []

        def flush():
            if run:
                items.append(Part(list(run)))
                run.clear()

        for i, stmt in enumerate(stmts):
            last = top and i == len(stmts) - 1
            if isinstance(stmt, ast.Assert):  # the leading ones: self.checks
                continue  # any other is left out, as `python -O` leaves it out
            if isinstance(stmt, ast.Continue):
                flush()
                return items  # the rest of the body does not run
            if isinstance(stmt, ast.Break):
                flush()
                items.append(Jump(stmt))
                return items
            if isinstance(stmt, ast.If) and _jumps(stmt):
                flush()
                rest = (stmts[i + 1 :], *tail)
                then = self.cut(stmt.body, tail=rest)
                items.append(Branch(stmt, then, self.cut(stmt.orelse, tail=rest)))
                return items
            if isinstance(stmt, ast.Return) and not last:
                raise self.error(
                    stmt,
                    "`return` before the end of the function is not supported yet",
                    "assign the value to a name in each branch and return it once",
                )
            if any(isinstance(n, ast.Return) for n in ast.walk(stmt)) and not (
                isinstance(stmt, ast.Return)
            ):
                ret = next(n for n in ast.walk(stmt) if isinstance(n, ast.Return))
                raise self.error(
                    ret,
                    "`return` inside a branch or loop is not supported yet",
                    "assign the value to a name in each branch and return it once",
                )
            if isinstance(stmt, ast.Raise):  # a check: `else: raise ValueError(..)`
                if not (arm and len(stmts) == 1 and not tail):
                    raise self.error(
                        stmt,
                        "a `raise` is supported only as the whole arm of an `if` "
                        "(a check of the inputs, without gradient)",
                        "check the inputs in an `if`/`else` whose arm is only the "
                        "`raise`, or before calling the function",
                    )
                items.append(Part([stmt]))
                continue
            op = list_op(self, stmt)
            if op is not None:
                if op.value is not None:  # `hs_item = (h * 2.0)` first
                    reads = inner_reads(self, op.value)  # `.append(np.stack(row))`
                    for read in reads:  # the user's statement, for check_reads
                        read.stmt = stmt
                    if reads:
                        flush()
                        items += reads
                    if run and _kind(run[-1]) != _kind(op.value):
                        flush()
                    run.append(op.value)
                flush()
                items.append(op)
                continue
            reads = inner_reads(self, stmt)  # `np.stack(hs) @ W`: named first
            if reads:
                flush()
                items += reads
            if isinstance(stmt, _COMPOUND):
                flush()
                for body in (stmt.body, stmt.orelse):
                    if body and body[0].lineno == stmt.lineno:
                        raise self.error(
                            body[0],
                            "a statement on the same line as its `if`/`for`/`while`",
                            "put the body on its own line",
                        )
                if isinstance(stmt, ast.If):
                    then = self.cut(stmt.body, arm=True)
                    items.append(Branch(stmt, then, self.cut(stmt.orelse, arm=True)))
                else:
                    if stmt.orelse:
                        raise self.error(
                            stmt, "a loop's `else:` is not supported", "remove the else"
                        )
                    if isinstance(stmt, ast.For):
                        self.check_for(stmt)
                    items.append(Loop(stmt, self.cut(stmt.body)))
            else:
                if run and _kind(run[-1]) != _kind(stmt):
                    flush()
                run.append(stmt)
        flush()
        if tail:
            items += self.cut(tail[0], tail=tail[1:])
        if top:
            end = items[-1] if items else None
            if isinstance(end, ListOp) and end.returns:
                return items
            if not (isinstance(end, Part) and isinstance(end.stmts[-1], ast.Return)):
                raise self.error(
                    self.function,
                    "the function must end with a `return` after its loops and ifs",
                    "return the value at the end of the function",
                )
            end.returns = True
        return items

    def check_reads(self, items: list, function: ast.FunctionDef) -> None:
        """A list is read where it is made: in the loop body that has its
        `L = []` (or outside every loop, as it does). Read in a loop it is not
        made in, the list outlives an iteration (it grows while read, or is
        read again each step), and its gradient, rebuilt at each read, would
        miss the other reads' share."""
        loop_of: dict[int, ast.AST | None] = {}

        def visit(node: ast.AST, loop: ast.AST | None) -> None:
            for child in ast.iter_child_nodes(node):
                loop_of[id(child)] = loop
                visit(child, child if isinstance(child, (ast.For, ast.While)) else loop)

        visit(function, None)
        made: dict[str, set] = {}
        for node in ast.walk(function):
            if (
                isinstance(node, ast.Assign)
                and isinstance(node.value, ast.List)
                and not node.value.elts
            ):
                for t in node.targets:
                    if isinstance(t, ast.Name):
                        made.setdefault(t.id, set()).add(id(loop_of[id(node)]))
        for op in _list_ops(items):
            if op.kind == "append" or op.list not in made:
                continue
            if made[op.list] != {id(loop_of[id(op.stmt)])}:
                raise self.error(
                    op.stmt,
                    f"the list `{op.list}` is read in a loop body other than the "
                    f"one that makes it (`{op.list} = []`): bpgen differentiates "
                    "the reads of a list only where it is made",
                    f"read it where it is complete, after the loop that "
                    f"appends to it (`{op.list}_array = np.stack({op.list})`), "
                    "and index that array in the loop",
                )

    def check_for(self, stmt: ast.For) -> None:
        if not all(
            isinstance(n, (ast.Name, ast.Tuple))
            for n in ast.walk(stmt.target)
            if not isinstance(n, (ast.Store, ast.Load))
        ):
            raise self.error(stmt.target, "a loop target must be names", "use names")

    # -- slices of parameters inside loops ----------------------------------------

    def slice_inputs(self, items: list, counters: list[str]) -> None:
        """A part in a loop reading a parameter only as `x[:, t, :]` (basic
        indexing by loop counters) gets the slice as its input, so its
        backward returns the slice's gradient and the loop adds it into
        `dx[:, t, :]`, instead of a full-size `dx` every step."""
        for item in items:
            if isinstance(item, Branch):
                self.slice_inputs(item.then, counters)
                self.slice_inputs(item.orelse, counters)
            elif isinstance(item, Loop):
                target = item.node.target if isinstance(item.node, ast.For) else None
                names = [target.id] if isinstance(target, ast.Name) else []
                names = [n for n in names if n in self.ints]  # range counters
                self.slice_inputs(item.body, counters + names)
            elif isinstance(item, Part) and counters:
                for x in list(item.inputs):
                    subscript = self._sliced(item, x, counters)
                    if subscript is not None:
                        name = self.fresh(f"{x}_{self._counter(subscript, counters)}")
                        item.slices[name] = subscript
                        item.inputs[item.inputs.index(x)] = name
                if item.slices:  # a counter read only in the slices is not passed
                    rest = _loads_outside(item.stmts, item.slices.values())
                    item.inputs = [
                        n for n in item.inputs if n in item.slices or n in rest
                    ]

    def _sliced(self, part: Part, x: str, counters: list[str]) -> ast.Subscript | None:
        if x not in self.params or x in self.reassigned:
            return None
        uses = [
            n
            for s in part.stmts
            for n in ast.walk(s)
            if isinstance(n, ast.Name) and n.id == x
        ]
        parents = {
            id(n.value): n
            for s in part.stmts
            for n in ast.walk(s)
            if isinstance(n, ast.Subscript) and isinstance(n.ctx, ast.Load)
        }
        found = [parents.get(id(n)) for n in uses]
        subs = [s for s in found if s is not None]
        if not subs or len(subs) != len(found):
            return None
        first = subs[0]
        if any(ast.dump(s.slice) != ast.dump(first.slice) for s in subs):
            return None
        if first.lineno != first.end_lineno or not _basic(
            first.slice, set(counters), self.once
        ):
            return None
        return first if loads(first.slice) & set(counters) else None

    def _counter(self, subscript: ast.Subscript, counters: list[str]) -> str:
        used = loads(subscript.slice)
        return next((c for c in reversed(counters) if c in used), "part")

    # -- liveness ---------------------------------------------------------------

    def live(self, items: list, after: set[str]) -> None:
        """Give each part the names it reads first and the later-read names it sets."""
        for k in range(len(items) - 1, -1, -1):
            item = items[k]
            out = after | reads_of(items[k + 1 :])
            if isinstance(item, (ListOp, Jump)):
                continue
            if isinstance(item, Part):
                assigned: set[str] = set()
                inputs: list[str] = []
                outputs: list[str] = []
                for s in item.stmts:
                    for name in ordered_loads(s, self.locals):
                        if name not in assigned and name not in inputs:
                            inputs.append(name)
                    for name in ordered_stores(s):
                        assigned.add(name)
                        if name in out and name not in outputs:
                            outputs.append(name)
                item.inputs, item.outputs = inputs, outputs
                self.parts.append(item)
            elif isinstance(item, Branch):
                self.live(item.then, out)
                self.live(item.orelse, out)
            else:
                head = item.node.test if isinstance(item.node, ast.While) else None
                loop_reads = reads_of([item]) | (loads(head) if head else set())
                self.live(item.body, out | loop_reads)


def _list_ops(items: list):
    """The list operations under these items, in branches and loops too."""
    for item in items:
        if isinstance(item, ListOp):
            yield item
        elif isinstance(item, Branch):
            yield from _list_ops(item.then + item.orelse)
        elif isinstance(item, Loop):
            yield from _list_ops(item.body)


def _leading_checks(function: ast.FunctionDef, params: list[str]) -> list[ast.Assert]:
    """The `assert`s on parameters at the top of the body (after the docstring
    and nested `def`s), before anything is computed: the forward's first
    lines, by the straight-line path's rule (stage.kept_check)."""
    checks = []
    for k, stmt in enumerate(function.body):
        docstring = (
            k == 0
            and isinstance(stmt, ast.Expr)
            and isinstance(stmt.value, ast.Constant)
            and isinstance(stmt.value.value, str)
        )
        if docstring or isinstance(stmt, ast.FunctionDef):
            continue
        if not isinstance(stmt, ast.Assert):
            break
        if kept_check(stmt, params):
            checks.append(stmt)
    return checks


def _jumps(node: ast.AST) -> bool:
    """Whether a `break`/`continue` here leaves the loop around `node`."""
    if isinstance(node, (ast.Break, ast.Continue)):
        return True
    if isinstance(node, (ast.For, ast.While, ast.FunctionDef, ast.Lambda)):
        return False
    return any(_jumps(child) for child in ast.iter_child_nodes(node))


def _kind(stmt: ast.stmt) -> str:
    """Runs of statements are cut where this changes: aliases (`h = h0`) and
    new lists (`hs = []`) stay in the forward as written."""
    if isinstance(stmt, ast.Return) and isinstance(stmt.value, ast.Name):
        return "return"
    if (
        isinstance(stmt, ast.Assign)
        and len(stmt.targets) == 1
        and isinstance(stmt.targets[0], ast.Name)
    ):
        if isinstance(stmt.value, ast.Name):
            return "alias"
        if isinstance(stmt.value, ast.List) and not stmt.value.elts:
            return "list"
    return "gate"


def _loads_outside(stmts: list[ast.stmt], slices) -> set[str]:
    """Names read by `stmts` other than inside the slice inputs' subscripts."""
    dumps = {(s.value.id, ast.dump(s.slice)) for s in slices}

    def walk(node: ast.AST) -> set[str]:
        if (
            isinstance(node, ast.Subscript)
            and isinstance(node.value, ast.Name)
            and (node.value.id, ast.dump(node.slice)) in dumps
        ):
            return set()
        own = set()
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            own.add(node.id)
        if isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
            own.add(node.target.id)
        for child in ast.iter_child_nodes(node):
            own |= walk(child)
        return own

    return set().union(*map(walk, stmts)) if stmts else set()


def _basic(index: ast.expr, counters: set[str], fixed: set[str]) -> bool:
    """Basic indexing whose items are loop counters, names fixed for the
    whole loop, literals and slices: a view, so `dx[index] += g` is exact."""
    items = index.elts if isinstance(index, ast.Tuple) else [index]
    for item in items:
        # slice bounds are ints (or None) by NumPy's rules; a bare name
        # could be an index array, so only a loop counter is one there
        if isinstance(item, ast.Slice):
            parts, names = [p for p in (item.lower, item.upper, item.step) if p], (
                counters | fixed
            )
        else:
            parts, names = [item], counters
        for part in parts:
            for node in ast.walk(part):
                if isinstance(node, ast.Name) and node.id not in names:
                    return False
                if not isinstance(
                    node,
                    (ast.Name, ast.Constant, ast.BinOp, ast.UnaryOp, ast.Load)
                    + (ast.operator, ast.unaryop),
                ):
                    return False
            if isinstance(part, ast.Constant) and not isinstance(
                part.value, (int, type(None), type(Ellipsis))
            ):
                return False
    return True
