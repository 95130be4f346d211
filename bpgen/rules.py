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
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, cast

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
INDEX = "index"  # x[index]: the gradient is scattered back (reverse.py)
ASSIGN = "assign"  # a with the items at `index` replaced by value: a's shape
SCAN = "scan"  # running sums and products, differences along an axis
REPEAT = "repeat"  # copies of the input (tile, repeat, broadcast_to)
SELECT = "select"  # some elements, rearranged or padded (sort, take, pad...)
LINALG = "linalg"  # matrix functions (inv, det, solve, cholesky)
KINDS = frozenset({SAME, BROADCAST, FLOATS, REDUCE, PRODUCT, PERMUTE, RESHAPE})
KINDS |= {JOIN, INDEX, ASSIGN, SCAN, REPEAT, SELECT, LINALG}


class NoRule(ValueError):
    """A call whose literal arguments no gradient rule covers; the message
    names what is covered and is shown to the user as it is."""

    def __init__(self, message: str, hint: str) -> None:
        super().__init__(message)
        self.hint = hint


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
    scipy: tuple[str, ...] = ()  # scipy.special.NAME
    operator: str = ""  # Python's operator form: "x + y", "-x"
    aliases: Mapping[str, str] = field(default_factory=dict)  # keyword -> param
    packs: str = ""  # the parameter a method's extra arguments pack into
    more_args: str = ""  # the gate a call with more arguments is (log: logb)
    # the output's rank from the inputs' (None: unknown) and the static
    # parameters, where the kind alone does not tell it (shapes.py)
    out_rank: Callable[[Mapping[str, int | None], Gate], int | None] | None = None
    # the output's shape in declared sizes, where the kind alone does not
    # tell it (dims.py)
    out_shape: Callable[[Any, Gate], tuple | None] | None = None
    written: tuple[str, ...] = ()  # README spellings besides the calls above
    scalar: Mapping[str, str] = field(default_factory=dict)  # float-only rules
    discrete: tuple[str, ...] = ()  # integer/bool parameters: may be computed
    shown: Mapping[str, str] = field(default_factory=dict)  # README's arguments
    # modules the templates call besides np and math (scipy.special): the
    # generated module imports them wherever the gate is differentiated
    modules: frozenset[str] = frozenset()


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
    scipy: str = "",
    operator: str = "",
    aliases: str = "",
    packs: str = "",
    more_args: str = "",
    out_rank: Callable[[Mapping[str, int | None], Gate], int | None] | None = None,
    out_shape: Callable[[Any, Gate], tuple | None] | None = None,
    written: str | tuple[str, ...] = (),
    broadcasts: bool | None = None,
    scalar: Mapping[str, str] | None = None,
    discrete: str = "",
    shown: Mapping[str, str] | None = None,
    **grads: Template,
) -> Rule:
    """Declare a gate: `signature` names its parameters (`axis=None` a default),
    spellings are space-separated names, keyword templates its gradients;
    `aliases` NumPy's other keyword names ("newshape=shape")."""
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
        scipy=tuple(scipy.split()),
        operator=operator,
        aliases=dict(pair.split("=") for pair in aliases.split()),
        packs=packs,
        more_args=more_args,
        out_rank=out_rank,
        out_shape=out_shape,
        written=(written,) if isinstance(written, str) else tuple(written),
        scalar=dict(scalar or {}),
        discrete=tuple(discrete.split()),
        shown=dict(shown or {}),
        modules=_modules([*grads.values(), *(scalar or {}).values()], params),
    )


def _modules(templates: list[Template], params: list[str]) -> frozenset[str]:
    """The dotted modules (scipy.special) that written templates call: a
    `head.name.` whose head is no parameter, g, out, np or math (a regular
    expression: parsing every template would slow bpgen's import)."""
    local = {*params, "g", "out", "np", "math"}
    found = set()
    for template in templates:
        if callable(template):
            continue  # a computed template calls np and math only
        for head, name in _DOTTED.findall(template):
            if head not in local:
                found.add(f"{head}.{name}")
    return frozenset(found)


_DOTTED = re.compile(r"(?<![\w.])([A-Za-z_]\w*)\.([A-Za-z_]\w*)\.(?=[A-Za-z_])")


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
    # The share is divided first: a bool mask times a Python-float g would be
    # float64, the mask over a's-dtype count is a's dtype.
    hit = f"(a == {_restore(gate, 'out')})"
    if not gate.has("axis"):
        return f"g * ({hit} / np.sum({hit[1:-1]}, dtype=np.result_type(a)))"
    return (
        f"{_restore(gate, 'g')} * ({hit} / np.sum("
        f"{hit[1:-1]}, axis={gate.code('axis')}, keepdims=True, dtype=a.dtype))"
    )


def _centered(gate: Gate) -> str:
    keep = f"a - np.mean(a, axis={gate.code('axis')}, keepdims=True)"
    return f"({keep})" if gate.has("axis") else "(a - np.mean(a))"


def _ddof(gate: Gate) -> str:
    return f" - {gate.code('ddof')}" if gate.literal("ddof") else ""


def _summed(gate: Gate, value: str) -> str:
    """`value` summed along softmax's `axis` (every axis by default), kept."""
    axis = gate.code("axis") if gate.has("axis") else "None"
    return f"np.sum({value}, axis={axis}, keepdims=True)"


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
def _scalar_guard(gate: Gate, mine: str, times: str, sums: str) -> str:
    """With a rank unknown, a 0-d operand (a float) is decided at run time:
    np.dot of a float is a plain product."""
    rx, ry = gate.ranks.get("x"), gate.ranks.get("y")
    if gate.method:
        return ""  # x.dot(y) is written for arrays (x.dot(2.0) fails loudly)
    if None not in (rx, ry):
        return ""
    # a 0-d g: two vectors (or two 0-d operands), also a plain product; a
    # Python-float g must not go through tensordot (it would make it float64)
    times_if = ["np.ndim(g) == 0"]
    if (ry if mine == "x" else rx) is None:
        times_if.insert(0, f"np.ndim({'y' if mine == 'x' else 'x'}) == 0")
    guard = f"{times} if {' or '.join(times_if)} else "
    if (rx if mine == "x" else ry) is None:
        guard += f"{sums} if np.ndim({mine}) == 0 else "
    return guard


def _dot_x(gate: Gate) -> str:
    body = _dot_x_body(gate)
    if gate.method:
        return _dot_method(gate, "x", body)
    return _scalar_guard(gate, "x", "g * y", "np.sum(g * y)") + body


def _dot_y(gate: Gate) -> str:
    body = _dot_y_body(gate)
    if gate.method:
        return _dot_method(gate, "y", body)
    return _scalar_guard(gate, "y", "g * x", "np.sum(g * x)") + body


def _dot_x_body(gate: Gate) -> str:
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
    return f"g.dot(y.T) if y.ndim == 2 else {_vectors(gate, 'g * y')}{general}"


# x.dot(y) of two unknown ranks: a 0-d array on either side makes a product
# (each chain first asks whether its own operand is a number), then the
# matrix case, then vectors (g is 0-d) and a 0-d other side, then any rank
_DOT_ANY = {
    "x": "np.sum(g * y) if x.ndim == 0 else (g.dot(y.T) if y.ndim == 2 else ("
    "g * y if y.ndim == 0 or np.ndim(g) == 0 else "
    "np.tensordot(g, np.moveaxis(y, max(y.ndim - 2, 0), -1), y.ndim - 1)))",
    "y": "np.sum(g * x) if y.ndim == 0 else ("
    "x.T.dot(g) if x.ndim == 2 and y.ndim < 3 else ("
    "g * x if x.ndim == 0 or np.ndim(g) == 0 else "
    "np.moveaxis(np.tensordot(x, g, [range(x.ndim - 1)] * 2), 0, y.ndim - 2)))",
}


def _dot_method(gate: Gate, mine: str, body: str) -> str:
    """`x.dot(y)` with a 0-d array on either side is a product: the other
    forms would hand dx y's shape, or move an axis a 0-d y has not."""
    other = "y" if mine == "x" else "x"
    rm, ro = gate.ranks.get(mine), gate.ranks.get(other)
    if rm is None and ro is None:
        return _DOT_ANY[mine]
    if ro is None and rm != 0:
        body = f"g * {other} if {other}.ndim == 0 else {body}"
    if rm is None and ro != 0:
        body = f"np.sum(g * {other}) if {mine}.ndim == 0 else {body}"
    return body


def _dot_y_body(gate: Gate) -> str:
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
    vectors = _vectors(gate, "g * x")
    if ry is not None and ry <= 2:
        if rx is None:
            return f"x.T.dot(g) if x.ndim == 2 else {vectors}{general}"
        return "x.T.dot(g)" if rx == 2 else vectors + general
    to = "y.ndim - 2" if ry is None else str(ry - 2)
    general = f"np.moveaxis({general}, 0, {to})"
    if ry is None and rx in (None, 2):
        matrix = "x.ndim == 2 and y.ndim < 3" if rx is None else "y.ndim < 3"
        return f"x.T.dot(g) if {matrix} else {vectors}{general}"
    return vectors + general


def _vectors(gate: Gate, times: str) -> str:
    """`x.dot(y)` of two vectors is a number: its gradients are products
    (tensordot would make a float `g` a float64 array: float32 in, float64
    out). np.dot has its own test (_scalar_guard); known ranks need none."""
    rx, ry = gate.ranks.get("x"), gate.ranks.get("y")
    if not gate.method or rx not in (None, 0, 1) or ry not in (None, 0, 1):
        return ""
    return f"{times} if np.ndim(g) == 0 else "


def _swap(gate: Gate, name: str) -> str:
    """The matrix transpose of `name`: `.T` when it is surely 2-D."""
    return f"{name}.T" if gate.ranks.get(name) == 2 else f"np.swapaxes({name}, -1, -2)"


# x @ y: stacks of matrices broadcast; a 1-D operand is a vector
def _matmul_x(gate: Gate) -> str:
    if gate.ranks.get("out") == 0:
        return "g * y"  # two vectors: g is a scalar (maybe a Python float)
    stacked = f"g @ {_swap(gate, 'y')}"
    vector_x = f"(g[..., None, :] @ {_swap(gate, 'y')})[..., 0, :]"
    return _by_rank(
        gate,
        "y",
        # the dtype keeps a Python-float g weak (ufunc.outer makes it float64)
        "np.multiply.outer(g, y, dtype=np.result_type(g, y))",
        _by_rank(gate, "x", vector_x, stacked),
    )


def _matmul_y(gate: Gate) -> str:
    if gate.ranks.get("out") == 0:
        return "g * x"
    stacked = f"{_swap(gate, 'x')} @ g"
    vector_x = "x[:, None] * g[..., None, :]"
    return _by_rank(
        gate,
        "y",
        # tensordot makes a Python-float g float64: a scalar g is a product
        "np.tensordot(g, x, np.ndim(g)) if np.ndim(g) else g * x",
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
    if gate.ranks.get("out") == 0:
        return "np.full_like(a, g)"  # one element; a Python-float g keeps a's dtype
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


_INTEGER_DTYPE = re.compile(r"(u?int\d*|u?intp|bool_?|long|short|u?byte|[iub]\d?)")


def _astype(gate: Gate) -> str:
    """A float cast passes g (in a's dtype); `x.astype(int)` truncates: a step
    function, whose gradient is zero (as np.floor's)."""
    spelled = gate.code("dtype").rpartition(".")[2].strip("'\"")
    if _INTEGER_DTYPE.fullmatch(spelled):
        return "np.zeros_like(a, dtype=np.result_type(a, 0.0))"
    return "np.array(g, dtype=a.dtype)"


def _clip_inside(gate: Gate) -> str:
    """The gradient passes where the value was not clipped (ties pass to `a`)."""
    inside = ["(a >= a_min)" * gate.has("a_min"), "(a <= a_max)" * gate.has("a_max")]
    mask = " & ".join(part for part in inside if part)
    return f"g * ({mask})" if mask else "g"


def _clip_low(gate: Gate) -> str:
    """NumPy clips as minimum(a_max, maximum(a, a_min)): a bound above a_max
    loses to it."""
    if gate.has("a_max"):
        return "g * ((a < a_min) & (a_min <= a_max))"
    return "g * (a < a_min)"


def _clip_high(gate: Gate) -> str:
    """a_max wins wherever maximum(a, a_min) exceeds it, a_min above it too."""
    if gate.has("a_min"):
        return "g * (np.maximum(a, a_min) > a_max)"
    return "g * (a > a_max)"


def _items(gate: Gate) -> list[str]:
    return [f"arrays_{i}" for i in range(len(_listed(gate).elts))]


def _listed(gate: Gate) -> ast.List | ast.Tuple:
    """The arrays a join takes: staged as a list or a tuple (stage.py)."""
    return cast("ast.List | ast.Tuple", gate.params["arrays"])


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


# -- helpers for the NumPy coverage gates (issue 12) ----------------------------


def _nan_count(gate: Gate) -> str:
    """How many non-NaN values each output element summarises, as a's dtype."""
    axis = gate.code("axis") if gate.has("axis") else "None"
    return f"np.sum(~np.isnan(a), axis={axis}, keepdims=True, dtype=a.dtype)"


def _prod(gate: Gate) -> str:
    # out / a: a zero input gives NaN, never a silently wrong number
    return f"{_restore(gate, 'g')} * {_restore(gate, 'out')} / a"


def _nansum(gate: Gate) -> str:
    # a zero of a's dtype: a Python-float g keeps float32 float32
    return f"np.where(np.isnan(a), np.result_type(a).type(0), {_restore(gate, 'g')})"


def _nanmean(gate: Gate) -> str:
    return f"np.where(np.isnan(a), 0.0, {_restore(gate, 'g')} / {_nan_count(gate)})"


def _nanprod(gate: Gate) -> str:
    return f"np.where(np.isnan(a), 0.0, {_prod(gate)})"


def _nan_centered(gate: Gate) -> str:
    axis = gate.code("axis") if gate.has("axis") else "None"
    return f"(a - np.nanmean(a, axis={axis}, keepdims=True))"


def _nanvar(gate: Gate) -> str:
    scale = f"({_nan_count(gate)}{_ddof(gate)})"
    grad = f"{_nan_centered(gate)} * ({_restore(gate, 'g')} * 2 / {scale})"
    return f"np.where(np.isnan(a), 0.0, {grad})"


def _nanstd(gate: Gate) -> str:
    scale = f"(({_nan_count(gate)}{_ddof(gate)}) * {_restore(gate, 'out')})"
    grad = f"{_nan_centered(gate)} * ({_restore(gate, 'g')} / {scale})"
    return f"np.where(np.isnan(a), 0.0, {grad})"


def _weights_like_a(gate: Gate) -> tuple[str, str, str | None]:
    """np.average's weights laid out along a's axes, their total over `axis`
    (broadcasting against a), and for 1-D weights along `axis` the axes the
    weights' gradient sums over; decided at run time only when bpgen cannot
    see the ranks."""
    ra, rw = gate.ranks.get("a"), gate.ranks.get("weights")
    # weights written as a list multiply as an array
    w = (
        "weights"
        if isinstance(gate.params["weights"], ast.Name)
        else "np.asarray(weights)"
    )
    if not gate.has("axis"):
        return w, "np.sum(weights)", None
    axis = gate.code("axis")
    if ra is not None and ra == rw:
        return w, f"np.sum(weights, axis={axis}, keepdims=True)", None
    k = gate.literal("axis")
    if type(k) is int and ra is not None and rw == 1:
        k %= ra
        shape = tuple(-1 if i == k else 1 for i in range(ra))
        others: tuple[int, ...] | str = tuple(i for i in range(ra) if i != k)
        return f"np.reshape(weights, {shape})", "np.sum(weights)", repr(others)
    if type(k) is int and k >= 0:
        others = f"(*range({k}), *range({k + 1}, np.ndim(a)))" if k else ""
        others = others or "tuple(range(1, np.ndim(a)))"
    else:
        others = f"tuple(k for k in range(np.ndim(a)) if k != {axis} % np.ndim(a))"
    same = "np.ndim(weights) == np.ndim(a)"
    spread = f"({w} if {same} else np.expand_dims(weights, {others}))"
    total = f"np.sum(weights, axis={axis} if {same} else None, keepdims=True)"
    return spread, total, f"() if {same} else {others}"


def _average(gate: Gate) -> str:
    """Without weights the mean's rule; with them each element's share."""
    if not gate.has("weights"):
        return _mean(gate)
    spread, total, _ = _weights_like_a(gate)
    return f"{_restore(gate, 'g')} * {spread} / {total}"


def _average_weights(gate: Gate) -> str:
    """out = sum(a w) / sum(w): each weight pulls out towards its element."""
    _, total, summed = _weights_like_a(gate)
    grad = f"{_restore(gate, 'g')} * (a - {_restore(gate, 'out')}) / {total}"
    return grad if summed is None else f"np.sum({grad}, axis={summed})"


def _norm(gate: Gate) -> str:
    """Vector 2-norms and the Frobenius norm; 1-norms along one axis."""
    order, axis = gate.literal("ord"), gate.literal("axis")
    along_one = type(axis) is int
    if order in (None, "fro") or (order == 2 and along_one):
        return f"{_restore(gate, 'g')} * a / {_restore(gate, 'out')}"
    if order == 1 and along_one:
        return f"{_restore(gate, 'g')} * np.sign(a)"
    raise NoRule(
        "np.linalg.norm has a gradient rule for ord=None, 'fro', and ord=1 or 2 "
        "along one integer axis only",
        "compute the norm from its definition, e.g. np.sum(np.abs(x) ** p) ** (1 / p)",
    )


def _scan(gate: Gate, g: str) -> str:
    """The sum of `g` from each position to the end (cumsum's transpose)."""
    if not gate.has("axis"):
        return f"np.reshape(np.flip(np.cumsum(np.flip({g}))), np.shape(a))"
    axis = gate.code("axis")
    return f"np.flip(np.cumsum(np.flip({g}, {axis}), {axis}), {axis})"


def _cumsum(gate: Gate) -> str:
    return _scan(gate, "g")


def _cumprod(gate: Gate) -> str:
    return f"{_scan(gate, 'g * out')} / a"


def _diff(gate: Gate) -> str:
    # each difference's transpose is minus the difference of g padded with zeros
    n = int(gate.literal("n"))
    axis = gate.code("axis")
    text = "g"
    for _ in range(n):
        text = f"np.diff({text}, axis={axis}, prepend=0, append=0).astype(g.dtype)"
    return f"-{text}" if n % 2 else text


def _flip(gate: Gate) -> str:
    return "np.flip(g, axis)" if gate.has("axis") else "np.flip(g)"


def _roll(gate: Gate) -> str:
    try:
        shift = gate.literal("shift")
    except ValueError:
        shift = None
    if type(shift) is int:
        back = str(-shift)
    elif isinstance(shift, (tuple, list)) and all(type(s) is int for s in shift):
        back = repr(tuple(-s for s in shift))
    else:
        back = "np.negative(shift)"
    return f"np.roll(g, {back}, axis)" if gate.has("axis") else f"np.roll(g, {back})"


def _rot90(gate: Gate) -> str:
    k = gate.literal("k")
    back = str(-k) if type(k) is int else "-k"
    axes = gate.literal("axes") if gate.has("axes") else (0, 1)
    return (
        f"np.rot90(g, {back})"
        if tuple(axes) == (0, 1)
        else f"np.rot90(g, {back}, axes)"
    )


def _tile(gate: Gate) -> str:
    """Every tile is a copy of A: sum g over the tiles."""
    shape = "((1,) * (g.ndim - np.ndim(A)) + np.shape(A))"
    split = (
        f"np.ravel(np.column_stack([np.divide(g.shape, {shape}).astype(int), {shape}]))"
    )
    tiles = "tuple(range(0, 2 * g.ndim, 2))"
    return f"np.reshape(np.sum(np.reshape(g, {split}), axis={tiles}), np.shape(A))"


def _repeat(gate: Gate) -> str:
    """Each input element is summed over its copies. An integer `repeats`
    reshapes; counts per element (a list) sum through the 0/1 matrix of
    which copy came from which element."""
    try:
        count = type(gate.literal("repeats")) is int
    except ValueError:
        count = False  # a computed count or list: decided by the general form
    if not count:
        if not gate.has("axis"):
            n = "np.size(a)"
            owner = f"np.arange({n})[:, None] == np.repeat(np.arange({n}), repeats)"
            return f"np.dot({owner}, np.ravel(g)).reshape(np.shape(a))"
        n = "a.shape[axis]"
        owner = f"np.arange({n})[:, None] == np.repeat(np.arange({n}), repeats)"
        moved = "np.moveaxis(g, axis, 0)"
        return f"np.moveaxis(np.tensordot({owner}, {moved}, 1), 0, axis)"
    if not gate.has("axis"):
        return "np.reshape(g, (-1, repeats)).sum(axis=1).reshape(np.shape(a))"
    split = "np.moveaxis(a, axis, -1).shape + (repeats,)"
    summed = f"np.reshape(np.moveaxis(g, axis, -1), {split}).sum(axis=-1)"
    return f"np.moveaxis({summed}, -1, axis)"


def _pad(gate: Gate) -> str:
    """Constant padding: the gradient is g without the padding."""
    if gate.has("mode") and gate.literal("mode") != "constant":
        raise NoRule(
            "np.pad has a gradient rule for mode='constant' only",
            "pad with mode='constant', or build the padding from slices with "
            "np.concatenate",
        )
    try:
        widths = gate.literal("pad_width")
    except ValueError:
        widths = None
    if isinstance(widths, (tuple, list)) and all(
        isinstance(w, (tuple, list)) and len(w) == 2 for w in widths
    ):
        parts = [f"{lo}:{-hi if hi else ''}" if lo or hi else ":" for lo, hi in widths]
        return f"g[{', '.join(parts)}]"
    return (
        "g[tuple(slice(lo, n - hi) for (lo, hi), n in "
        "zip(np.broadcast_to(pad_width, (g.ndim, 2)), g.shape))]"
    )


def _sort(gate: Gate) -> str:
    """g goes back through the inverse of the sorting permutation."""
    if not gate.has("axis"):
        inverse = "np.argsort(np.argsort(a, axis=None))"
        return f"np.reshape(np.take_along_axis(g, {inverse}, 0), np.shape(a))"
    axis = gate.code("axis")
    inverse = f"np.argsort(np.argsort(a, axis={axis}), axis={axis})"
    return f"np.take_along_axis(g, {inverse}, {axis})"


def _one_hot(indices: str, n: str) -> str:
    """indices.shape + (n,) booleans, negative indices counted from the end."""
    return f"(np.mod({indices}, {n})[..., None] == np.arange({n}))"


def _take(gate: Gate) -> str:
    """A scatter-add written as a contraction with a one-hot of the indices."""
    if not gate.has("axis"):
        hot = _one_hot("indices", "np.size(a)")
        return f"np.reshape(np.tensordot(g, {hot}, np.ndim(indices)), np.shape(a))"
    axis = gate.code("axis")
    start = (
        axis
        if type(gate.literal("axis")) is int and gate.literal("axis") >= 0
        else f"{axis} % a.ndim"
    )
    hot = _one_hot("indices", f"a.shape[{axis}]")
    axes = f"(range({start}, {start} + np.ndim(indices)), range(np.ndim(indices)))"
    return f"np.moveaxis(np.tensordot(g, {hot}, {axes}), -1, {axis})"


def _take_along_axis(gate: Gate) -> str:
    axis = gate.code("axis")
    hot = _one_hot(f"np.moveaxis(indices, {axis}, -1)", f"arr.shape[{axis}]")
    moved = f"np.moveaxis(g, {axis}, -1)"
    return f"np.moveaxis(np.einsum('...m,...mn->...n', {moved}, {hot}), -1, {axis})"


def _diagonal_of(gate: Gate, offset: str, axis1: str, axis2: str, a: str) -> str:
    """g (..., L) put back on the `offset` diagonal of axes axis1, axis2 of a."""
    try:
        k = int(ast.literal_eval(offset))
        rows, cols = str(max(-k, 0)), str(max(k, 0))
    except ValueError:
        rows, cols = f"max(-{offset}, 0)", f"max({offset}, 0)"
    size = "np.shape(g)[-1]"
    rows, cols = (" + " + rows) * (rows != "0"), (" + " + cols) * (cols != "0")
    hot_i = f"(np.arange({a}.shape[{axis1}])[:, None] == np.arange({size}){rows})"
    hot_j = f"(np.arange({a}.shape[{axis2}])[:, None] == np.arange({size}){cols})"
    spread = f"np.einsum('...k,ik,jk->...ij', g, {hot_i}, {hot_j})"
    return f"np.moveaxis({spread}, [-2, -1], [{axis1}, {axis2}])"


def _diagonal(gate: Gate) -> str:
    return _diagonal_of(
        gate, gate.code("offset"), gate.code("axis1"), gate.code("axis2"), "a"
    )


def _diag(gate: Gate) -> str:
    """np.diag builds a matrix from a vector, or takes a matrix's diagonal."""
    vector = "np.diagonal(g, k)"
    matrix = _diagonal_of(gate, gate.code("k"), "0", "1", "v")
    rank = gate.ranks.get("v")
    if rank is None:
        return f"{vector} if np.ndim(v) == 1 else {matrix}"
    return vector if rank == 1 else matrix


def _trace(gate: Gate) -> str:
    axis1, axis2 = gate.code("axis1"), gate.code("axis2")
    offset = gate.code("offset")
    eye = f"np.eye(a.shape[{axis1}], a.shape[{axis2}], {offset}, dtype=a.dtype)"
    # g as an array of the result's dtype: a Python-float g stays weak
    spread = f"np.asarray(g, np.result_type(g, a))[..., None, None] * {eye}"
    return f"np.moveaxis({spread}, [-2, -1], [{axis1}, {axis2}])"


def _cut(start: str, stop: str) -> str:
    return f":{stop}" if start == "0" else f"{start}:{stop}"


def _joined(size: str, part: str):
    """Templates for np.vstack-like joins: item i gets its own slice of g."""

    def templates(gate: Gate) -> list[str]:
        result, start = [], "0"
        for item in _items(gate):
            stop = size.format(item)
            stop = stop if start == "0" else f"{start} + {stop}"
            cut = part.format(_cut(start, stop))
            result.append(f"np.reshape({cut}, np.shape({item}))")
            start = stop
        return result

    return templates


def _hstack(gate: Gate) -> list[str]:
    """1-D inputs are joined along axis 0, others along axis 1."""
    result, flat, wide = [], "0", "0"
    for item in _items(gate):
        flat_stop = f"np.size({item})"
        wide_stop = f"np.shape({item})[1]"
        if flat != "0":
            flat_stop, wide_stop = f"{flat} + {flat_stop}", f"{wide} + {wide_stop}"
        flat_cut, wide_cut = _cut(flat, flat_stop), _cut(wide, wide_stop)
        cut = f"g[{flat_cut}] if g.ndim == 1 else g[:, {wide_cut}]"
        result.append(f"np.reshape({cut}, np.shape({item}))")
        flat, wide = flat_stop, wide_stop
    return result


def _tensordot_axes(gate: Gate):
    axes = gate.literal("axes")
    if type(axes) is int:
        return axes, None, None
    first, second = axes
    first = [first] if type(first) is int else list(first)
    second = [second] if type(second) is int else list(second)
    return len(first), tuple(first), tuple(second)


def _tensordot_a(gate: Gate) -> str:
    n, first, second = _tensordot_axes(gate)
    b = "b" if first is None else f"np.moveaxis(b, {second}, {tuple(range(n))})"
    axes = f"(range(np.ndim(a) - {n}, np.ndim(g)), range({n}, np.ndim(b)))"
    grad = f"np.tensordot(g, {b}, {axes})"
    return (
        grad
        if first is None
        else f"np.moveaxis({grad}, {tuple(range(-n, 0))}, {first})"
    )


def _tensordot_b(gate: Gate) -> str:
    n, first, second = _tensordot_axes(gate)
    a = "a" if first is None else f"np.moveaxis(a, {first}, {tuple(range(-n, 0))})"
    grad = f"np.tensordot({a}, g, (range(np.ndim(a) - {n}),) * 2)"
    return (
        grad if first is None else f"np.moveaxis({grad}, {tuple(range(n))}, {second})"
    )


def _einsum_parts(gate: Gate) -> tuple[list[str], str]:
    spec = str(gate.literal("subscripts")).replace(" ", "")
    if "." in spec:
        raise NoRule(
            "np.einsum with `...` in its subscripts has no gradient rule",
            "name the batch axes with letters: 'bij,jk->bik' for '...ij,jk->...ik'",
        )
    inputs, _, output = spec.partition("->")
    operands = inputs.split(",")
    if "->" not in spec:
        letters = "".join(operands)
        output = "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
    for sub in operands:
        if len(set(sub)) != len(sub):
            raise NoRule(
                "np.einsum with an index repeated within one operand (a diagonal "
                "or trace) has no gradient rule",
                "use np.trace, np.diagonal or np.diag for the diagonal",
            )
    return operands, output


def _einsum_grad(name: str):
    def template(gate: Gate) -> str:
        operands, output = _einsum_parts(gate)
        names = ["x", "y"][: len(operands)]
        mine = operands[names.index(name)]
        others = [(s, n) for s, n in zip(operands, names, strict=True) if n != name]
        subs = [output, *(s for s, _ in others)]
        args = ["g", *(n for _, n in others)]
        if set(mine) - set("".join(subs)):  # summed over x alone: g spreads
            subs.append(mine)
            args.append(f"np.ones_like({name})")
        return f"np.einsum('{','.join(subs)}->{mine}', {', '.join(args)})"

    return template


def _kron(name: str):
    """Equal ranks: g split into (a0, b0, a1, b1, ...) blocks, summed against
    the other factor."""
    other, start = ("b", 1) if name == "a" else ("a", 0)

    def template(gate: Gate) -> str:
        split = "np.reshape(g, np.ravel(np.column_stack([np.shape(a), np.shape(b)])))"
        axes = f"(range({start}, 2 * np.ndim({other}), 2), range(np.ndim({other})))"
        return f"np.tensordot({split}, {other}, {axes})"

    return template


def _solve_a(gate: Gate) -> str:
    db = "np.linalg.solve(np.swapaxes(a, -1, -2), g)"
    vector, matrix = (
        f"-np.multiply.outer({db}, out)",
        f"-({db} @ np.swapaxes(out, -1, -2))",
    )
    rank = gate.ranks.get("b")
    if rank is None:
        return f"{vector} if np.ndim(b) == 1 else {matrix}"
    return vector if rank == 1 else matrix


def _cholesky(gate: Gate) -> str:
    # Murray (2016): dA = L^-T sym(phi(L^T g)) L^-1, phi = lower half, halved diagonal
    lt = "np.swapaxes(out, -1, -2)"
    phi = f"(np.tril({lt} @ g) / (1 + np.eye(out.shape[-1], dtype=out.dtype)))"
    sym = f"({phi} + np.swapaxes({phi}, -1, -2)) / 2"
    grad = f"np.linalg.solve({lt}, np.swapaxes(np.linalg.solve({lt}, {sym}), -1, -2))"
    # NumPy reads only the lower triangle: the upper half has no gradient and
    # the lower one takes both halves of the symmetric form's
    n = "out.shape[-1]"
    half = f"np.tri({n}, dtype=out.dtype) + np.tri({n}, k=-1, dtype=out.dtype)"
    return f"{grad} * ({half})"


# -- output ranks (shapes.py) -------------------------------------------------


def _dot_rank(ranks: Mapping[str, int | None], gate: Gate) -> int | None:
    rx, ry = ranks.get("x"), ranks.get("y")
    if rx is None or ry is None:
        return None
    return rx + ry if 0 in (rx, ry) else rx + ry - 2  # a 0-d operand scales


def _matmul_rank(ranks: Mapping[str, int | None], gate: Gate) -> int | None:
    rx, ry = ranks.get("x"), ranks.get("y")
    if rx is None or ry is None:
        return None
    if max(rx, ry) <= 2 or 1 in (rx, ry):
        return max(rx + ry - 2, rx - 1, ry - 1)  # a vector's axis is contracted
    return max(rx, ry)  # stacks of matrices broadcast


def _input_rank(ranks: Mapping[str, int | None], gate: Gate) -> int | None:
    return ranks.get("a")


def _reshape_rank(ranks: Mapping[str, int | None], gate: Gate) -> int | None:
    target = gate.params.get("shape")
    if isinstance(target, (ast.Tuple, ast.List)):
        if any(isinstance(e, ast.Starred) for e in target.elts):
            return None  # x.reshape(n, *rest): rank unknown
        return len(target.elts)
    try:
        return 1 if type(gate.literal("shape")) is int else None  # x.reshape(-1)
    except ValueError:
        return None  # a computed shape


def _expand_dims_rank(ranks: Mapping[str, int | None], gate: Gate) -> int | None:
    rank, axis = ranks.get("a"), gate.params.get("axis")
    if rank is None:
        return None
    return rank + (len(axis.elts) if isinstance(axis, (ast.Tuple, ast.List)) else 1)


# -- output shapes in declared sizes (dims.py) ---------------------------------
# `dims` is dims.Dims: `of(node)` an input's shape (a tuple of sizes: ints,
# symbols, None), `same`, `broadcast`, `shape_value`, `index`.

DimsShape = Callable[[Any, Gate], "tuple | None"]


def _static(gate: Gate, name: str):
    """A static parameter's literal value, None when absent, ... when computed."""
    try:
        return gate.literal(name)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return ...


def _product_shape(dot: bool) -> DimsShape:
    def shape(dims, gate: Gate):
        x, y = dims.of(gate.params["x"]), dims.of(gate.params["y"])
        if x is None or y is None:
            return None
        if not x or not y:
            return dims.broadcast([x, y])  # a scalar operand scales
        if len(y) == 1:
            dims.same(x[-1], y[0])
            return x[:-1]
        contracted = y[-2]
        dims.same(x[-1], contracted)
        if len(x) == 1:
            return y[:-2] + y[-1:]
        if dot:
            return x[:-1] + y[:-2] + y[-1:]
        batch = dims.broadcast([x[:-2], y[:-2]])
        return None if batch is None else batch + (x[-2], y[-1])

    return shape


def _outer_shape(dims, gate: Gate):
    x, y = dims.of(gate.params["x"]), dims.of(gate.params["y"])
    if x is not None and y is not None and len(x) == len(y) == 1:
        return (x[0], y[0])
    return (None, None)


def _transpose_shape(dims, gate: Gate):
    shape, axes = dims.of(gate.params["a"]), _static(gate, "axes")
    if shape is None or not isinstance(axes, (tuple, list, type(None))):
        return None
    if axes is None:
        return shape[::-1]
    return tuple(shape[int(k)] for k in axes)


def _swapaxes_shape(dims, gate: Gate):
    shape = dims.of(gate.params["a"])
    a, b = _static(gate, "axis1"), _static(gate, "axis2")
    if shape is None or type(a) is not int or type(b) is not int:
        return None
    out = list(shape)
    out[a], out[b] = out[b], out[a]
    return tuple(out)


def _swap_last(shape: tuple | None) -> tuple | None:
    """A stack of matrices' shape, each matrix transposed."""
    if shape is None or len(shape) < 2:
        return None
    return (*shape[:-2], shape[-1], shape[-2])


def _ravel_shape(dims, gate: Gate):
    return (None,) if dims.of(gate.params["a"]) != () else (1,)


def _expand_dims_shape(dims, gate: Gate):
    shape, axis = dims.of(gate.params["a"]), _static(gate, "axis")
    axes = axis if isinstance(axis, (tuple, list)) else (axis,)
    if shape is None or not all(type(k) is int for k in axes):
        return None
    rank = len(shape) + len(axes)
    out = list(shape)
    for k in sorted(a % rank for a in axes):
        out.insert(k, 1)
    return tuple(out)


def _squeeze_shape(dims, gate: Gate):
    shape, axis = dims.of(gate.params["a"]), _static(gate, "axis")
    if shape is None:
        return None
    if axis is None:
        if any(d is None or isinstance(d, str) for d in shape):
            return None  # which axes are 1 is not known
        return tuple(d for d in shape if d != 1)
    axes = axis if isinstance(axis, (tuple, list)) else (axis,)
    if not all(type(k) is int for k in axes):
        return None
    drop = {k % len(shape) for k in axes}
    return tuple(d for i, d in enumerate(shape) if i not in drop)


def _join_shape(stack: bool) -> DimsShape:
    def shape(dims, gate: Gate):
        items = _listed(gate).elts
        shapes = [dims.of(i) for i in items]
        axis = _static(gate, "axis")
        if any(s is None for s in shapes) or type(axis) is not int:
            return None
        out = list(shapes[0])
        if stack:
            out.insert(axis % (len(out) + 1), len(items))
        else:
            out[axis % len(out)] = None
        return tuple(out)

    return shape


# -- the table ----------------------------------------------------------------
# One declaration per gate: parameters, gradient templates, spellings, shape
# kind, view. Adding a gate is adding a line here (and its test in
# tests/test_rules.py); everything else reads it.

RULES: dict[str, Rule] = {
    # arithmetic: the seed's add, multiply, scale and reciprocal gates
    "add": rule("x, y", kind=BROADCAST, operator="x + y", numpy="add", x="g", y="g"),
    "sub": rule(
        "x, y", kind=BROADCAST, operator="x - y", numpy="subtract", x="g", y="-g"
    ),
    "mul": rule(
        "x, y",
        kind=BROADCAST,
        operator="x * y",
        numpy="multiply",
        x="g * y",
        y="g * x",
    ),
    "div": rule(
        "x, y",
        kind=BROADCAST,
        operator="x / y",
        numpy="divide true_divide",
        x="g / y",
        y="-g * out / y",
    ),
    "pow": rule(
        "x, y",
        kind=BROADCAST,
        operator="x ** y",
        math="pow",
        builtin="pow",
        numpy="power pow",
        x="g * y * x ** (y - 1)",
        y="g * out * np.log(x)",
    ),
    "neg": rule("x", kind=SAME, operator="-x", numpy="negative", x="-g"),
    "pos": rule("x", kind=SAME, operator="+x", numpy="positive", x="g"),
    # exponentials and logarithms
    "exp": rule("x", kind=SAME, math="exp", numpy="exp", x="g * out"),
    "expm1": rule("x", kind=SAME, math="expm1", numpy="expm1", x="g * (out + 1)"),
    "log": rule(
        "x",
        kind=SAME,
        numpy="log",
        math="log",
        written="`math.log(x)`",
        more_args="logb",
        x="g / x",
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
        scipy="expit",
        written="`1 / (1 + exp(-x))` (any spelling)",
        x="g * (1 - out) * out",
    ),
    "logit": rule("x", kind=SAME, scipy="logit", x="g / (x * (1 - x))"),
    # trigonometric and hyperbolic
    "sin": rule("x", kind=SAME, math="sin", numpy="sin", x="g * np.cos(x)"),
    "cos": rule("x", kind=SAME, math="cos", numpy="cos", x="-g * np.sin(x)"),
    "tan": rule("x", kind=SAME, math="tan", numpy="tan", x="g * (1 + out ** 2)"),
    "arcsin": rule(
        "x", kind=SAME, math="asin", numpy="arcsin asin", x="g / np.sqrt(1 - x ** 2)"
    ),
    "arccos": rule(
        "x", kind=SAME, math="acos", numpy="arccos acos", x="-g / np.sqrt(1 - x ** 2)"
    ),
    "arctan": rule(
        "x", kind=SAME, math="atan", numpy="arctan atan", x="g / (1 + x ** 2)"
    ),
    "arctan2": rule(
        "x1, x2",
        kind=BROADCAST,
        math="atan2",
        numpy="arctan2 atan2",
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
        numpy="abs absolute fabs",
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
        discrete="condition",
        x="np.where(condition, g, 0.0)",
        y="np.where(condition, 0.0, g)",
    ),
    "clip": rule(
        "a, a_min=None, a_max=None",  # x.clip(0), x.clip(max=1): NumPy 2
        kind=BROADCAST,
        numpy="clip",
        method="clip",
        aliases="min=a_min max=a_max",  # NumPy 2's names
        shown={"a_min": "a_min", "a_max": "a_max"},
        a=_clip_inside,
        a_min=_clip_low,
        a_max=_clip_high,
    ),
    # products: the seed's dW = dD.dot(X.T), dX = W.T.dot(dD)
    "dot": rule(
        "x, y",
        kind=PRODUCT,
        numpy="dot",
        method="dot",
        out_rank=_dot_rank,
        out_shape=_product_shape(dot=True),
        x=_dot_x,
        y=_dot_y,
    ),
    "matmul": rule(
        "x, y",
        kind=PRODUCT,
        broadcasts=True,  # stacks of matrices broadcast
        operator="x @ y",
        numpy="matmul linalg.matmul",
        out_rank=_matmul_rank,
        out_shape=_product_shape(dot=False),
        x=_matmul_x,
        y=_matmul_y,
    ),
    "outer": rule(
        "x, y",
        kind=PRODUCT,
        numpy="outer linalg.outer",
        out_rank=lambda ranks, gate: 2,
        out_shape=_outer_shape,
        x=_outer_x,
        y=_outer_y,
    ),
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
        scipy="logsumexp",
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
        numpy="transpose permute_dims",
        method="transpose",
        packs="axes",  # x.transpose(1, 0)
        out_rank=_input_rank,
        out_shape=_transpose_shape,
        a=_transpose,
    ),
    "reshape": rule(
        "a, shape",
        kind=RESHAPE,
        view=True,
        numpy="reshape",
        method="reshape",
        aliases="newshape=shape",
        packs="shape",  # x.reshape(n, -1)
        out_rank=_reshape_rank,
        out_shape=lambda dims, gate: dims.shape_value(gate.params["shape"]),
        a=_reshaped,
    ),
    "expand_dims": rule(
        "a, axis",
        kind=RESHAPE,
        view=True,
        numpy="expand_dims",
        out_rank=_expand_dims_rank,
        out_shape=_expand_dims_shape,
        a=_reshaped,
    ),
    "squeeze": rule(
        "a, axis=None",
        kind=RESHAPE,
        view=True,
        numpy="squeeze",
        method="squeeze",
        out_shape=_squeeze_shape,
        a=_reshaped,
    ),
    "ravel": rule(
        "a",
        kind=RESHAPE,
        view=True,  # ravel may return a view (flatten copies: taken as one too)
        numpy="ravel",
        method="ravel flatten",
        out_shape=_ravel_shape,
        a=_reshaped,
    ),
    "swapaxes": rule(
        "a, axis1, axis2",
        kind=PERMUTE,
        view=True,
        numpy="swapaxes",
        method="swapaxes",
        out_shape=_swapaxes_shape,
        a="np.swapaxes(g, axis1, axis2)",
    ),
    "copy": rule("a", kind=SAME, numpy="copy", method="copy", a="g"),
    # `return float(loss)`: the one element as a Python float
    "float": rule(
        "a",
        kind=RESHAPE,
        builtin="float",
        out_rank=lambda ranks, gate: 0,
        a=lambda gate: "g" if gate.ranks.get("a") == 0 else "np.full_like(a, g)",
        scalar={"a": "g"},
    ),
    # `x = np.asarray(x)` of a parameter (a list, maybe): the array, x itself
    # when it is one (stage.py; elsewhere np.asarray passes its value through)
    "asarray": rule(
        "a", kind=SAME, view=True, written="`np.asarray(x)` of a parameter", a="g"
    ),
    "stack": rule(
        "arrays, axis=0",
        kind=JOIN,
        numpy="stack",
        out_shape=_join_shape(stack=True),
        arrays=_stack,
    ),
    "concatenate": rule(
        "arrays, axis=0",
        kind=JOIN,
        numpy="concatenate concat",
        out_shape=_join_shape(stack=False),
        arrays=_concatenate,
    ),
    # indexing scatters the gradient back, adding where indices repeat
    # -- NumPy coverage (issue 12): elementwise
    "arcsinh": rule(
        "x", kind=SAME, math="asinh", numpy="arcsinh asinh", x="g / np.sqrt(x * x + 1)"
    ),
    "arccosh": rule(
        "x", kind=SAME, math="acosh", numpy="arccosh acosh", x="g / np.sqrt(x * x - 1)"
    ),
    "arctanh": rule(
        "x", kind=SAME, math="atanh", numpy="arctanh atanh", x="g / (1 - x * x)"
    ),
    "deg2rad": rule(
        "x",
        kind=SAME,
        math="radians",
        numpy="deg2rad radians",
        x="g * (math.pi / 180)",
    ),
    "rad2deg": rule(
        "x",
        kind=SAME,
        math="degrees",
        numpy="rad2deg degrees",
        x="g * (180 / math.pi)",
    ),
    "sinc": rule(
        "x",
        kind=SAME,
        numpy="sinc",
        x="g * (np.cos(math.pi * x) - out) / np.where(x == 0, 1.0, x)",
    ),
    "erf": rule(
        "x",
        kind=SAME,
        math="erf",
        scipy="erf",
        x="g * (2 / math.sqrt(math.pi)) * np.exp(-x * x)",
    ),
    "erfc": rule(
        "x",
        kind=SAME,
        math="erfc",
        scipy="erfc",
        x="-g * (2 / math.sqrt(math.pi)) * np.exp(-x * x)",
    ),
    # scipy.special's softmax and log_softmax along `axis` (all axes by default)
    "softmax": rule(
        "x, axis=None",
        kind=SAME,
        scipy="softmax",
        x=lambda gate: f"out * (g - {_summed(gate, 'g * out')})",
    ),
    "log_softmax": rule(
        "x, axis=None",
        kind=SAME,
        scipy="log_softmax",
        x=lambda gate: f"g - np.exp(out) * {_summed(gate, 'g')}",
    ),
    "xlogy": rule(
        "x, y",
        kind=BROADCAST,
        scipy="xlogy",
        x="g * np.log(y)",
        y="g * x / y",
    ),
    "ndtr": rule(
        "x",
        kind=SAME,
        scipy="ndtr",
        x="g * np.exp(-x * x / 2) / math.sqrt(2 * math.pi)",
    ),
    "logaddexp2": rule(
        "x1, x2",
        kind=BROADCAST,
        numpy="logaddexp2",
        x1="g * np.exp2(x1 - out)",
        x2="g * np.exp2(x2 - out)",
    ),
    # NaN-ignoring maximum/minimum: the gradient goes to the number
    "fmax": rule(
        "x, y",
        kind=BROADCAST,
        numpy="fmax",
        x="g * ((x >= y) | np.isnan(y))",
        y="g * ((x < y) | np.isnan(x))",
    ),
    "fmin": rule(
        "x, y",
        kind=BROADCAST,
        numpy="fmin",
        x="g * ((x <= y) | np.isnan(y))",
        y="g * ((x > y) | np.isnan(x))",
    ),
    # a cast: the gradient is cast back to the input's dtype
    "astype": rule("a, dtype", kind=SAME, method="astype", a=_astype),
    # np.float32(0.5) * x: a value in another float type (the gradient goes
    # out in its argument's dtype: reverse.py hands every one out by _like)
    "cast": rule("a", kind=SAME, numpy="float16 float32 float64", a="g"),
    # -- reductions
    "prod": rule(
        "a, axis=None, keepdims=False",
        kind=REDUCE,
        numpy="prod",
        method="prod",
        a=_prod,
    ),
    "nansum": rule(
        "a, axis=None, keepdims=False", kind=REDUCE, numpy="nansum", a=_nansum
    ),
    "nanmean": rule(
        "a, axis=None, keepdims=False", kind=REDUCE, numpy="nanmean", a=_nanmean
    ),
    "nanmax": rule(
        "a, axis=None, keepdims=False", kind=REDUCE, numpy="nanmax", a=_extremum
    ),
    "nanmin": rule(
        "a, axis=None, keepdims=False", kind=REDUCE, numpy="nanmin", a=_extremum
    ),
    "nanprod": rule(
        "a, axis=None, keepdims=False", kind=REDUCE, numpy="nanprod", a=_nanprod
    ),
    "nanvar": rule(
        "a, axis=None, ddof=0, keepdims=False", kind=REDUCE, numpy="nanvar", a=_nanvar
    ),
    "nanstd": rule(
        "a, axis=None, ddof=0, keepdims=False", kind=REDUCE, numpy="nanstd", a=_nanstd
    ),
    "average": rule(
        "a, axis=None, weights=None, keepdims=False",
        kind=REDUCE,
        numpy="average",
        a=_average,
        weights=_average_weights,
    ),
    "norm": rule(
        "a, ord=None, axis=None, keepdims=False",
        kind=REDUCE,
        numpy="linalg.norm",
        a=_norm,
    ),
    "trace": rule(
        "a, offset=0, axis1=0, axis2=1",
        kind=SELECT,
        numpy="trace",
        method="trace",
        a=_trace,
    ),
    # -- running sums and products
    "cumsum": rule(
        "a, axis=None", kind=SCAN, numpy="cumsum", method="cumsum", a=_cumsum
    ),
    "cumprod": rule(
        "a, axis=None", kind=SCAN, numpy="cumprod", method="cumprod", a=_cumprod
    ),
    "diff": rule("a, n=1, axis=-1", kind=SCAN, numpy="diff", a=_diff),
    # -- the same elements, moved
    "flip": rule("m, axis=None", kind=PERMUTE, view=True, numpy="flip", m=_flip),
    "fliplr": rule("m", kind=PERMUTE, view=True, numpy="fliplr", m="np.fliplr(g)"),
    "flipud": rule("m", kind=PERMUTE, view=True, numpy="flipud", m="np.flipud(g)"),
    "roll": rule("a, shift, axis=None", kind=PERMUTE, numpy="roll", a=_roll),
    "rot90": rule(
        "m, k=1, axes=None", kind=PERMUTE, view=True, numpy="rot90", m=_rot90
    ),
    "moveaxis": rule(
        "a, source, destination",
        kind=PERMUTE,
        view=True,
        numpy="moveaxis",
        a="np.moveaxis(g, destination, source)",
    ),
    "matrix_transpose": rule(
        "a",
        kind=PERMUTE,
        view=True,
        numpy="matrix_transpose linalg.matrix_transpose",
        out_rank=_input_rank,
        out_shape=lambda dims, gate: _swap_last(dims.of(gate.params["a"])),
        a="np.swapaxes(g, -1, -2)",
    ),
    "atleast_1d": rule("a", kind=RESHAPE, view=True, numpy="atleast_1d", a=_reshaped),
    "atleast_2d": rule("a", kind=RESHAPE, view=True, numpy="atleast_2d", a=_reshaped),
    "atleast_3d": rule("a", kind=RESHAPE, view=True, numpy="atleast_3d", a=_reshaped),
    # -- copies: the gradient sums over them
    "broadcast_to": rule(
        "array, shape",
        kind=REPEAT,
        view=True,
        broadcasts=True,  # reverse.py sums g back to the input's shape
        numpy="broadcast_to",
        array="g",
    ),
    "tile": rule("A, reps", kind=REPEAT, numpy="tile", A=_tile),
    "repeat": rule(
        "a, repeats, axis=None", kind=REPEAT, numpy="repeat", method="repeat", a=_repeat
    ),
    # -- selections: the gradient goes back where each element came from
    "pad": rule(
        "array, pad_width, mode='constant', constant_values=0",
        kind=SELECT,
        numpy="pad",
        array=_pad,
    ),
    "sort": rule("a, axis=-1, kind=None", kind=SELECT, numpy="sort", a=_sort),
    "take": rule(
        "a, indices, axis=None",
        kind=SELECT,
        numpy="take",
        method="take",
        discrete="indices",
        a=_take,
    ),
    "take_along_axis": rule(
        "arr, indices, axis=-1",
        kind=SELECT,
        broadcasts=True,  # indices may broadcast against arr
        numpy="take_along_axis",
        discrete="indices",
        arr=_take_along_axis,
    ),
    "diagonal": rule(
        "a, offset=0, axis1=0, axis2=1",
        kind=SELECT,
        view=True,
        numpy="diagonal",
        method="diagonal",
        a=_diagonal,
    ),
    "diag": rule("v, k=0", kind=SELECT, view=True, numpy="diag", v=_diag),
    "triu": rule(
        "m, k=0", kind=SELECT, broadcasts=True, numpy="triu", m="np.triu(g, k)"
    ),
    "tril": rule(
        "m, k=0", kind=SELECT, broadcasts=True, numpy="tril", m="np.tril(g, k)"
    ),
    # -- joins
    "vstack": rule(
        "arrays",
        kind=JOIN,
        numpy="vstack",
        arrays=_joined("np.atleast_2d({}).shape[0]", "g[{}]"),
    ),
    "hstack": rule("arrays", kind=JOIN, numpy="hstack", arrays=_hstack),
    "dstack": rule(
        "arrays",
        kind=JOIN,
        numpy="dstack",
        arrays=_joined("np.atleast_3d({}).shape[2]", "g[:, :, {}]"),
    ),
    "column_stack": rule(
        "arrays",
        kind=JOIN,
        numpy="column_stack",
        arrays=_joined("(np.shape({0})[1] if np.ndim({0}) > 1 else 1)", "g[:, {}]"),
    ),
    # -- products
    "tensordot": rule(
        "a, b, axes=2",
        kind=PRODUCT,
        numpy="tensordot linalg.tensordot",
        a=_tensordot_a,
        b=_tensordot_b,
    ),
    "einsum": rule(
        "subscripts, x, y=None",
        kind=PRODUCT,
        numpy="einsum",
        shown={"subscripts": "'ij,jk->ik'", "y": "y"},
        x=_einsum_grad("x"),
        y=_einsum_grad("y"),
    ),
    "inner": rule(
        "a, b",
        kind=PRODUCT,
        numpy="inner",
        a="np.tensordot(g, b, (range(np.ndim(a) - 1, np.ndim(g)), "
        "range(np.ndim(b) - 1)))",
        b="np.tensordot(g, a, (range(np.ndim(a) - 1), range(np.ndim(a) - 1)))",
    ),
    "vdot": rule(
        "a, b",
        kind=PRODUCT,
        numpy="vdot",
        a="g * np.reshape(b, np.shape(a))",
        b="g * np.reshape(a, np.shape(b))",
    ),
    "kron": rule("a, b", kind=PRODUCT, numpy="kron", a=_kron("a"), b=_kron("b")),
    "cross": rule(
        "a, b",
        kind=PRODUCT,
        broadcasts=True,  # stacks of 3-vectors broadcast
        numpy="cross",
        a="np.cross(b, g)",
        b="np.cross(g, a)",
    ),
    # -- linear algebra (numpy.linalg)
    "inv": rule(
        "a",
        kind=LINALG,
        numpy="linalg.inv",
        a="-(np.swapaxes(out, -1, -2) @ g @ np.swapaxes(out, -1, -2))",
    ),
    "det": rule(
        "a",
        kind=LINALG,
        numpy="linalg.det",
        a="(g * out)[..., None, None] * np.swapaxes(np.linalg.inv(a), -1, -2)",
    ),
    "solve": rule(
        "a, b",
        kind=LINALG,
        broadcasts=True,  # a stack of systems may share b
        numpy="linalg.solve",
        a=_solve_a,
        b="np.linalg.solve(np.swapaxes(a, -1, -2), g)",
    ),
    "cholesky": rule("a", kind=LINALG, numpy="linalg.cholesky", a=_cholesky),
    # items of tuple-valued calls: lower.py unpacks `sign, logdet = slogdet(a)`
    # and `w, v = eigh(a)` into one gate per item, each computing the call
    # log|det a|: d/da = inv(a)^T
    "slogdet[1]": rule(
        "a",
        kind=LINALG,
        written="`np.linalg.slogdet(a)[1]`",
        a="np.swapaxes(np.linalg.inv(a), -1, -2) * np.expand_dims(g, (-1, -2))",
    ),
    # NumPy reads a's lower triangle: with G = V diag(g) V^T (V the
    # eigenvectors, computed again), d/da is G's lower triangle, the entries
    # below the diagonal counted twice (each stands for two of a's)
    "eigvalsh": rule(
        "a",
        kind=LINALG,
        written=("`np.linalg.eigvalsh(a)`", "`np.linalg.eigh(a)[0]`"),
        a="np.tril(np.einsum('...ik,...k,...jk->...ij', np.linalg.eigh(a)[1], g, "
        "np.linalg.eigh(a)[1])) * (2 - np.eye(a.shape[-1], dtype=a.dtype))",
    ),
    # the eigenvectors V: with F_ij = 1 / (w_j - w_i) off the diagonal (w the
    # eigenvalues), G = V (F * (V^T g)) V^T; NumPy reads a's lower triangle,
    # so d/da is the lower triangle of G + G^T with the diagonal halved, and
    # G + G^T = V (F * (V^T g - g^T V)) V^T as F is antisymmetric. Repeated
    # eigenvalues have no such gradient (F divides by zero).
    "eigh[1]": rule(
        "a",
        kind=LINALG,
        written="`np.linalg.eigh(a)[1]`",
        a="np.tril(out @ ((1 - np.eye(a.shape[-1])) / (np.linalg.eigvalsh(a)"
        "[..., None, :] - np.linalg.eigvalsh(a)[..., :, None] + np.eye(a.shape[-1]))"
        " * (np.swapaxes(out, -1, -2) @ g - np.swapaxes(g, -1, -2) @ out)) @ "
        "np.swapaxes(out, -1, -2)) * (1 - np.eye(a.shape[-1], dtype=a.dtype) / 2)",
    ),
    # -- special functions: their derivatives call scipy.special (imported
    # by the generated module where they are used)
    "gammaln": rule(
        "x",
        kind=SAME,
        math="lgamma",
        scipy="gammaln",
        x="g * scipy.special.digamma(x)",
    ),
    "digamma": rule(
        "x", kind=SAME, scipy="digamma psi", x="g * scipy.special.polygamma(1, x)"
    ),
    "gamma": rule(
        "x",
        kind=SAME,
        math="gamma",
        scipy="gamma",
        x="g * out * scipy.special.digamma(x)",
    ),
    "getitem": rule(
        "a, index",
        kind=INDEX,
        view=True,
        written="`x[index]`",
        discrete="index",
        out_shape=lambda dims, gate: dims.index(
            dims.of(gate.params["a"]), gate.params["index"]
        ),
        a="g",
    ),
    # item assignment into an array the function made (stage.set_item); the
    # backward zeroes the overwritten items of g for a (reverse.set_item)
    "setitem": rule(
        "a, value, index",
        kind=ASSIGN,
        written="`y[index] = value`",
        discrete="index",
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

# Modules besides np and math that templates call (scipy.special): reverse.py
# spells them by the generated module's alias for them.
TEMPLATE_MODULES = frozenset().union(*(r.modules for r in RULES.values()))


def _operator(form: str) -> type[ast.AST]:
    """The ast operator class of an operator form ("x + y" -> ast.Add)."""
    node = ast.parse(form, mode="eval").body
    assert isinstance(node, (ast.BinOp, ast.UnaryOp)), form
    return type(node.op)


# Python's operators that are gates: ast.Add -> "add" (lower.py reads it)
OPERATORS = {_operator(r.operator): g for g, r in RULES.items() if r.operator}

# Gates whose result may share memory with an input (stage.py refuses an
# in-place update of a name after such a view of it).
VIEW_GATES = frozenset(g for g, r in RULES.items() if r.view)

# NumPy functions and methods that may return a view when *generated code*
# calls them: the spellings of view gates, and broadcast_to (used by rules).
# A gradient computed by one of them is not updated in place.
# (the callee's own name: np.linalg.matrix_transpose is `matrix_transpose`)
VIEW_CALLS = frozenset(
    {
        name.rpartition(".")[2]
        for g in VIEW_GATES
        for name in RULES[g].numpy + RULES[g].method
    }
    | {"broadcast_to"}
)

# Calls whose result carries no gradient: shapes, counts, masks, builders.
NONDIFFERENTIABLE = frozenset(
    """
    len int bool range
    sign floor ceil rint round trunc isnan isinf isfinite signbit
    argmax argmin argsort shape size ndim
    nonzero flatnonzero argwhere triu_indices tril_indices diag_indices indices
    zeros ones full empty zeros_like ones_like full_like empty_like eye identity
    arange linspace equal not_equal greater greater_equal less less_equal
    logical_and logical_or logical_not
    array asarray divmod
    """.split()
)

# Rules of user-declared gradients (`@bpgen.gradient_of`, declared.py), keyed
# by a name unique to each declaration's text. RULES finds them by name but
# does not list them: the table, the README and the spellings stay bpgen's own.
DECLARED: dict[str, Rule] = {}


class _Table(dict):
    def __missing__(self, gate: str) -> Rule:
        return DECLARED[gate]


RULES = _Table(RULES)
