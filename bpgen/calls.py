"""Which callables bpgen knows, by qualified name, and the gate each one is."""

from __future__ import annotations

from .rules import NONDIFFERENTIABLE

# math and builtins on floats
_MATH = {
    "exp": "exp",
    "expm1": "expm1",
    "log": "log",
    "log2": "log2",
    "log10": "log10",
    "log1p": "log1p",
    "sqrt": "sqrt",
    "sin": "sin",
    "cos": "cos",
    "tan": "tan",
    "asin": "arcsin",
    "acos": "arccos",
    "atan": "arctan",
    "sinh": "sinh",
    "cosh": "cosh",
    "tanh": "tanh",
    "pow": "pow",
    "fabs": "abs",
    "exp2": "exp2",
    "cbrt": "cbrt",
    "atan2": "arctan2",
    "hypot": "hypot",
}
_BUILTINS = {"abs": "abs", "max": "max", "min": "min", "pow": "pow"}

# numpy functions (numpy.NAME)
_NUMPY = {name: name for name in """
    exp expm1 log log2 log10 log1p sqrt square reciprocal sin cos tan arcsin
    arccos arctan sinh cosh tanh abs maximum minimum where clip dot matmul outer
    sum mean var std transpose reshape expand_dims squeeze copy stack concatenate
    exp2 cbrt arctan2 hypot logaddexp ravel swapaxes
    """.split()}
_NUMPY.update(
    {
        "absolute": "abs",
        "negative": "neg",
        "positive": "pos",
        "power": "pow",
        "add": "add",
        "subtract": "sub",
        "multiply": "mul",
        "divide": "div",
        "true_divide": "div",
        "max": "amax",
        "min": "amin",
        "amax": "amax",
        "amin": "amin",
    }
)

# ndarray methods; the array itself is the gate's first input
METHODS = {
    "sum": "sum",
    "mean": "mean",
    "max": "amax",
    "min": "amin",
    "var": "var",
    "std": "std",
    "reshape": "reshape",
    "transpose": "transpose",
    "dot": "dot",
    "squeeze": "squeeze",
    "copy": "copy",
    "ravel": "ravel",
    "flatten": "ravel",
    "swapaxes": "swapaxes",
}
# methods and attributes that read only an array's metadata
STATIC_ATTRIBUTES = frozenset({"shape", "ndim", "size", "dtype"})
STATIC_METHODS = frozenset({"argmax", "argmin"})

# module attributes that are plain constants
CONSTANTS = frozenset(
    {"math.pi", "math.e", "math.tau", "math.inf", "numpy.pi", "numpy.e"}
    | {"numpy.inf", "numpy.newaxis", "numpy.float32", "numpy.float64"}
)


def gate_of(qualified: str) -> str | None:
    """The rule name for a qualified callable, or None when unknown."""
    module, _, name = qualified.rpartition(".")
    if module == "math":
        return _MATH.get(name)
    if module == "builtins":
        return _BUILTINS.get(name)
    if module == "numpy":
        return _NUMPY.get(name)
    return None


def is_nondifferentiable(qualified: str) -> bool:
    module, _, name = qualified.rpartition(".")
    if module in ("numpy", "math"):
        return name in NONDIFFERENTIABLE or name in {"floor", "ceil", "trunc"}
    return module == "builtins" and name in {"len", "int", "bool", "range"}


def module_of(qualified: str) -> str:
    return qualified.rpartition(".")[0]
