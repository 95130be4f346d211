"""The seed's staged computation: one gate per line, atoms only.

Nested expressions split into one assignment per gate. The user's names are
kept; temporaries are numbered in order (`t1`, `t2`, ...); a name assigned
again gets a fresh version (`h`, then `h_1`), so no cached value is ever
overwritten. Values that carry no gradient (shapes, masks, constants) are
kept whole.
"""

from __future__ import annotations

import ast
import copy
import weakref
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

import libcst as cst

from . import effects, helpers, kinds, loops
from .errors import BpgenError
from .fuse import fuse
from .ir import Branch, Program, SetItem, Stage, append, leaves
from .location import Location
from .lower import (
    Lowerer,
    _tag,
    gate_of,
    get_slot,
    module_ref,
    set_slot,
    string_key,
)
from .parse import Source
from .rules import RULES, VIEW_GATES
from .simplify import number
from .tags import of, retag

if TYPE_CHECKING:
    from typing_extensions import TypeIs

# builtins an `assert` kept in the forward may call (`len(x) == len(y)`)
_CHECK_BUILTINS = {
    "len",
    "isinstance",
    "int",
    "float",
    "abs",
    "min",
    "max",
    "all",
    "any",
}


def kept_check(statement: ast.stmt, params: Collection[str]) -> bool:
    """Whether an `assert` reads only parameters (and the builtins above):
    the forward keeps it, as its first lines, when it comes before anything
    is computed (bpgen/flow/ follows the same rule)."""
    names = {n.id for n in ast.walk(statement) if isinstance(n, ast.Name)}
    return isinstance(statement, ast.Assert) and names <= set(params) | _CHECK_BUILTINS


_STATEMENT_HINTS = {
    cst.If: ("`if` statements", "use np.where(cond, a, b), max()/min() or np.maximum"),
    cst.For: ("`for` loops", "unroll the loop, or write it with array operations"),
    cst.While: ("`while` loops", "unroll the loop, or write it with array operations"),
    cst.With: ("`with` blocks", "move the context manager outside the function"),
    cst.Try: ("`try` blocks", "handle errors outside the forward function"),
    cst.FunctionDef: ("nested functions", "inline the helper's body"),
    cst.ClassDef: ("nested classes", "define classes outside the function"),
    cst.Global: ("`global` statements", "pass the value as a parameter instead"),
    cst.Nonlocal: ("`nonlocal` statements", "pass the value as a parameter instead"),
    cst.Import: ("imports inside the function", "import at module level"),
    cst.ImportFrom: ("imports inside the function", "import at module level"),
    cst.Del: ("`del` statements", "remove the statement; bpgen frees nothing early"),
    cst.Raise: ("`raise` statements", "check inputs before calling the function"),
    cst.Match: ("`match` statements", "use np.where or max()/min() for a branch"),
}


# gates whose result shares memory with their input (declared in rules.py)
_VIEWS = VIEW_GATES


@dataclass(frozen=True)
class Target:
    """One name of a tuple assignment target (`*rest` is starred)."""

    name: str
    starred: bool
    node: cst.CSTNode


def _early_return(node: cst.If) -> bool:
    """`if c:` (and its `elif`s) with no `else:`, each block ending in a
    `return`: numpy-ml's `if reduction == 'mean': return ... elif ...`."""
    if not isinstance(node.body, cst.IndentedBlock):
        return False
    end = node.body.body[-1] if node.body.body else None
    returns = isinstance(end, cst.SimpleStatementLine) and isinstance(
        end.body[-1], cst.Return
    )
    if not returns or node.orelse is None:
        return returns
    return isinstance(node.orelse, cst.If) and _early_return(node.orelse)


def _with_else(node: cst.If, rest: cst.IndentedBlock) -> cst.If:
    """`node` with `rest` as the `else:` of its last `elif`."""
    if node.orelse is None:
        return node.with_changes(orelse=cst.Else(body=rest))
    # an `elif` chain: the caller checked it ends without an `else`
    return node.with_changes(orelse=_with_else(cast(cst.If, node.orelse), rest))


class Stager:
    def __init__(self, source: Source, function: cst.FunctionDef, fusion: bool):
        self.source = source
        self.function = function
        self.fusion = fusion
        self.env: dict[str, str] = {}
        self.lower = Lowerer(source, self.env)
        self.lower.ints = _float_params(function, ("int",))  # x[:, t]: basic
        self.lower.function = function.name.value
        self.helper_chain = [function.name.value]  # callers of the helper staged now
        self.out_name = "out"  # what a returned value is called (helpers: relu_out)
        # a weak reference: a cycle here kept every staged node for the collector
        stager = weakref.ref(self)

        def helper(node, name, other=None):
            owner = stager()
            assert owner is not None  # lowering runs only while staging does
            return helpers.stage_call(owner, node, name, other)

        self.lower.helper = helper
        self.root: list = []  # the program's body (ir.py)
        self.checks: list[ast.Assert] = []  # leading asserts on parameters
        self.region: list = self.root  # the region staged into now
        self.varied: set[str] = set()
        self.bound: set[str] = set()
        # module names the function reads (math, np) may be reused as aliases
        self.taken = _identifiers(function) - set(source.imports)
        self.temps = 0
        self.params: set[str] = set()
        self.views: set[str] = set()  # values that share memory with another
        self.unnamed: set[str] = set()  # temporaries: no user name reaches them
        self.float_params = _float_params(function)
        self.inplace: list[tuple[cst.AugAssign, str, str, str]] = []
        self._varied_nodes: dict[int, tuple[ast.AST, bool]] = {}  # by id

    # -- names -----------------------------------------------------------------

    def fresh(self, base: str) -> str:
        """A name nobody uses yet: `base`, else `base_1`, `base_2`, ..."""
        name, n = base, 0
        while name in self.bound or (name != base and name in self.taken):
            n += 1
            name = f"{base}_{n}"
        self.bound.add(name)
        self.taken.add(name)
        return name

    def temp(self) -> str:
        while True:
            self.temps += 1
            name = f"t{self.temps}"
            if name not in self.taken:
                self.taken.add(name)
                self.bound.add(name)
                self.unnamed.add(name)
                return name

    # -- activity ----------------------------------------------------------------

    def is_varied(self, node: ast.AST) -> bool:
        """Whether `node`'s value depends on a differentiated input."""
        if isinstance(node, ast.Name):
            return node.id in self.varied
        entry = self._varied_nodes.get(id(node))
        if entry is None or entry[0] is not node:
            # the entry keeps its node alive, so no later node reuses its id
            entry = self._varied_nodes[id(node)] = (node, self._is_varied(node))
        return entry[1]

    def _is_varied(self, node: ast.AST) -> bool:
        gate = gate_of(node)
        if gate is not None:
            slots = of(node).slots
            assert slots is not None  # lower._tag tags every gate with its slots
            grads = RULES[gate].grads
            return any(
                self.is_varied(get_slot(node, slot))
                for name, slot in slots.items()
                if name in grads
            )
        if of(node).drops:  # float(), np.array(), ...
            return self.passes_through(cast(ast.Call, node))  # drops tags calls
        if isinstance(node, (ast.Call, ast.Compare, ast.Attribute, ast.Slice)):
            return False
        if is_lookup(node):
            return False
        return any(self.is_varied(c) for c in ast.iter_child_nodes(node))

    # -- expressions -------------------------------------------------------------

    def atom(self, node: ast.expr, target: str | None = None) -> ast.expr:
        """Stage `node` and return a Name or Constant standing for its value."""
        if isinstance(node, ast.Name) and target is None:
            return node
        if _is_literal(node) and target is None:
            return node
        if not self.is_varied(node):
            inline = not _free_locals(node, self.bound) and not _random(node)
            if target is None and inline:
                return node
            return self.emit(node, None, {}, {}, target)
        if of(node).drops == "asarray":  # np.asarray(x): x itself
            (value,) = cast(ast.Call, node).args
            if not isinstance(value, ast.Name):
                return self.atom(value, target)
            if value.id not in self.params:
                return value
            # a parameter may be a list: the forward makes it an array
            _tag(node, "asarray", {"a": ("args", 0)})
        if of(node).drops == "array":  # np.array(x): a copy of x
            _tag(node, "copy", {"a": ("args", 0)})
        gate = gate_of(node)
        if gate is None:
            raise self._refuse_nondifferentiable(node)
        rule = RULES[gate]
        slots = of(node).slots
        if (
            gate == "getitem"
            and isinstance(node, ast.Subscript)
            and isinstance(node.value, (ast.List, ast.Tuple))
        ):
            node = self._picked(node)  # `x = a, b, c; x[i]`
            gate, slots = "getitem", of(node).slots
        assert slots is not None  # lower._tag tags every gate with its slots
        if (
            gate == "getitem"
            and isinstance(node, ast.Subscript)
            and isinstance(node.value, (ast.List, ast.Tuple))
        ):
            raise self.source_error(
                node,
                "a list or tuple of differentiated values is indexed here with a "
                "computed position or a slice",
                "index it with a literal position (`items[1]`), or stack the items "
                "into an array with np.stack and index that",
            )
        inputs, params = {}, {}
        for name in rule.params:
            if name in slots and name in rule.grads:
                value = get_slot(node, slots[name])
                if isinstance(value, (ast.List, ast.Tuple)):  # np.stack([a, b])
                    value.elts = [self.atom(item) for item in value.elts]
                else:
                    value = self.atom(value)
                    set_slot(node, slots[name], value)
                inputs[name] = value
            elif name in slots:
                param = get_slot(node, slots[name])
                staged = self.stage_random(param)
                if staged is not param:
                    set_slot(node, slots[name], staged)
                # axis=AXIS: the rule reads the module constant's literal value
                params[name] = self.constant_literal(staged)
                # indices and conditions are discrete: no gradient flows into them
                read = params[name]
                if (
                    name not in rule.discrete
                    and isinstance(read, ast.Name)
                    and read.id in self.params
                    and self.is_varied(read)
                ):
                    constant = name.upper()
                    raise self.source_error(
                        node,
                        f"`{name}=` must be written as a literal here, not "
                        f"read from the parameter `{read.id}`",
                        f"write `{name}=` as a literal, or as a module constant "
                        f"(`{constant} = ...` at the top, `{name}={constant}`)",
                    )
                if name not in rule.discrete and self.is_varied(params[name]):
                    raise self.source_error(
                        node,
                        f"`{name}=` must be written as a literal here, not computed "
                        "from values being differentiated",
                        "write e.g. axis=0, keepdims=True, or a shape from x.shape",
                    )
            elif name in (of(node).extra or {}):
                params[name] = (of(node).extra or {})[name]
            elif name in rule.defaults:
                params[name] = ast.parse(rule.defaults[name], mode="eval").body
            else:
                raise self.source_error(node, f"missing argument `{name}`")
        if gate == "mul" and self.fusion and _same_atom(inputs["x"], inputs["y"]):
            gate, inputs = "square", {"x": inputs["x"]}  # x * x is one gate
        return self.emit(node, gate, inputs, params, target)

    def _picked(self, node: ast.Subscript) -> ast.expr:
        """`x[i]` of a pack `x = a, b, c` at a computed int position: the item
        of np.stack([a, b, c]) at i, so the picked item gets the gradient and
        the others zero. Items of different shapes fail in np.stack at run
        time, as NumPy says; a slice keeps the refusal (it is a tuple)."""
        items = cast("ast.List | ast.Tuple", node.value).elts  # the caller checked
        if isinstance(node.slice, (ast.Slice, ast.Tuple)) or not items:
            return node
        if self.is_varied(node.slice):
            return node  # refused below: an index carries no gradient
        stacked = ast.Call(module_ref("numpy", "stack"), [node.value], [])
        retag(stacked, at=of(node).at)
        self.lower.modules.add("numpy")
        _tag(stacked, "stack", {"arrays": ("args", 0)})
        picked = ast.Subscript(stacked, node.slice, ast.Load())
        retag(picked, at=of(node).at)
        return _tag(picked, "getitem", {"a": ("value",), "index": ("slice",)})

    def emit(self, value, gate, inputs, params, target) -> ast.Name:
        name = target or self.temp()
        if gate is not None:
            self.varied.add(name)
        advanced = gate == "getitem" and not basic_index(params["index"])
        if gate in _VIEWS and not advanced:  # fancy indexing copies
            # a view and its base share memory; only named bases are observable
            bases = {n.id for n in inputs.values() if isinstance(n, ast.Name)}
            named = bases - self.unnamed
            if named:
                self.views.update(named | {name})
        self.region.append(Stage(name, value, gate, inputs, params, of(value).at))
        return ast.Name(name, ast.Load())

    def source_error(self, node: ast.expr, message: str, hint: str | None = None):
        return self.source.error(of(node).at, message, hint)

    def _refuse_nondifferentiable(self, node: ast.expr) -> Exception:
        if isinstance(node, ast.Dict):
            return self.source_error(
                node,
                "a dict of differentiated values can only be read item by item",
                "read d['a'] where the value is used, or pass the dict to a helper",
            )
        if isinstance(node, (ast.Tuple, ast.List)):
            return self.source_error(
                node,
                "a tuple or list of differentiated values can only be returned",
                "assign each item to its own variable",
            )
        error = self.source_error(
            node,
            f"`{ast.unparse(node)}` has no gradient bpgen can compute",
            "operators // % & | ~ and `not` carry no gradient; apply them to "
            "values that are not differentiated",
        )
        error.parameters = self._varied_parameters(node)
        return error

    def _varied_parameters(self, node: ast.expr) -> set[str]:
        """The parameters whose values `node` reads, if it reads no other
        differentiated value: the default `wrt` leaves such ones out."""
        read = kinds.names_in(node) & self.varied
        return read if read <= self.params else set()

    def lowered(self, node: cst.BaseExpression) -> ast.expr:
        value = self.lower.expr(node)
        return fuse(value) if self.fusion else value

    # -- statements --------------------------------------------------------------

    def bind(self, user_name: str, value: ast.expr) -> None:
        """Bind a user name to a staged value (a new SSA version)."""
        if isinstance(value, ast.Name) and value.id in self.bound:
            self.env[user_name] = value.id
            return
        name = self.fresh(user_name)
        self.emit(value, None, {}, {}, name)
        if self.is_varied(value):
            self.varied.add(name)
        self.env[user_name] = name

    def check(self, node: cst.Assert) -> None:
        """An `assert` on parameters before anything is computed is kept at
        the top of the forward; any other computes nothing that has a
        gradient and is left out, as `python -O` leaves it out."""
        statement = ast.parse(self.source.code(node).strip()).body[0]
        names = {n.id for n in ast.walk(statement) if isinstance(n, ast.Name)}
        if (
            not self.root
            and self.region is self.root
            and len(self.helper_chain) == 1
            and isinstance(statement, ast.Assert)
            and kept_check(statement, self.params)
            and all(self.env.get(n, n) == n for n in names)  # none rebound
        ):
            self.checks.append(statement)

    def assign(self, targets: list[cst.BaseAssignTargetExpression], value) -> None:
        items = [t for t in targets if isinstance(t, cst.Subscript)]
        if items:
            if len(targets) > 1:
                raise self.source.error(
                    items[0],
                    "an item assignment must be the only target of its statement",
                    "write one assignment per target",
                )
            self.set_item(items[0], self.lowered(value))
            return
        patterns = [self.target_names(t) for t in targets]
        if all(p is None for p in patterns):
            names = [t.value for t in targets]  # type: ignore[attr-defined]
            lowered = self.lowered(value)
            if len(names) == 1 and self.is_pack(lowered):
                # `b = [1.0, a * a]`: the name stands for its staged items
                self.env[names[0]] = self.pack(lowered, names[0])
                return
            if len(names) == 1 and not isinstance(lowered, ast.Name):
                # stage straight into the user's own name: `f = num * invden`
                staged = self.atom(lowered, self.fresh(names[0]))
                self.env[names[0]] = cast(ast.Name, staged).id  # a target: a name
                return
            atom = self.atom(lowered)
            for name in names:
                self.bind(name, atom)
            return
        literal = isinstance(value, (cst.Tuple, cst.List)) and not any(
            isinstance(e, cst.StarredElement) for e in value.elements
        )
        if literal and all(p is not None for p in patterns):
            atoms = [self.atom(self.lowered(e.value)) for e in value.elements]
            for pattern in patterns:
                self._unpack_items(pattern, atoms, value)  # type: ignore[arg-type]
            return
        lowered = self.lowered(value)
        if (
            isinstance(lowered, (ast.List, ast.Tuple))
            and self.is_pack(lowered)
            and None not in patterns
        ):
            pieces = [e if self.is_pack(e) else self.atom(e) for e in lowered.elts]
            for pattern in patterns:  # `x, w = cache`: a pack's items
                self._unpack_items(pattern, pieces, value)  # type: ignore[arg-type]
            return
        if isinstance(lowered, helpers.HelperTuple) and None not in patterns:
            # np.split's pieces; a helper's cache tuple stays a pack
            pieces = [e if self.is_pack(e) else self.atom(e) for e in lowered.elts]
            for pattern in patterns:  # `fc, relu = affine_relu(...)`
                self._unpack_items(pattern, pieces, value)  # type: ignore[arg-type]
            return
        calls = any(isinstance(n, ast.Call) for n in ast.walk(lowered))
        if calls or self.is_varied(lowered):
            lowered = self.atom(lowered)  # computed once, then unpacked
        for target, pattern in zip(targets, patterns, strict=True):
            if pattern is None:
                self.bind(target.value, lowered)  # type: ignore[attr-defined]
            else:
                self._unpack_value(pattern, lowered, value)

    def is_pack(self, value: ast.expr) -> TypeIs[ast.List | ast.Tuple | ast.Dict]:
        """A list, tuple or literal-keyed dict holding differentiated values."""
        if isinstance(value, ast.Dict):  # literal keys: always read item by item
            return True
        return isinstance(value, (ast.List, ast.Tuple)) and self.is_varied(value)

    def pack(self, value: ast.List | ast.Tuple | ast.Dict, base: str) -> str:
        """Stage each item; a fresh name standing for the items."""

        def staged(item: ast.expr) -> ast.expr:  # a pack in a pack stays one
            if not self.is_pack(item):
                return self.atom(item)
            return self.lower.packs[self.pack(item, base)]

        if isinstance(value, ast.Dict):
            value.values = [staged(item) for item in value.values]
        else:
            value.elts = [staged(item) for item in value.elts]
        name = self.fresh(base)
        self.lower.packs[name] = value
        return name

    def _unpack_items(self, pattern: list[Target], atoms: list[ast.expr], value):
        """`a, b = e1, e2`: each name takes its item; a starred name a list."""
        star = next((i for i, t in enumerate(pattern) if t.starred), None)
        fixed = len(pattern) - (star is not None)
        if len(atoms) != fixed and (star is None or len(atoms) < fixed):
            at_least = "at least " if star is not None else ""
            raise self.source.error(
                value,
                f"cannot unpack {len(atoms)} values into {at_least}{fixed} names",
                "give one name per value on the left",
            )
        after = len(pattern) - 1 - star if star is not None else 0
        for i, target in enumerate(pattern):
            if target.starred:
                rest = atoms[i : len(atoms) - after]
                if any(self.is_varied(a) for a in rest):
                    raise self._refuse_star(target)
                self.bind(target.name, ast.List(rest, ast.Load()))
            else:
                k = i if star is None or i < star else len(atoms) - (len(pattern) - i)
                atom = atoms[k]
                if self.is_pack(atom):  # a helper's returned cache tuple
                    self.env[target.name] = self.pack(atom, target.name)
                else:
                    self.bind(target.name, atom)

    def _unpack_value(self, pattern: list[Target], atom: ast.expr, value) -> None:
        """`N, C, H, W = x.shape`: each name takes its item of the value."""
        varied = self.is_varied(atom)
        star = next((i for i, t in enumerate(pattern) if t.starred), None)
        if varied and star is not None:
            raise self._refuse_star(pattern[star])
        for i, target in enumerate(pattern):
            if star is None or i < star:
                index: ast.expr = ast.Constant(i)
            elif i > star:
                index = ast.Constant(i - len(pattern))
            else:
                stop = i + 1 - len(pattern)
                index = ast.Slice(
                    ast.Constant(i) if i else None,
                    ast.Constant(stop) if stop else None,
                )
            item: ast.expr = ast.Subscript(copy.deepcopy(atom), index, ast.Load())
            retag(item, at=self.source.location(target.node))
            if target.starred:  # Python collects a starred target into a list
                item = ast.Call(ast.Name("list", ast.Load()), [item], [])
                retag(item, at=self.source.location(target.node))
            elif varied:
                _tag(item, "getitem", {"a": ("value",), "index": ("slice",)})
            staged = self.atom(item, self.fresh(target.name))
            self.env[target.name] = cast(ast.Name, staged).id  # a target: a name

    def _refuse_star(self, target: Target) -> Exception:
        return self.source.error(
            target.node,
            f"starred target `*{target.name}` would collect differentiated values "
            "into a list",
            "unpack into one name per value",
        )

    def passes_through(self, call: ast.Call) -> bool:
        """Whether a call without gradient (float(), np.array(), np.prod(),
        ...) is given a differentiated value: np.asarray(x) alone passes x
        through unchanged; the others would drop its gradient, so are refused."""
        values = [*call.args, *(k.value for k in call.keywords)]
        name = of(call).drops
        if name in _THROUGH:  # a shape, a count, a stop: no gradient
            first, last, keys = _THROUGH[name]
            values = call.args[first:last]
            if name == "arange":  # np.arange(n) is a count; start and step count
                values = call.args[0:1] + call.args[2:3] if len(call.args) > 1 else []
            values += [k.value for k in call.keywords if k.arg in keys]
        if not any(self.is_varied(v) for v in values):
            return False
        one = len(call.args) == 1 and not call.keywords
        listed = one and isinstance(call.args[0], (ast.List, ast.Tuple, ast.Starred))
        if one and not listed and name in ("asarray", "array"):
            return True  # np.asarray(x) is x, np.array(x) a copy of x
        instead = {
            "array": "use np.stack([a, b]) to make one array of several values",
            "asarray": "use np.stack([a, b]) for several values; drop the dtype",
            "full": "write `c * np.ones(shape)`: a product carries c's gradient",
            "full_like": "write `c * np.ones_like(a)`: a product carries c's gradient",
            "linspace": "write `a + (b - a) * np.linspace(0.0, 1.0, n)`",
            "arange": "write `start + step * np.arange(n)`",
        }
        raise self.source_error(
            call,
            f"`{name}()` of a value being differentiated would drop its gradient",
            instead.get(name or "", "apply it to values that are not differentiated"),
        )

    # -- item assignment -----------------------------------------------------------

    def set_item(self, target: cst.Subscript, value: ast.expr) -> None:
        """`out[index] = value` into an array the function made: a new version
        `out_1`, a copy of `out` with those items replaced."""
        if not isinstance(target.value, cst.Name):
            raise self.source.error(
                target,
                "bpgen assigns items only into a local array named on its own",
                "assign the array to a name first, then write `name[...] = value`",
            )
        name = target.value.value
        current = self.env.get(name)
        pack = self.lower.packs.get(current)  # type: ignore[arg-type]
        if isinstance(pack, ast.Dict):  # grads['w'] = dw: a new pack
            self._set_key(target, name, pack, value)
            return
        if current in self.lower.packs:
            raise self.source.error(
                target,
                f"`{name}` is a list of differentiated values; bpgen does not "
                "assign into its items",
                "build the list with its final items, or use np.stack and an array",
            )
        if current is None:
            raise self.source.error(
                target.value,
                f"`{name}` is assigned into before it is defined",
                "create the array first, e.g. with np.zeros_like",
            )
        self._check_writable(target, name, current)
        items = [self.lower._index(e) for e in target.slice]
        index = items[0] if len(items) == 1 else ast.Tuple(items, ast.Load())
        index = self.stage_random(index)  # discrete: no gradient flows into it
        value = self.atom(value)
        array = ast.Name(current, ast.Load())
        node = SetItem(array, index, value)
        retag(node, at=self.source.location(target))
        varied = current in self.varied or self.is_varied(value)
        inputs = {"a": array, "value": value}
        new = self.fresh(name)
        self.emit(node, "setitem" if varied else None, inputs, {"index": index}, new)
        self.env[name] = new

    def _set_key(self, target: cst.Subscript, name: str, pack: ast.Dict, value):
        """`d['k'] = v` on a dict of literal keys: the name stands for a new
        pack with that key set; the old one is left as it was."""
        index = self.lower._index(target.slice[0]) if len(target.slice) == 1 else None
        if not (isinstance(index, ast.Constant) and isinstance(index.value, str)):
            raise self.source.error(
                target,
                f"`{name}` is a dict of values; bpgen assigns into it only at a "
                "literal string key",
                f"write {name}['key'] = value",
            )
        keys = [k.value for k in pack.keys]  # type: ignore[union-attr]
        values = list(pack.values)
        item = (
            self.lower.packs[self.pack(value, name)]
            if self.is_pack(value)
            else self.atom(value)
        )
        if index.value in keys:
            values[keys.index(index.value)] = item
        else:
            keys.append(index.value)
            values.append(item)
        new = ast.Dict([ast.Constant(k) for k in keys], values)
        self.env[name] = self.fresh(name)
        self.lower.packs[self.env[name]] = new

    def _check_writable(self, target: cst.Subscript, name: str, current: str) -> None:
        """Refuse a write another name would see: the caller's array, an alias,
        a view, a module constant."""
        holder = None
        if current in self.params:
            holder = f"the parameter `{current}`, the caller's array"
            if current != name:
                holder = f"`{current}`, a parameter: the caller's array"
        shared = sorted(n for n, v in self.env.items() if v == current and n != name)
        if holder is None and shared:
            holder = f"an array `{shared[0]}` also names"
        if holder is None and current in self.views:
            holder = "an array that shares memory with another (.T, reshape, x[...])"
        made = self.made(current)
        if holder is None and not self._owned(current):
            holder = "a value the function did not create as a new array"
            if made is not None and isinstance(made.value, ast.Name):
                holder = f"the module constant `{made.value.id}`"
        if holder is not None:
            raise self.source.error(
                target,
                f"assigning into `{name}[...]` would change {holder}; bpgen "
                "assigns items only into an array the function itself created",
                f"copy it first: `{name} = {name}.copy()`, then assign into the copy",
            )

    def constant_literal(self, node: ast.expr) -> ast.expr:
        """The literal value of a module constant (`AXIS = 1`), else `node`."""
        if not isinstance(node, ast.Name) or node.id in self.bound:
            return node
        statement = self.source.constants.get(node.id)
        if statement is None or len(statement.body) != 1:
            return node
        value = getattr(statement.body[0], "value", None)
        try:
            # value: None only for `K: float` without one, refused before here
            literal = ast.literal_eval(self.source.code(cast(cst.CSTNode, value)))
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            return node
        return ast.parse(repr(literal), mode="eval").body

    def _owned(self, name: str) -> bool:
        """Whether `name` is a new array, or a view of new arrays only no user
        name reaches (`np.squeeze(a + b)`): nobody else sees a write into it."""
        made = self.made(name)
        if made is None:
            return False
        if makes_array(made):
            return True
        bases = [made.inputs.get("a")] if made.gate in _VIEWS else []
        return bool(bases) and all(
            isinstance(b, ast.Name) and b.id in self.unnamed and self._owned(b.id)
            for b in bases
        )

    def stage_random(self, node: ast.expr) -> ast.expr:
        """A random draw in an index or a condition is staged, so the backward
        reads the cached draw instead of drawing again."""
        return self.emit(node, None, {}, {}, None) if _random(node) else node

    def note_inplace(self, node: cst.AugAssign) -> None:
        """On arrays `y += e` updates y in place, and every alias of y with it;
        staging makes a new version instead. Remember where that differs."""
        name = cast(cst.Name, node.target).value  # the caller took y[i] += v apart
        current = self.env.get(name)
        if current is None:
            return
        shared = [n for n, v in self.env.items() if v == current and n != name]
        if current in self.float_params:
            return  # a float is immutable: += rebinds it
        if current in self.params or shared or current in self.views:
            holder = (
                f"`{shared[0]}`" if shared else "a view of it (.T, reshape, x[...])"
            )
            if current in self.params:
                holder = "the caller"
            self.inplace.append((node, name, holder, current))

    def target_names(self, target: cst.BaseExpression) -> list[Target] | None:
        """None for a plain name, else the names a tuple target unpacks into."""
        if isinstance(target, cst.Name):
            return None
        if isinstance(target, (cst.Tuple, cst.List)):
            pattern: list[Target] = []
            for element in target.elements:
                starred = isinstance(element, cst.StarredElement)
                if starred and any(t.starred for t in pattern):
                    raise self.source.error(
                        element, "two starred names in one assignment"
                    )
                if not isinstance(element.value, cst.Name):
                    raise self._refuse_target(element.value)
                pattern.append(Target(element.value.value, starred, element))
            return pattern
        raise self._refuse_target(target)

    def _refuse_target(self, target: cst.CSTNode) -> Exception:
        if isinstance(target, cst.Attribute):
            return self.source.error(
                target,
                "assigning into an attribute changes a value in place",
                "build a new array instead, e.g. with reshape or np.where",
            )
        if isinstance(target, cst.Subscript):
            return self.source.error(
                target,
                "assigning into an item inside a tuple target is not supported",
                "write one assignment per item: `a[i] = u`, then `b = v`",
            )
        return self.source.error(
            target,
            "only names can be assigned to here",
            "unpack a nested tuple in two steps: `ab, c = ...`, then `a, b = ab`",
        )

    def statement(self, node: cst.BaseSmallStatement) -> None:
        if self.lower.consts:  # a finished loop's variable, assigned anew
            for name in _assigned_names(node):
                self.lower.consts.pop(name, None)
        if isinstance(node, cst.Assign):
            self.assign([t.target for t in node.targets], node.value)
        elif isinstance(node, cst.AnnAssign):
            if node.value is None:
                return
            self.assign([node.target], node.value)
        elif isinstance(node, cst.AugAssign):
            if not isinstance(node.target, (cst.Name, cst.Subscript)):
                raise self._refuse_target(node.target)
            operator = node.operator._get_token().rstrip("=")  # type: ignore[attr-defined]
            op = {"+": cst.Add(), "-": cst.Subtract(), "*": cst.Multiply()}
            op.update({"/": cst.Divide(), "**": cst.Power(), "@": cst.MatrixMultiply()})
            if operator not in op:
                raise self.source.error(
                    node.operator,
                    f"`{operator}=` is not supported",
                    "use += -= *= /= **= or @=",
                )
            combined = cst.BinaryOperation(node.target, op[operator], node.value)
            # report errors at the augmented assignment itself
            self.source.origin[combined] = node
            if isinstance(node.target, cst.Subscript):  # y[i] += v: y[i] = y[i] + v
                self.set_item(node.target, self.lowered(combined))
                return
            self.note_inplace(node)
            self.assign([node.target], combined)
        elif isinstance(node, cst.Assert):
            self.check(node)
        elif isinstance(node, cst.Pass):
            return
        elif isinstance(node, cst.Expr):
            if isinstance(
                node.value, (cst.SimpleString, cst.ConcatenatedString, cst.Ellipsis)
            ):
                return  # a docstring, or `...` as a placeholder: nothing runs
            if isinstance(node.value, (cst.Yield, cst.Await)):
                raise self.lower.refuse(node.value)
            call = node.value
            if isinstance(call, cst.Call) and effects.is_print(self, call):
                effects.stage_print(self, call)  # kept in the forward
                return
            if (
                isinstance(call, cst.Call)
                and isinstance(call.func, cst.Attribute)
                and call.func.attr.value in ("append", "extend")
            ):  # removing it, as the hint below says, would change the result
                raise self.source.error(
                    node,
                    f"`.{call.func.attr.value}()` here is not supported: a list is "
                    "appended to only inside a loop whose trip count is known only "
                    "at run time (`range(n)`, `while`), then read by np.stack",
                    "write the list out (`parts = [a, b, c]`) and stack or "
                    "concatenate that, or loop over range(n) with n a parameter",
                )
            if (
                isinstance(call, cst.Call)
                and isinstance(call.func, cst.Attribute)
                and call.func.attr.value == "at"
            ):  # np.add.at(out, idx, v): an in-place scatter, not a side effect
                raise self.source.error(
                    node,
                    "`ufunc.at` writes into its first argument in place; bpgen "
                    "has no rule for it",
                    "without repeated indices `out[idx] += v` is the same; with "
                    "them add a one-hot product: "
                    "`out = out + np.eye(len(out))[idx].T @ v`",
                )
            what = "a call" if isinstance(node.value, cst.Call) else "an expression"
            raise self.source.error(
                node,
                f"{what} whose result is not used; the forward function must be "
                "free of side effects",
                "remove the statement (logging included), or assign it; "
                "print(...) alone on its line is kept",
            )
        else:
            what, hint = _STATEMENT_HINTS.get(
                type(node), (f"`{type(node).__name__}` statements", None)
            )
            raise self.source.error(node, f"{what} are not supported", hint)

    def body(self) -> tuple[list[ast.expr], bool]:
        statements = self._suite(self.function.body)  # as `if` and loop bodies
        returned = self.block(statements, last=True)
        if returned is None:
            raise self.source.error(
                self.function.name,
                "the function has no `return` at its end",
                "return the value to differentiate",
            )
        return returned

    def block(
        self,
        statements: Sequence[cst.BaseStatement | cst.SimpleStatementSuite],
        last: bool,
    ) -> tuple[list[ast.expr], bool] | None:
        """Stage `statements`; what a `return` among them returns (if `last`)."""
        for i, line in enumerate(statements):
            final = last and i == len(statements) - 1
            if isinstance(line, cst.For):
                self.unrolled(line)
                continue
            if isinstance(line, cst.FunctionDef):
                helpers.nested_def(self, line)  # a helper local to the function
                continue
            if isinstance(line, cst.If):
                if last and not final and _early_return(line):
                    # `if c: ...; return v` then more: the rest is the `else:`
                    # a one-line body is one statement: the rest are statements
                    after = cast("list[cst.BaseStatement]", list(statements[i + 1 :]))
                    rest = cst.IndentedBlock(body=after)
                    line = _with_else(line, rest)
                    final = True
                # the branch is known now: a `return` in it ends the function
                returned = self.static_if(line, last)
                if returned is not None:
                    return returned
                continue
            if not isinstance(
                line, (cst.SimpleStatementLine, cst.SimpleStatementSuite)
            ):
                what, hint = _STATEMENT_HINTS.get(
                    type(line), (f"`{type(line).__name__}` statements", None)
                )
                raise self.source.error(line, f"{what} are not supported", hint)
            for j, small in enumerate(line.body):
                if isinstance(small, cst.Return):
                    if not (final and j == len(line.body) - 1):
                        raise self.source.error(
                            small,
                            "`return` must be the last statement",
                            "remove the statements after it",
                        )
                    return self.returned(small)
                self.statement(small)
        return None

    def _suite(
        self, suite: cst.BaseSuite
    ) -> list[cst.BaseStatement | cst.SimpleStatementSuite]:
        if isinstance(suite, cst.SimpleStatementSuite):
            return [suite]
        return list(cast(cst.IndentedBlock, suite).body)  # the other kind

    def unrolled(self, node: cst.For) -> None:
        """A loop with a static trip count, staged once per iteration."""
        variable = loops.check_body(self, node)
        body = self._suite(node.body)
        for value in loops.iterations(self, node):
            if isinstance(value, int):
                self.lower.consts[variable] = value
            elif isinstance(value, cst.Tuple) and isinstance(node.target, cst.Tuple):
                self._bind_row(node.target, value)  # zip(...) or enumerate(...)
            elif isinstance(value, cst.SimpleString):
                self._bind_row(node.target, value)  # for key in ("W1", "W2")
            else:
                self.lower.consts.pop(variable, None)
                self.assign([node.target], value)
            self.block(body, last=False)

    def _bind_row(self, target: cst.BaseExpression, value: cst.BaseExpression):
        """`i, (W, b)` bound to `(0, (W1, b1))`: enumerate's count a constant."""
        if isinstance(target, (cst.Tuple, cst.List)):
            assert isinstance(value, cst.Tuple)  # loops._literal_zip made it
            for part, item in zip(target.elements, value.elements, strict=True):
                self._bind_row(part.value, item.value)
            return
        name = cast(cst.Name, target).value  # loops.check_body: names only
        if isinstance(value, cst.Integer):
            self.lower.consts[name] = int(value.value)
        elif isinstance(value, cst.SimpleString) and isinstance(
            text := value.evaluated_value, str
        ):
            self.lower.consts[name] = text  # zip(["a", "b"], ...)
        else:
            self.lower.consts.pop(name, None)
            self.assign([cast(cst.BaseAssignTargetExpression, target)], value)

    def runtime_if(
        self, node: cst.If, final: bool
    ) -> tuple[list[ast.expr], bool] | None:
        """A `Branch` whose arms are staged from the same names; names either
        arm assigns merge after it (each arm assigns the merged version)."""
        test = self.condition(node.test)
        negated = isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not)
        # a flag (`if train:`) or a comparison; the branch taken carries no gradient
        comparison = isinstance(test, (ast.Compare, ast.BoolOp, ast.Name)) or negated
        if self.is_varied(test) and not comparison:
            raise self.source.error(
                node.test,
                "a branch on a value being differentiated needs a comparison",
                "write the condition as a comparison, e.g. `if a > 0:`",
            )
        if isinstance(test, ast.Name) and test.id in self.bound:
            condition = test.id
        else:
            condition = self.emit(test, None, {}, {}, self.fresh("cond")).id
            self.varied.discard(condition)
        before, outer = dict(self.env), self.region
        branch = Branch(condition)
        outer.append(branch)  # in the tree while staging: see `made`
        arms = []
        for suite, arm in ((node.body, branch.then), (node.orelse, branch.orelse)):
            self.env.clear()
            self.env.update(before)
            self.region = arm
            if isinstance(suite, cst.If):  # elif
                returned = self.static_if(suite, final)
            elif isinstance(suite, cst.Else):
                returned = self.block(self._suite(suite.body), final)
            elif suite is not None:
                returned = self.block(self._suite(suite), final)
            else:
                returned = None
            arms.append((dict(self.env), returned))
        self.region = outer
        (then_env, then_out), (else_env, else_out) = arms
        if (then_out is None) != (else_out is None):
            at = node if then_out is None or node.orelse is None else node.orelse
            raise self.source.error(
                at,
                "`return` in only one branch of an `if` is not supported",
                "assign the result in both branches and return it after the `if`",
            )
        self.env.clear()
        merged = [n for n in then_env if n in else_env and then_env[n] != else_env[n]]
        self.env.update({n: v for n, v in then_env.items() if n in else_env})
        for name in merged:
            self.env[name] = self._merge(
                name, branch, then_env[name], else_env[name], (then_env, else_env)
            )
        outputs = None
        if then_out is not None:
            envs = (then_env, else_env)
            outputs = self._merge_outputs(node, branch, then_out, else_out, envs)
        outer.pop()  # joins the branch before it on the same condition, if any
        append(outer, branch)
        return outputs

    def condition(self, node: cst.BaseExpression) -> ast.expr:
        """An `if` test: `and`, `or` and `not` of comparisons are Python's here."""
        if isinstance(node, cst.BooleanOperation):
            op = ast.And() if isinstance(node.operator, cst.And) else ast.Or()
            value: ast.expr = ast.BoolOp(
                op, [self.condition(node.left), self.condition(node.right)]
            )
        elif isinstance(node, cst.UnaryOperation) and isinstance(
            node.operator, cst.Not
        ):
            value = ast.UnaryOp(ast.Not(), self.condition(node.expression))
        else:
            return self.lowered(node)
        retag(value, at=self.source.location(node))
        return value

    def _merge(self, name, branch, then_value, else_value, envs) -> str:
        """`name` after the `if`: one version both arms assign. An arm that
        computes its value itself assigns it under that name; an arm that
        keeps an older value copies it (`a_2 = a`)."""
        values = (then_value, else_value)
        bodies = (branch.then, branch.orelse)
        own = [self._own(values[i], bodies[i], envs[i], name) for i in range(2)]
        if own[0] is not None:
            merged = then_value
        elif own[1] is not None:
            merged = else_value
        else:
            merged = self.fresh(name)
        varied = then_value in self.varied or else_value in self.varied
        for i in range(2):
            value = values[i]
            if value == merged:
                continue
            if own[i] is not None:
                self._rename(bodies[i][own[i] :], value, merged)
                continue
            source = ast.Name(value, ast.Load())
            stage = Stage(merged, source, None)
            if varied:
                stage = Stage(merged, source, "pos", {"x": source})
            bodies[i].append(stage)
        if varied:
            self.varied.add(merged)
        return merged

    def _own(self, value, body, env, name) -> int | None:
        """Where the arm computes `value` itself (a stage of its own, not of a
        branch inside it), if no other name holds it."""
        if value in self.views or any(v == value for n, v in env.items() if n != name):
            return None
        for k, stage in enumerate(body):
            if isinstance(stage, Stage) and stage.target == value:
                return k
        return None

    def _rename(self, region: list, old: str, new: str) -> None:
        for stage in leaves(region):
            if stage.target == old:
                stage.target = new
            for node in [stage.value, *stage.inputs.values(), *stage.params.values()]:
                for child in ast.walk(node):
                    if isinstance(child, ast.Name) and child.id == old:
                        child.id = new
        if old in self.varied:
            self.varied.add(new)

    def made(self, name: str) -> Stage | None:
        """The last stage staged so far that assigns `name`."""
        return next((s for s in _last_first(self.root) if s.target == name), None)

    def _merge_outputs(self, node, branch, then_out, else_out, envs):
        (then_values, then_tuple), (else_values, else_tuple) = then_out, else_out
        if then_tuple != else_tuple or len(then_values) != len(else_values):
            raise self.source.error(
                node,
                "the branches of this `if` return different numbers of values",
                "return the same number of values from each branch",
            )
        names = []
        for i, (a, b) in enumerate(zip(then_values, else_values, strict=True)):
            # `if n < eps: return 0.0`: the constant is named in its own arm
            a, b = self._named(a, branch.then), self._named(b, branch.orelse)
            if not (isinstance(a, ast.Name) and isinstance(b, ast.Name)):
                raise self.source.error(
                    node,
                    "a branch returns a constant; bpgen merges returned names only",
                    "assign the value to a name in each branch and return it after",
                )
            base = self.out_name if len(then_values) == 1 else f"{self.out_name}{i}"
            merged = self._merge(base, branch, a.id, b.id, envs)
            names.append(ast.Name(merged, ast.Load()))
        return names, then_tuple

    def _named(self, value: ast.expr, arm: list) -> ast.expr:
        """A returned constant as a name the arm assigns, so it can merge."""
        if not isinstance(value, ast.Constant):
            return value
        name = self.fresh(self.out_name)
        arm.append(Stage(name, value, None))
        return ast.Name(name, ast.Load())

    def static_if(
        self, node: cst.If, final: bool
    ) -> tuple[list[ast.expr], bool] | None:
        """Only the branch taken by a condition known while staging."""
        try:
            taken = bool(loops.static_value(self, node.test))
        except LookupError:
            return self.runtime_if(node, final)
        if taken:
            return self.block(self._suite(node.body), final)
        if isinstance(node.orelse, cst.If):  # elif
            return self.static_if(node.orelse, final)
        if isinstance(node.orelse, cst.Else):
            return self.block(self._suite(node.orelse.body), final)
        return None

    def returned_item(self, value: ast.expr) -> ast.expr:
        """One returned value; a helper's pack (`return out, (x, w)`, a
        CS231n cache) stays a pack of staged items for its caller."""
        if len(self.helper_chain) > 1 and self.is_pack(value):
            return self.lower.packs[self.pack(value, "cache")]
        return self.atom(value)

    def returned(self, node: cst.Return) -> tuple[list[ast.expr], bool]:
        if node.value is None:
            raise self.source.error(node, "`return` needs a value")
        if isinstance(node.value, cst.Tuple):
            values = [self.lowered(e.value) for e in node.value.elements]
            return [self.returned_item(v) for v in values], True
        value = self.lowered(node.value)
        if isinstance(value, helpers.HelperTuple):  # return helper(...) of a tuple
            return list(value.elts), True
        if isinstance(value, ast.Tuple):  # `y = a, b` then `return y`
            return [self.atom(v) for v in value.elts], True
        if isinstance(value, ast.List) and self.is_varied(value):
            raise self.source.error(
                node.value,
                "a list of differentiated values is returned; bpgen returns several "
                "values as a tuple",
                "return a tuple instead: `return a, b`",
            )
        if isinstance(value, ast.Name) or not self.is_varied(value):
            return [self.atom(value)], False
        return [self.atom(value, self.fresh(self.out_name))], False


def _assigned_names(node: cst.BaseSmallStatement) -> list[str]:
    targets: list[cst.BaseExpression] = []
    if isinstance(node, cst.Assign):
        targets = [t.target for t in node.targets]
    elif isinstance(node, (cst.AnnAssign, cst.AugAssign)):
        targets = [node.target]
    names = []
    for target in targets:
        if isinstance(target, (cst.Tuple, cst.List)):
            items = [e.value for e in target.elements]
            names += [item.value for item in items if isinstance(item, cst.Name)]
        elif isinstance(target, cst.Name):
            names.append(target.value)
    return names


def _identifiers(function: cst.FunctionDef) -> set[str]:
    """Every `cst.Name` in the function, by a plain walk over the node fields:
    a CSTVisitor rebuilds each node it passes and cost ten times as much."""
    names: set[str] = set()
    stack: list[cst.CSTNode] = [function]
    node_type, name_type = cst.CSTNode, cst.Name
    while stack:
        node = stack.pop()
        if type(node) is name_type:
            names.add(node.value)
            continue
        for name in _child_fields(type(node)):
            value = getattr(node, name)
            if isinstance(value, node_type):
                stack.append(value)
            elif isinstance(value, (tuple, list)):
                stack.extend(v for v in value if isinstance(v, node_type))
    return names


# fields that hold only whitespace, brackets, punctuation or comments: no Name
_NO_NAMES = frozenset(
    "lpar rpar comma semicolon leading_lines lines_after_decorators header "
    "footer equal colon newline indent".split()
)


_FIELDS: dict[type, tuple[str, ...]] = {}


def _child_fields(cls: type) -> tuple[str, ...]:
    fields = _FIELDS.get(cls)
    if fields is None:
        import dataclasses

        fields = _FIELDS[cls] = tuple(
            f.name
            for f in dataclasses.fields(cls)
            if "whitespace" not in f.name and f.name not in _NO_NAMES
        )
    return fields


def _is_literal(node: ast.expr) -> bool:
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        return isinstance(node.operand, ast.Constant)
    return False


def _random(node: ast.expr) -> bool:
    """Whether evaluating `node` draws random numbers."""
    return any(of(n).random for n in ast.walk(node))


def _free_locals(node: ast.expr, bound: set[str]) -> bool:
    return any(isinstance(n, ast.Name) and n.id in bound for n in ast.walk(node))


def stage(
    source: Source,
    function: cst.FunctionDef,
    wrt: list[str] | None,
    *,
    fusion: bool = True,
    activity: bool = True,
    scalars: set[str] | frozenset[str] = frozenset(),
    labels: set[str] | frozenset[str] = frozenset(),
) -> Program:
    """Stage `function`; `activity=False` treats every parameter as differentiated.

    The default `wrt` is every parameter that carries a gradient: dicts,
    labels, sizes and shapes are left out (they are staged again without).
    `scalars` are parameters declared 0-d, `labels` ones declared integer or
    boolean arrays.
    """
    # by default, an int parameter used where no gradient can flow
    # (`C // n_head`) is a size: staged again without it
    dropped: set[str] = set()
    first: BpgenError | None = None
    while True:
        given = wrt
        if dropped:
            names = [p.name.value for p in _parameters(function)]
            given = [p for p in names if p not in dropped]
        try:
            program = _stage(source, function, given, fusion, activity, scalars)
            break
        except BpgenError as exc:
            sizes: set[str] = getattr(exc, "parameters", set()) & _int_params(function)
            if wrt is not None or not sizes or sizes <= dropped:
                raise first or exc from None
            first = first or exc
            dropped |= sizes
    numeric, read = kinds.numeric_params(program.params, program.body, program.outputs)
    indices = kinds.index_params(program.stages, program.params)
    inert = [p for p in program.wrt if p in (read - numeric) | labels | indices]
    if inert and wrt is None:
        keep = [p for p in program.wrt if p not in inert]
        return _stage(source, function, keep, fusion, activity, scalars)
    if inert:
        name = inert[0]
        if name in labels:
            params = [*function.params.params, *function.params.kwonly_params]
            at: cst.CSTNode | Location = next(p for p in params if p.name.value == name)
            what = "is annotated as integers or booleans"
        else:
            reads = (s for s in program.stages if name in kinds.names_in(s.value))
            at = next((s.at for s in reads), None) or function  # else a flag
            what = "is used only as a dict, an index, a size or a shape here"
            if name in indices:
                what = "indexes an array here (integers or booleans)"
        raise source.error(
            at, f"`{name}` {what}; it has no gradient", f"leave `{name}` out of wrt"
        )
    return program


def _stage(source, function, wrt, fusion, activity, scalars) -> Program:
    if function.asynchronous is not None:
        raise source.error(
            function, "async functions are not supported", "drop `async`"
        )
    stager = Stager(source, function, fusion)
    names, signature = _signature(stager, function)
    if wrt is None:
        wrt = list(names)
    for name in wrt:
        if name not in names:
            from .errors import UsageError

            raise UsageError(
                f"`{name}` in wrt is not a parameter of {function.name.value}() "
                f"(parameters: {', '.join(names) or 'none'})",
                filename=source.filename,
                hint="list parameter names of the function",
            )
    if len(set(wrt)) != len(wrt):
        from .errors import UsageError

        twice = next(n for n in wrt if wrt.count(n) > 1)
        raise UsageError(
            f"wrt names `{twice}` twice",
            filename=source.filename,
            hint="name each parameter once",
        )
    for name in names:
        stager.env[name] = name
        stager.bound.add(name)
    stager.varied.update(wrt if activity else names)
    stager.params.update(names)
    outputs, returns_tuple = stager.body()
    lower = stager.lower
    stages = list(leaves(stager.root))
    floats = kinds.proven_floats(stages, _float_params(function) | scalars)
    numeric, _ = kinds.numeric_params(names, stager.root, outputs)
    scalar = (
        "numpy" not in lower.modules and bool(names) and numeric | set(wrt) <= floats
    )
    inplace = [entry for entry in stager.inplace if entry[3] not in floats]
    if not scalar and inplace:
        node, name, holder, _ = inplace[0]
        raise source.error(
            node,
            f"`{name} {node.operator._get_token()} ...` would change an array in place "  # type: ignore[attr-defined]
            f"that {holder} also holds; bpgen's forward makes a new array instead",
            f"write `{name} = {name} {node.operator._get_token()[:-1]} ...` to make "  # type: ignore[attr-defined]
            "the new array explicit, or annotate float parameters `float`",
        )
    return Program(
        name=function.name.value,
        signature=signature,
        params=names,
        wrt=list(wrt),
        body=stager.root,
        outputs=outputs,
        returns_tuple=returns_tuple,
        varied=stager.varied,
        scalar=scalar,
        float_params=floats & set(names),
        floats=floats,
        modules=set(lower.modules),
        constants=set(lower.constants),
        taken=stager.taken,
        unnamed=stager.unnamed,
        declared_floats=_float_params(function) & set(names),
        checks=stager.checks,
        array_constants={c for c in lower.constants if _array_constant(source, c)},
    )


def _array_constant(source: Source, name: str) -> bool:
    """Whether the module constant `name` may be a NumPy array (or a list
    NumPy makes one of): not a literal number, string, None or tuple of ints."""
    statement = source.constants.get(name)
    value = None if statement is None else getattr(statement.body[0], "value", None)
    if value is None:
        return False  # imported from a sibling module, or `K: float` alone
    try:
        literal = ast.literal_eval(source.code(cast(cst.CSTNode, value)))
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return True
    if isinstance(literal, tuple):  # axes; `x * (0.5, 2.0)` is a float64 array
        return not all(item is None or type(item) is int for item in literal)
    return not (literal is None or isinstance(literal, (int, float, complex, str)))


# the arguments through which these calls' values depend on a value:
# (first, end) of the positional ones, and the keywords
_THROUGH = {
    "full": (1, 2, ("fill_value",)),
    "full_like": (1, 2, ("fill_value",)),
    "linspace": (0, 2, ("start", "stop")),
    "arange": (0, 1, ("start", "step")),  # and the step, args[2]
}


def _parameters(function: cst.FunctionDef) -> list[cst.Param]:
    return [*function.params.params, *function.params.kwonly_params]


def _int_params(function: cst.FunctionDef) -> set[str]:
    """Parameters annotated `int` or defaulting to an int (`n_head=2`,
    `dim=-1`): sizes and axes, the way users write them."""
    found = _float_params(function, ("int",))
    for param in _parameters(function):
        default = param.default
        if isinstance(default, cst.UnaryOperation):
            default = default.expression
        if isinstance(default, cst.Integer):
            found.add(param.name.value)
    return found


def _signature(
    stager: Stager, function: cst.FunctionDef
) -> tuple[list[str], ast.arguments]:
    params = function.params
    if params.star_arg not in (None, cst.MaybeSentinel.DEFAULT) and not isinstance(
        params.star_arg, cst.ParamStar
    ):
        raise stager.source.error(
            params.star_arg, "`*args` is not supported", "name each parameter"
        )
    if params.star_kwarg is not None:
        raise stager.source.error(
            params.star_kwarg, "`**kwargs` is not supported", "name each parameter"
        )
    if params.posonly_params:
        raise stager.source.error(
            params.posonly_params[0],
            "positional-only parameters are not supported",
            "remove the `/`",
        )
    positional, defaults, keyword, kw_defaults = [], [], [], []
    for param in params.params:
        positional.append(ast.arg(param.name.value))
        if param.default is not None:
            defaults.append(stager.lower.expr(param.default))
    for param in params.kwonly_params:
        keyword.append(ast.arg(param.name.value))
        default = param.default
        kw_defaults.append(None if default is None else stager.lower.expr(default))
    names = [a.arg for a in positional + keyword]
    return names, ast.arguments(
        [], positional, None, keyword, kw_defaults, None, defaults
    )


def _float_params(function: cst.FunctionDef, kinds=("float", "int")) -> set[str]:
    """Parameters annotated `float` or `int`: surely scalars."""
    params = [*function.params.params, *function.params.kwonly_params]
    return {
        p.name.value
        for p in params
        if p.annotation is not None
        and isinstance(p.annotation.annotation, cst.Name)
        and p.annotation.annotation.value in kinds
    }


def _last_first(body: list):
    """The stages of a region, last staged first."""
    for node in reversed(body):
        if isinstance(node, Branch):
            yield from _last_first(node.orelse)
            yield from _last_first(node.then)
        else:
            yield node


def is_lookup(node: ast.AST) -> bool:
    """`params["eps"]`: a dict read with a string key, never differentiated."""
    return isinstance(node, ast.Subscript) and string_key(node.slice)


def basic_index(index: ast.expr) -> bool:
    """Slices, ints, None and ...: a view that never repeats an element."""
    parts = index.elts if isinstance(index, ast.Tuple) else [index]
    return all(
        isinstance(p, ast.Slice)
        or (isinstance(p, ast.Constant) and (p.value is None or p.value is ...))
        or type(number(p)) is int
        or of(p).integer  # a parameter annotated `int`
        or (isinstance(p, ast.Attribute) and p.attr == "newaxis")
        for p in parts
    )


# calls that return a new array (the rest may return their argument or a view)
_BUILDERS = frozenset(
    """zeros ones full empty zeros_like ones_like full_like empty_like eye
    identity arange linspace array copy astype""".split()
)
# gates that may return their input or a view of it: the declared views
# (broadcast_to, atleast_1d/2d/3d among them) and np.asarray
_NOT_FRESH = _VIEWS | {"asarray"}


def makes_array(stage: Stage) -> bool:
    """Whether `stage` surely makes a new array nobody else holds."""
    if stage.gate == "getitem":
        return not basic_index(stage.params["index"])
    if stage.gate is not None:
        return stage.gate not in _NOT_FRESH
    value = stage.value
    if isinstance(value, (SetItem, ast.BinOp, ast.UnaryOp, ast.Compare)):
        return True
    if isinstance(value, ast.Subscript):
        return not basic_index(value.slice)
    if isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute):
        return value.func.attr in _BUILDERS or of(value).random
    return False


def _same_atom(a: ast.expr, b: ast.expr) -> bool:
    return isinstance(a, ast.Name) and isinstance(b, ast.Name) and a.id == b.id
