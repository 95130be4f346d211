"""Control flow (`if`/`elif`/`else`, `for`, `while`) by composition.

A function with control flow is cut into straight-line *parts*: maximal runs
of simple statements. Each part becomes a small function of the names it
reads, returning the names it assigns that are read later; the ordinary
pipeline writes its forward and backward (the CS231n layer shape). Around
them the forward keeps the user's `if`/`for`/`while` and records what the
backward needs: the branch taken (`c1 = x > 0`) and one cache per part per
iteration (`caches2.append(cache3)`). The backward walks the same structure
in reverse: `if c1:` takes the same branch, `for cache3 in reversed(caches2):`
runs the iterations backwards, and gradients of values read in every
iteration (shared weights) accumulate with `+=` into zero-initialised arrays.

Gradients are tracked statically as absent, owned (a new array: `+=` is
safe), borrowed (the caller's `dout`: never written into) or maybe (None on
some path: `dx = g if dx is None else dx + g`).
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass, field

from .errors import BpgenError, UnsupportedError
from .handout import LIKE_HELPER
from .rules import VIEW_CALLS

_COMPOUND = (ast.If, ast.For, ast.While)
_ATOMS = (ast.Name, ast.Constant, ast.Call, ast.Attribute, ast.Subscript)
_OPS = {
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.Div: "/",
    ast.Pow: "**",
    ast.MatMult: "@",
    ast.FloorDiv: "//",
    ast.Mod: "%",
}


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
    """`L.append(v)` or `T = np.stack(L, axis=k)` on a list built in a loop."""

    stmt: ast.stmt
    kind: str  # "append" or "stack"
    list: str
    name: str  # the appended value, or the stacked array
    axis: int = 0
    returns: bool = False  # `return np.stack(L, ...)`


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


def has_flow(function_source: str) -> bool:
    """Whether a function's text holds an `if`, `for` or `while` statement."""
    tree = ast.parse(function_source)
    return any(isinstance(n, _COMPOUND) for n in ast.walk(tree))


def has_loop(function_source: str) -> bool:
    """Whether a function's text holds a `for` or `while` statement."""
    tree = ast.parse(function_source)
    return any(isinstance(n, (ast.For, ast.While)) for n in ast.walk(tree))


def _stores(node: ast.AST) -> set[str]:
    """Names bound here; `y[i] = v` binds a new version of `y`."""
    return {
        n.id
        for n in ast.walk(node)
        if isinstance(n, ast.Name) and isinstance(n.ctx, (ast.Store, ast.Del))
    } | _item_writes(node)


_VIEW_ATTRS = frozenset({"T", "mT", "real", "imag", "flat"})
_VIEWS = VIEW_CALLS | {"view", "asarray", "asanyarray"}


def _shared(value: ast.expr) -> set[str]:
    """Names whose memory `value` may share: `x`, `x[...]`, `x.T`,
    `x.reshape(...)`, `np.asarray(x)` (a copy or not, it may be a view)."""
    if isinstance(value, ast.Name):
        return {value.id}
    if isinstance(value, ast.Subscript) or (
        isinstance(value, ast.Attribute) and value.attr in _VIEW_ATTRS
    ):
        return _shared(value.value)
    func = value.func if isinstance(value, ast.Call) else None
    if isinstance(func, ast.Attribute) and func.attr in _VIEWS:
        first = _shared(value.args[0]) if value.args else set()  # type: ignore[attr-defined]
        return _shared(func.value) | first
    if isinstance(value, (ast.Tuple, ast.List)):
        return set().union(*map(_shared, value.elts)) if value.elts else set()
    return set()


def _sharing(function: ast.FunctionDef, locals_: set[str]) -> set[tuple[str, str, int]]:
    """(target, value, line) of names bound to memory another name holds."""
    edges = set()
    for n in ast.walk(function):
        if isinstance(n, (ast.Assign, ast.AnnAssign)) and n.value is not None:
            targets = n.targets if isinstance(n, ast.Assign) else [n.target]
            value = n.value
        elif isinstance(n, ast.For):
            targets, value = [n.target], n.iter
        else:
            continue
        for t in targets:
            if isinstance(t, ast.Subscript):
                continue  # `y[i] = v` copies v into y
            for name in {m.id for m in ast.walk(t) if isinstance(m, ast.Name)}:
                shared = _shared(value) & locals_ - {name}
                edges |= {(name, v, n.lineno) for v in shared}
    return edges


def _item_writes(node: ast.AST) -> set[str]:
    """Arrays written into item by item: `y[i] = v`, `y[i] += v`."""
    return {
        n.value.id
        for n in ast.walk(node)
        if isinstance(n, ast.Subscript)
        and isinstance(n.ctx, ast.Store)
        and isinstance(n.value, ast.Name)
    }


def _jumps(node: ast.AST) -> bool:
    """Whether a `break`/`continue` here leaves the loop around `node`."""
    if isinstance(node, (ast.Break, ast.Continue)):
        return True
    if isinstance(node, (ast.For, ast.While, ast.FunctionDef, ast.Lambda)):
        return False
    return any(_jumps(child) for child in ast.iter_child_nodes(node))


def _loads(node: ast.AST) -> set[str]:
    names = {
        n.id
        for n in ast.walk(node)
        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)
    }
    for n in ast.walk(node):  # `s += e` reads s
        if isinstance(n, ast.AugAssign) and isinstance(n.target, ast.Name):
            names.add(n.target.id)
    return names


def _range_counters(function: ast.FunctionDef) -> set[str]:
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


def _reads(items: list) -> set[str]:
    out: set[str] = set()
    for item in items:
        if isinstance(item, Jump):
            continue
        if isinstance(item, ListOp):
            out |= {item.list, item.name} if item.kind == "append" else {item.list}
        elif isinstance(item, Part):
            for s in item.stmts:
                out |= _loads(s)
        elif isinstance(item, Branch):
            out |= _loads(item.node.test) | _reads(item.then) | _reads(item.orelse)
        else:
            head = (
                item.node.test if isinstance(item.node, ast.While) else item.node.iter
            )
            out |= _loads(head) | _reads(item.body)
    return out


def _writes(items: list) -> set[str]:
    out: set[str] = set()
    for item in items:
        if isinstance(item, Jump):
            continue
        if isinstance(item, ListOp):
            out.add(item.list if item.kind == "append" else item.name)
        elif isinstance(item, Part):
            for s in item.stmts:
                out |= _stores(s)
        elif isinstance(item, Branch):
            out |= _writes(item.then) | _writes(item.orelse)
        else:
            if isinstance(item.node, ast.For):
                out |= _stores(item.node.target)
            out |= _writes(item.body)
    return out


class Planner:
    """Cuts the function into parts and writes the composite forward/backward."""

    def __init__(
        self,
        text: str,
        function: ast.FunctionDef,
        error: Callable[[ast.AST, str, str], BpgenError],
    ):
        self.text = text
        self.lines = text.splitlines()
        self.function = function
        self.error = error
        self.params = [a.arg for a in function.args.args + function.args.kwonlyargs]
        self.taken = {n.id for n in ast.walk(function) if isinstance(n, ast.Name)}
        self.taken |= set(self.params) | {function.name}
        self.locals = set(self.params) | _stores(function)
        self.reassigned = _stores(function)
        self.counter = 0
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
        self.ints = _range_counters(function)
        # `z = y`, `z = y[1:]`, `z = y.T`, `for z in y`: z and y share memory,
        # so a part cannot write into a copy of either (the other would not
        # see it); sharing a parameter's (aliases) is the caller's array
        self.sharing = _sharing(function, self.locals)
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
        body = [s for s in function.body if not isinstance(s, ast.FunctionDef)]
        self.items = self.cut(body, top=True)
        self.live(self.items, set())
        once = [n for n in ast.walk(function) if isinstance(n, ast.Name)]
        stored = [n.id for n in once if isinstance(n.ctx, ast.Store)]
        self.once = {  # names bound once, at the top: the same in every step
            n
            for s in function.body
            if not isinstance(s, _COMPOUND)
            for n in _stores(s)
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
            own |= _stores(node)
            reads = sorted((_loads(node) - own) & self.locals)
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

    def fresh(self, base: str) -> str:
        name, n = base, 0
        while name in self.taken:
            n += 1
            name = f"{base}_{n}"
        self.taken.add(name)
        return name

    # -- cutting ----------------------------------------------------------------

    def cut(self, stmts: list[ast.stmt], top: bool = False, tail: tuple = ()) -> list:
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
            op = self.list_op(stmt)
            if op is not None:
                flush()
                items.append(op)
                continue
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
                    items.append(
                        Branch(stmt, self.cut(stmt.body), self.cut(stmt.orelse))
                    )
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
            last = items[-1] if items else None
            if isinstance(last, ListOp) and last.returns:
                return items
            if not (isinstance(last, Part) and isinstance(last.stmts[-1], ast.Return)):
                raise self.error(
                    self.function,
                    "the function must end with a `return` after its loops and ifs",
                    "return the value at the end of the function",
                )
            last.returns = True
        return items

    def list_op(self, stmt: ast.stmt) -> ListOp | None:
        """`hs.append(h)` / `y = np.stack(hs, axis=1)` on a list `hs = []`."""
        if (
            isinstance(stmt, ast.Expr)
            and isinstance(stmt.value, ast.Call)
            and isinstance(stmt.value.func, ast.Attribute)
            and stmt.value.func.attr == "append"
            and isinstance(stmt.value.func.value, ast.Name)
            and stmt.value.func.value.id in self.lists
        ):
            args = stmt.value.args
            if len(args) != 1 or not isinstance(args[0], ast.Name):
                raise self.error(
                    stmt,
                    "append a name to a list built in a loop",
                    "assign the value to a name first: `h = ...; hs.append(h)`",
                )
            return ListOp(stmt, "append", stmt.value.func.value.id, args[0].id)
        returns = isinstance(stmt, ast.Return)
        if (
            (
                returns
                or isinstance(stmt, ast.Assign)
                and len(stmt.targets) == 1
                and isinstance(stmt.targets[0], ast.Name)
            )
            and isinstance(stmt.value, ast.Call)
            and isinstance(stmt.value.func, ast.Attribute)
            and stmt.value.func.attr in ("stack", "array")
            and stmt.value.args
            and (
                stmt.value.func.attr == "stack"
                or (len(stmt.value.args) == 1 and not stmt.value.keywords)
            )
            and isinstance(stmt.value.args[0], ast.Name)
            and stmt.value.args[0].id in self.lists
        ):
            call = stmt.value
            axis = 0
            rest = call.args[1:] + [k.value for k in call.keywords]
            if len(rest) > 1 or any(k.arg != "axis" for k in call.keywords):
                raise self.error(stmt, "np.stack of a list takes only axis=", None)
            if rest:
                value = rest[0]
                if isinstance(value, ast.UnaryOp) and isinstance(value.op, ast.USub):
                    value = ast.Constant(-value.operand.value)
                if not isinstance(value, ast.Constant) or not isinstance(
                    value.value, int
                ):
                    raise self.error(
                        stmt, "the axis of np.stack must be a number", None
                    )
                axis = value.value
            target = "out" if returns else stmt.targets[0].id
            return ListOp(stmt, "stack", call.args[0].id, target, axis, returns)
        return None

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
        subs = [parents.get(id(n)) for n in uses]
        if not subs or None in subs:
            return None
        first = subs[0]
        if any(ast.dump(s.slice) != ast.dump(first.slice) for s in subs):
            return None
        if first.lineno != first.end_lineno or not _basic(
            first.slice, set(counters), self.once
        ):
            return None
        return first if _loads(first.slice) & set(counters) else None

    def _counter(self, subscript: ast.Subscript, counters: list[str]) -> str:
        used = _loads(subscript.slice)
        return next((c for c in reversed(counters) if c in used), "part")

    # -- liveness ---------------------------------------------------------------

    def live(self, items: list, after: set[str]) -> None:
        """Give each part the names it reads first and the later-read names it sets."""
        for k in range(len(items) - 1, -1, -1):
            item = items[k]
            out = after | _reads(items[k + 1 :])
            if isinstance(item, (ListOp, Jump)):
                continue
            if isinstance(item, Part):
                assigned: set[str] = set()
                inputs: list[str] = []
                outputs: list[str] = []
                for s in item.stmts:
                    for name in _ordered_loads(s, self.locals):
                        if name not in assigned and name not in inputs:
                            inputs.append(name)
                    for name in _ordered_stores(s):
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
                loop_reads = _reads([item]) | (_loads(head) if head else set())
                self.live(item.body, out | loop_reads)


def _loads_outside(stmts: list[ast.stmt], slices) -> set[str]:
    """Names read by `stmts` other than inside the slice inputs' subscripts."""
    dumps = {(s.value.id, ast.dump(s.slice)) for s in slices}  # type: ignore

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


def _ordered_loads(stmt: ast.stmt, locals_: set[str]) -> list[str]:
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


def _iterated(node: ast.expr) -> set[str]:
    """Names whose values a `for` hands out (range's bounds are only ints)."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        if node.func.id == "range":
            return set()
        if node.func.id in ("enumerate", "zip", "reversed"):
            out: set[str] = set()
            for arg in node.args:
                out |= _iterated(arg)
            return out
    return _loads(node)


def _recorded(items: list) -> bool:
    """Whether the backward must know the branch: a part there is generated,
    or a name is assigned a value without gradient (`y = 1.0`)."""
    for item in items:
        inline = isinstance(item, Part) and not item.name and not _is_alias(item)
        if inline and any(_stores(s) for s in item.stmts):
            return True
    return _named(items) or any(
        isinstance(item, (Branch, Loop))
        and _recorded(
            item.then + item.orelse if isinstance(item, Branch) else item.body
        )
        for item in items
    )


def _touches(items: list) -> bool:
    """Whether some part here assigns a name (`b = a`, `y = 1.0`): a loop of
    such parts still passes gradients back once per iteration."""
    for item in items:
        if isinstance(item, Part) and any(_stores(s) for s in item.stmts):
            return True
        if isinstance(item, Branch) and (_touches(item.then) or _touches(item.orelse)):
            return True
        if isinstance(item, Loop) and _touches(item.body):
            return True
    return False


def _named(items: list) -> bool:
    """Whether any part under these items is generated (has a cache)."""
    for item in items:
        if isinstance(item, Part) and item.name:
            return True
        if isinstance(item, Branch) and (_named(item.then) or _named(item.orelse)):
            return True
        if isinstance(item, Loop) and _named(item.body):
            return True
    return False


def _returns_name(part: Part) -> bool:
    """`return h`: the value itself, no part needed."""
    last = part.stmts[-1]
    return (
        part.returns
        and len(part.stmts) == 1
        and isinstance(last, ast.Return)
        and isinstance(last.value, ast.Name)
    )


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


def _is_alias(part: Part) -> bool:
    """`h = h0`: no gate, only a new name (kept in the forward as written)."""
    return all(
        isinstance(s, ast.Assign)
        and len(s.targets) == 1
        and isinstance(s.targets[0], ast.Name)
        and isinstance(s.value, ast.Name)
        for s in part.stmts
    )


def _ordered_stores(stmt: ast.stmt) -> list[str]:
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


# -- the parts as functions the pipeline generates ------------------------------


def part_source(planner: Planner, part: Part, name: str, span: tuple[int, int]):
    """Module text with the function replaced by `name`, the part's statements
    copied verbatim (same columns), and a map of its lines to the original's."""
    lines = list(planner.lines)
    start, end = span
    first = part.stmts[0].lineno
    last = part.stmts[-1].end_lineno or first
    body = lines[first - 1 : last]
    indent = len(body[0]) - len(body[0].lstrip())
    spans = []  # (line, start, end, name): the slices passed in whole
    for alias, subscript in part.slices.items():
        for s in part.stmts:
            for n in ast.walk(s):
                if (
                    isinstance(n, ast.Subscript)
                    and isinstance(n.value, ast.Name)
                    and n.value.id == subscript.value.id  # type: ignore[attr-defined]
                    and ast.dump(n.slice) == ast.dump(subscript.slice)
                ):
                    spans.append((n.lineno, n.col_offset, n.end_col_offset, alias))

    def segment(lineno: int, a: int, b: int | None = None) -> str:
        """Columns a..b of a line of the function, the slices renamed."""
        text = lines[lineno - 1]
        b = len(text) if b is None else b
        out = text[a:b]
        for line, s, e, alias in sorted(spans, reverse=True):
            if line == lineno and a <= s and e <= b:
                out = out[: s - a] + alias + out[e - a :]
        return out

    body = [segment(first + i, 0) for i in range(len(body))]
    for stmt in part.stmts:  # `s += e` on an input would write into the caller's
        if (
            isinstance(stmt, ast.AugAssign)
            and isinstance(stmt.target, ast.Name)
            and stmt.target.id in part.inputs
            and stmt.lineno == stmt.end_lineno
        ):
            v = stmt.value
            value = segment(stmt.lineno, v.col_offset, v.end_col_offset)
            if not isinstance(stmt.value, _ATOMS):
                value = f"({value})"
            op = _OPS[type(stmt.op)]
            line = lines[stmt.lineno - 1]
            var = stmt.target.id
            body[stmt.lineno - first] = (
                line[: stmt.col_offset]
                + f"{var} = {var} {op} {value}"
                + line[stmt.end_col_offset :]
            )
    # `y[i] = v` into the function's own array `y`, made before this part: the
    # part writes into a copy, so no earlier record sees the change
    written = set().union(*map(_item_writes, part.stmts))
    copied = [
        name
        for name in part.inputs
        if name in written
        and name not in planner.params
        and name not in planner.aliases
    ]
    for arr in written & set(part.inputs):
        if arr not in planner.aliases and arr not in copied:
            continue  # a parameter's own: refused by the stager
        write = next(
            n
            for s in part.stmts
            for n in ast.walk(s)
            if isinstance(n, ast.Subscript)
            and isinstance(n.ctx, ast.Store)
            and isinstance(n.value, ast.Name)
            and n.value.id == arr
        )
        # a name bound to it after the outermost loop around the write is fine
        outer = next(
            s.end_lineno or s.lineno
            for s in planner.function.body
            if s.lineno <= write.lineno <= (s.end_lineno or s.lineno)
        )
        if arr not in planner.aliases and not any(
            arr in (t, v) and line <= outer for t, v, line in planner.sharing
        ):
            continue
        held = "another array (an alias, a slice, .T, reshape)"
        if arr in planner.aliases:
            held = f"the parameter `{planner.aliases[arr]}`, the caller's array"
        raise planner.error(
            write,
            f"`{arr}` shares its memory with {held}; bpgen cannot write "
            f"into it item by item in this loop",
            f"make `{arr}` a new array (`{arr} = np.zeros(...)` or "
            f"`.copy()`) that no other name holds",
        )
    body[:0] = [" " * indent + f"{name} = {name}.copy()" for name in copied]
    signature = []
    for arg in planner.function.args.args + planner.function.args.kwonlyargs:
        if arg.arg in part.inputs and arg.annotation is not None:
            signature.append(f"{arg.arg}: {ast.unparse(arg.annotation)}")
    signature += [f"{n}: int" for n in part.inputs if n in planner.ints]
    annotated = {s.split(":")[0] for s in signature}
    signature += [n for n in part.inputs if n not in annotated]
    signature.sort(key=lambda s: part.inputs.index(s.split(":")[0]))
    kept = lines[: start - 1] + [""] * (end - start + 1) + lines[end:]
    mapping = {}
    for node in planner.nested:  # the function's own helpers, at module level
        text = lines[node.lineno - 1 : node.end_lineno]
        cut = node.col_offset
        kept += ["", ""]
        for i, line in enumerate(text):
            mapping[len(kept) + 1] = node.lineno + i
            kept.append(line[cut:] if line[:cut].strip() == "" else line)
    at = len(kept) + 2
    kept += ["", "", f"def {name}({', '.join(signature)}):"]
    for i, line in enumerate(body):
        kept.append(line)
        mapping[at + 2 + i] = first + max(i - len(copied), 0)
    if not part.returns:
        outs = ", ".join(part.outputs) if part.outputs else "None"
        kept.append(" " * indent + f"return {outs}")
    return "\n".join(kept) + "\n", mapping


# -- planning activity and generating the parts ---------------------------------

ABSENT, OWN, BORROWED, MAYBE = None, "own", "borrowed", "maybe"


def _join(a, b):
    if a == b:
        return a
    if MAYBE in (a, b) or ABSENT in (a, b):
        return MAYBE
    return BORROWED  # own and borrowed


class Composer:
    """Decides each part's wrt, generates it, and writes the composite."""

    def __init__(
        self,
        planner: Planner,
        fname: str,
        wrt: list[str] | None,
        generate_part: Callable,
        numpy: str | None,
        module_names: set[str],
    ):
        self.p = planner
        self.fname = fname
        self.generate_part = generate_part  # (part, name) -> (wrt default, varied outs)
        self.numpy = numpy
        self.p.taken |= module_names | {"dout", "cache"}
        self.given = wrt
        self.varied: set[str] = set(wrt if wrt is not None else planner.params)
        self.names: dict = {}
        self.counts: dict[str, int] = {}
        self.modules: list[str] = []
        self.helpers: dict[str, ast.FunctionDef] = {}  # the module's, by name
        self.activity(self.p.items, "part")
        for _ in range(3):  # loops: until activity stops growing
            before = set(self.varied)
            self.activity(self.p.items, "part")
            if self.varied == before:
                break
        used = {
            part.slices[n].value.id if n in part.slices else n  # type: ignore
            for part in self.p.parts
            if part.name
            for n in part.wrt
        }
        used |= {
            s.value.id
            for part in self.p.parts
            if _is_alias(part) and not part.returns
            for s in part.stmts
            if s.targets[0].id in self.varied
        }
        used |= {  # `for row in x`: x's rows
            x
            for loop in self.loops(self.p.items)
            if (x := self.rows(loop.node)) and loop.node.target.id in self.used(loop)
        }
        used |= {  # `return x`: the parameter itself
            part.stmts[0].value.id for part in self.p.parts if _returns_name(part)
        }
        self.wrt = (
            [p for p in planner.params if p in used] if wrt is None else list(wrt)
        )

    def discover(self, item: Part, name: str, candidates: list[str]) -> list[str]:
        """The part's parameters that carry a gradient by default. A refusal
        about a parameter that carries none here (`n // stride`, stride not
        differentiated) is not the user's: the candidates are tried instead,
        less those used only as sizes or shapes."""
        try:
            return self.generate_part(item, name, None)[0]
        except BpgenError as refusal:
            keep = list(candidates)
            while keep:
                try:
                    return self.generate_part(item, name, keep)[0]
                except BpgenError as exc:
                    inert = [c for c in keep if exc.hint == f"leave `{c}` out of wrt"]
                    if not inert:
                        raise refusal from None
                    keep.remove(inert[0])
            return []

    def activity(self, items: list, role: str) -> None:
        for item in items:
            if isinstance(item, Jump):
                continue
            if isinstance(item, ListOp):
                source = item.name if item.kind == "append" else item.list
                if source in self.varied:
                    self.varied.add(item.list if item.kind == "append" else item.name)
                continue
            if isinstance(item, Part):
                for name, subscript in item.slices.items():
                    if subscript.value.id in self.varied:  # type: ignore[attr-defined]
                        self.varied.add(name)
                candidates = [n for n in item.inputs if n in self.varied]
                lists = [n for n in candidates if n in self.p.lists]
                if lists:
                    raise self.p.error(
                        item.stmts[0],
                        f"the list `{lists[0]}` built in a loop is read here; bpgen "
                        "differentiates only `np.stack(L, axis=k)` of such a list",
                        f"stack it first: `{lists[0]}_array = np.stack({lists[0]})`",
                    )
                item.name, item.wrt, item.varied_out = "", [], []
                if _returns_name(item):
                    continue
                if _is_alias(item) and not item.returns:
                    for stmt in item.stmts:
                        if stmt.value.id in self.varied:
                            self.varied.add(stmt.targets[0].id)
                    continue
                if candidates and (item.outputs or item.returns):
                    key = (id(item), "name")
                    if key not in self.names:
                        self.names[key] = self.p.fresh(f"{self.fname}_{role}")
                    name = self.names[key]
                    default = self.discover(item, name, candidates)
                    wrt = [n for n in candidates if n in default]
                    if wrt:
                        _, varied_out = self.generate_part(item, name, wrt)
                        item.name, item.wrt, item.varied_out = name, wrt, varied_out
                        self.varied |= set(varied_out)
                if not item.name and item.returns and not _returns_name(item):
                    raise self.p.error(
                        item.stmts[-1],
                        "the returned value does not depend on a differentiated input",
                        "return a value computed from the parameters differentiated",
                    )
            elif isinstance(item, Branch):
                self.activity(item.then, "then")
                self.activity(item.orelse, "else")
            else:
                node = item.node
                iterable = node.iter if isinstance(node, ast.For) else None
                carried = _iterated(iterable) & self.varied if iterable else set()
                rows = self.rows(node)
                if rows is not None:  # `for row in x`: each row carries x's gradient
                    self.varied.add(node.target.id)
                    carried.clear()
                if carried:
                    name = sorted(carried)[0]
                    raise self.p.error(
                        node.iter,
                        f"the loop iterates over `{name}`, which carries a gradient",
                        f"index it instead: `for i in range(len({name})): "
                        f"row = {name}[i]`",
                    )
                self.activity(item.body, "step")

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
        return {n for part in self.p.parts if part.name for n in part.wrt} & _reads(
            loop.body
        )

    def rows(self, node: ast.For | ast.While) -> str | None:
        """`x` of `for row in x`, over a differentiated parameter's first axis."""
        if not (
            isinstance(node, ast.For)
            and isinstance(node.target, ast.Name)
            and isinstance(node.iter, ast.Name)
        ):
            return None
        x = node.iter.id
        param = x in self.p.params and x not in self.p.reassigned
        return x if param and x in self.varied else None

    # -- names ---------------------------------------------------------------

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
            elif isinstance(item, Branch):
                if _recorded(item.then) or _recorded(item.orelse):
                    out.append(self.numbered((id(item), "rec"), "c"))
                    out += self.records(item.then) + self.records(item.orelse)
            elif isinstance(item, Loop) and self.records(item.body):
                out.append(self.name((id(item), "rec"), "caches"))
            elif isinstance(item, Loop) and _touches(item.body):
                out.append(self.numbered((id(item), "rec"), "steps"))
        return out

    # -- forward ---------------------------------------------------------------

    def verbatim(self, stmts: list[ast.stmt], ind: str) -> list[str]:
        first, last = stmts[0].lineno, stmts[-1].end_lineno or stmts[0].lineno
        body = self.p.lines[first - 1 : last]
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
                value = ast.get_source_segment(self.p.text, item.stmt.value)
                recs = self.records(self.p.items) + self.saved()
                comma = "," if len(recs) == 1 else ""
                lines.append(f"{ind}{out} = {value}")
                lines.append(f"{ind}return {out}, ({', '.join(recs)}{comma})")
            elif isinstance(item, ListOp):
                lines += self.verbatim([item.stmt], ind)
            elif isinstance(item, Part) and _returns_name(item):
                recs = self.records(self.p.items) + self.saved()
                comma = "," if len(recs) == 1 else ""
                value = item.stmts[0].value.id
                lines.append(f"{ind}return {value}, ({', '.join(recs)}{comma})")
            elif isinstance(item, Part):
                if not item.name:
                    if item.outputs:
                        lines += self.verbatim(item.stmts, ind)
                    continue
                rec = self.name((id(item), "rec"), "cache")
                args = ", ".join(
                    (
                        ast.get_source_segment(self.p.text, item.slices[n])
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
                    recs = self.records(self.p.items) + self.saved()
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

    def arm(self, items: list, other_recs: list[str], ind: str) -> list[str]:
        """One arm of an `if`: its lines, then None for the other arm's records
        (before a `break` that ends the arm, which sets them itself)."""
        others = self.leaving[-1][1] if self.leaving else []
        others.append(other_recs)
        lines = self.forward(items, ind)
        others.pop()
        if not (items and isinstance(items[-1], Jump)):
            lines += [f"{ind}{r} = None" for r in other_recs]
        return lines

    def saved(self) -> list[str]:
        """Parameters whose zeros the backward needs (known once it is written)."""
        saved = [p for p in self.wrt if p in self.needed]
        return saved + [v for v in self.extra if v not in saved]

    # -- backward ----------------------------------------------------------------

    def backward(self, items: list, state: dict, ind: str, loop: bool) -> list[str]:
        lines: list[str] = []
        top = items is self.p.items
        for k in range(len(items) - 1, -1, -1):
            item = items[k]
            self.after = _writes(items[k + 1 :]) if top else None
            if isinstance(item, Jump):
                continue
            if isinstance(item, ListOp):
                lines += self.list_backward(item, state, ind)
            elif isinstance(item, Part) and _returns_name(item):
                name = item.stmts[0].value.id
                if name in self.varied:
                    lines.append(f"{ind}{self.grad(name)} = dout")
                    state[name] = BORROWED
            elif isinstance(item, Part):
                if item.name:
                    lines += self.part_backward(item, state, ind, loop)
                elif _is_alias(item) and not item.returns:
                    lines += self.alias_backward(item, state, ind)
                else:  # `y = 1.0`: what y was before gets no gradient from here
                    for stmt in item.stmts:
                        for var in _stores(stmt):
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
                live = o in part.varied_out and state.get(o) is not ABSENT
                douts.append(self.grad(o) if live else "None")
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
        arrays = [s.value.id for n, s in part.slices.items() if n in part.wrt]
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
            g, index = self.grad(x), ast.get_source_segment(self.p.text, subscript)
            index = index[index.index("[") :]
            for fixed in sorted(_loads(subscript.slice) - self.p.ints):
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
        """np.stack: the list of slices along the axis; append: pop the last."""
        gl = self.grad(op.list)
        if op.kind == "stack":
            s = BORROWED if op.returns else state.get(op.name)
            state[op.name] = ABSENT
            if s is ABSENT:
                return []
            g = "dout" if op.returns else self.grad(op.name)
            np_ = self.numpy or "np"
            slices = g if op.axis == 0 else f"{np_}.moveaxis({g}, {op.axis}, 0)"
            state[op.list] = "list"
            return [f"{ind}{gl} = list({slices})"]
        if state.get(op.list) != "list":
            return []
        g = self.grad(op.name)
        s = state.get(op.name)
        pop = f"{gl}.pop()"
        if s is ABSENT:
            state[op.name] = BORROWED
            return [f"{ind}{g} = {pop}"]
        if s == OWN:
            return [f"{ind}{g} += {pop}"]
        state[op.name] = OWN
        if s == BORROWED:
            return [f"{ind}{g} = {g} + {pop}"]
        return [f"{ind}{g} = {pop} + (0 if {g} is None else {g})"]

    def alias_backward(self, part: Part, state: dict, ind: str) -> list[str]:
        """`a = b` backward: b's gradient is a's (`db = da`), or gains it."""
        lines = []
        for stmt in reversed(part.stmts):
            a, b = stmt.targets[0].id, stmt.value.id
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
        if (id(item), "rec") not in self.names:
            return []
        c = self.name((id(item), "rec"), "c")
        s1, s2 = dict(state), dict(state)
        then = self.backward(item.then, s1, ind + "    ", loop)
        orelse = self.backward(item.orelse, s2, ind + "    ", loop)
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
            return {n for s in item.slices.values() for n in _loads(s.slice)}
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
        shared = self.gradient_targets(item.body) - _writes(item.body)
        for var in [p for p in self.p.params if p in shared]:
            if (
                state.get(var) is ABSENT
                and var in self.p.params
                and var not in self.p.reassigned
            ):
                pre.append(f"{ind}{self.grad(var)} = {self.zeros(var)}")
                state[var] = OWN
        carried = _writes(item.body) & self.gradient_targets(item.body)
        if self.after is not None:  # top level: values at the end
            for var in sorted(carried - self.after - self.p.lists):
                if state.get(var) is ABSENT:
                    pre.append(f"{ind}{self.grad(var)} = {self.zeros(var)}")
                    state[var] = OWN
                    if var not in self.extra:
                        self.extra.append(var)
        x = self.rows(item.node)
        row = item.node.target.id if x is not None else None
        head = dict(state)
        for _ in range(6):
            end = dict(head)
            body = self.backward(item.body, end, ind + "    ", True)
            reached = end.get(row) if row else None  # this iteration's row only
            end.pop(row, None)
            new = {v: _join(head.get(v), end.get(v)) for v in set(head) | set(end)}
            if new == head:
                break
            head = new
        for var in sorted(head):
            if head[var] == MAYBE and state.get(var) is ABSENT:
                pre.append(f"{ind}{self.grad(var)} = None")
            if head[var] == MAYBE and end.get(var) is ABSENT:
                body.append(f"{ind}    {self.grad(var)} = None")
        state.clear()
        state.update(head)
        if x is not None:  # the row's gradient goes to its place in dx
            s = reached
            if s is not None and recs:
                if state.get(x) is ABSENT or x not in state:
                    pre.append(f"{ind}{self.grad(x)} = {self.zeros(x)}")
                elif state.get(x) == MAYBE:
                    g = self.grad(x)
                    pre.append(f"{ind}{g} = {self.zeros(x)} if {g} is None else {g}")
                elif state.get(x) == BORROWED:
                    pre.append(f"{ind}{self.grad(x)} = {self.grad(x)}.copy()")
                state[x] = OWN
                k = self.name((id(item), "row"), "i")
                add = f"{self.grad(x)}[{k}] += {self.grad(row)}"
                if s == MAYBE:
                    add = f"if {self.grad(row)} is not None:\n{ind}        {add}"
                body.append(f"{ind}    {add}")
                target = ", ".join(recs)
                target = f"({target})" if len(recs) > 1 else target
                loop = f"for {k}, {target} in reversed(list(enumerate({lst}))):"
                return pre + [f"{ind}{loop}"] + body
        if not body:  # no gradient passes through this loop
            return pre
        if not recs:
            return pre + [f"{ind}for _ in range({lst}):"] + body
        target = ", ".join(recs)
        return pre + [f"{ind}for {target} in reversed({lst}):"] + body

    def zeros(self, var: str) -> str:
        """A zero gradient for `var` (saved for the backward when a parameter)."""
        if var in self.p.params:
            if self.numpy is None:
                return "0.0"
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
                out |= {s.value.id for n, s in item.slices.items() if n in item.wrt}
            elif isinstance(item, Branch):
                out |= self.gradient_targets(item.then) | self.gradient_targets(
                    item.orelse
                )
            else:
                out |= self.gradient_targets(item.body)
        return out

    # -- the whole ----------------------------------------------------------------

    def composite(self) -> str:
        f = self.fname
        self.needed: set[str] = set()
        self.zeroed: set[str] = set()  # parameters given zeros_like(p) here
        self.aliased: set[str] = set()  # given a carried value's gradient
        self.extra: list[str] = []
        self.leaving: list = []  # per loop: its record line, arms' other records
        self.records(self.p.items)  # names in the forward's order
        state: dict = {}
        body = self.backward(self.p.items, state, "    ", False)
        like = self.numpy is not None and "_like" not in self.p.taken
        arrays = _arrays(self.p.function, self.helpers)
        used = False
        grads = []
        for p in self.wrt:
            g = self.grad(p)
            s = state.get(p)
            if s in (ABSENT, MAYBE) and p in self.p.reassigned:
                raise self.p.error(
                    self.p.function,
                    f"`{p}` is assigned again and its gradient may be zero",
                    f"assign the new value to another name than `{p}`",
                )
            if s is ABSENT:
                body.append(f"    {g} = {self.zeros(p)}")
            elif s == MAYBE:
                body.append(f"    {g} = {self.zeros(p)} if {g} is None else {g}")
            if like and (
                p in self.aliased
                or (p in self.zeroed and p not in arrays)
                or s == BORROWED
            ):  # a float for a float, the parameter's dtype (not a carried
                # value's), and a copy when it may be dout itself
                copy = ", copy=True" if s == BORROWED else ""
                body.append(f"    {g} = _like({g}, {p}{copy})")
                self.needed.add(p)
                used = True
            elif s == BORROWED and self.numpy is not None:  # `_like` is the user's
                np_ = self.numpy
                body.append(
                    f"    {g} = {g}.copy() if isinstance({g}, {np_}.ndarray) else {g}"
                )
            grads.append(g)
        comma = "," if len(grads) == 1 else ""
        body.append(f"    return ({', '.join(grads)}{comma})")
        args = ast.unparse(self.p.function.args)
        fwd = [
            f"def {f}_forward({args}):",
            f'    """Run {f}; return its value and what {f}_backward needs."""',
        ]
        fwd += self.forward(self.p.items, "    ")
        recs = self.records(self.p.items) + self.saved()
        bwd = [
            f"def {f}_backward(dout, cache):",
            f'    """Gradients of {f} with respect to {", ".join(self.wrt)}."""',
        ]
        if recs:
            bwd.append(f"    {', '.join(recs)}{',' if len(recs) == 1 else ''} = cache")
        helper = LIKE_HELPER.format(name="_like", np=self.numpy) if used else ""
        return "\n".join(fwd) + "\n\n\n" + "\n".join(bwd + body) + "\n\n\n" + helper


# -- driving the pipeline ---------------------------------------------------------


def _remap(exc: BpgenError, mapping: dict, lines: list[str], offset: int) -> BpgenError:
    """Point an error raised in a part's text at the user's line."""
    line = exc.lineno
    if line is not None and line in mapping:
        exc.lineno = mapping[line] + offset
        exc.source_line = lines[mapping[line] - 1]
        exc.args = (exc.render(),)
    return exc


def function_node(text: str, name: str) -> ast.FunctionDef:
    tree = ast.parse(text)
    return next(
        n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == name
    )


def generate_function(
    parsed, fname: str, wrt, options, sub_generate
) -> tuple[list[str], str, list[str]]:
    """The parts' generated modules, the composite's text and the wrt used."""
    from . import parse, stage

    lines = parsed.text.splitlines()
    offset = parsed.line_offset

    def error(node, message, hint):
        return UnsupportedError(
            message,
            filename=parsed.filename,
            lineno=node.lineno + offset,
            col_offset=node.col_offset,
            source_line=lines[node.lineno - 1],
            hint=hint,
        )

    function = function_node(parsed.text, fname)
    start = min([function.lineno] + [d.lineno for d in function.decorator_list])
    span = (start, function.end_lineno or start)
    planner = Planner(parsed.text, function, error)
    modules: dict[str, str] = {}
    memo: dict = {}

    def generate_part(part: Part, name: str, part_wrt):
        key = (id(part), None if part_wrt is None else tuple(part_wrt))
        if key in memo:
            return memo[key]
        text, mapping = part_source(planner, part, name, span)
        try:
            sub = parse.parse(text, parsed.filename)
            node = parse.find_function(sub, name)
            program = stage.stage(
                sub, node, part_wrt, fusion=options.fusion, activity=options.activity
            )
            varied = []
            if part_wrt is not None:
                modules[name] = sub_generate(text, name, part_wrt)
                for out, expr in zip(part.outputs, program.outputs, strict=False):
                    if isinstance(expr, ast.Name) and expr.id in program.varied:
                        varied.append(out)
        except BpgenError as exc:
            raise _remap(exc, mapping, lines, offset) from None
        memo[key] = (list(program.wrt), varied)
        return memo[key]

    numpy = next(
        (local for local, full in parsed.imports.items() if full == "numpy"), None
    )  # None: a scalar module, whose zeros are 0.0
    composer = Composer(
        planner, fname, wrt, generate_part, numpy, set(parsed.functions)
    )
    if wrt is None and not composer.wrt:
        raise error(function, "no parameter of the function carries a gradient", None)
    tree = ast.parse(parsed.text)
    composer.helpers = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}
    code = composer.composite()
    imports = [
        ast.get_source_segment(parsed.text, n)
        for n in tree.body
        if isinstance(n, (ast.Import, ast.ImportFrom))
        and "bpgen" not in ast.unparse(n)
        and not (isinstance(n, ast.ImportFrom) and n.module == "__future__")
    ]
    helpers = _module_helpers(tree, parsed.text, code)
    code = "\n".join(imports) + "\n\n\n" + "".join(h + "\n\n\n" for h in helpers) + code
    parts = sorted(planner.parts, key=lambda p: p.stmts[0].lineno)
    texts = [modules[p.name] for p in parts if p.name]
    return texts, code, composer.wrt


def _arrays(function: ast.FunctionDef, helpers: dict, seen=()) -> set[str]:
    """Parameters the function (or a module helper it hands them to) indexes,
    takes an attribute or len() of, or multiplies as matrices: arrays, never
    a Python float, so zeros_like keeps their kind."""

    def name(node) -> str | None:
        return node.id if isinstance(node, ast.Name) else None

    out: set[str] = set()
    for node in ast.walk(function):
        if isinstance(node, (ast.Subscript, ast.Attribute)):
            out.add(name(node.value))
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.MatMult):
            out |= {name(node.left), name(node.right)}
        elif isinstance(node, ast.Call):
            callee = node.func
            if isinstance(callee, ast.Attribute) and callee.attr in ("dot", "matmul"):
                out |= {name(a) for a in node.args}
            helper = helpers.get(name(callee))
            if name(callee) == "len" and node.args:
                out.add(name(node.args[0]))
            elif helper is not None and helper.name not in seen:
                inner = _arrays(helper, helpers, (*seen, function.name))
                params = [a.arg for a in helper.args.args]
                out |= {
                    name(arg)
                    for arg, param in zip(node.args, params, strict=False)
                    if param in inner
                }
    out.discard(None)
    return {a.arg for a in function.args.args} & out


def _module_helpers(tree: ast.Module, text: str, code: str) -> list[str]:
    """The module's functions and constants the composite reads as they are (a
    loop's test or a branch's condition calling a helper), with what they read,
    in the module's order: the generated module must define them too."""
    own = {n.name for n in ast.parse(code).body if isinstance(n, ast.FunctionDef)}
    defs: dict[str, ast.stmt] = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            defs[node.name] = node
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for t in targets:
                if isinstance(t, ast.Name):
                    defs[t.id] = node

    def reads(node: ast.AST) -> set[str]:
        return {
            n.id
            for n in ast.walk(node)
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)
        }

    composite = ast.parse(code)
    own |= {  # the composite's locals shadow the module's names
        n.id if isinstance(n, ast.Name) else n.arg
        for n in ast.walk(composite)
        if isinstance(n, ast.arg)
        or (isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load))
    }
    wanted: set[str] = set()
    todo = [n for n in reads(composite) if n in defs and n not in own]
    while todo:
        name = todo.pop()
        if name in wanted:
            continue
        wanted.add(name)
        todo += [n for n in reads(defs[name]) if n in defs and n not in own]
    chosen = [node for node in tree.body if any(defs.get(w) is node for w in wanted)]
    return [ast.get_source_segment(text, node) for node in chosen]


def merge(texts: list[str], header: str) -> str:
    """One module from several: imports and helpers once, functions in order."""
    from .emit import black_format

    imports: list[str] = []
    rest: list[str] = []
    seen: set[str] = set()
    for text in texts:
        lines = text.splitlines()
        for node in ast.parse(text).body:
            start = min(
                [node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])]
            )
            chunk = "\n".join(lines[start - 1 : node.end_lineno])
            key = getattr(node, "name", chunk)
            if key in seen:
                continue
            seen.add(key)
            (
                imports if isinstance(node, (ast.Import, ast.ImportFrom)) else rest
            ).append(chunk)
    body = "\n".join(imports) + "\n\n\n" + "\n\n\n".join(rest) + "\n"
    return header + "\n\n" + black_format(body)
