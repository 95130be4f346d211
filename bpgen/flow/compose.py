"""Composing: which parts carry gradients (activity, grown until loops stop
adding), each part generated with its wrt, then the composite forward and
backward written around them."""

from __future__ import annotations

import ast
from collections.abc import Callable
from typing import cast

from ..errors import BpgenError
from ..handout import LIKE_HELPER
from .backward import ABSENT, BORROWED, MAYBE, Backward
from .forward import Forward
from .items import Branch, Jump, ListOp, Loop, Part, is_alias, is_check, returns_name
from .plan import Planner
from .syntax import counted, iterated

# what an int count is made of: `k`, `n - 1`, `2 * k + 1`
_COUNT_NODES = (
    ast.Name,
    ast.Constant,
    ast.BinOp,
    ast.UnaryOp,
    ast.operator,
    ast.unaryop,
    ast.Load,
)


class Composer(Forward, Backward):
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
        self.varied: set[str] = set(wrt if wrt is not None else planner.params)
        if wrt is None:  # `for i in range(k)`: k is an int, a count, no gradient
            self.varied -= self.counts_of(self.p.items)
        self.names: dict = {}
        self.counts: dict[str, int] = {}
        self.helpers: dict[str, ast.FunctionDef] = {}  # the module's, by name
        self.guard: list[str] = []  # the forward's first lines (guard.py)
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
            _alias(s)[1]
            for part in self.p.parts
            if is_alias(part) and not part.returns
            for s in part.stmts
            if _alias(s)[0] in self.varied
        }
        used |= {  # `for row in x`: x's rows
            x
            for loop in self.loops(self.p.items)
            for row, x in self.rows(loop.node)
            if row in self.used(loop)
        }
        used |= {  # `L.append(x)`: the parameter itself, no part reads it
            op.name
            for op in self.appends(self.p.items)
            if op.name in self.p.params
            and op.name not in self.p.reassigned
            and op.name in self.varied
        }
        used |= {  # `return x`: the parameter itself
            _returned(part) for part in self.p.parts if returns_name(part)
        }
        self.wrt = (
            [p for p in planner.params if p in used] if wrt is None else list(wrt)
        )

    def appends(self, items: list) -> list[ListOp]:
        """Every `L.append(v)` in `items`, loops and branches included."""
        out: list[ListOp] = []
        for item in items:
            if isinstance(item, ListOp) and item.kind == "append":
                out.append(item)
            elif isinstance(item, Branch):
                out += self.appends(item.then) + self.appends(item.orelse)
            elif isinstance(item, Loop):
                out += self.appends(item.body)
        return out

    def counts_of(self, items: list) -> set[str]:
        """Parameters a loop header passes to `range`: surely ints."""
        found: set[str] = set()
        for loop in self.loops(items):
            if isinstance(loop.node, ast.For):
                for call in ast.walk(loop.node.iter):
                    if (
                        isinstance(call, ast.Call)
                        and isinstance(call.func, ast.Name)
                        and call.func.id == "range"
                    ):
                        for arg in call.args:  # `k`, `n - 1`; not `len(x)`
                            nodes = list(ast.walk(arg))
                            if all(isinstance(n, _COUNT_NODES) for n in nodes):
                                found |= {
                                    n.id
                                    for n in nodes
                                    if isinstance(n, ast.Name) and n.id in self.p.params
                                }
        return found

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
                if is_check(item):
                    continue
                sized = counted(item.stmts)  # `len(hs)`: an int, no gradient
                candidates = [
                    n for n in item.inputs if n in self.varied and n not in sized
                ]
                lists = [n for n in candidates if n in self.p.lists]
                if lists:
                    _refuse_extremum(self.p, item, lists[0])
                    raise self.p.error(
                        item.stmts[0],
                        f"the list `{lists[0]}` built in a loop is read here; bpgen "
                        "differentiates `np.stack(L, axis=k)`, `np.array(L)` and "
                        "`sum(L)` of such a list, and reads its `len(L)`",
                        f"stack it first: `{lists[0]}_array = np.stack({lists[0]})`",
                    )
                item.name, item.wrt, item.varied_out = "", [], []
                if returns_name(item):
                    continue
                if is_alias(item) and not item.returns:
                    for stmt in item.stmts:
                        target, source = _alias(stmt)
                        if source in self.varied:
                            self.varied.add(target)
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
                if not item.name and item.returns and not returns_name(item):
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
                carried = iterated(iterable) & self.varied if iterable else set()
                for row, x in self.rows(node):  # each row carries x's gradient
                    self.varied.add(row)
                    carried.discard(x)
                if carried:
                    name = sorted(carried)[0]
                    raise self.p.error(
                        node.iter,
                        f"the loop iterates over `{name}`, which carries a gradient",
                        f"index it instead: `for i in range(len({name})): "
                        f"row = {name}[i]`",
                    )
                self.activity(item.body, "step")

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
        upcast = like and _makes_float64(self.p.function, self.numpy)
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
                upcast
                or p in self.aliased
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
        # `_like(dx, x)` and `zeros_like(x)` read the argument, not what the
        # loop left in x (a float where a 0-d array came in, another dtype)
        self.originals = {
            p: self.p.fresh(f"{p}_arg")
            for p in self.saved()
            if p in self.p.params and p in self.p.reassigned
        }
        fwd += self.guard  # the declared shapes (flow/guard.py), then the asserts
        fwd += [f"    {ast.unparse(check)}" for check in self.p.checks]
        fwd += [f"    {alias} = {p}" for p, alias in self.originals.items()]
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


# NumPy builders whose arrays are float64 unless given a dtype
_FLOAT64_BUILDERS = frozenset({"zeros", "ones", "empty", "full", "eye", "identity"})


def _makes_float64(function: ast.FunctionDef, numpy: str | None) -> bool:
    """Whether the function builds a float64 array (`returns = np.zeros(T)`):
    mixed into float32 values it makes their gradients float64, so each one
    goes out by `_like` in its argument's dtype."""
    for node in ast.walk(function):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id == numpy
            and node.func.attr in _FLOAT64_BUILDERS
            and not any(k.arg == "dtype" for k in node.keywords)
        ):
            return True
    return False


def _arrays(function: ast.FunctionDef, helpers: dict, seen=()) -> set[str]:
    """Parameters the function (or a module helper it hands them to) indexes,
    takes an attribute or len() of, or multiplies as matrices: arrays, never
    a Python float, so zeros_like keeps their kind."""

    def name(node) -> str | None:
        return node.id if isinstance(node, ast.Name) else None

    out: set[str | None] = set()
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


def _alias(stmt: ast.stmt) -> tuple[str, str]:
    """(a, b) of a line `a = b` of an alias part (items.is_alias checked)."""
    assign = cast(ast.Assign, stmt)
    return cast(ast.Name, assign.targets[0]).id, cast(ast.Name, assign.value).id


def _returned(part: Part) -> str:
    """`h` of a part that is `return h` (items.returns_name checked)."""
    returned = cast(ast.Return, part.stmts[0])
    return cast(ast.Name, returned.value).id


def _refuse_extremum(planner: Planner, item: Part, name: str) -> None:
    """`max(L, key=...)`/`min(L, default=...)` of a loop-built list (plain
    `max(L)` is a list read, lists.py): refused at the call, with the
    spellings bpgen differentiates."""
    for stmt in item.stmts:
        for call in ast.walk(stmt):
            if (
                isinstance(call, ast.Call)
                and isinstance(call.func, ast.Name)
                and call.func.id in ("max", "min")
                and len(call.args) == 1
                and isinstance(call.args[0], ast.Name)
                and call.args[0].id == name
            ):
                f = call.func.id
                raise planner.error(
                    call,
                    f"the builtin `{f}()` with keyword arguments of values computed "
                    "in a loop or a comprehension is not differentiated by bpgen",
                    f"leave out the keywords, or stack the values and reduce: "
                    f"`np.{f}(np.stack([...]))`",
                )
