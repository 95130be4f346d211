"""Which callables bpgen knows, by qualified name, and the gate each one is."""

from __future__ import annotations

from .rules import NONDIFFERENTIABLE, spellings

# Spelling -> gate, derived from the declarations in rules.py.
_MATH = spellings("math")  # math.NAME on floats
_BUILTINS = spellings("builtin")  # builtins.NAME
_NUMPY = spellings("numpy")  # numpy.NAME (numpy.linalg.NAME as "linalg.NAME")
METHODS = spellings("method")  # ndarray methods; the array is the first input
_SCIPY = spellings("scipy")  # scipy.special.NAME

# methods and attributes that read only an array's metadata
STATIC_ATTRIBUTES = frozenset({"shape", "ndim", "size", "dtype"})
STATIC_METHODS = frozenset({"argmax", "argmin"})

# module attributes that are plain constants
CONSTANTS = frozenset(
    {"math.pi", "math.e", "math.tau", "math.inf", "numpy.pi", "numpy.e"}
    | {"numpy.inf", "numpy.newaxis", "numpy.float32", "numpy.float64"}
    | {"numpy.nan", "math.nan"}
    # dtypes, as `x.astype(np.int32)` names them
    | {"numpy.float16", "numpy.int8", "numpy.int16", "numpy.int32", "numpy.int64"}
    | {"numpy.uint8", "numpy.intp", "numpy.bool_"}
)


def gate_spelled(qualified: str) -> str | None:
    """The rule name for a qualified callable, or None when unknown."""
    module, _, name = qualified.rpartition(".")
    if module == "scipy.special":
        return _SCIPY.get(name)
    if module == "math":
        return _MATH.get(name)
    if module == "builtins":
        return _BUILTINS.get(name)
    if module == "numpy" or module.startswith("numpy."):
        return _NUMPY.get(qualified.removeprefix("numpy."))
    return None


# Calls without gradient that would drop one if given a differentiated value:
# refused there (np.asarray(x) alone passes x through; float(x) is a gate).
# Sizes, settings and constant arrays: divmod(n, k), np.array([1.0, 2.0]).
# (np.prod is a gate: np.prod(x.shape[1:]) of a shape is a plain value.)
DROPS_GRADIENT = frozenset({"divmod", "array", "asarray"})
# ... and these through their fill value or end points alone (np.full(shape,
# c), np.linspace(0.0, L, n), np.arange(t0, t1, dt)), not through sizes
DROPS_GRADIENT |= {"full", "full_like", "linspace", "arange"}


def is_nondifferentiable(qualified: str) -> bool:
    module, _, name = qualified.rpartition(".")
    if module in ("numpy", "math"):
        return name in NONDIFFERENTIABLE
    builtins = {"len", "int", "bool", "range", "divmod"}
    return module == "builtins" and name in builtins


def drops_gradient(qualified: str) -> bool:
    """A call without gradient that must not be given a differentiated value."""
    module, _, name = qualified.rpartition(".")
    return module in ("numpy", "builtins") and name in DROPS_GRADIENT


def module_of(qualified: str) -> str:
    return qualified.rpartition(".")[0]
