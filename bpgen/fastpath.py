"""One `if x.ndim == 2 and W.ndim == 2:` around a stage's gradients.

Where bpgen cannot see ranks, a product's gradients test them at run time,
each on its own (`g.dot(X.T) if X.ndim == 2 else <any rank>`): three or
four attribute reads for a matrix product, ~20 ns each, which is 5% of a
5x10 product's backward. A careful person tests once and writes the matrix
case plainly:

    if W.ndim == 2 and X.ndim == 2:
        dW = dout.dot(X.T)
        dX = W.T.dot(dout)
    else:
        <the gradients as they were>

The `then` arm is the original statements with every rank test decided under
the assumption the `if` tests, so it is exact; the `else` arm is the original
statements unchanged, so it is exact for every other rank. Done at printing,
after the passes that need straight-line code have run.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from typing import Any, NamedTuple, cast

from .blocks import UNBROADCAST, Block
from .ir import Branch
from .lower import NP

_COMPARE: dict[type, Callable[[int, int], bool]] = {
    ast.Eq: int.__eq__,
    ast.NotEq: int.__ne__,
    ast.Lt: int.__lt__,
    ast.LtE: int.__le__,
    ast.Gt: int.__gt__,
    ast.GtE: int.__ge__,
}
MATRIX = 2  # the rank a test like `x.ndim > 1` is taken to hope for


def split(blocks: list[Any], render: Callable[[ast.expr], str]) -> list[Any]:
    """The backward region with each block that tests ranks more than once
    split into a shared test and its two arms; `render` spells a test."""
    out: list[Any] = []
    for node in blocks:
        if isinstance(node, Branch):
            then, orelse = split(node.then, render), split(node.orelse, render)
            out.append(Branch(node.condition, then, orelse))
        else:
            out += _split(node, render)
    return out


def _split(block: Block, render: Callable[[ast.expr], str]) -> list[Any]:
    statements = block.statements
    found = [_occurrences(s) for s in statements]
    tested = [i for i, seen in enumerate(found) if seen]
    if not tested:
        return [block]
    start, stop = tested[0], tested[-1] + 1
    run = statements[start:stop]
    seen = [o for each in found[start:stop] for o in each]
    assigned = {
        n.id
        for s in run
        for n in ast.walk(s)
        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)
    }
    stage = block.stage
    operands = [] if stage is None else _names(ast.Tuple(list(stage.inputs.values())))
    assumed = _assumed(seen, operands)
    ranks = {n: r for n, r in assumed.items() if n not in assigned}
    matrices = _matrices(block, ranks)
    decided = _Decide(ranks, matrices, _products(run, ranks) if matrices else {})
    fast = [decided.visit(_copy(s)) for s in run]
    if decided.folded <= len(decided.used):  # no read saved: leave the tests be
        return [block]
    test = _test(seen, ranks, decided.used, operands)
    if len(decided.used) == 1:  # the `else` arm knows that rank is not it
        (name,) = decided.used
        other = _Decide({}, excluded=(name, ranks[name]))
        run = [other.visit(_copy(s)) for s in run]
    arms = Branch(render(test), [Block(statements=fast)], [Block(statements=run)])
    head = Block(block.stage, block.note, statements[:start], block.handed_new)
    tail = [Block(statements=statements[stop:])] if stop < len(statements) else []
    return [head, arms, *tail]


class _Seen(NamedTuple):
    """A rank test on the matrix path: `name.ndim` (or `np.ndim(name)` when
    not `attribute`) compared with `number`; `after` names the tests that
    must hold for it to be reached, None when others decide it too."""

    name: str
    op: type
    number: int
    attribute: bool
    after: frozenset[str] | None


def _rank_test(node: ast.AST) -> tuple[str, type, int, bool] | None:
    """`x.ndim > 1` or `np.ndim(x) == 0`: (name, operator, number, attribute)."""
    if not (isinstance(node, ast.Compare) and len(node.ops) == 1):
        return None
    left, op, right = node.left, type(node.ops[0]), node.comparators[0]
    if op not in _COMPARE or not (
        isinstance(right, ast.Constant) and type(right.value) is int
    ):
        return None
    attribute = isinstance(left, ast.Attribute) and left.attr == "ndim"
    if attribute:
        subject = cast(ast.Attribute, left).value
    elif (
        isinstance(left, ast.Call)
        and isinstance(left.func, ast.Attribute)
        and left.func.attr == "ndim"
        and isinstance(left.func.value, ast.Name)
        and left.func.value.id == NP
        and len(left.args) == 1
        and not left.keywords
    ):
        subject = left.args[0]
    else:
        return None
    if not isinstance(subject, ast.Name):
        return None
    return subject.id, op, right.value, attribute


def _matrix_tests(test: ast.expr) -> list[tuple[str, type, int, bool]] | None:
    """The rank tests whose conjunction `test` is, when it picks a larger
    array (a test `== 0` picks a number: the rare case, not collected)."""
    parts = (
        test.values
        if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And)
        else [test]
    )
    found = [_rank_test(part) for part in parts]
    if any(t is None or (t[1] is ast.Eq and t[2] == 0) for t in found):
        return None
    return cast(list[tuple[str, type, int, bool]], found)


def _number_tests(test: ast.expr) -> list[tuple[str, type, int, bool]] | None:
    """The rank tests of `x.ndim == 0 or np.ndim(g) == 0`, a test that picks
    numbers: its `else` arm runs whenever those names hold larger arrays."""
    parts = (
        test.values
        if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.Or)
        else [test]
    )
    found = [_rank_test(part) for part in parts]
    if any(t is None or t[1] is not ast.Eq or t[2] != 0 for t in found):
        return None
    return cast(list[tuple[str, type, int, bool]], found)


def _occurrences(
    node: ast.AST, after: frozenset[str] | None = frozenset()
) -> list[_Seen]:
    """The rank tests on the matrix path of `node`, in reading order: those
    of each conditional expression that tests ranks only, then its `then`
    arm's; `after` is what the path to `node` has tested."""
    if isinstance(node, ast.IfExp):
        tests = _matrix_tests(node.test)
        if tests is not None:
            found = []
            for name, op, number, attribute in tests:
                found.append(_Seen(name, op, number, attribute, after))
                after = None if after is None else after | {name}
            return found + _occurrences(node.body, after)
        numbers = _number_tests(node.test)  # `x.ndim == 0 or ...`: the rare arm
        if numbers is None:
            return [
                *_occurrences(node.test, after),
                *_occurrences(node.body, None),
                *_occurrences(node.orelse, None),
            ]
        found = []  # each read, and the matrix path's wish: not a number
        for name, _, _, attribute in numbers:
            found.append(_Seen(name, ast.NotEq, 0, attribute, after))
            after = None if after is None else after | {name}
        return found + _occurrences(node.orelse, after)
    if isinstance(node, ast.BoolOp):
        first, *rest = node.values
        found = _occurrences(first, after)
        return found + [seen for value in rest for seen in _occurrences(value, None)]
    if isinstance(node, (ast.Lambda, ast.comprehension)):
        after = None
    return [
        seen
        for child in ast.iter_child_nodes(node)
        for seen in _occurrences(child, after)
    ]


def _assumed(seen: list[_Seen], operands: list[str]) -> dict[str, int]:
    """A rank for each tested name that meets every test of it: the one an
    `==` names, else a matrix's (an operand of the stage, also when it is
    only tested for being a number)."""
    tests: dict[str, list[tuple[type, int]]] = {}
    for name, op, number, _, _ in seen:
        tests.setdefault(name, []).append((op, number))
    ranks = {}
    for name, said in tests.items():
        if name not in operands and all(test == (ast.NotEq, 0) for test in said):
            continue  # a gradient only asked not to be a number: no rank to hope for
        equal = {number for op, number in said if op is ast.Eq}
        rank = equal.pop() if len(equal) == 1 else None if equal else MATRIX
        if rank is not None and all(_COMPARE[op](rank, n) for op, n in said):
            ranks[name] = rank
    return ranks


def _test(
    seen: list[_Seen], ranks: dict[str, int], used: set[str], operands: list[str]
) -> ast.expr:
    """`W.ndim == 2 and X.ndim == 2`, in the stage's operand order. A name
    is read as `x.ndim` only where the statements read it so under the
    tests before it (a name that may be a float is read as `np.ndim(x)`)."""
    first = [s.name for s in seen]
    order = sorted(
        used,
        key=lambda n: (
            operands.index(n) if n in operands else len(operands) + first.index(n)
        ),
    )
    placed: list[str] = []
    spelled: list[ast.expr] = []
    pending = list(order)
    while pending:
        ready = next(
            (
                n
                for n in pending
                if any(
                    s.name == n
                    and s.attribute
                    and s.after is not None
                    and s.after <= set(placed)
                    for s in seen
                )
            ),
            None,
        )
        attribute = ready is not None
        name = ready if ready is not None else pending[0]
        pending.remove(name)
        placed.append(name)
        target = ast.Name(name, ast.Load())
        if attribute:
            rank: ast.expr = ast.Attribute(target, "ndim", ast.Load())
        else:
            ndim = ast.Attribute(ast.Name(NP, ast.Load()), "ndim", ast.Load())
            rank = ast.Call(ndim, [target], [])
        spelled.append(ast.Compare(rank, [ast.Eq()], [ast.Constant(ranks[name])]))
    return spelled[0] if len(spelled) == 1 else ast.BoolOp(ast.And(), spelled)


def _copy(node: Any) -> Any:
    """A copy of the nodes of a statement, sharing everything else (a
    deepcopy would follow the tags' locations into the whole CST)."""
    if isinstance(node, list):
        return [_copy(item) for item in node]
    if not isinstance(node, ast.AST):
        return node
    copied = type(node).__new__(type(node))
    copied.__dict__.update({key: _copy(v) for key, v in node.__dict__.items()})
    return copied


def _names(node: ast.AST) -> list[str]:
    """The names `node` reads, in the order they are written."""
    if isinstance(node, ast.Name):
        return [node.id]
    found = [n for child in ast.iter_child_nodes(node) for n in _names(child)]
    return list(dict.fromkeys(found))


def _matrices(block: Block, ranks: dict[str, int]) -> list[str]:
    """The operands of a product of two matrices (`x @ W` with both assumed
    2-D), whose gradients need no sum over broadcast axes."""
    stage = block.stage
    if stage is None or stage.gate not in ("dot", "matmul"):
        return []
    operands = list(stage.inputs.values())
    names = [o.id for o in operands if isinstance(o, ast.Name)]
    if len(names) != 2 or any(ranks.get(n) != 2 for n in names):
        return []
    return names


def _products(run: list[ast.stmt], ranks: dict[str, int]) -> dict[str, int]:
    """In a product of two matrices, the one other name a rank is tested of
    is the gradient at the product (`np.ndim(g) == 0`): a matrix too."""
    tested = [_rank_test(n) for s in run for n in ast.walk(s)]
    return {t[0]: 2 for t in tested if t is not None and t[0] not in ranks}


class _Decide(ast.NodeTransformer):
    """Every rank test of an assumed name becomes its value, and what it
    decides is folded away; `np.swapaxes(x, -1, -2)` of a matrix is `x.T`,
    and a product of two matrices sums nothing back (`matrices`) and its
    gradient is a matrix (`implied`)."""

    def __init__(
        self,
        ranks: dict[str, int],
        matrices: list[str] | None = None,
        implied: dict[str, int] | None = None,
        excluded: tuple[str, int] | None = None,
    ) -> None:
        self.ranks = ranks
        self.matrices = matrices or []
        self.implied = implied or {}  # ranks the matrices' ranks imply
        self.excluded = excluded  # in the `else` arm of a one-name test: not this rank
        self.used: set[str] = set()
        self.folded = 0

    def visit_Compare(self, node: ast.Compare) -> ast.AST:
        test = _rank_test(node)
        if (
            test is not None
            and (test[0], test[2]) == self.excluded
            and test[1] in (ast.Eq, ast.NotEq)
        ):
            return ast.Constant(test[1] is ast.NotEq)
        if test is not None and test[0] in self.implied:
            self.used.update(self.matrices)
            self.folded += 1
            return ast.Constant(_COMPARE[test[1]](self.implied[test[0]], test[2]))
        if test is None or test[0] not in self.ranks:
            return self.generic_visit(node)
        name, op, number, _ = test
        self.used.add(name)
        self.folded += 1
        return ast.Constant(_COMPARE[op](self.ranks[name], number))

    def visit_BoolOp(self, node: ast.BoolOp) -> ast.AST:
        self.generic_visit(node)
        stop = isinstance(node.op, ast.Or)  # the value that decides it
        values = []
        for value in node.values:
            if isinstance(value, ast.Constant) and type(value.value) is bool:
                if value.value is stop:
                    return ast.Constant(stop)
                continue
            values.append(value)
        if not values:
            return ast.Constant(not stop)
        return values[0] if len(values) == 1 else ast.BoolOp(node.op, values)

    def visit_IfExp(self, node: ast.IfExp) -> ast.AST:
        self.generic_visit(node)
        if isinstance(node.test, ast.Constant) and type(node.test.value) is bool:
            return node.body if node.test.value else node.orelse
        return node

    def visit_Call(self, node: ast.Call) -> ast.AST:
        self.generic_visit(node)
        func, args = node.func, node.args
        if (
            isinstance(func, ast.Name)
            and func.id == UNBROADCAST
            and self.matrices
            and len(args) == 2
            and ast.unparse(args[1]) in {f"{NP}.shape({n})" for n in self.matrices}
        ):
            self.used.update(self.matrices)
            return args[0]
        if (
            isinstance(func, ast.Attribute)
            and func.attr == "swapaxes"
            and isinstance(func.value, ast.Name)
            and func.value.id == NP
            and len(args) == 3
            and not node.keywords
            and isinstance(args[0], ast.Name)
            and self.ranks.get(args[0].id) == 2
            and {ast.unparse(a) for a in args[1:]} == {"-1", "-2"}
        ):
            self.used.add(args[0].id)
            return ast.Attribute(args[0], "T", ast.Load())
        return node
