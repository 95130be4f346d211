"""The fence: turn an accepted LibCST expression into a stdlib `ast` tree.

Only the node kinds listed here get through; anything else is refused at its
own line and column. Names are resolved as they go: locals to their current
SSA name, imports to qualified names (`from math import exp` and `math.exp`
are one gate), module constants to themselves. Calls and operators that are
gates are tagged with the rule name (`tags.Tags.gate`) and where each of the
rule's inputs sits in the node (`slots`), so staging can split them apart.
"""

from __future__ import annotations

import ast
import builtins
import copy
import functools
from collections.abc import Callable
from typing import Any, cast

import libcst as cst

from . import calls, helpers
from .parse import Source
from .rules import FLOATS, OPERATORS, RULES
from .tags import of, retag

# Placeholders for the modules; emit.py spells them with collision-free names.
# A NUL never appears raw in unparsed code (string literals escape it), so
# emit can replace them in the text.
NP = "\x00np\x00"
MATH = "\x00math\x00"

# the gates among them are declared in rules.py (Rule.operator)
_BINARY = {
    cst.Add: ast.Add,
    cst.Subtract: ast.Sub,
    cst.Multiply: ast.Mult,
    cst.Divide: ast.Div,
    cst.Power: ast.Pow,
    cst.MatrixMultiply: ast.MatMult,
    cst.FloorDivide: ast.FloorDiv,
    cst.Modulo: ast.Mod,
    cst.BitAnd: ast.BitAnd,
    cst.BitOr: ast.BitOr,
    cst.BitXor: ast.BitXor,
}
_UNARY = {
    cst.Minus: ast.USub,
    cst.Plus: ast.UAdd,
    cst.BitInvert: ast.Invert,
    cst.Not: ast.Not,
}
_COMPARE = {
    cst.LessThan: ast.Lt,
    cst.LessThanEqual: ast.LtE,
    cst.GreaterThan: ast.Gt,
    cst.GreaterThanEqual: ast.GtE,
    cst.Equal: ast.Eq,
    cst.NotEqual: ast.NotEq,
    cst.Is: ast.Is,  # `y is None`: CS231n's loss(X, y=None) returns the scores
    cst.IsNot: ast.IsNot,
}
_REFUSED = {
    cst.IfExp: (
        "a conditional expression (`a if cond else b`) here",
        "bpgen reads one in a statement alone on its line as an if/else; give "
        "the statement a line of its own (not an `if`/`while` test, no `;`), "
        "or use np.where(cond, a, b)",
    ),
    cst.Lambda: (
        "a lambda",
        "bind it to a name on a line of its own (`g = lambda t: t * t`, read as "
        "a nested def), or write the computation inline",
    ),
    cst.ListComp: (
        "a list comprehension",
        "bpgen reads one in a statement alone on its line (not an `if`/`for`/"
        "`while` header) as loops appending to a list; elsewhere use array "
        "operations (np.sum(x * w, axis=...))",
    ),
    cst.GeneratorExp: (
        "a generator expression",
        "bpgen reads `sum(...)`, `max(...)` or `min(...)` of one, in a statement "
        "alone on its line, as loops; elsewhere use array operations "
        "(`np.sum(w ** 2)`) or a list comprehension",
    ),
    cst.SetComp: ("a set comprehension", "use array operations instead"),
    cst.DictComp: ("a dict comprehension", "use array operations instead"),
    cst.Set: ("a set", "pass values as separate variables"),
    cst.Await: ("`await`", "differentiate a plain (not async) function"),
    cst.Yield: ("`yield`", "return the value instead of yielding it"),
    cst.FormattedString: ("an f-string", "remove it from the forward function"),
    cst.NamedExpr: ("an assignment expression (`:=`)", "use a separate assignment"),
    cst.Imaginary: ("a complex number", "bpgen differentiates real-valued code"),
}

Slot = tuple[Any, ...]

LOOKED = (
    "bpgen looked in the function, the module's functions, constants and "
    "imports, and Python's builtins"
)
# numpy.random functions that draw values (shuffle works in place: refused)
RANDOM = frozenset(
    """rand randn random random_sample uniform normal standard_normal binomial
    randint choice permutation poisson exponential""".split()
)
_BUILTIN_HINTS = {
    "sum": "use np.sum(x) (or x.sum())",
    "round": "rounding has no gradient; use np.round on values not differentiated",
    "list": "build an array with np.array or np.stack instead",
    "tuple": "write the tuple out: (a, b)",
    "print": "print returns None; write `print(...)` alone on its line",
}


# np.finfo(float).eps and the like: machine limits, constants of a dtype
_MACHINE_LIMITS = frozenset({"eps", "epsneg", "tiny", "smallest_normal", "max", "min"})


def get_slot(node: ast.AST, slot: Slot) -> Any:
    found: Any = node  # a node, or a list of them (`args`) on the way
    for step in slot:
        found = found[step] if isinstance(step, int) else getattr(found, step)
    return found


def set_slot(node: ast.AST, slot: Slot, value: ast.expr) -> None:
    *path, last = slot
    parent = get_slot(node, tuple(path))
    if isinstance(last, int):
        parent[last] = value
    else:
        setattr(parent, last, value)


def string_key(index: ast.expr) -> bool:
    """A dict key, surely a string: `"eps"`, `"W%d" % i`, `"W" + str(i)`,
    `f"W{i}"`, `"W{}".format(i)` (CS231n's `self.params` idioms); no array is
    indexed by one."""
    if isinstance(index, ast.Constant):
        return isinstance(index.value, str)
    if isinstance(index, ast.JoinedStr):
        return True
    if isinstance(index, ast.BinOp) and isinstance(index.op, (ast.Mod, ast.Add)):
        return string_key(index.left) or (
            isinstance(index.op, ast.Add) and string_key(index.right)
        )
    if isinstance(index, ast.Call) and isinstance(index.func, ast.Attribute):
        return index.func.attr == "format" and string_key(index.func.value)
    return False


_KEY_NODES = (
    ast.Name,
    ast.Constant,
    ast.BinOp,
    ast.Add,
    ast.Mod,
    ast.Load,
    ast.JoinedStr,
    ast.FormattedValue,
    ast.Call,
    ast.Attribute,
    ast.Tuple,
)


def _string_key_of(node: cst.Subscript) -> ast.expr | None:
    """The one index of `node` as it is written when it is a string key built
    of names, constants, `str(...)`, `%`, `+`, f-strings and `.format`."""
    if len(node.slice) != 1 or not isinstance(node.slice[0].slice, cst.Index):
        return None
    code = cst.Module([]).code_for_node(node.slice[0].slice.value)
    try:
        key = ast.parse(f"({code})", mode="eval").body
    except SyntaxError:
        return None
    if not string_key(key) or not all(isinstance(n, _KEY_NODES) for n in ast.walk(key)):
        return None
    calls = [n for n in ast.walk(key) if isinstance(n, ast.Call)]
    if not all(
        (isinstance(c.func, ast.Name) and c.func.id == "str")
        or (isinstance(c.func, ast.Attribute) and c.func.attr == "format")
        for c in calls
    ):
        return None
    return key


def placeholder(module: str) -> str:
    """The name standing for `module` until emit.py picks its alias."""
    return {"numpy": NP, "math": MATH}.get(module, f"\x00{module}\x00")


def module_ref(module: str, attr: str) -> ast.Attribute:
    return ast.Attribute(ast.Name(placeholder(module), ast.Load()), attr, ast.Load())


class Lowerer:
    """Lowers expressions of one function; `env` maps user names to SSA names."""

    def __init__(self, source: Source, env: dict[str, str]) -> None:
        self.source = source
        self.env = env
        # loop variables of unrolled loops, bound to their value this iteration
        self.consts: dict[str, int | str] = {}  # unrolled loops' variables
        # `b = [1.0, a, t]`: a name bound to a list or tuple of staged atoms
        self.packs: dict[str, ast.List | ast.Tuple | ast.Dict] = {}
        self.ints: set[str] = set()  # parameters annotated `int`
        self.constants: set[str] = set()
        self.modules: set[str] = set()
        self.builtin_gates: set[str] = set()
        self.function: str | None = None  # the function being lowered
        self.opaque_calls = False  # any library call passes (declared gradients)
        # stages a call to a function of this module (set by the stager)
        self.helper: Callable[..., ast.expr] | None = None
        # `def _fn(a, n): ...` nested in the function: staged like a helper
        self.local_functions: dict[str, cst.FunctionDef] = {}

    # -- entry ---------------------------------------------------------------

    def expr(self, node: cst.BaseExpression) -> ast.expr:
        handler = getattr(self, "_" + type(node).__name__, None)
        if handler is None:
            raise self.refuse(node)
        result = handler(node)
        retag(result, at=self.source.location(node))  # where errors point
        return result

    def refuse(self, node: cst.CSTNode) -> Exception:
        what, hint = _REFUSED.get(
            type(node),
            (
                f"this kind of expression ({type(node).__name__})",
                "use arithmetic, math/NumPy calls and indexing only",
            ),
        )
        return self.source.error(node, f"{what} is not supported by bpgen", hint)

    # -- atoms ----------------------------------------------------------------

    def _Name(self, node: cst.Name) -> ast.expr:
        name = node.value
        if name in self.consts:
            return ast.Constant(self.consts[name])
        if name in self.env:
            if self.env[name] in self.packs:
                return copy.deepcopy(self.packs[self.env[name]])
            loaded = ast.Name(self.env[name], ast.Load())
            if name in self.ints and self.env[name] == name:  # never reassigned
                retag(loaded, integer=True)
            return loaded
        if name in ("True", "False", "None"):
            return ast.Constant({"True": True, "False": False, "None": None}[name])
        if name in ("float", "int", "bool"):  # dtype=float, .astype(int)
            return ast.Name(name, ast.Load())
        qualified = self.source.imports.get(name)
        if qualified is not None and qualified.rpartition(".")[2] == name:
            module = qualified.rpartition(".")[0]
            if helpers.sibling_constant(self.source, module, name):
                self.constants.add(name)  # from layers import EPS: copied
                return ast.Name(name, ast.Load())
        if name in self.source.constants:
            self.constants.add(name)
            return ast.Name(name, ast.Load())
        if qualified in calls.CONSTANTS:
            module, _, attr = qualified.rpartition(".")
            self.modules.add(module)
            return module_ref(module, attr)
        if qualified is not None or name in self.source.functions:
            what = f"`{name}` ({qualified})" if qualified else f"the function `{name}`"
            raise self.source.error(
                node,
                f"{what} is used as a value",
                "call functions directly; bpgen cannot pass modules or functions",
            )
        if self._assigned_earlier(node, name):
            raise self.source.error(
                node,
                f"`{name}` may be unbound here: it is assigned above, but not on "
                "every path to this line (an `if` without an `else`, or a branch "
                "or loop that does not run)",
                f"assign `{name}` on every path: an `else:` that assigns it, or "
                "a first value before the `if`",
            )
        raise self.source.error(
            node,
            f"name `{name}` is not defined: {LOOKED}",
            "define it before this line, pass it as a parameter, or import it at "
            "module level",
        )

    def _assigned_earlier(self, node: cst.Name, name: str) -> bool:
        """Whether the function being lowered binds `name` on a line above
        `node` (then "not defined" would be false: it is defined on some paths)."""
        line = self.source.where(node)[0] - self.source.line_offset
        try:
            tree = ast.parse(self.source.text)
        except SyntaxError:
            return False
        return any(
            isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef))
            and fn.name == self.function
            and any(
                isinstance(n, ast.Name)
                and n.id == name
                and isinstance(n.ctx, ast.Store)
                and n.lineno < line
                for n in ast.walk(fn)
            )
            for fn in ast.walk(tree)
        )

    def _Integer(self, node: cst.Integer) -> ast.expr:
        return ast.Constant(_number(node.value))

    _Float = _Integer

    def _SimpleString(self, node: cst.SimpleString) -> ast.expr:
        return ast.Constant(node.evaluated_value)

    def _Ellipsis(self, node: cst.Ellipsis) -> ast.expr:
        return ast.Constant(...)

    def _Tuple(self, node: cst.Tuple) -> ast.expr:
        return ast.Tuple([self._element(e) for e in node.elements], ast.Load())

    def _List(self, node: cst.List) -> ast.expr:
        return ast.List([self._element(e) for e in node.elements], ast.Load())

    def _Dict(self, node: cst.Dict) -> ast.expr:
        """`{'a': a, 'b': b}` with literal string keys: a named pack, read
        back by `val['a']` (a dict of differentiated values has no gate)."""
        keys: list[ast.expr | None] = []
        values = []
        for element in node.elements:
            key = getattr(element, "key", None)
            if not isinstance(key, cst.SimpleString):
                raise self.source.error(
                    element,
                    "a dict is supported only with literal string keys",
                    "write {'a': a, 'b': b}, or pass the values as separate "
                    "variables",
                )
            keys.append(ast.Constant(ast.literal_eval(key.value)))
            values.append(self.expr(element.value))
        return ast.Dict(keys, values)

    def _dict_call(self, node: cst.Call) -> ast.expr:
        """`dict(a=a, b=b)`: the same named pack as `{'a': a, 'b': b}`."""
        keys: list[ast.expr | None] = []
        values = []
        for arg in node.args:
            if arg.keyword is None or arg.star:
                raise self.source.error(
                    arg,
                    "dict() is supported only with keyword arguments",
                    "write dict(a=a, b=b) or {'a': a, 'b': b}",
                )
            keys.append(ast.Constant(arg.keyword.value))
            values.append(self.expr(arg.value))
        return ast.Dict(keys, values)

    def _listed(self, node: cst.Call) -> bool:
        """One argument, written as a list or tuple or naming a pack."""
        if len(node.args) != 1 or node.args[0].keyword or node.args[0].star:
            return False
        value = node.args[0].value
        if isinstance(value, (cst.List, cst.Tuple)):
            return bool(value.elements)
        return isinstance(value, cst.Name) and self.env.get(value.value) in self.packs

    def _sum_of_items(self, node: cst.Call) -> ast.expr:
        """`sum([a, b, c])`: a + b + c, one add gate per item (the start 0
        changes no float)."""
        items = self.expr(node.args[0].value)
        assert isinstance(items, (ast.List, ast.Tuple))
        total = items.elts[0]
        for item in items.elts[1:]:
            total = ast.BinOp(total, ast.Add(), item)
            retag(total, at=self.source.location(node))
            _tag(total, "add", {"x": ("left",), "y": ("right",)})
        return total

    def _element(self, element: cst.BaseElement) -> ast.expr:
        if isinstance(element, cst.StarredElement):
            raise self.source.error(
                element, "starred elements are not supported", "list the items"
            )
        return self.expr(element.value)

    # -- operators ------------------------------------------------------------

    def _BinaryOperation(self, node: cst.BinaryOperation) -> ast.expr:
        op = _BINARY.get(type(node.operator))
        if op is None:
            raise self.source.error(
                node.operator,
                # every concrete operator has _get_token; the base type does not
                f"the operator `{node.operator._get_token()}` is not supported",  # type: ignore[attr-defined]
                "use + - * / ** @ or a NumPy function",
            )
        result = ast.BinOp(self.expr(node.left), op(), self.expr(node.right))
        return _tag(result, OPERATORS.get(op), {"x": ("left",), "y": ("right",)})

    def _UnaryOperation(self, node: cst.UnaryOperation) -> ast.expr:
        op = _UNARY[type(node.operator)]
        result = ast.UnaryOp(op(), self.expr(node.expression))
        return _tag(result, OPERATORS.get(op), {"x": ("operand",)})

    def _Comparison(self, node: cst.Comparison) -> ast.expr:
        ops, comparators = [], []
        for target in node.comparisons:
            op = _COMPARE.get(type(target.operator))
            if op is None:
                raise self.source.error(
                    target.operator,
                    "this comparison is not supported",
                    "use < <= > >= == != between numbers or arrays",
                )
            ops.append(op())
            comparators.append(self.expr(target.comparator))
        return ast.Compare(self.expr(node.left), ops, comparators)

    def _BooleanOperation(self, node: cst.BooleanOperation) -> ast.expr:
        raise self.source.error(
            node,
            "`and`/`or` are not supported",
            "combine masks with & and |, or use np.logical_and",
        )

    # -- attributes, subscripts, calls ----------------------------------------

    def _qualified(self, node: cst.BaseExpression) -> str | None:
        """`np.exp` -> 'numpy.exp' when the head is an import, else None."""
        parts: list[str] = []
        while isinstance(node, cst.Attribute):
            parts.append(node.attr.value)
            node = node.value
        if not isinstance(node, cst.Name) or node.value in self.env:
            return None
        head = self.source.imports.get(node.value)
        if head is None:
            if parts or node.value in self.source.constants:
                return None
            head = f"builtins.{node.value}"
        return ".".join([head, *reversed(parts)])

    def _Attribute(self, node: cst.Attribute) -> ast.expr:
        qualified = self._qualified(node)
        if qualified is not None:
            if qualified in calls.CONSTANTS:
                module, _, attr = qualified.rpartition(".")
                self.modules.add(module)
                return module_ref(module, attr)
            raise self.source.error(
                node,
                f"`{qualified}` is not a constant bpgen knows",
                "use math.pi/np.pi-style constants, or pass the value as a parameter",
            )
        attr = node.attr.value
        if isinstance(node.value, cst.Call) and self._qualified(node.value.func) in (
            "numpy.finfo",
            "numpy.iinfo",
        ):  # numpy-ml's eps = np.finfo(float).eps: a constant, no gradient
            if attr not in _MACHINE_LIMITS:
                raise self.source.error(
                    node.attr,
                    f"`.{attr}` is not a machine limit bpgen knows",
                    "use " + ", ".join(f".{a}" for a in sorted(_MACHINE_LIMITS)),
                )
            self.modules.add("numpy")
            qualified = cast(str, self._qualified(node.value.func))  # checked above
            kind = qualified.rpartition(".")[2]
            args, keywords = self._arguments(node.value)
            call = ast.Call(module_ref("numpy", kind), args, keywords)
            return ast.Attribute(call, attr, ast.Load())
        value = self.expr(node.value)
        result = ast.Attribute(value, attr, ast.Load())
        if attr == "T":
            return _tag(result, "transpose", {"a": ("value",)})
        if attr in calls.STATIC_ATTRIBUTES:
            return result
        raise self.source.error(
            node.attr,
            f"the attribute `.{attr}` is not supported",
            "use .T, .shape, .ndim, .size or .dtype on arrays",
        )

    def _Subscript(self, node: cst.Subscript) -> ast.expr:
        key = _string_key_of(node)
        if isinstance(key, ast.Constant):  # params["eps"]: below, as ever
            key = None
        if key is not None:
            # params["W" + str(i)] of a parameter: `str` is fine in a key
            value = self.expr(node.value)
            key = None if isinstance(value, ast.Dict) else key  # a named pack
        if key is not None:
            lowerer = self

            class Names(ast.NodeTransformer):  # the names as the lowerer reads them
                def visit_Name(self, name: ast.Name) -> ast.expr:
                    if name.id == "str":
                        return name
                    return lowerer.expr(cst.Name(name.id))

            return ast.Subscript(value, Names().visit(key), ast.Load())
        items = [self._index(e) for e in node.slice]
        index = items[0] if len(items) == 1 else ast.Tuple(items, ast.Load())
        value = self.expr(node.value)
        if isinstance(value, ast.Dict):  # a named pack: `val['a']` is that item
            wanted = index.value if isinstance(index, ast.Constant) else None
            for name, item in zip(value.keys, value.values, strict=True):
                if isinstance(name, ast.Constant) and name.value == wanted:
                    return item
            raise self.source.error(
                node,
                f"this dict has no literal key {ast.unparse(index)}",
                "index a dict of values with one of its literal keys: "
                + ", ".join(ast.unparse(k) for k in value.keys if k is not None),
            )
        if isinstance(value, (ast.List, ast.Tuple)):
            position = _position(index)
            if position is not None and -len(value.elts) <= position < len(value.elts):
                return value.elts[position]  # `items[1]`: that item itself
        result = ast.Subscript(value, index, ast.Load())
        if string_key(index):
            return result  # params["eps"], params["W%d" % i]: a lookup, not a gate
        return _tag(result, "getitem", {"a": ("value",), "index": ("slice",)})

    def _index(self, element: cst.SubscriptElement) -> ast.expr:
        part = element.slice
        if isinstance(part, cst.Index):
            if part.star is not None:
                raise self.source.error(part, "starred indices are not supported")
            return self.expr(part.value)
        assert isinstance(part, cst.Slice)  # the other kind of slice
        bounds = [
            None if b is None else self.expr(b)
            for b in (part.lower, part.upper, part.step)
        ]
        return ast.Slice(*bounds)

    def _Call(self, node: cst.Call) -> ast.expr:
        for arg in node.args:
            if arg.star == "**":
                raise self.source.error(
                    arg,
                    "`**kwargs` in a call are not supported",
                    "pass each keyword argument by name",
                )
        qualified = self._qualified(node.func)
        if qualified is not None:
            call = self._function_call(node, qualified)
        elif isinstance(node.func, cst.Attribute):
            call = self._method_call(node)
        else:
            call = None
        if call is not None:
            starred = [a for a in node.args if a.star]
            packed = of(call).extra  # x.reshape(n, *rest)
            if starred and gate_of(call) is not None and not packed:
                raise self.source.error(
                    starred[0],
                    "`*args` in a call are supported only where no gradient "
                    "flows (np.random.rand(*x.shape), np.zeros(...))",
                    "pass each argument",
                )
            return call
        raise self.source.error(
            node.func,
            "only math/NumPy functions and array methods can be called",
            "inline the called function's body into the forward function",
        )

    def _arguments(self, node: cst.Call) -> tuple[list[ast.expr], list[ast.keyword]]:
        args: list[ast.expr] = []
        keywords: list[ast.keyword] = []
        for arg in node.args:
            value = self.expr(arg.value)
            if arg.star == "*":
                args.append(ast.Starred(value, ast.Load()))
            elif arg.keyword is None:
                args.append(value)
            else:
                keywords.append(ast.keyword(arg.keyword.value, value))
        return args, keywords

    def _function_call(self, node: cst.Call, qualified: str) -> ast.expr:
        module, _, name = qualified.rpartition(".")
        if module == "numpy.random" and name in RANDOM:
            return self._random_call(node, name)
        declared = self._declared(qualified)
        if declared is not None:
            return self._declared_call(node, qualified, declared)
        local = name in self.local_functions
        helper = local or name in self.source.functions
        if module == "builtins" and helper and self.helper:
            return self.helper(node, name)  # a function of this module (helpers.py)
        if qualified == "builtins.dict":
            return self._dict_call(node)
        if qualified == "builtins.sum" and self._listed(node):
            return self._sum_of_items(node)
        if qualified in ("numpy.split", "numpy.array_split"):
            return self._split(node, equal=name == "split")
        if qualified == "numpy.linalg.slogdet":
            return self._slogdet(node)
        if qualified == "numpy.linalg.eigvalsh":
            return self._eigvalsh(node)
        if qualified == "numpy.linalg.eigh":
            return self._eigh(node)
        gate = calls.gate_spelled(qualified)
        if gate is None and self.opaque_calls and module != "builtins":
            self.modules.add(module)  # in a declared gradient: called, not traced
            args, keywords = self._arguments(node)
            return ast.Call(module_ref(module, name), args, keywords)
        if gate is None and self.helper and module not in ("builtins", "math"):
            other = helpers.sibling(self.source, module, name)
            if other is not None:  # from layers import affine_forward
                return self.helper(node, name, other)
        if gate is None and not calls.is_nondifferentiable(qualified):
            raise self._unknown_call(node, qualified)
        if module == "builtins":
            func: ast.expr = ast.Name(name, ast.Load())
            if gate is not None:
                self.builtin_gates.add(gate)
        elif module.startswith("numpy."):  # np.linalg.norm: a NumPy submodule
            self.modules.add("numpy")
            func = module_ref("numpy", module.partition(".")[2])
            func = ast.Attribute(func, name, ast.Load())
        else:
            self.modules.add(module)
            func = module_ref(module, name)
        args, keywords = self._arguments(node)
        call = ast.Call(func, args, keywords)
        if gate is None and calls.drops_gradient(qualified):
            retag(call, drops=name)
        if gate is not None and RULES[gate].kind == FLOATS:  # builtin max, min
            return self._fold_extremum(node, call, gate)
        if gate and RULES[gate].more_args and len(args) + len(keywords) == 2:
            gate = RULES[gate].more_args  # math.log(x, base)
        return self._bind(node, call, gate, offset=0)

    def _declared(self, qualified: str):
        """The user's `@bpgen.gradient_of` declaration for `qualified`, if any."""
        if not self.source.gradients:
            return None
        from .declared import declarations

        return declarations(self.source).get(qualified)

    def _declared_call(self, node: cst.Call, qualified: str, declared) -> ast.expr:
        """A call with a user-declared gradient: a gate whose rule is the
        declaration; its inputs are bound to the declared parameters."""
        module, _, name = qualified.rpartition(".")
        args, keywords = self._arguments(node)
        if any(isinstance(a, ast.Starred) for a in args):
            raise self.source.error(node, "`*args` in this call are not supported")
        if module == "builtins":  # a function of this module: copied as it is
            self.source.__dict__.setdefault("copied", set()).add(name)
            func: ast.expr = ast.Name(name, ast.Load())
        else:
            self.modules.add(module)
            func = module_ref(module, name)
        call = ast.Call(func, args, keywords)
        inputs = declared.inputs
        if len(args) > len(inputs):
            raise self.source.error(
                node,
                f"`{qualified}` is declared with {len(inputs)} input(s) "
                f"({', '.join(inputs)}); this call passes {len(args)}",
                "match the call to the declared gradient's parameters",
            )
        slots: dict[str, Slot] = {inputs[i]: ("args", i) for i in range(len(args))}
        for i, keyword in enumerate(keywords):
            if keyword.arg not in inputs or keyword.arg in slots:
                raise self.source.error(
                    node,
                    f"the argument `{keyword.arg}=` is not a declared input of "
                    f"`{qualified}`",
                    "declared: " + ", ".join(inputs),
                )
            assert keyword.arg is not None  # one of inputs: checked above
            slots[keyword.arg] = ("keywords", i, "value")
        self.constants |= declared.constants
        self.modules.update(declared.modules)
        extra = {
            f"__module{k}": ast.Name(placeholder(m), ast.Load())
            for k, m in enumerate(declared.modules)
        }
        retag(call, extra=extra)
        return _tag(call, declared.gate, slots)

    def _split(self, node: cst.Call, equal: bool) -> ast.expr:
        """`a, b = np.split(x, 2)`: the pieces are slices of x along the axis
        (array_split's sizes: the first n % k pieces one longer), each a
        getitem gate, unpacked like a helper's tuple. np.split(x, k) of an
        axis k does not divide is not refused at run time as NumPy does: its
        last piece takes the remainder."""
        args, keywords = self._arguments(node)
        given = dict(zip(("ary", "indices_or_sections", "axis"), args, strict=False))
        given.update({k.arg: k.value for k in keywords if k.arg})
        array, sections = given.get("ary"), given.get("indices_or_sections")
        axis = given.get("axis", ast.Constant(0))
        hint = "write np.split(x, 2) or np.split(x, [2, 5], axis=1) with literals"
        if not isinstance(array, ast.Name) or sections is None:
            raise self.source.error(
                node,
                "np.split is supported on a named array",
                "assign it first; " + hint,
            )
        try:
            count, axis_value = ast.literal_eval(sections), ast.literal_eval(axis)
        except ValueError:
            raise self.source.error(
                node, "np.split's sections and axis must be literals here", hint
            ) from None
        if not isinstance(axis_value, int) or isinstance(count, bool):
            raise self.source.error(node, "np.split's axis must be an integer", hint)
        size = ast.Subscript(
            ast.Attribute(ast.Name(array.id, ast.Load()), "shape", ast.Load()),
            ast.Constant(axis_value),
            ast.Load(),
        )

        def bound(i: int) -> ast.expr | None:
            if isinstance(count, int):  # i * (n // k) + min(i, n % k)
                if i in (0, count):
                    return None
                whole: ast.expr = ast.BinOp(
                    copy.deepcopy(size), ast.FloorDiv(), ast.Constant(count)
                )
                if i > 1:
                    whole = ast.BinOp(ast.Constant(i), ast.Mult(), whole)
                if equal:  # np.split: equal pieces (NumPy refuses a remainder)
                    return whole
                extra = ast.BinOp(copy.deepcopy(size), ast.Mod(), ast.Constant(count))
                # np.minimum, not min(): the builtin would mark x a float (kinds.py)
                self.modules.add("numpy")
                least = ast.Call(
                    module_ref("numpy", "minimum"), [ast.Constant(i), extra], []
                )
                return ast.BinOp(whole, ast.Add(), least)
            edges = [None, *count, None]
            return None if edges[i] is None else ast.Constant(edges[i])

        pieces = count if isinstance(count, int) else len(count) + 1
        if not isinstance(count, (int, list, tuple)) or pieces < 1:
            raise self.source.error(node, "np.split needs sections or indices", hint)
        items = []
        for i in range(pieces):
            part = ast.Slice(bound(i), bound(i + 1))
            index: ast.expr = part
            if axis_value != 0:
                lead = (
                    [ast.Slice()] * axis_value
                    if axis_value > 0
                    else [ast.Constant(...)]
                )
                index = ast.Tuple([*lead, part], ast.Load())
                if axis_value < 0:
                    index.elts += [ast.Slice()] * (-axis_value - 1)
            item = ast.Subscript(ast.Name(array.id, ast.Load()), index, ast.Load())
            retag(item, at=self.source.location(node))
            items.append(_tag(item, "getitem", {"a": ("value",), "index": ("slice",)}))
        return helpers.HelperTuple(items, ast.Load())

    def _slogdet(self, node: cst.Call) -> ast.expr:
        """`sign, logdet = np.linalg.slogdet(a)`: the sign is piecewise constant
        (no gradient), log|det a| a gate; each item computes slogdet itself."""
        args, keywords = self._arguments(node)
        if len(args) != 1 or keywords or isinstance(args[0], ast.Starred):
            raise self.source.error(node, "np.linalg.slogdet takes one matrix here")
        self.modules.add("numpy")
        items: list[ast.expr] = []
        for k in (0, 1):
            func = ast.Attribute(module_ref("numpy", "linalg"), "slogdet", ast.Load())
            call = ast.Call(func, [copy.deepcopy(args[0]) if k else args[0]], [])
            item = ast.Subscript(call, ast.Constant(k), ast.Load())
            retag(item, at=self.source.location(node))
            items.append(item)
        _tag(items[1], "slogdet[1]", {"a": ("value", "args", 0)})
        return helpers.HelperTuple(items, ast.Load())

    def _eigvalsh(self, node: cst.Call) -> ast.expr:
        """The eigenvalues of a symmetric matrix (NumPy reads its lower triangle)."""
        args, keywords = self._arguments(node)
        if len(args) != 1 or keywords or isinstance(args[0], ast.Starred):
            raise self.source.error(
                node,
                "np.linalg.eigvalsh takes one matrix here",
                "the lower triangle is read (UPLO='L'); pass the matrix alone",
            )
        self.modules.add("numpy")
        func = ast.Attribute(module_ref("numpy", "linalg"), "eigvalsh", ast.Load())
        return _tag(ast.Call(func, args, []), "eigvalsh", {"a": ("args", 0)})

    def _eigh(self, node: cst.Call) -> ast.expr:
        """`w, v = np.linalg.eigh(a)`: the eigenvalues (eigvalsh's rule) and
        the eigenvectors (their own rule), each item computing eigh itself."""
        args, keywords = self._arguments(node)
        if len(args) != 1 or keywords or isinstance(args[0], ast.Starred):
            raise self.source.error(
                node,
                "np.linalg.eigh takes one matrix here",
                "the lower triangle is read (UPLO='L'); pass the matrix alone",
            )
        self.modules.add("numpy")
        items = []
        for k, gate in enumerate(("eigvalsh", "eigh[1]")):
            func = ast.Attribute(module_ref("numpy", "linalg"), "eigh", ast.Load())
            call = ast.Call(func, [copy.deepcopy(args[0]) if k else args[0]], [])
            item = ast.Subscript(call, ast.Constant(k), ast.Load())
            retag(item, at=self.source.location(node))
            items.append(_tag(item, gate, {"a": ("value", "args", 0)}))
        return helpers.HelperTuple(items, ast.Load())

    def _random_call(self, node: cst.Call, name: str) -> ast.expr:
        """A random draw carries no gradient; the forward draws it once and
        the backward reads the draw from the cache, never drawing again."""
        self.modules.add("numpy")
        random = ast.Attribute(ast.Name(NP, ast.Load()), "random", ast.Load())
        args, keywords = self._arguments(node)
        call = ast.Call(ast.Attribute(random, name, ast.Load()), args, keywords)
        retag(call, random=True)
        return call

    def _unknown_call(self, node: cst.Call, qualified: str) -> Exception:
        """Say what the callee is: a function of this module, a builtin, a
        library function bpgen does not know, or nothing bpgen can find."""
        module, _, name = qualified.rpartition(".")
        if module != "builtins":
            from .declared import parameters, stub

            spelled = self.source.code(node.func)
            declaration = stub(spelled, parameters(qualified, len(node.args)))
            if not any(
                q.partition(".")[0] == "bpgen" for q in self.source.imports.values()
            ):
                declaration = "import bpgen\n\n" + declaration
            declaration = "\n".join(
                f"        {line}" if line else "" for line in declaration.split("\n")
            ).lstrip()
            return self.source.error(
                node.func,
                f"`{qualified}` is not a function bpgen can differentiate",
                "see the README's list of supported functions, compute it "
                "outside and pass its result as a parameter, or declare its "
                "gradient in this module (fill in the derivatives):\n"
                f"        {declaration}",
            )
        if name == self.function:
            return self.source.error(
                node.func,
                f"`{name}()` calls itself; recursion is not supported",
                "write the computation without recursion",
            )
        if name in self.source.functions:
            return self.source.error(
                node.func,
                f"`{name}()` is a function of this module; bpgen follows such "
                "calls inside the function it differentiates, not in module "
                "constants",
                f"write the constant without calling {name}(), or call "
                f"{name}() inside the function",
            )
        if hasattr(builtins, name):
            for arg in node.args:  # `sum(a * b for a in x for b in y)`
                if type(arg.value) in _REFUSED:
                    return self.refuse(arg.value)
            instead = _BUILTIN_HINTS.get(name, "use the NumPy or math function")
            return self.source.error(
                node.func,
                f"the builtin `{name}()` is not supported by bpgen",
                instead,
            )
        return self.source.error(
            node.func,
            f"`{name}()` is not defined: {LOOKED}",
            "define it, or import it at module level (from math/NumPy)",
        )

    def _fold_extremum(self, node: cst.Call, call: ast.Call, gate: str) -> ast.expr:
        """`max(a, b, c)` is `max(max(a, b), c)`: one two-input gate each."""
        if len(call.args) < 2 or call.keywords:
            raise self.source.error(
                node,
                f"{gate}() needs two or more numbers here",
                f"write {gate}(a, b); for arrays use np.{gate}imum or np.{gate}",
            )
        folded = call.args[0]
        for arg in call.args[1:]:
            folded = ast.Call(call.func, [folded, arg], [])
            retag(folded, at=self.source.location(node))
            _tag(folded, gate, {"x": ("args", 0), "y": ("args", 1)})
        return folded

    def _method_call(self, node: cst.Call) -> ast.expr:
        attribute = node.func
        assert isinstance(attribute, cst.Attribute)
        name = attribute.attr.value
        receiver = self.expr(attribute.value)
        func = ast.Attribute(receiver, name, ast.Load())
        args, keywords = self._arguments(node)
        call = ast.Call(func, args, keywords)
        if name in calls.STATIC_METHODS:
            return call
        if isinstance(receiver, ast.Dict):  # a named pack: its items only
            return self._pack_get(node, receiver, name, args, keywords)
        if name == "get" and len(args) in (1, 2) and not keywords:
            return call  # p.get('eps', 1e-5): a setting from a dict, no gradient
        gate = calls.METHODS.get(name)
        if gate is None:
            raise self.source.error(
                attribute.attr,
                f"the method `.{name}()` is not supported",
                "use the NumPy function form, or one of "
                + ", ".join(f".{m}()" for m in sorted(calls.METHODS)),
            )
        self.modules.add("numpy")
        if RULES[gate].packs and len(args) > 1:
            # x.reshape(n, -1) means x.reshape((n, -1))
            packed = ast.Tuple(list(args), ast.Load())
            retag(call, extra={RULES[gate].packs: packed})
        return self._bind(node, call, gate, offset=1)

    def _pack_get(self, node: cst.Call, pack: ast.Dict, name, args, keywords):
        """`d.get('a', default)` on a dict of literal keys: that item itself."""
        key = args[0] if args else None
        literal = isinstance(key, ast.Constant) and isinstance(key.value, str)
        if name != "get" or not literal or len(args) > 2 or keywords:
            raise self.source.error(
                node,
                "a dict of values is read here only by a literal key: "
                "d['a'] or d.get('a', default)",
                "read each item by its literal key",
            )
        assert isinstance(key, ast.Constant)  # `literal`: checked above
        for known, item in zip(pack.keys, pack.values, strict=True):
            if isinstance(known, ast.Constant) and known.value == key.value:
                return item
        return args[1] if len(args) == 2 else ast.Constant(None)

    def _bind(self, node: cst.Call, call: ast.Call, gate: str | None, offset: int):
        """Match the call's arguments to the rule's parameters."""
        if gate is None:
            return call
        rule = RULES[gate]
        self.modules |= rule.modules  # its gradient calls scipy.special
        slots: dict[str, Slot] = {}
        if offset:
            slots[rule.params[0]] = ("func", "value")
        extra = of(call).extra or {}
        for i, _ in enumerate([] if extra else call.args):
            if i + offset >= len(rule.params):
                if gate == "einsum":
                    raise self.source.error(
                        node,
                        "np.einsum takes one or two operands here",
                        "split it into einsums of two operands each: "
                        "np.einsum('i,j,ij->', x, y, W) is "
                        "np.einsum('i,i->', x, np.einsum('j,ij->i', y, W))",
                    )
                raise self.source.error(
                    node,
                    "too many arguments for this call",
                    _accepted(rule.params[offset:], gate),
                )
            slots[rule.params[i + offset]] = ("args", i)
        for i, keyword in enumerate(call.keywords):
            arg = keyword.arg  # None for **kwargs: refused below
            name = None if arg is None else rule.aliases.get(arg, arg)
            if name is None or name not in rule.params or name in slots:
                raise self.source.error(
                    node,
                    f"the argument `{keyword.arg}=` is not supported here",
                    _accepted(rule.params[offset:], gate, keyword.arg),
                )
            slots[name] = ("keywords", i, "value")
        return _tag(call, gate, slots)


def _accepted(params: tuple[str, ...], gate: str, given: str | None = None) -> str:
    """What a call of `gate` takes, and why an `order=` is not among it."""
    listed = ", ".join(params) or "no arguments"
    if gate in ("reshape", "ravel", "flatten") and given in (None, "order"):
        return (
            f"bpgen supports the default C order only (the `order` argument, "
            f"'F' or 'A', is not accepted); the call takes: {listed}; for "
            "Fortran order transpose first: x.T.reshape(...) or x.T.ravel()"
        )
    return f"accepted: {listed}"


def _tag(node: ast.expr, gate: str | None, slots: dict[str, Slot]) -> ast.expr:
    retag(node, gate=gate, slots=slots)
    return node


def _position(index: ast.expr) -> int | None:
    """The literal int of `items[1]` or `items[-1]`, else None."""
    sign = 1
    if isinstance(index, ast.UnaryOp) and isinstance(index.op, ast.USub):
        sign, index = -1, index.operand
    if isinstance(index, ast.Constant) and type(index.value) is int:
        return sign * index.value
    return None


def gate_of(node: ast.AST) -> str | None:
    return of(node).gate


@functools.lru_cache(maxsize=4096)
def _number(text: str) -> int | float:
    """A numeric literal's value, cached (and bounded, for a long-lived process
    that decorates many modules): each ast.literal_eval call leaves a cycle of
    closures for the collector."""
    return ast.literal_eval(text)
