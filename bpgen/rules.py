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
from dataclasses import dataclass, field

Template = str | Callable[["Gate"], "str | list[str]"]


@dataclass(frozen=True)
class Rule:
    params: tuple[str, ...]
    defaults: Mapping[str, str]
    grads: Mapping[str, Template]
    broadcasts: bool = False  # inputs broadcast against each other
    scatter: bool = False  # gradient is scattered into zeros (indexing)


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


def rule(signature: str, *, broadcasts: bool = False, **grads: Template) -> Rule:
    params, defaults = [], {}
    for part in signature.split(","):
        name, _, default = part.strip().partition("=")
        params.append(name)
        if default:
            defaults[name] = default
    return Rule(tuple(params), defaults, grads, broadcasts)


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
    # Ties share the gradient: it is never multiplied.
    hit = f"(a == {_restore(gate, 'out')})"
    if not gate.has("axis"):
        return f"g * {hit} / np.sum{hit}"
    return (
        f"{_restore(gate, 'g')} * {hit} / "
        f"np.sum({hit[1:-1]}, axis={gate.code('axis')}, keepdims=True)"
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


# np.dot on vectors and matrices; the other operand's rank picks the form
def _dot_x(gate: Gate) -> str:
    vector = "g * y" if gate.ranks.get("x") == 1 else "np.multiply.outer(g, y)"
    return _by_rank(gate, "y", vector, "g.dot(y.T)")


def _dot_y(gate: Gate) -> str:
    vector = "g * x" if gate.ranks.get("y") == 1 else "np.multiply.outer(x, g)"
    return _by_rank(gate, "x", vector, "x.T.dot(g)")


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
    """Each input gets its own slice of g along the joined axis."""
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
    inverse = tuple(sorted(range(len(axes)), key=lambda i: axes[i]))
    return f"np.transpose(g, {inverse})"


# -- the table ----------------------------------------------------------------

RULES: dict[str, Rule] = {
    # arithmetic: the seed's add, multiply, scale and reciprocal gates
    "add": rule("x, y", broadcasts=True, x="g", y="g"),
    "sub": rule("x, y", broadcasts=True, x="g", y="-g"),
    "mul": rule("x, y", broadcasts=True, x="g * y", y="g * x"),
    "div": rule("x, y", broadcasts=True, x="g / y", y="-g * out / y"),
    "pow": rule(
        "x, y", broadcasts=True, x="g * y * x ** (y - 1)", y="g * out * np.log(x)"
    ),
    "neg": rule("x", x="-g"),
    "pos": rule("x", x="g"),
    # exponentials and logarithms
    "exp": rule("x", x="g * out"),
    "expm1": rule("x", x="g * (out + 1)"),
    "log": rule("x", x="g / x"),
    "log2": rule("x", x="g / (x * np.log(2))"),
    "log10": rule("x", x="g / (x * np.log(10))"),
    "log1p": rule("x", x="g / (1 + x)"),
    "logb": rule(
        "x, base",
        broadcasts=True,
        x="g / (x * np.log(base))",
        base="-g * out / (base * np.log(base))",
    ),
    "exp2": rule("x", x="g * out * np.log(2)"),
    "sqrt": rule("x", x="g / (2 * out)"),
    "cbrt": rule("x", x="g / (3 * out ** 2)"),
    "square": rule("x", x="g * 2 * x"),
    "reciprocal": rule("x", x="-g * out ** 2"),
    # the seed's fused sigmoid gate: (1 - s) * s on the cached output
    "sigmoid": rule("x", x="g * (1 - out) * out"),
    # trigonometric and hyperbolic
    "sin": rule("x", x="g * np.cos(x)"),
    "cos": rule("x", x="-g * np.sin(x)"),
    "tan": rule("x", x="g * (1 + out ** 2)"),
    "arcsin": rule("x", x="g / np.sqrt(1 - x ** 2)"),
    "arccos": rule("x", x="-g / np.sqrt(1 - x ** 2)"),
    "arctan": rule("x", x="g / (1 + x ** 2)"),
    "arctan2": rule(
        "x1, x2",
        broadcasts=True,
        x1="g * x2 / (x1 ** 2 + x2 ** 2)",
        x2="-g * x1 / (x1 ** 2 + x2 ** 2)",
    ),
    "hypot": rule("x1, x2", broadcasts=True, x1="g * x1 / out", x2="g * x2 / out"),
    "logaddexp": rule(
        "x1, x2",
        broadcasts=True,
        x1="g * np.exp(x1 - out)",
        x2="g * np.exp(x2 - out)",
    ),
    "sinh": rule("x", x="g * np.cosh(x)"),
    "cosh": rule("x", x="g * np.sinh(x)"),
    "tanh": rule("x", x="g * (1 - out ** 2)"),
    # routing gates: max/min send the gradient to one input, ties to the first
    "abs": rule("x", x="g * np.sign(x)"),
    "max": rule("x, y", x="g if x >= y else 0.0", y="g if y > x else 0.0"),
    "min": rule("x, y", x="g if x <= y else 0.0", y="g if y < x else 0.0"),
    "maximum": rule(
        "x, y",
        broadcasts=True,
        x=_routes("x", "x >= y", ">"),
        y=_routes("y", "x < y", ">"),
    ),
    "minimum": rule(
        "x, y",
        broadcasts=True,
        x=_routes("x", "x <= y", "<"),
        y=_routes("y", "x > y", "<"),
    ),
    "where": rule(
        "condition, x, y",
        broadcasts=True,
        x="np.where(condition, g, 0.0)",
        y="np.where(condition, 0.0, g)",
    ),
    "clip": rule(
        "a, a_min, a_max",
        broadcasts=True,
        a=_clip_inside,
        a_min="g * (a < a_min)",
        a_max="g * (a > a_max)",
    ),
    # products: the seed's dW = dD.dot(X.T), dX = W.T.dot(dD)
    "dot": rule("x, y", x=_dot_x, y=_dot_y),
    "matmul": rule("x, y", broadcasts=True, x=_matmul_x, y=_matmul_y),
    "outer": rule("x, y", x=_outer_x, y=_outer_y),
    # reductions
    "sum": rule("a, axis=None, keepdims=False", a=_sum),
    "mean": rule("a, axis=None, keepdims=False", a=_mean),
    "amax": rule("a, axis=None, keepdims=False", a=_extremum),
    "amin": rule("a, axis=None, keepdims=False", a=_extremum),
    "var": rule("a, axis=None, ddof=0, keepdims=False", a=_var),
    "logsumexp": rule("a, axis=None, keepdims=False", a=_logsumexp),
    "std": rule("a, axis=None, ddof=0, keepdims=False", a=_std),
    # shapes: the gradient takes the input's shape back
    "transpose": rule("a, axes=None", a=_transpose),
    "reshape": rule("a, shape", a=_reshaped),
    "expand_dims": rule("a, axis", a=_reshaped),
    "squeeze": rule("a, axis=None", a=_reshaped),
    "ravel": rule("a", a=_reshaped),
    "swapaxes": rule("a, axis1, axis2", a="np.swapaxes(g, axis1, axis2)"),
    "copy": rule("a", a="g"),
    "stack": rule("arrays, axis=0", arrays=_stack),
    "concatenate": rule("arrays, axis=0", arrays=_concatenate),
    # indexing scatters the gradient back, adding where indices repeat
    "getitem": Rule(("a", "index"), {}, {"a": "g"}, scatter=True),
}

# Scalar functions spell a few rules without NumPy.
SCALAR_RULES: dict[str, Rule] = {
    "abs": rule("x", x="g if x >= 0 else -g"),
}

# NumPy names that have a `math` twin, for pure-float output.
MATH_TWINS = {
    "np.exp": "math.exp",
    "np.log": "math.log",
    "np.sqrt": "math.sqrt",
    "np.sin": "math.sin",
    "np.cos": "math.cos",
    "np.sinh": "math.sinh",
    "np.cosh": "math.cosh",
}

# Calls whose result carries no gradient: shapes, counts, masks, builders.
NONDIFFERENTIABLE = frozenset("""
    len int bool range
    sign floor ceil rint round trunc isnan isinf isfinite signbit
    argmax argmin argsort shape size ndim
    zeros ones full empty zeros_like ones_like full_like empty_like eye identity
    arange linspace equal not_equal greater greater_equal less less_equal
    logical_and logical_or logical_not
    """.split())
