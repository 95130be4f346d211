"""What each parameter is, as far as the function's text proves it.

Nothing in a function's text says its arguments are floats unless it is
annotated, so bpgen decides per value, never per function:

- a value passed to `math` or to the builtin `max`/`min` is surely a float
  (they refuse arrays), and so is every operand of the elementwise
  arithmetic that produced it; a parameter annotated `float` or `int` is one;
- a parameter that never reaches a gate as a differentiable input (a dict
  read with string keys, labels used as an index, a size, a shape) carries
  no gradient, and is left out of the default `wrt`.

Only a function whose every parameter is a proven float is written as plain
Python arithmetic; any other is written for NumPy values of any shape.
"""

from __future__ import annotations

import ast
from typing import TypeGuard

from .ir import Node, Stage, conditions, leaves
from .lower import MATH, NP
from .rules import FLOATS, PRODUCT, RULES, of_kind

_PRODUCTS = of_kind(PRODUCT)  # contract axes: not elementwise
# the builtins that refuse arrays (max, min)
_FLOAT_BUILTINS = frozenset(n for g in of_kind(FLOATS) for n in RULES[g].builtin)


def _atoms(stage: Stage) -> list[str]:
    names = []
    for value in stage.inputs.values():
        items = value.elts if isinstance(value, (ast.List, ast.Tuple)) else [value]
        names += [item.id for item in items if isinstance(item, ast.Name)]
    return names


def is_float_call(value: ast.AST) -> TypeGuard[ast.Call]:
    """`math.f(...)` or the builtin max/min: they refuse arrays."""
    if not isinstance(value, ast.Call):
        return False
    func = value.func
    if isinstance(func, ast.Attribute):
        return isinstance(func.value, ast.Name) and func.value.id == MATH
    return isinstance(func, ast.Name) and func.id in _FLOAT_BUILTINS


def _float_arguments(stage: Stage) -> set[str]:
    """The stage's inputs that some float call takes (`math.exp(-x)` inside a
    fused sigmoid included)."""
    atoms = set(_atoms(stage))
    found: set[str] = set()
    for node in ast.walk(stage.value):
        if is_float_call(node):
            found |= atoms & set().union(*map(names_in, node.args), set())
    return found


def _elementwise(stage: Stage) -> bool:
    gate = stage.gate
    if gate is None or gate in _PRODUCTS:
        return False
    rule = RULES[gate]
    return rule.broadcasts or rule.params == ("x",) or rule.kind == FLOATS


def proven_floats(stages: list[Stage], annotated: set[str]) -> set[str]:
    """Values whose text proves them floats: math arguments and their sources."""
    floats = set(annotated)
    for stage in stages:
        floats |= _float_arguments(stage)
        if is_float_call(stage.value):
            floats.add(stage.target)
    # a float made by elementwise arithmetic was made of floats only
    for stage in reversed(stages):
        if stage.target not in floats:
            continue
        if _elementwise(stage):
            floats.update(_atoms(stage))
        elif stage.gate is None and isinstance(stage.value, ast.Name):
            floats.add(stage.value.id)
    return floats


def numeric_params(
    params: list[str], body: list[Node], outputs: list[ast.expr]
) -> tuple[set[str], set[str]]:
    """(parameters that reach a gate as a differentiable input or the output,
    parameters read at all). Read but not numeric: a dict, labels, a size, a
    shape; an unread parameter keeps its zero gradient."""
    numeric, read = set(), conditions(body)
    for stage in leaves(body):
        numeric.update(_atoms(stage))
        read |= names_in(stage.value)
    for output in outputs:
        numeric |= names_in(output)
    return numeric & set(params), (read | numeric) & set(params)


def index_params(stages: list[Stage], params: list[str]) -> set[str]:
    """Parameters that index an array as they are (`x[mask]`, `W[idx]`,
    `x[rows, cols]`): integers or booleans, so without a gradient even when
    also read as numbers (`mask.sum()`)."""
    found: set[str] = set()
    for stage in stages:
        index = stage.params.get("index") if stage.gate == "getitem" else None
        parts = index.elts if isinstance(index, ast.Tuple) else [index]
        found |= {p.id for p in parts if isinstance(p, ast.Name)}
    return found & set(params)


def names_in(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


_ARRAY_ATTRIBUTES = frozenset({"shape", "ndim", "size", "dtype", "T"})


def _method(value: ast.expr) -> bool:
    """`a.f(...)` rather than `np.f(...)`."""
    func = value.func if isinstance(value, ast.Call) else None
    return isinstance(func, ast.Attribute) and not (
        isinstance(func.value, ast.Name) and func.value.id == NP
    )


def proven_arrays(stages: list[Stage], params: list[str]) -> set[str]:
    """Parameters the forward indexes, multiplies as matrices, or reads
    array attributes and methods of: surely arrays, never floats."""
    found: set[str] = set()
    for stage in stages:
        if stage.gate == "getitem":
            found |= names_in(stage.inputs.get("a", ast.Constant(None)))
        # `@` refuses scalars and `x.dot(w)` is written for arrays (its backward
        # assumes them); np.dot and np.outer take floats and 0-d arrays
        if stage.gate == "matmul" or (stage.gate == "dot" and _method(stage.value)):
            found.update(_atoms(stage))
        for node in ast.walk(stage.value):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.attr in _ARRAY_ATTRIBUTES
            ):
                found.add(node.value.id)
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id in params
            ):
                found.add(node.func.value.id)
    return found & set(params)


# module calls whose value keeps the dtype of what they read, or is an int
_DTYPE_KEEPING = frozenset(
    {"shape", "ndim", "size", "zeros_like", "ones_like", "empty_like"}
    | {"full_like", "argmax", "argmin", "argsort", "nonzero", "where", "isnan"}
)


def may_upcast(stages: list[Stage], varied: set[str]) -> bool:
    """Whether a value without gradient may be a float64 NumPy value (a
    NumPy scalar is not weak as a Python float is): `np.sqrt(d_k)`,
    `np.eye(n)`, `np.exp(-r * T)` of float parameters (NumPy calls reading
    no value being differentiated), or any SciPy call
    (`gammaln` of float16 is float32). Mixed into float32 values it makes the
    forward, and so the gradients, float64; gradients must still have their
    argument's dtype."""
    # `var = 1.0` in one arm of an `if`: after it `np.sqrt(var + eps)` may
    # read a float, as may every value computed from such ones alone
    floats: set[str] = set()
    for stage in stages:
        read = names_in(stage.value) & varied
        if isinstance(stage.value, ast.Constant) or (read and read <= floats):
            floats.add(stage.target)
    varied = varied - floats
    for stage in stages:
        if any(_dict_read(node) for node in ast.walk(stage.value)):
            return True  # params["W1"]: an array of the caller's dtype
        # np.arange(n) as an index, or compared (a mask), mixes in nothing
        inert = [
            sub.slice if isinstance(sub, ast.Subscript) else sub
            for sub in ast.walk(stage.value)
            if isinstance(sub, (ast.Subscript, ast.Compare))
        ]
        indices = {id(n) for part in inert for n in ast.walk(part)}
        for node in ast.walk(stage.value):
            if id(node) in indices:
                continue
            if not isinstance(node, ast.Call) or any(
                k.arg == "dtype" for k in node.keywords
            ):
                continue
            root = node.func
            while isinstance(root, ast.Attribute):
                root = root.value
            if (
                not (isinstance(root, ast.Name) and root.id.startswith("\x00"))
                or root.id == MATH
            ):
                continue  # a method, a builtin, `math`: no NumPy value
            if root.id != NP:
                return True  # SciPy: float32 for float16, float64 constants
            name = node.func.attr if isinstance(node.func, ast.Attribute) else ""
            if name in _DTYPE_KEEPING and name != "arange":
                continue
            if not _values_read(node) & varied:
                return True
    return False


def _dict_read(node: ast.AST) -> bool:
    """`params["W1"]`, `p["W%d" % i]`: a value read from a dict by a string key."""
    return isinstance(node, ast.Subscript) and any(
        isinstance(n, ast.Constant) and isinstance(n.value, str)
        for n in ast.walk(node.slice)
    )


def _values_read(node: ast.AST) -> set[str]:
    """Names whose values `node` reads: not `x.shape[1]`, `len(x)`."""
    if isinstance(node, ast.Name):
        return {node.id}
    if isinstance(node, ast.Attribute) and node.attr in ("shape", "ndim", "size"):
        return set()
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "len"
    ):
        return set()
    return set().union(set(), *map(_values_read, ast.iter_child_nodes(node)))
