"""Control flow decided while staging: loops with a static trip count, static ifs.

A `for` over `range(...)` whose bounds are known when the function is read
(literals, arithmetic on them, an enclosing unrolled loop's variable) or over
a literal tuple/list is unrolled: the body is staged once per iteration with
the loop variable bound to that iteration's value, so every iteration's values
get their own names (`a`, `a_1`, `a_2`) and the backward is straight-line code
that undoes them in reverse order. An `if` whose condition is known the same
way (`if t == 0:` inside an unrolled loop) stages only the branch taken.

Everything else (trip counts and conditions known only at run time, `while`,
`break`, `continue`, `for ... else`) is refused with a located error.
"""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING, cast

import libcst as cst

if TYPE_CHECKING:
    from .stage import Stager

# beyond this many iterations the unrolled backward stops reading like a person's
MAX_UNROLL = 16

_STATIC_NODES = (
    ast.Constant,
    ast.BinOp,
    ast.UnaryOp,
    ast.Compare,
    ast.BoolOp,
    ast.operator,
    ast.unaryop,
    ast.cmpop,
    ast.boolop,
)


def static_value(stager: Stager, node: cst.BaseExpression) -> object:
    """The value of `node` if it is known while staging, else raise LookupError."""
    try:
        lowered = stager.lower.expr(node)
    except Exception:  # noqa: BLE001 - anything unlowerable is not static
        raise LookupError from None
    lowered = _PackLengths().visit(lowered)
    if not all(isinstance(n, _STATIC_NODES) for n in ast.walk(lowered)):
        raise LookupError
    expression = ast.fix_missing_locations(ast.Expression(lowered))
    try:
        return eval(compile(expression, "<static>", "eval"), {"__builtins__": {}})
    except Exception:  # noqa: BLE001 - e.g. 1 / 0: the user's error at run time
        raise LookupError from None


class _PackLengths(ast.NodeTransformer):
    """`len(Ws)` of a pack (`Ws = [W1, W2]`, read as the list it holds): its
    length is known while staging, so `range(len(Ws))` unrolls."""

    def visit_Call(self, node: ast.Call) -> ast.AST:
        self.generic_visit(node)
        func, args = node.func, node.args
        if (
            isinstance(func, ast.Name)
            and func.id == "len"
            and len(args) == 1
            and not node.keywords
            and isinstance(args[0], (ast.List, ast.Tuple))
            and not any(isinstance(e, ast.Starred) for e in args[0].elts)
        ):
            return ast.Constant(len(args[0].elts))
        return node


def runtime(stager: Stager, node: cst.CSTNode, what: str) -> Exception:
    return stager.source.error(
        node,
        f"{what} is known only at run time; bpgen unrolls loops and decides "
        "branches while reading the function",
        "use constant bounds (range(3)), or write the loop with array operations; "
        "for a branch use np.where(cond, a, b), max()/min() or np.maximum",
    )


def iterations(stager: Stager, node: cst.For) -> list[cst.BaseExpression | int]:
    """What the loop variable takes in turn: ints, or the user's expressions."""
    source = stager.source
    if node.orelse is not None:
        raise source.error(
            node.orelse,
            "`for ... else` is not supported",
            "move the `else` body after the loop",
        )
    if node.asynchronous is not None:
        raise source.error(node, "`async for` is not supported", "drop `async`")
    it = node.iter
    zipped = _literal_zip(it)
    if zipped is not None:
        values: list[cst.BaseExpression | int] = list(zipped)
    elif isinstance(it, (cst.Tuple, cst.List)):
        if any(isinstance(e, cst.StarredElement) for e in it.elements):
            raise source.error(
                it,
                "a starred item in a loop's sequence is not supported",
                "list the items one by one",
            )
        values = [e.value for e in it.elements]
    elif (
        isinstance(it, cst.Call)
        and isinstance(it.func, cst.Name)
        and it.func.value == "range"
        and "range" not in stager.env
        and 1 <= len(it.args) <= 3
        and all(a.keyword is None and not a.star for a in it.args)
    ):
        bounds = []
        for arg in it.args:
            try:
                value = static_value(stager, arg.value)
            except LookupError:
                raise runtime(stager, arg.value, "this loop's trip count") from None
            if not isinstance(value, int) or isinstance(value, bool):
                raise source.error(arg.value, "range() needs an int here")
            bounds.append(value)
        try:
            values = list(range(*bounds))
        except ValueError as exc:
            raise source.error(it, f"range() fails here: {exc}") from None
    else:
        raise runtime(stager, it, "what this loop iterates over")
    if len(values) > MAX_UNROLL:
        raise source.error(
            it,
            f"this loop runs {len(values)} times; bpgen unrolls loops of at most "
            f"{MAX_UNROLL} iterations",
            "write the loop with array operations, or split the work into a helper",
        )
    return values


def check_body(stager: Stager, node: cst.For) -> str:
    """The loop variable's name; refuses what unrolling cannot do."""
    source = stager.source
    if _literal_zip(node.iter) is not None and _names(node.target):
        names = _names(node.target)
        for name in names:  # `i` of enumerate is bound as a constant
            _refuse_found(stager, node, name)
        return names[0]
    if not isinstance(node.target, cst.Name):
        if not isinstance(node.iter, (cst.Tuple, cst.List)):
            # `for i, x_t in enumerate(xs)`, `for a, b in zip(xs, ys)`: composed
            raise runtime(stager, node.iter, "what this loop iterates over")
        raise source.error(
            node.target,
            "only a plain name can be a loop variable here",
            "unpack inside the body: `for ab in ...:` then `a, b = ab`",
        )
    name = node.target.value
    _refuse_found(stager, node, name)
    return name


def _refuse_found(stager: Stager, node: cst.For, name: str) -> None:
    finder = _Finder(name)
    node.body.visit(finder)
    if finder.found is not None:
        found, what = finder.found
        raise stager.source.error(found, what[0], what[1])


def _names(target: cst.BaseExpression) -> list[str]:
    """`a, b`, `(a, b)` or `i, (a, b)` as names, else []."""
    if not isinstance(target, (cst.Tuple, cst.List)):
        return []
    names: list[str] = []
    for element in target.elements:
        value = element.value
        inner = [value.value] if isinstance(value, cst.Name) else _names(value)
        if not inner or isinstance(element, cst.StarredElement):
            return []
        names += inner
    return names


def _literal_zip(it: cst.BaseExpression) -> list[cst.Tuple] | None:
    """`zip([W1, W2], [b1, b2])` or `enumerate([W1, W2])` of literal lists or
    tuples: the tuples the loop variables take in turn, else None."""
    if not (
        isinstance(it, cst.Call)
        and isinstance(it.func, cst.Name)
        and it.func.value in ("zip", "enumerate")
        and it.args
        and all(a.keyword is None and not a.star for a in it.args)
    ):
        return None
    if it.func.value == "enumerate" and len(it.args) == 1:
        inner = _literal_zip(it.args[0].value)  # enumerate(zip([...], [...]))
        if inner is not None:
            return [
                cst.Tuple([cst.Element(cst.Integer(str(i))), cst.Element(row)])
                for i, row in enumerate(inner)
            ]
    if not all(isinstance(a.value, (cst.List, cst.Tuple)) for a in it.args):
        return None
    columns = [cast(cst.List, a.value).elements for a in it.args]
    if any(isinstance(e, cst.StarredElement) for c in columns for e in c):
        return None
    if it.func.value == "enumerate":
        if len(columns) != 1:
            return None
        rows = [(cst.Integer(str(i)), e.value) for i, e in enumerate(columns[0])]
    else:
        rows = list(zip(*(tuple(e.value for e in c) for c in columns), strict=False))
    return [cst.Tuple([cst.Element(v) for v in row]) for row in rows]


class _Finder(cst.CSTVisitor):
    """The first statement in a loop body that unrolling refuses."""

    def __init__(self, variable: str) -> None:
        self.variable = variable
        self.found: tuple[cst.CSTNode, tuple[str, str]] | None = None

    def _note(self, node: cst.CSTNode, message: str, hint: str) -> None:
        if self.found is None:
            self.found = (node, (message, hint))

    def visit_Break(self, node: cst.Break) -> None:
        self._note(
            node, "`break` is not supported", "give the loop the trip count it needs"
        )

    def visit_Continue(self, node: cst.Continue) -> None:
        self._note(
            node,
            "`continue` is not supported",
            "put the rest of the body under an `if`",
        )

    def visit_Return(self, node: cst.Return) -> None:
        self._note(
            node,
            "`return` inside a loop is not supported",
            "assign the result and return it after the loop",
        )

    def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
        self._target(node.target)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self._target(node.target)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self._target(node.target)

    def _target(self, target: cst.BaseExpression) -> None:
        names = [target] if isinstance(target, cst.Name) else []
        if isinstance(target, (cst.Tuple, cst.List)):
            names = [e.value for e in target.elements if isinstance(e.value, cst.Name)]
        for name in names:
            if name.value == self.variable:
                self._note(
                    name,
                    f"the loop variable `{self.variable}` is assigned in the loop",
                    "use another name for the new value",
                )
