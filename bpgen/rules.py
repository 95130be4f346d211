"""The gate table: one local-gradient rule per primitive.

Each rule reads like the seed's gate list. A template is a Python expression
over `g` (the gradient arriving at the gate's output), `out` (the gate's
cached output) and the gate's inputs by parameter name; it is the gradient
that flows to that input. Templates are written with `np.`; for pure-float
functions `np.exp` and friends are spelled `math.exp`.

A template may instead be a function of the gate's static parameters (axis,
keepdims, ...) that returns the template, for rules whose shape depends on
them.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace

Template = str | Callable[["Gate"], "str | list[str]"]

# How a gate's output shape relates to its inputs' (shapes.py reads these).
SAME = "same"  # one input, the output has its shape (elementwise unary)
BROADCAST = "broadcast"  # elementwise over inputs broadcast against each other
FLOATS = "floats"  # a builtin on Python floats (max, min)
REDUCE = "reduce"  # a: reduced over `axis` (all axes by default), `keepdims`
PRODUCT = "product"  # contracts axes of two operands (dot, matmul, outer)
PERMUTE = "permute"  # the same elements, axes reordered
RESHAPE = "reshape"  # the same elements in order, another shape
JOIN = "join"  # several inputs joined along an axis
INDEX = "index"  # selects elements; the gradient is scattered back
ASSIGN = "assign"  # a with the items at `index` replaced by value: a's shape
KINDS = frozenset({SAME, BROADCAST, FLOATS, REDUCE, PRODUCT, PERMUTE, RESHAPE})
KINDS |= {JOIN, INDEX, ASSIGN}


@dataclass(frozen=True)
class Rule:
    """One gate, declared once: every fact the pipeline needs about it.

    The spelling tables of calls.py, the shape facts of shapes.py, the view
    facts of stage.py and reverse.py, the `math` twins and the README line are
    all derived from these declarations (see the end of this module).
    """

    params: tuple[str, ...]
    defaults: Mapping[str, str]
    grads: Mapping[str, Template]
    broadcasts: bool = False  # inputs broadcast against each other
    scatter: bool = False  # gradient is scattered into zeros (indexing)
    kind: str = ""  # one of KINDS
    view: bool = False  # the result may share memory with an input
    numpy: tuple[str, ...] = ()  # numpy.NAME (dotted below numpy: linalg.norm)
    math: tuple[str, ...] = ()  # math.NAME
    builtin: tuple[str, ...] = ()  # builtins.NAME
    method: tuple[str, ...] = ()  # ndarray.NAME(); the array is the first input
    written: tuple[str, ...] = ()  # README spellings besides the calls above
    scalar: Mapping[str, str] = field(default_factory=dict)  # float-only rules


@dataclass
class Gate:
    """What a template function may look at: one stage's static parameters."""

    params: dict[str, ast.expr]
    ranks: dict[str, int | None] = field(default_factory=dict)
    method: bool = False  # written as a method of its first input: an array

    def literal(self, name: str):
        """The value of a literal static parameter (None when absent)."""
        node = self.params.get(name)
        if node is None:
            return None
        return ast.literal_eval(node)

    def has(self, name: str) -> bool:
        node = self.params.get(name)
        return node is not None and not (
            isinstance(node, ast.Constant) and node.value is None
        )

    def code(self, name: str) -> str:
        return ast.unparse(self.params[name])


def rule(
    signature: str,
    *,
    kind: str,
    view: bool = False,
    numpy: str = "",
    math: str = "",
    builtin: str = "",
    method: str = "",
    written: str | tuple[str, ...] = (),
    broadcasts: bool | None = None,
    scalar: Mapping[str, str] | None = None,
    **grads: Template,
) -> Rule:
    """Declare a gate: `signature` names its parameters (`axis=None` a default),
    spellings are space-separated names, keyword templates its gradients."""
    params, defaults = [], {}
    for part in signature.split(","):
        name, _, default = part.strip().partition("=")
        params.append(name)
        if default:
            defaults[name] = default
    return Rule(
        tuple(params),
        defaults,
        grads,
        broadcasts=kind == BROADCAST if broadcasts is None else broadcasts,
        scatter=kind == INDEX,
        kind=kind,
        view=view,
        numpy=tuple(numpy.split()),
        math=tuple(math.split()),
        builtin=tuple(builtin.split()),
        method=tuple(method.split()),
        written=(written,) if isinstance(written, str) else tuple(written),
        scalar=dict(scalar or {}),
    )


# -- helpers for reductions ---------------------------------------------------


def _axes(gate: Gate) -> tuple[int, ...] | None:
    """The reduced axes as literals, or None for a full reduction."""
    axis = gate.literal("axis")
    if axis is None:
        return None
    return tuple(axis) if isinstance(axis, (tuple, list)) else (int(axis),)


def _restore(gate: Gate, value: str) -> str:
    """Put the axes a reduction removed back, so `value` broadcasts over `a`."""
    axes = _axes(gate)
    if axes is None or gate.literal("keepdims"):
        return value
    if sorted(axes) == list(range(len(axes))):
        return value  # leading axes come back by broadcasting alone
    return f"np.expand_dims({value}, {gate.code('axis')})"


def _shape(gate: Gate) -> str:
    return "np.shape(a)" if _axes(gate) is None else "a.shape"


def _count(gate: Gate) -> str:
    """How many elements each output element summarises."""
    axes = _axes(gate)
    if axes is None:
        return "np.size(a)"
    return " * ".join(f"a.shape[{k}]" for k in axes)


# full_like: a new array with a's dtype, also when g is a Python float
def _sum(gate: Gate) -> str:
    return f"np.full_like(a, {_restore(gate, 'g')})"


def _mean(gate: Gate) -> str:
    count = _count(gate)
    count = f"({count})" if "*" in count else count
    return f"np.full_like(a, {_restore(gate, 'g')} / {count})"


def _extremum(gate: Gate) -> str:
    # Ties share the gradient: it is never multiplied. The count keeps a's
    # dtype (an int64 count would turn float32 into float64).
    hit = f"(a == {_restore(gate, 'out')})"
    if not gate.has("axis"):
        return f"g * {hit} / np.sum({hit[1:-1]}, dtype=a.dtype)"
    return (
        f"{_restore(gate, 'g')} * {hit} / np.sum("
        f"{hit[1:-1]}, axis={gate.code('axis')}, keepdims=True, dtype=a.dtype)"
    )


def _centered(gate: Gate) -> str:
    keep = f"a - np.mean(a, axis={gate.code('axis')}, keepdims=True)"
    return f"({keep})" if gate.has("axis") else "(a - np.mean(a))"


def _ddof(gate: Gate) -> str:
    return f" - {gate.code('ddof')}" if gate.literal("ddof") else ""


def _logsumexp(gate: Gate) -> str:
    return f"{_restore(gate, 'g')} * np.exp(a - {_restore(gate, 'out')})"


# the small factors meet first, then one pass over the full-size centred values
def _var(gate: Gate) -> str:
    scale = f"({_count(gate)}{_ddof(gate)})"
    return f"{_centered(gate)} * ({_restore(gate, 'g')} * 2 / {scale})"


def _std(gate: Gate) -> str:
    scale = f"(({_count(gate)}{_ddof(gate)}) * {_restore(gate, 'out')})"
    return f"{_centered(gate)} * ({_restore(gate, 'g')} / {scale})"


# -- helpers for products and shapes -----------------------------------------


def _by_rank(gate: Gate, name: str, vector: str, matrix: str) -> str:
    """`vector` when `name` is 1-D, else `matrix`; decided at run time only
    when bpgen cannot see the rank."""
    rank = gate.ranks.get(name)
    if rank is None:
        return f"({matrix}) if {name}.ndim > 1 else ({vector})"
    return vector if rank == 1 else matrix


# np.dot contracts the last axis of x with the second-to-last of y (the only
# one when y is 1-D): out = x.shape[:-1] + y.shape[:-2] + y.shape[-1:]. Known
# ranks up to 2 keep the seed's forms; other ranks use tensordot; an unknown
# rank decides at run time, the 2-D product first (it is the common case and
# tensordot costs ~10 us more on small arrays). A 0-d operand is a product.
def _dot_x(gate: Gate) -> str:
    rx, ry = gate.ranks.get("x"), gate.ranks.get("y")
    if ry == 0:
        return "g * y"
    if rx == 0:
        return "np.sum(g * y)"
    if ry == 1:
        return "g * y" if rx == 1 else "np.multiply.outer(g, y)"
    if ry == 2:
        return "g.dot(y.T)"
    if ry is not None:
        return f"np.tensordot(g, np.moveaxis(y, -2, -1), {ry - 1})"
    # y's contracted axis goes last; a 1-D y contracts nothing: an outer product
    general = "np.tensordot(g, np.moveaxis(y, max(y.ndim - 2, 0), -1), y.ndim - 1)"
    return f"g.dot(y.T) if y.ndim == 2 else {general}"


def _dot_y(gate: Gate) -> str:
    rx, ry = gate.ranks.get("x"), gate.ranks.get("y")
    if rx == 0:
        return "g * x"
    if ry == 0:
        return "np.sum(g * x)"
    if rx == 1 and ry == 1:
        return "g * x"
    lead = (
        "[range(x.ndim - 1)] * 2" if rx is None else repr((tuple(range(rx - 1)),) * 2)
    )
    # x's leading axes meet g's: the result is (l, *y.shape[:-2], k)
    general = "np.multiply.outer(x, g)" if rx == 1 else f"np.tensordot(x, g, {lead})"
    if ry is not None and ry <= 2:
        if rx is None:
            return f"x.T.dot(g) if x.ndim == 2 else {general}"
        return "x.T.dot(g)" if rx == 2 else general
    to = "y.ndim - 2" if ry is None else str(ry - 2)
    general = f"np.moveaxis({general}, 0, {to})"
    if ry is None and rx in (None, 2):
        matrix = "x.ndim == 2 and y.ndim < 3" if rx is None else "y.ndim < 3"
        return f"x.T.dot(g) if {matrix} else {general}"
    return general


def _swap(gate: Gate, name: str) -> str:
    """The matrix transpose of `name`: `.T` when it is surely 2-D."""
    return f"{name}.T" if gate.ranks.get(name) == 2 else f"np.swapaxes({name}, -1, -2)"


# x @ y: stacks of matrices broadcast; a 1-D operand is a vector
def _matmul_x(gate: Gate) -> str:
    stacked = f"g @ {_swap(gate, 'y')}"
    vector_x = f"(g[..., None, :] @ {_swap(gate, 'y')})[..., 0, :]"
    return _by_rank(
        gate, "y", "np.multiply.outer(g, y)", _by_rank(gate, "x", vector_x, stacked)
    )


def _matmul_y(gate: Gate) -> str:
    stacked = f"{_swap(gate, 'x')} @ g"
    vector_x = "x[:, None] * g[..., None, :]"
    return _by_rank(
        gate,
        "y",
        "np.tensordot(g, x, np.ndim(g))",
        _by_rank(gate, "x", vector_x, stacked),
    )


def _outer_x(gate: Gate) -> str:
    if gate.ranks.get("x") == 1 and gate.ranks.get("y") == 1:
        return "g.dot(y)"
    return "g.dot(np.ravel(y)).reshape(np.shape(x))"  # np.outer flattens its inputs


def _outer_y(gate: Gate) -> str:
    if gate.ranks.get("x") == 1 and gate.ranks.get("y") == 1:
        return "x.dot(g)"
    return "np.ravel(x).dot(g).reshape(np.shape(y))"


def _reshaped(gate: Gate) -> str:
    """g back in a's shape; methods only where the values are surely arrays."""
    shape = "a.shape" if gate.method or gate.ranks.get("a") else "np.shape(a)"
    if gate.ranks.get("out"):
        return f"g.reshape({shape})"
    return f"np.reshape(g, {shape})"


def _routes(name: str, test: str, beyond: str):
    """The gradient goes to the input that won (ties to x). Against a constant
    the output alone tells who won (ReLU's mask is `out > 0`), so the input
    need not be cached."""
    other = "y" if name == "x" else "x"

    def template(gate: Gate) -> str:
        if isinstance(gate.params.get(other), ast.Constant):
            return f"g * (out {beyond} {other})"
        return f"g * ({test})"

    return template


def _clip_inside(gate: Gate) -> str:
    """The gradient passes where the value was not clipped (ties pass to `a`)."""
    inside = ["(a >= a_min)" * gate.has("a_min"), "(a <= a_max)" * gate.has("a_max")]
    mask = " & ".join(part for part in inside if part)
    return f"g * ({mask})" if mask else "g"


def _items(gate: Gate) -> list[str]:
    return [f"arrays_{i}" for i in range(len(gate.params["arrays"].elts))]


def _stack(gate: Gate) -> list[str]:
    axis = int(gate.literal("axis"))
    if axis == 0:
        return [f"g[{i}]" for i, _ in enumerate(_items(gate))]
    return [f"np.take(g, {i}, axis={axis})" for i, _ in enumerate(_items(gate))]


def _concatenate(gate: Gate) -> list[str]:
    """Each input gets its own slice of g along the joined axis (of the
    flattened g for axis=None, reshaped back)."""
    if not gate.has("axis"):
        templates, start = [], "0"
        for item in _items(gate):
            stop = f"{item}.size" if start == "0" else f"{start} + {item}.size"
            part = f"{start}:{stop}" if start != "0" else f":{stop}"
            templates.append(f"g[{part}].reshape({item}.shape)")
            start = stop
        return templates
    axis = int(gate.literal("axis"))
    lead = ":, " * axis if axis >= 0 else "..., "
    trail = ", :" * (-axis - 1) if axis < 0 else ""
    templates, start = [], "0"
    for item in _items(gate):
        stop = (
            f"{item}.shape[{axis}]"
            if start == "0"
            else f"{start} + {item}.shape[{axis}]"
        )
        part = f"{start}:{stop}" if start != "0" else f":{stop}"
        templates.append(f"g[{lead}{part}{trail}]")
        start = stop
    return templates


def _transpose(gate: Gate) -> str:
    if not gate.has("axes"):
        return "g.T" if gate.ranks.get("out") else "np.transpose(g)"
    axes = [int(i) for i in gate.literal("axes")]
    # the inverse permutation; negative axes count from the end
    axes = [i % len(axes) for i in axes]
    inverse = tuple(sorted(range(len(axes)), key=lambda i: axes[i]))
    return f"np.transpose(g, {inverse})"


# -- the table ----------------------------------------------------------------
# One declaration per gate: parameters, gradient templates, spellings, shape
# kind, view. Adding a gate is adding a line here (and its test in
# tests/test_rules.py); everything else reads it.

RULES: dict[str, Rule] = {
    # arithmetic: the seed's add, multiply, scale and reciprocal gates
    "add": rule("x, y", kind=BROADCAST, written="`x + y`", numpy="add", x="g", y="g"),
    "sub": rule(
        "x, y", kind=BROADCAST, written="`x - y`", numpy="subtract", x="g", y="-g"
    ),
    "mul": rule(
        "x, y",
        kind=BROADCAST,
        written="`x * y`",
        numpy="multiply",
        x="g * y",
        y="g * x",
    ),
    "div": rule(
        "x, y",
        kind=BROADCAST,
        written="`x / y`",
        numpy="divide true_divide",
        x="g / y",
        y="-g * out / y",
    ),
    "pow": rule(
        "x, y",
        kind=BROADCAST,
        written="`x ** y`",
        math="pow",
        builtin="pow",
        numpy="power",
        x="g * y * x ** (y - 1)",
        y="g * out * np.log(x)",
    ),
    "neg": rule("x", kind=SAME, written="`-x`", numpy="negative", x="-g"),
    "pos": rule("x", kind=SAME, written="`+x`", numpy="positive", x="g"),
    # exponentials and logarithms
    "exp": rule("x", kind=SAME, math="exp", numpy="exp", x="g * out"),
    "expm1": rule("x", kind=SAME, math="expm1", numpy="expm1", x="g * (out + 1)"),
    "log": rule(
        "x", kind=SAME, numpy="log", math="log", written="`math.log(x)`", x="g / x"
    ),
    "log2": rule("x", kind=SAME, math="log2", numpy="log2", x="g / (x * math.log(2))"),
    "log10": rule(
        "x", kind=SAME, math="log10", numpy="log10", x="g / (x * math.log(10))"
    ),
    "log1p": rule("x", kind=SAME, math="log1p", numpy="log1p", x="g / (1 + x)"),
    "logb": rule(
        "x, base",
        kind=BROADCAST,
        written="`math.log(x, base)`",  # lower.py: math.log with two arguments
        x="g / (x * math.log(base))",
        base="-g * out / (base * math.log(base))",
    ),
    "exp2": rule("x", kind=SAME, math="exp2", numpy="exp2", x="g * out * math.log(2)"),
    "sqrt": rule("x", kind=SAME, math="sqrt", numpy="sqrt", x="g / (2 * out)"),
    "cbrt": rule("x", kind=SAME, math="cbrt", numpy="cbrt", x="g / (3 * out ** 2)"),
    "square": rule("x", kind=SAME, written="`x * x`", numpy="square", x="g * 2 * x"),
    "reciprocal": rule("x", kind=SAME, numpy="reciprocal", x="-g * out ** 2"),
    # the seed's fused sigmoid gate: (1 - s) * s on the cached output (fuse.py)
    "sigmoid": rule(
        "x",
        kind=SAME,
        written="`1 / (1 + exp(-x))` (any spelling)",
        x="g * (1 - out) * out",
    ),
    # trigonometric and hyperbolic
    "sin": rule("x", kind=SAME, math="sin", numpy="sin", x="g * np.cos(x)"),
    "cos": rule("x", kind=SAME, math="cos", numpy="cos", x="-g * np.sin(x)"),
    "tan": rule("x", kind=SAME, math="tan", numpy="tan", x="g * (1 + out ** 2)"),
    "arcsin": rule(
        "x", kind=SAME, math="asin", numpy="arcsin", x="g / np.sqrt(1 - x ** 2)"
    ),
    "arccos": rule(
        "x", kind=SAME, math="acos", numpy="arccos", x="-g / np.sqrt(1 - x ** 2)"
    ),
    "arctan": rule("x", kind=SAME, math="atan", numpy="arctan", x="g / (1 + x ** 2)"),
    "arctan2": rule(
        "x1, x2",
        kind=BROADCAST,
        math="atan2",
        numpy="arctan2",
        x1="g * x2 / (x1 ** 2 + x2 ** 2)",
        x2="-g * x1 / (x1 ** 2 + x2 ** 2)",
    ),
    "hypot": rule(
        "x1, x2",
        kind=BROADCAST,
        math="hypot",
        numpy="hypot",
        x1="g * x1 / out",
        x2="g * x2 / out",
    ),
    "logaddexp": rule(
        "x1, x2",
        kind=BROADCAST,
        numpy="logaddexp",
        x1="g * np.exp(x1 - out)",
        x2="g * np.exp(x2 - out)",
    ),
    "sinh": rule("x", kind=SAME, math="sinh", numpy="sinh", x="g * np.cosh(x)"),
    "cosh": rule("x", kind=SAME, math="cosh", numpy="cosh", x="g * np.sinh(x)"),
    "tanh": rule("x", kind=SAME, math="tanh", numpy="tanh", x="g * (1 - out ** 2)"),
    # routing gates: max/min send the gradient to one input, ties to the first
    "abs": rule(
        "x",
        kind=SAME,
        math="fabs",
        builtin="abs",
        numpy="abs absolute",
        x="g * np.sign(x)",
        scalar={"x": "g if x >= 0 else -g"},
    ),
    "max": rule(
        "x, y",
        kind=FLOATS,
        builtin="max",
        x="g if x >= y else 0.0",
        y="g if y > x else 0.0",
    ),
    "min": rule(
        "x, y",
        kind=FLOATS,
        builtin="min",
        x="g if x <= y else 0.0",
        y="g if y < x else 0.0",
    ),
    "maximum": rule(
        "x, y",
        kind=BROADCAST,
        numpy="maximum",
        x=_routes("x", "x >= y", ">"),
        y=_routes("y", "x < y", ">"),
    ),
    "minimum": rule(
        "x, y",
        kind=BROADCAST,
        numpy="minimum",
        x=_routes("x", "x <= y", "<"),
        y=_routes("y", "x > y", "<"),
    ),
    "where": rule(
        "condition, x, y",
        kind=BROADCAST,
        numpy="where",
        x="np.where(condition, g, 0.0)",
        y="np.where(condition, 0.0, g)",
    ),
    "clip": rule(
        "a, a_min, a_max",
        kind=BROADCAST,
        numpy="clip",
        a=_clip_inside,
        a_min="g * (a < a_min)",
        a_max="g * (a > a_max)",
    ),
    # products: the seed's dW = dD.dot(X.T), dX = W.T.dot(dD)
    "dot": rule("x, y", kind=PRODUCT, numpy="dot", method="dot", x=_dot_x, y=_dot_y),
    "matmul": rule(
        "x, y",
        kind=PRODUCT,
        broadcasts=True,  # stacks of matrices broadcast
        written="`x @ y`",
        numpy="matmul",
        x=_matmul_x,
        y=_matmul_y,
    ),
    "outer": rule("x, y", kind=PRODUCT, numpy="outer", x=_outer_x, y=_outer_y),
    # reductions
    "sum": rule(
        "a, axis=None, keepdims=False", kind=REDUCE, numpy="sum", method="sum", a=_sum
    ),
    "mean": rule(
        "a, axis=None, keepdims=False",
        kind=REDUCE,
        numpy="mean",
        method="mean",
        a=_mean,
    ),
    "amax": rule(
        "a, axis=None, keepdims=False",
        kind=REDUCE,
        numpy="max amax",
        method="max",
        a=_extremum,
    ),
    "amin": rule(
        "a, axis=None, keepdims=False",
        kind=REDUCE,
        numpy="min amin",
        method="min",
        a=_extremum,
    ),
    "var": rule(
        "a, axis=None, ddof=0, keepdims=False",
        kind=REDUCE,
        numpy="var",
        method="var",
        a=_var,
    ),
    "logsumexp": rule(
        "a, axis=None, keepdims=False",
        kind=REDUCE,
        written="`np.log(np.sum(np.exp(x), axis, keepdims))` (any spelling)",
        a=_logsumexp,
    ),
    "std": rule(
        "a, axis=None, ddof=0, keepdims=False",
        kind=REDUCE,
        numpy="std",
        method="std",
        a=_std,
    ),
    # shapes: the gradient takes the input's shape back
    "transpose": rule(
        "a, axes=None",
        kind=PERMUTE,
        view=True,
        written="`x.T`",
        numpy="transpose",
        method="transpose",
        a=_transpose,
    ),
    "reshape": rule(
        "a, shape",
        kind=RESHAPE,
        view=True,
        numpy="reshape",
        method="reshape",
        a=_reshaped,
    ),
    "expand_dims": rule(
        "a, axis", kind=RESHAPE, view=True, numpy="expand_dims", a=_reshaped
    ),
    "squeeze": rule(
        "a, axis=None",
        kind=RESHAPE,
        view=True,
        numpy="squeeze",
        method="squeeze",
        a=_reshaped,
    ),
    "ravel": rule(
        "a",
        kind=RESHAPE,
        view=True,  # ravel may return a view (flatten copies: taken as one too)
        numpy="ravel",
        method="ravel flatten",
        a=_reshaped,
    ),
    "swapaxes": rule(
        "a, axis1, axis2",
        kind=PERMUTE,
        view=True,
        numpy="swapaxes",
        method="swapaxes",
        a="np.swapaxes(g, axis1, axis2)",
    ),
    "copy": rule("a", kind=SAME, numpy="copy", method="copy", a="g"),
    "stack": rule("arrays, axis=0", kind=JOIN, numpy="stack", arrays=_stack),
    "concatenate": rule(
        "arrays, axis=0", kind=JOIN, numpy="concatenate", arrays=_concatenate
    ),
    # indexing scatters the gradient back, adding where indices repeat
    "getitem": rule("a, index", kind=INDEX, view=True, written="`x[index]`", a="g"),
    # item assignment into an array the function made (stage.set_item); the
    # backward zeroes the overwritten items of g for a (reverse.set_item)
    "setitem": rule(
        "a, value, index",
        kind=ASSIGN,
        written="`y[index] = value`",
        a="g",
        value="g[index]",
    ),
}


# -- facts derived from the declarations ---------------------------------------


def spellings(namespace: str) -> dict[str, str]:
    """Spelling -> gate for one namespace (numpy, math, builtin, method)."""
    table: dict[str, str] = {}
    for gate, declared in RULES.items():
        for name in getattr(declared, namespace):
            if name in table:
                first = table[name]
                raise ValueError(
                    f"{namespace} spelling {name!r} declared by {first} and {gate}"
                )
            table[name] = gate
    return table


def of_kind(*kinds: str) -> frozenset[str]:
    """The gates of the given shape kinds."""
    return frozenset(g for g, r in RULES.items() if r.kind in kinds)


# Scalar functions spell a few rules without NumPy.
SCALAR_RULES: dict[str, Rule] = {
    gate: replace(declared, grads=declared.scalar)
    for gate, declared in RULES.items()
    if declared.scalar
}

# NumPy names that have a `math` twin, for pure-float output: the numpy and
# math spellings of one gate compute the same function.
MATH_TWINS = {
    f"np.{numpy}": f"math.{declared.math[0]}"
    for declared in RULES.values()
    if declared.math
    for numpy in declared.numpy
}

# Gates whose result may share memory with an input (stage.py refuses an
# in-place update of a name after such a view of it).
VIEW_GATES = frozenset(g for g, r in RULES.items() if r.view)

# NumPy functions and methods that may return a view when *generated code*
# calls them: the spellings of view gates, and broadcast_to (used by rules).
# A gradient computed by one of them is not updated in place.
VIEW_CALLS = frozenset(
    {name for g in VIEW_GATES for name in RULES[g].numpy + RULES[g].method}
    | {"broadcast_to"}
)

# Calls whose result carries no gradient: shapes, counts, masks, builders.
NONDIFFERENTIABLE = frozenset(
    """
    len int bool range
    sign floor ceil rint round trunc isnan isinf isfinite signbit
    argmax argmin argsort shape size ndim
    zeros ones full empty zeros_like ones_like full_like empty_like eye identity
    arange linspace equal not_equal greater greater_equal less less_equal
    logical_and logical_or logical_not
    array asarray prod float divmod
    """.split()
)
