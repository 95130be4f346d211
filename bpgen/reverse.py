"""Write the backward pass: the stages in reverse, one rule per stage.

For every forward variable `v` the gradient `dv` holds d(output)/dv. Its first
contribution is `dv = ...`, every later one `dv += ...` (the seed's fan-out
rule). On arrays, `+=` updates in place only an array the backward itself
allocated; a gradient that may alias another (`dx = dout`, a view) is added
out of place instead, so no gradient is ever overwritten through an alias.
"""

from __future__ import annotations

import ast
import copy
import functools
from dataclasses import dataclass, field
from typing import Any, TypeGuard, cast

from . import handout, kinds, passes, saved, simplify, xent
from .blocks import UNBROADCAST, Backward, Block
from .broadcasts import broadcast_value as _broadcast_value  # xent.py's name
from .helpers import PAIR_GATES
from .ir import Branch, Node, join, leaves
from .lower import MATH, NP, placeholder
from .options import Options
from .rules import (
    BROADCAST,
    MATH_TWINS,
    RULES,
    SAME,
    SCALAR_RULES,
    TEMPLATE_MODULES,
    VIEW_CALLS,
    Gate,
    NoRule,
    Template,
)
from .shapes import SCALAR, Shapes, summed_axes
from .stage import Program, Stage, basic_index

# a condition of these broadcasts like the names it reads: `n > 0`, `a >= b`,
# `np.abs(x) < 1`, `np.isfinite(y)`
_CONDITION_NODES = (
    ast.Name,
    ast.Constant,
    ast.Compare,
    ast.BinOp,
    ast.UnaryOp,
    ast.Load,
    ast.operator,
    ast.unaryop,
    ast.cmpop,
    ast.Call,
    ast.Attribute,
)
_ELEMENTWISE_TESTS = frozenset(
    {"abs", "absolute", "isfinite", "isnan", "isinf", "sign"}
    | {"logical_and", "logical_or", "logical_not"}
)


def _condition_names(node: ast.expr) -> frozenset[str]:
    """The values an elementwise condition reads; empty when it is not one
    (a call other than NumPy's elementwise tests, a keyword, an index)."""
    names = set()
    for sub in ast.walk(node):
        if not isinstance(sub, _CONDITION_NODES):
            return frozenset()
        if isinstance(sub, ast.Call):
            func = sub.func
            if sub.keywords or not (
                isinstance(func, ast.Attribute)
                and isinstance(func.value, ast.Name)
                and func.value.id == NP
                and func.attr in _ELEMENTWISE_TESTS
            ):
                return frozenset()
        elif isinstance(sub, ast.Attribute) and not (
            isinstance(sub.value, ast.Name) and sub.value.id == NP
        ):
            return frozenset()  # x.shape, x.T
        elif isinstance(sub, ast.Name) and sub.id != NP:
            names.add(sub.id)
    return frozenset(names)


def _covers(program: Program) -> dict[str, frozenset[str]]:
    """For each value, itself and the values whose shape broadcasts into its
    own through the elementwise gates that made it. A value made in two arms
    of a branch keeps what both arms give it."""
    covers: dict[str, frozenset[str]] = {}
    for stage in program.stages:
        own = {stage.target}
        if stage.gate is not None and RULES[stage.gate].kind in (SAME, BROADCAST):
            for value in stage.inputs.values():
                if isinstance(value, ast.Name):
                    own |= covers.get(value.id, {value.id})
        before = covers.get(stage.target)
        covers[stage.target] = frozenset(own if before is None else own & before)
    return covers


@dataclass(frozen=True)
class Mask:
    """A gradient that is zero wherever `condition` is not `taken`."""

    condition: str  # ast.dump of the condition: masks compare by value
    taken: bool
    node: ast.expr = field(compare=False)

    def apply(self, expr: ast.expr) -> ast.expr:
        where = ast.Attribute(ast.Name(NP, ast.Load()), "where", ast.Load())
        zero = ast.Constant(0.0)
        arms = [expr, zero] if self.taken else [zero, expr]
        return ast.Call(where, [copy.deepcopy(self.node), *arms], [])


class Namer:
    def __init__(self, taken: set[str]) -> None:
        self.taken = set(taken)

    def take(self, *candidates: str) -> str:
        for name in candidates:
            if name not in self.taken:
                self.taken.add(name)
                return name
        base, n = candidates[0], 1
        while f"{base}_{n}" in self.taken:
            n += 1
        self.taken.add(f"{base}_{n}")
        return f"{base}_{n}"


@functools.cache
def _template(text: str) -> ast.expr:
    return ast.parse(text, mode="eval").body


class _Substitute:
    """A fresh copy of a rule template with its names filled in.

    One walk both copies and substitutes (no `copy.deepcopy`, no
    NodeTransformer): templates and atoms are small, so this is the cost of
    building the nodes and little more. Attributes bpgen hangs on nodes
    (`tags.Tags`) are shared, not copied: they are never mutated.
    """

    def __init__(self, mapping: dict[str, ast.expr], scalar: bool) -> None:
        self.mapping = mapping
        self.scalar = scalar

    def visit(self, node: ast.AST) -> ast.AST:
        cls = type(node)
        if cls is ast.Name:
            if node.id in self.mapping:  # type: ignore[attr-defined]
                return _copy_expr(self.mapping[node.id])  # type: ignore[attr-defined]
        elif cls is ast.Attribute:
            base = node.value  # type: ignore[attr-defined]
            if type(base) is ast.Name and base.id in ("np", "math"):
                spelled = f"{base.id}.{node.attr}"  # type: ignore[attr-defined]
                if self.scalar and spelled in MATH_TWINS:
                    spelled = MATH_TWINS[spelled]
                module, _, attr = spelled.partition(".")
                base = MATH if module == "math" else NP
                return ast.Attribute(ast.Name(base, ast.Load()), attr, ast.Load())
            if type(base) is ast.Attribute and type(base.value) is ast.Name:
                module = f"{base.value.id}.{base.attr}"  # scipy.special
                if module in TEMPLATE_MODULES:
                    ref = ast.Name(placeholder(module), ast.Load())
                    return ast.Attribute(ref, node.attr, ast.Load())  # type: ignore
        new = cls.__new__(cls)
        fields = new.__dict__
        for key, value in node.__dict__.items():
            if isinstance(value, ast.AST):
                value = self.visit(value)
            elif type(value) is list:
                value = [self.visit(v) if isinstance(v, ast.AST) else v for v in value]
            fields[key] = value
        return new


def _copy_expr(node: ast.expr) -> ast.expr:
    """`_copy` of an expression: an expression."""
    return cast(ast.expr, _copy(node))


def _copy(node: ast.AST | None) -> ast.AST | None:
    """`copy.deepcopy` for an expression tree, less its generality and cost."""
    if node is None:
        return None
    cls = type(node)
    if cls is ast.Load:
        return node  # contexts carry no data
    new = cls.__new__(cls)
    fields = new.__dict__
    for key, value in node.__dict__.items():
        if isinstance(value, ast.AST):
            value = _copy(value)
        elif type(value) is list:
            value = [_copy(v) if isinstance(v, ast.AST) else v for v in value]
        fields[key] = value
    return new


def allocates(expr: ast.expr) -> bool:
    """Whether `expr` surely evaluates to a new object nobody else holds."""
    if isinstance(expr, (ast.BinOp, ast.UnaryOp)):
        return True
    if isinstance(expr, ast.IfExp):
        return allocates(expr.body) and allocates(expr.orelse)
    if isinstance(expr, ast.Call):
        func = expr.func
        name = func.attr if isinstance(func, ast.Attribute) else ""
        if isinstance(func, ast.Name) and func.id == UNBROADCAST:
            # the gradient itself when no axis was broadcast, else a new sum
            return bool(expr.args) and allocates(expr.args[0])
        # calls that may return a view are not new arrays (rules.VIEW_CALLS)
        return name not in VIEW_CALLS
    return False


def _slice_call(part: ast.expr) -> ast.expr:
    """`a:b:c` as `slice(a, b, c)`: slices are only syntax inside `[...]`."""
    if not isinstance(part, ast.Slice):
        return part
    none = ast.Constant(None)
    bounds = [part.lower or none, part.upper or none]
    if part.step is not None:
        bounds.append(part.step)
    elif part.lower is None:
        bounds = [bounds[1]]  # slice(stop) is `:stop`
    return ast.Call(ast.Name("slice", ast.Load()), bounds, [])


class Reverse:
    def __init__(self, program: Program, shapes: Shapes, options: Options, error):
        self.program = program
        self.shapes = shapes
        self.options = options  # xent.backward reads options.inplace
        self.choices = passes.Sweep.of(options)
        self.error = error
        self.names = Namer(program.taken | set(program.params))
        self.dout = self.names.take("dout", "grad_out")
        self.cache_name = self.names.take("cache", "saved")
        self.grad: dict[str, str] = {}
        self.assigned: set[str] = set()
        self.owned: set[str] = set()
        self.blocks: list[Block | Branch] = [Block()]
        self.masks: dict[str, Mask | None] = {}
        self.covers: dict[str, frozenset[str]] | None = None  # see _cover

    # -- accumulation ------------------------------------------------------------

    def gradient(self, var: str) -> str:
        if var not in self.grad:
            self.grad[var] = self.names.take(f"d{var}", f"d_{var}", f"grad_{var}")
        return self.grad[var]

    def _emit(self, statement: ast.stmt) -> None:
        block = self.blocks[-1]
        assert isinstance(block, Block)  # a branch ends before its statements
        block.statements.append(statement)

    def contribute(self, var: str, expr: ast.expr, mask: Mask | None = None) -> None:
        name = self.gradient(var)
        target = ast.Name(name, ast.Store())
        if name in self.assigned and self.masks.get(var) != mask:
            self.masks[var] = None  # some contribution reaches past the mask
        elif name not in self.assigned:
            self.masks[var] = mask
        if name not in self.assigned:
            self.assigned.add(name)
            self._emit(ast.Assign([target], expr))
            if allocates(expr):
                self.owned.add(name)
            return
        spread = _broadcast_value(expr)
        if spread is not None:
            expr = spread  # adding to a gradient of full shape broadcasts by itself
        if self.program.scalar or (self.choices.inplace and name in self.owned):
            self._emit(ast.AugAssign(target, ast.Add(), expr))
        else:
            total = ast.BinOp(ast.Name(name, ast.Load()), ast.Add(), expr)
            self._emit(ast.Assign([target], total))
            self.owned.add(name)

    def scatter(self, var: str, atom: ast.expr, index: ast.expr, g: ast.expr) -> None:
        """d(var)[index] += g, adding where indices repeat."""
        name = self.gradient(var)
        load, store = ast.Name(name, ast.Load()), ast.Name(name, ast.Store())
        np = ast.Name(NP, ast.Load())
        if name not in self.assigned:
            zeros = ast.Call(ast.Attribute(np, "zeros_like", ast.Load()), [atom], [])
            self._emit(ast.Assign([store], zeros))
            self.assigned.add(name)
        elif name not in self.owned or not self.choices.inplace:
            self._emit(
                ast.Assign([store], ast.Call(ast.Attribute(load, "copy"), [], []))
            )
        self.owned.add(name)
        index = copy.deepcopy(index)
        if basic_index(index):
            item = ast.Subscript(ast.Name(name, ast.Load()), index, ast.Store())
            self._emit(ast.AugAssign(item, ast.Add(), g))
        else:
            if isinstance(index, ast.Tuple):  # slices are only syntax inside [...]
                index.elts = [_slice_call(p) for p in index.elts]
            add_at = ast.Attribute(ast.Attribute(np, "add"), "at")
            self._emit(ast.Expr(ast.Call(add_at, [load, index, g], [])))

    # -- rules -------------------------------------------------------------------

    def instantiate(
        self, template: str, stage: Stage, g: str, listed: str | None = None
    ) -> ast.expr:
        mapping: dict[str, ast.expr] = {**stage.params, **stage.inputs}
        if listed is not None:  # np.sum([a, b]): the rule sees np.asarray([a, b])
            asarray = ast.Attribute(ast.Name(NP, ast.Load()), "asarray", ast.Load())
            mapping[listed] = ast.Call(asarray, [mapping[listed]], [])
        for name, index, atom in _inputs(stage):
            if index is not None:
                mapping[f"{name}_{index}"] = atom
        mapping["g"] = ast.Name(g, ast.Load())
        mapping["out"] = (
            ast.Name(stage.target, ast.Load()) if self.choices.reuse else stage.value
        )
        substitute = _Substitute(mapping, self.program.scalar)
        tree = cast(ast.expr, substitute.visit(_template(template)))  # still one
        return simplify.expression(tree) if self.choices.peepholes else tree

    def _fits(self, expr: ast.expr, atom: ast.Name) -> TypeGuard[ast.BinOp]:
        """`expr` is `e * f` or `e / f` with f a constant or of atom's shape."""
        if not (
            isinstance(expr, ast.BinOp) and isinstance(expr.op, (ast.Mult, ast.Div))
        ):
            return False
        factor = expr.right
        if simplify.number(factor) is not None:
            return True
        klass = self.shapes.klass.get(atom.id)
        return (
            isinstance(factor, ast.Name)
            and klass is not None
            and self.shapes.klass.get(factor.id) == klass
        )

    def reduce(self, expr: ast.expr, stage: Stage, atom: ast.Name) -> ast.expr:
        """Sum a broadcast gradient back to its input's shape, where needed."""
        call = functools.partial(ast.Call, keywords=[])
        np_sum = ast.Attribute(ast.Name(NP, ast.Load()), "sum", ast.Load())
        if self.program.scalar:
            return expr
        negative, expr = simplify.split_sign(expr)
        if negative:
            # the sum is linear: negate the (smaller) sum, not the gradient
            return simplify.negate(self.reduce(expr, stage, atom))
        if self.choices.broadcast and self._fits(expr, atom):
            # factors of the input's own shape apply after the sum: sum(g * out) / y
            return ast.BinOp(self.reduce(expr.left, stage, atom), expr.op, expr.right)
        if self.choices.broadcast:
            klass = self.shapes.klass
            if klass.get(atom.id) == klass.get(stage.target):
                return expr
            if klass.get(atom.id) == SCALAR:
                # a Python float: it stays weak, so float32 arrays stay float32.
                # With the output's rank unknown, `_unbroadcast(g, ())` hands a
                # float g through for a few hundred ns where np.sum takes µs
                rank = self.shapes.rank.get(stage.target)
                total = (
                    call(np_sum, [expr])
                    if rank
                    else call(
                        ast.Name(UNBROADCAST, ast.Load()),
                        [expr, ast.Tuple([], ast.Load())],
                    )
                )
                return call(ast.Name("float", ast.Load()), [total])
            if stage.gate == "matmul" and self._plain_product(stage):
                return expr  # matrices and vectors: nothing was broadcast
            axes = summed_axes(self.shapes, atom.id, stage.target)
            if axes is not None:
                return _sum_over(expr, *axes)
            into = self.shapes.into.get(atom.id)
            if into is not None and into.klass == klass.get(stage.target):
                # an int or a tuple: ast.Constant holds either
                axis: Any = into.axes[0] if len(into.axes) == 1 else into.axes
                keywords = [ast.keyword("axis", ast.Constant(axis))]
                if into.keepdims:
                    keywords.append(ast.keyword("keepdims", ast.Constant(True)))
                return ast.Call(np_sum, [expr], keywords)
        shape = ast.Call(ast.Attribute(ast.Name(NP, ast.Load()), "shape"), [atom], [])
        return call(ast.Name(UNBROADCAST, ast.Load()), [expr, shape])

    def set_item(self, stage: Stage) -> None:
        """`a_1 = a` with `a_1[index] = value`: the value's gradient is gathered
        from those items; a's gradient is a_1's with those items zeroed."""
        g = self.grad[stage.target]
        array, value = stage.inputs["a"], stage.inputs["value"]
        index = stage.params["index"]
        varied = self.program.varied
        self.blocks.append(Block(stage))
        value_varied = isinstance(value, ast.Name) and value.id in varied
        if value_varied:
            assert isinstance(value, ast.Name)  # value_varied
            gathered: ast.expr = ast.Subscript(
                ast.Name(g, ast.Load()), copy.deepcopy(index)
            )
            if self._may_repeat(index):
                gathered = ast.BinOp(gathered, ast.Mult(), self._last_writes(g, index))
            rank, klass = self.shapes.of(value)
            if klass == SCALAR and not self.program.scalar:
                np_sum = ast.Attribute(ast.Name(NP, ast.Load()), "sum", ast.Load())
                gathered = ast.Call(np_sum, [gathered], [])
            elif rank is None or rank > 0:
                shape = ast.Call(
                    ast.Attribute(ast.Name(NP, ast.Load()), "shape"), [value], []
                )
                unbroadcast = ast.Name(UNBROADCAST, ast.Load())
                gathered = ast.Call(unbroadcast, [gathered, shape], [])
            self.contribute(value.id, gathered)
        if not (isinstance(array, ast.Name) and array.id in varied):
            return
        # the gradient of a_1 is complete here: zero its replaced items in place
        # when the backward owns it and nothing gathered a view of it
        gathers_view = value_varied and basic_index(index)
        if g in self.owned and self.choices.inplace and not gathers_view:
            self.grad[array.id] = name = g
        else:
            name = self.gradient(array.id)
            copied = ast.Call(ast.Attribute(ast.Name(g, ast.Load()), "copy"), [], [])
            self._emit(ast.Assign([ast.Name(name, ast.Store())], copied))
            self.owned.add(name)
        self.assigned.add(name)
        item = ast.Subscript(ast.Name(name, ast.Load()), copy.deepcopy(index))
        item.ctx = ast.Store()
        self._emit(ast.Assign([item], ast.Constant(0)))

    def _may_repeat(self, index: ast.expr) -> bool:
        """Whether `index` may name one item twice (then the last write wins).
        Slices, ints and masks never repeat; a literal list of distinct
        indices of one sign does not either."""
        if basic_index(index):
            return False
        for part in index.elts if isinstance(index, ast.Tuple) else [index]:
            if isinstance(part, ast.Compare) or basic_index(part):
                continue
            if isinstance(part, ast.Name) and self.shapes.of(part)[0] == 0:
                continue
            try:
                items = ast.literal_eval(part)
            except ValueError:
                return True
            if not isinstance(items, list) or not all(type(i) is int for i in items):
                return True
            if len(set(items)) < len(items) or len({i < 0 for i in items}) > 1:
                return True
        return False

    def _last_writes(self, g: str, index: ast.expr) -> ast.expr:
        """A mask over `a[index]`: True where that write was not overwritten
        by a later one (`a[[1, 0, 0]] = v` keeps only v[2] of the two 0s)."""
        last, order = self.names.take("last_write"), self.names.take("write_order")
        np = ast.Name(NP, ast.Load())
        shape = ast.Call(ast.Attribute(np, "shape"), [ast.Name(g, ast.Load())], [])

        def items() -> ast.Subscript:
            return ast.Subscript(ast.Name(last, ast.Load()), copy.deepcopy(index))

        intp = ast.Attribute(np, "intp")
        zeros = ast.Call(
            ast.Attribute(np, "zeros"), [shape], [ast.keyword("dtype", intp)]
        )
        self._emit(ast.Assign([ast.Name(last, ast.Store())], zeros))
        arange = ast.Call(
            ast.Attribute(np, "arange"), [ast.Attribute(items(), "size")], []
        )
        numbered = ast.Call(
            ast.Attribute(arange, "reshape"), [ast.Attribute(items(), "shape")], []
        )
        self._emit(ast.Assign([ast.Name(order, ast.Store())], numbered))
        target = items()
        target.ctx = ast.Store()
        self._emit(ast.Assign([target], ast.Name(order, ast.Load())))
        return ast.Compare(items(), [ast.Eq()], [ast.Name(order, ast.Load())])

    def _plain_product(self, stage: Stage) -> bool:
        ranks = [self.shapes.of(stage.inputs[k])[0] for k in ("x", "y")]
        return all(r is not None and 1 <= r <= 2 for r in ranks)

    def call_pair(self, stage: Stage) -> None:
        """`(dx, dw) = helper_backward(g, pair[1])`: one call gives every input's
        gradient; an input seen for the first time gets it directly."""
        assert stage.gate is not None  # a pair gate
        name, wrt = PAIR_GATES[stage.gate]
        block = Block(stage)
        self.blocks.append(block)
        targets: list[ast.expr] = []
        later: list[tuple[str, str]] = []
        seen: set[str] = set()
        for param in wrt:
            atom = stage.inputs.get(param)
            if not (isinstance(atom, ast.Name) and atom.id in self.program.varied):
                targets.append(ast.Name("_", ast.Store()))
                continue
            if atom.id not in self.grad and atom.id not in seen:
                grad = self.gradient(atom.id)
                self.assigned.add(grad)
                self.masks[atom.id] = None
            else:
                grad = self.names.take(f"d{atom.id}_{name}")
                later.append((atom.id, grad))
            seen.add(atom.id)
            targets.append(ast.Name(grad, ast.Store()))
        cache = ast.Subscript(stage.params["pair"], ast.Constant(1), ast.Load())
        g = ast.Name(self.grad[stage.target], ast.Load())
        backward = ast.Call(ast.Name(f"{name}_backward", ast.Load()), [g, cache], [])
        if len(targets) == 1:  # dx = helper_backward(g, pair[1])[0]
            value = ast.Subscript(backward, ast.Constant(0), ast.Load())
            self._emit(ast.Assign(targets, value))
        else:
            self._emit(ast.Assign([ast.Tuple(targets, ast.Store())], backward))
            names = {t.id for t in targets if isinstance(t, ast.Name)}  # all are
            block.handed_new |= names - {"_"}
        for var, grad in later:
            self.contribute(var, ast.Name(grad, ast.Load()))

    def stage(self, stage: Stage) -> None:
        if stage.gate == "setitem":
            return self.set_item(stage)
        if stage.gate in PAIR_GATES:
            return self.call_pair(stage)
        if stage.gate == xent.XENT:
            return xent.backward(self, stage)
        assert stage.gate is not None  # a stage without gate has no backward
        rule = (SCALAR_RULES if self.program.scalar else {}).get(stage.gate)
        rule = rule or RULES[stage.gate]
        g = self.grad[stage.target]
        ranks = {k: self.shapes.of(v)[0] for k, v in stage.inputs.items()}
        ranks["out"] = self.shapes.rank.get(stage.target)
        func = getattr(stage.value, "func", None)
        method = isinstance(func, ast.Attribute) and not (
            isinstance(func.value, ast.Name) and func.value.id in (NP, MATH)
        )
        gate = Gate({**stage.params, **stage.inputs}, ranks, method)
        self.blocks.append(Block(stage))
        for name, index, atom in _inputs(stage):
            if not (isinstance(atom, ast.Name) and atom.id in self.program.varied):
                continue
            template: Template | str | list[str] | None = rule.grads.get(name)
            if template is None:
                raise self.error(stage, f"no gradient rule for `{name}` of this call")
            if callable(template):
                try:
                    template = template(gate)
                except NoRule as exc:
                    raise self.error(stage, str(exc), exc.hint) from None
                except (ValueError, TypeError):
                    raise self.error(
                        stage,
                        "this call's axis/keepdims/ddof must be written as literals",
                        "write e.g. axis=0, keepdims=True",
                    ) from None
            listed = None  # an array parameter given a list: NumPy stacks it
            if index is not None and isinstance(template, str):
                listed = name
            elif index is not None:  # one template per item of a list input
                template = template[index]
            if rule.scatter:
                g_load = ast.Name(g, ast.Load())
                self.scatter(atom.id, atom, stage.params["index"], g_load)
                continue
            assert isinstance(template, str)  # a list's item picked above
            expr = self.instantiate(template, stage, g, listed)
            if listed is not None:  # the item's part of the stacked gradient
                expr = ast.Subscript(expr, ast.Constant(index), ast.Load())
            mask = self._mask(stage, name, atom.id)
            inner = self._inner_mask(stage) if mask is None else None
            if inner is not None:  # before the sum: the where's shape fits here
                expr = inner.apply(expr)
                # the sum is zero too where the condition, of atom's shape, fails
                if _condition_names(inner.node) <= self._cover(atom.id):
                    mask = inner
            if rule.broadcasts:
                expr = self.reduce(expr, stage, atom)
            if mask is not None and inner is None and stage.gate != "where":
                expr = mask.apply(expr)
            self.contribute(atom.id, expr, mask)

    def _mask(self, stage: Stage, name: str, atom: str) -> Mask | None:
        """The branch of an `np.where` whose only gradient `stage` passes on.

        `np.where(x > 0, np.sqrt(x), 0.0)`: sqrt's gradient is NaN where x < 0,
        and zero times NaN is NaN; routed through the same where, the branch
        that was not taken never reaches dx."""
        if stage.gate == "where":
            condition = stage.params["condition"]
            return Mask(ast.dump(condition), name == "x", condition)
        mask = self.masks.get(stage.target)
        if mask is None or not self.choices.peepholes:
            return None
        klass = self.shapes.klass.get(stage.target)
        elementwise = RULES[cast(str, stage.gate)].kind in (SAME, BROADCAST)  # a gate
        same = self.shapes.of(mask.node)[1] == klass == self.shapes.klass.get(atom)
        return mask if same and elementwise else None

    def _inner_mask(self, stage: Stage) -> Mask | None:
        """The mask of an elementwise stage's output whose condition reads
        only values that broadcast into that output: `np.where(n > 0, x / n,
        0.0)`, `np.where(p > 0, p * np.log(p / q), 0.0)`. The where then
        applies to the gradient before it is summed to an input's shape
        (where n == 0, x / n's gradient is NaN and zero times NaN is NaN)."""
        mask = self.masks.get(stage.target)
        if mask is None or not self.choices.peepholes or stage.gate == "where":
            return None
        if stage.gate is None or RULES[stage.gate].kind not in (SAME, BROADCAST):
            return None
        names = _condition_names(mask.node)
        return mask if names and names <= self._cover(stage.target) else None

    def _cover(self, name: str) -> frozenset[str]:
        """`name` and the values whose shape broadcasts into its shape: the
        inputs of the elementwise gates that made it, and theirs."""
        if self.covers is None:
            self.covers = _covers(self.program)
        return self.covers.get(name, frozenset({name}))

    # -- branches ------------------------------------------------------------------

    def region(self, body: list[Node]) -> None:
        """Undo a forward region, last node first, into `self.blocks`."""
        for node in reversed(body):
            if isinstance(node, Branch):
                self.branch(node)
                continue
            # a gradient the other branch started is not one on this path
            reached = self.grad.get(node.target) in self.assigned
            if node.gate is not None and reached:
                self.stage(node)

    def branch(self, branch: Branch) -> None:
        """Each arm undone from the same state into a branch of blocks; a
        gradient only one arm starts is started at zero in the other, so
        both leave it defined."""
        assigned, owned, masks_before = set(self.assigned), set(self.owned), self.masks
        outer = self.blocks
        arms: dict[bool, list[Block | Branch]] = {}
        after: dict[bool, tuple[set[str], set[str], dict[str, Mask | None]]] = {}
        for taken, region in ((False, branch.orelse), (True, branch.then)):
            self.assigned, self.owned = set(assigned), set(owned)
            self.masks = dict(masks_before)
            self.blocks = arms[taken] = []
            self.region(region)
            after[taken] = (self.assigned, self.owned, self.masks)
        self.blocks = outer
        owner = {grad: var for var, grad in self.grad.items()}
        local = {stage.target for stage in leaves([branch])}  # they stay in their arm
        for taken in (True, False):
            gained = after[not taken][0] - after[taken][0]
            missing = sorted(name for name in gained if owner[name] not in local)
            if not missing:
                continue
            block = Block(note="no gradient reaches these on this branch")
            for name in missing:
                block.statements.append(
                    ast.Assign([ast.Name(name, ast.Store())], self._zero(owner[name]))
                )
                after[taken][1].add(name)
            arms[taken].append(block)
        self.blocks.append(Branch(branch.condition, arms[True], arms[False]))
        self.assigned = after[True][0] | after[False][0]
        self.owned = after[True][1] & after[False][1]
        then_masks, else_masks = after[True][2], after[False][2]
        self.masks = {
            var: (
                then_masks.get(var)
                if then_masks.get(var) == else_masks.get(var)
                else None
            )
            for var in {*then_masks, *else_masks}
        }

    def _zero(self, var: str) -> ast.expr:
        program = self.program
        if program.scalar or var in program.floats | program.float_params:
            return ast.Constant(0.0)
        np = ast.Name(NP, ast.Load())
        return ast.Call(
            ast.Attribute(np, "zeros_like"), [ast.Name(var, ast.Load())], []
        )

    # -- the whole pass ------------------------------------------------------------

    def run(self) -> Backward:
        program = self.program
        body = passes.live(program, self.options)
        for i, output in enumerate(program.outputs):
            if isinstance(output, ast.Name) and output.id in program.varied:
                seed: ast.expr = ast.Name(self.dout, ast.Load())
                if program.returns_tuple:
                    seed = _unless_none(
                        ast.Subscript(seed, ast.Constant(i), ast.Load()),
                        output,
                        program.scalar,
                    )
                self.contribute(output.id, seed)
        self.region(body)
        branched = any(isinstance(node, Branch) for node in body)
        returns = []
        missing = [p for p in program.wrt if p not in self.grad]
        if missing:
            self.blocks.append(Block(note="no gradient reaches " + ", ".join(missing)))
        for param in program.wrt:
            if param in missing:
                if program.scalar or param in program.float_params:
                    zero: ast.expr = ast.Constant(0.0)
                else:
                    np = ast.Name(NP, ast.Load())
                    zeros = ast.Call(
                        ast.Attribute(np, "zeros_like"),
                        [ast.Name(param, ast.Load())],
                        [],
                    )
                    zero = zeros
                    if self.shapes.rank.get(param) is None:
                        # [()] turns a 0-d result into a float: a float for a float
                        zero = ast.Subscript(
                            zeros, ast.Tuple([], ast.Load()), ast.Load()
                        )
                self.contribute(param, zero)
            returns.append(self.grad[param])
        blocks = self.blocks
        owner = {grad: var for var, grad in self.grad.items()}
        # THE HOOK: the passes over the blocks (masks, broadcasts, copies,
        # dead code) run here; a new one is one line in passes.BACKWARD
        context = passes.Context(set(returns), owner, self.shapes, allocates)
        blocks = passes.backward(
            blocks, context, self.options, not branched, program.scalar
        )
        arrays = kinds.proven_arrays(program.stages, program.params)
        dims = self.shapes.dims
        if dims is not None:  # declared shapes: rank 1 and more are arrays
            arrays |= {p for p in program.params if dims.shape.get(p, ()) != ()}
        # np.asarray of a parameter: a list of floats is float64; `x.astype`:
        # the forward's other reads of x then meet values of another dtype;
        # `float(loss)`: a Python float out, so a float64 dout
        converts = ("asarray", "astype", "cast", "float")
        listed = any(stage.gate in converts for stage in program.stages)
        # `GRID = np.linspace(...)` at module level: a float64 array
        listed = listed or any(
            kinds.names_in(stage.value) & program.array_constants
            for stage in program.stages
        )
        if listed or kinds.may_upcast(program.stages, program.varied):
            arrays = set()  # each gradient in its argument's dtype, by `_like`
        floats = program.floats | program.float_params
        new = set().union(*(b.handed_new for b in leaves(blocks)))
        # a parameter the text proves a float may still be a 0-d array
        # (`math.exp(a)` takes one): handed out by kind unless declared
        maybe_0d = program.float_params - program.declared_floats
        fixes = handout.hand_out(
            blocks, returns, program.wrt, floats - maybe_0d, arrays, program.scalar, new
        )
        note = "new arrays the caller may write into, a float for a float"
        blocks.append(Block(note=note, statements=fixes))
        blocks = join(blocks, lambda block: bool(block.statements))
        cache = saved.saved_values(program, body, blocks)
        shapes = {}
        if passes.save_shapes(self.options):
            shapes = saved.save_shapes(program, cache, blocks, self.names.take)
            cache = [shapes.get(name, name) for name in cache]
            shapes = {new: old for old, new in shapes.items()}
        return Backward(
            forward=body,
            cache=cache,
            shapes=shapes,
            blocks=blocks,
            returns=returns,
            dout=self.dout,
            cache_name=self.cache_name,
        )


def _sum_over(expr: ast.expr, lead: tuple[int, ...], kept: tuple[int, ...]) -> ast.expr:
    """np.sum over the broadcast axes: leading ones go, size-1 ones stay."""
    np_sum = ast.Attribute(ast.Name(NP, ast.Load()), "sum", ast.Load())

    def axis(axes: tuple[int, ...]) -> ast.keyword:
        value: Any = axes[0] if len(axes) == 1 else axes  # ast.Constant holds either
        return ast.keyword("axis", ast.Constant(value))

    if kept:
        keep = ast.keyword("keepdims", ast.Constant(True))
        expr = ast.Call(np_sum, [expr], [axis(kept), keep])
    if lead:
        expr = ast.Call(np_sum, [expr], [axis(lead)])
    return expr


def _unless_none(item: ast.expr, output: ast.Name, scalar: bool) -> ast.expr:
    """`dout[i]`, where None (no gradient from that output) counts as zeros."""
    if scalar:
        zero: ast.expr = ast.Constant(0.0)
    else:
        zeros_like = ast.Attribute(ast.Name(NP, ast.Load()), "zeros_like", ast.Load())
        zero = ast.Call(zeros_like, [output], [])
    test = ast.Compare(item, [ast.Is()], [ast.Constant(None)])
    return ast.IfExp(test, zero, copy.deepcopy(item))


def _inputs(stage: Stage):
    """(parameter, item index or None, atom) for every differentiable input."""
    for name, value in stage.inputs.items():
        if isinstance(value, (ast.List, ast.Tuple)):
            for index, item in enumerate(value.elts):
                yield name, index, item
        else:
            yield name, None, value
