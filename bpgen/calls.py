"""Which callables bpgen knows, by qualified name, and the gate each one is."""

from __future__ import annotations

from .rules import NONDIFFERENTIABLE, spellings

# Spelling -> gate, derived from the declarations in rules.py.
_MATH = spellings("math")  # math.NAME on floats
_BUILTINS = spellings("builtin")  # builtins.NAME
_NUMPY = spellings("numpy")  # numpy.NAME (numpy.linalg.NAME as "linalg.NAME")
METHODS = spellings("method")  # ndarray methods; the array is the first input

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
    if module == "numpy" or module.startswith("numpy."):
        return _NUMPY.get(qualified.removeprefix("numpy."))
    return None


def is_nondifferentiable(qualified: str) -> bool:
    module, _, name = qualified.rpartition(".")
    if module in ("numpy", "math"):
        return name in NONDIFFERENTIABLE or name in {"floor", "ceil", "trunc"}
    return module == "builtins" and name in {"len", "int", "bool", "range"}


def module_of(qualified: str) -> str:
    return qualified.rpartition(".")[0]
