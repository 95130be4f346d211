"""Every rule of the gate table alone, checked numerically in float64.

Each gate is exercised on floats through `math` (where it has a scalar form)
and on arrays through NumPy, including broadcasting edge cases.
"""

from __future__ import annotations

import numpy as np
import pytest

from bpgen.check import check_gradients
from bpgen.rules import RULES


def pos(*shape):
    """Values in [0.5, 1.5]: safe for log, sqrt, reciprocal and powers."""
    return lambda rng: rng.uniform(0.5, 1.5, shape) if shape else rng.uniform(0.5, 1.5)


def unit(*shape):
    """Values in [-0.8, 0.8]: safe for asin/acos."""
    return lambda rng: (
        rng.uniform(-0.8, 0.8, shape) if shape else rng.uniform(-0.8, 0.8)
    )


def normal(*shape):
    return lambda rng: (
        rng.standard_normal(shape) if shape else float(rng.standard_normal())
    )


def apart(*shape):
    """Distinct values spaced by >= 0.1 so max/min/abs have no ties or kinks."""

    def make(rng):
        if not shape:
            return float(rng.uniform(-2, 2))
        size = int(np.prod(shape))
        signs = rng.choice([-1, 1], size)
        spaced = (rng.permutation(size) + 1) * 0.1 + rng.uniform(0.01, 0.09)
        return (spaced * signs).reshape(shape)

    return make


def zero_d():
    """A 0-d array (not a float): its dtype is kept."""
    return lambda rng: np.array(rng.standard_normal())


def invertible(n, *stack):
    """Well-conditioned square matrices: identity * 3 plus noise."""
    return lambda rng: rng.standard_normal((*stack, n, n)) * 0.5 + 3 * np.eye(n)


M = "import math\n\n\ndef f({params}):\n    return {body}\n"
N = "import numpy as np\n\n\ndef f({params}):\n    return {body}\n"
S = N.replace("numpy as np\n", "numpy as np\nimport scipy.special\n")
ASSIGN = (
    "import numpy as np\n\n\n"
    "def f({params}):\n    out = x * 2.0\n    {body}\n    return out * x\n"
)

# (gate, template, body, params and how to make each, wrt)
RULE_CASES = [
    ("add", M, "x + y", {"x": normal(), "y": normal()}),
    ("add", N, "x + y", {"x": normal(3, 1), "y": normal(1, 4)}),
    ("add", N, "x + y", {"x": normal(3, 4), "y": normal()}),
    ("add", N, "np.add(x, y)", {"x": normal(4), "y": normal(3, 4)}),
    ("sub", M, "x - y", {"x": normal(), "y": normal()}),
    ("sub", N, "x - y", {"x": normal(), "y": normal(3, 4)}),
    ("mul", M, "x * y * 2.0", {"x": normal(), "y": normal()}),
    ("mul", N, "x * y", {"x": normal(3, 1), "y": normal(4)}),
    ("div", M, "x / y", {"x": normal(), "y": pos()}),
    ("div", N, "x / y", {"x": normal(3, 4), "y": pos(4)}),
    ("pow", M, "x ** 3 + x ** y", {"x": pos(), "y": normal()}),
    ("pow", M, "pow(x, y) + math.pow(x, 2.5)", {"x": pos(), "y": normal()}),
    ("pow", N, "np.power(x, y) + x ** 2", {"x": pos(3, 4), "y": normal(4)}),
    ("neg", M, "-x * y", {"x": normal(), "y": normal()}),
    ("neg", N, "np.negative(x)", {"x": normal(2, 3)}),
    ("pos", M, "+x * y", {"x": normal(), "y": normal()}),
    ("exp", M, "math.exp(x)", {"x": normal()}),
    ("exp", N, "np.exp(x)", {"x": normal(3)}),
    ("expm1", M, "math.expm1(x)", {"x": normal()}),
    ("expm1", N, "np.expm1(x)", {"x": normal(3)}),
    ("log", M, "math.log(x)", {"x": pos()}),
    ("log", N, "np.log(x)", {"x": pos(3)}),
    ("logb", M, "math.log(x, y)", {"x": pos(), "y": lambda rng: rng.uniform(2, 3)}),
    ("log2", M, "math.log2(x)", {"x": pos()}),
    ("log2", N, "np.log2(x)", {"x": pos(3)}),
    ("log10", M, "math.log10(x)", {"x": pos()}),
    ("log10", N, "np.log10(x)", {"x": pos(3)}),
    ("log1p", M, "math.log1p(x)", {"x": pos()}),
    ("log1p", N, "np.log1p(x)", {"x": pos(3)}),
    ("exp2", N, "np.exp2(x)", {"x": normal(3)}),
    ("exp2", M, "math.exp2(x)", {"x": normal()}),
    ("cbrt", N, "np.cbrt(x)", {"x": pos(3)}),
    ("cbrt", M, "math.cbrt(x)", {"x": pos()}),
    ("arctan2", N, "np.arctan2(x, y)", {"x": normal(3, 1), "y": pos(4)}),
    ("arctan2", M, "math.atan2(x, y)", {"x": normal(), "y": normal()}),
    ("hypot", N, "np.hypot(x, y)", {"x": pos(3), "y": normal(3)}),
    ("hypot", M, "math.hypot(x, y)", {"x": pos(), "y": normal()}),
    ("logaddexp", N, "np.logaddexp(x, y)", {"x": normal(3, 4), "y": normal(4)}),
    ("ravel", N, "x.ravel() * y", {"x": normal(3, 4), "y": normal(12)}),
    (
        "matrix_transpose",
        N,
        "np.matrix_transpose(x) * y",
        {"x": normal(2, 3, 4), "y": normal(2, 4, 3)},
    ),
    (
        "matrix_transpose",
        N,
        "np.linalg.matrix_transpose(x) @ y",
        {"x": normal(3, 2), "y": normal(3)},
    ),
    # NumPy 2's array-API names of the same gates
    ("pow", N, "np.pow(x, y)", {"x": pos(3, 4), "y": normal(4)}),
    ("arcsin", N, "np.asin(x) + np.acos(x) * np.atan(x)", {"x": unit(3)}),
    ("arctan2", N, "np.atan2(x, y)", {"x": normal(3), "y": pos(3)}),
    ("arcsinh", N, "np.asinh(x) + np.atanh(x)", {"x": unit(3)}),
    ("arccosh", N, "np.acosh(x + 2.0)", {"x": pos(3)}),
    ("abs", N, "np.fabs(x)", {"x": apart(3, 2)}),
    ("matmul", N, "np.linalg.matmul(x, y)", {"x": normal(2, 3, 4), "y": normal(4, 2)}),
    ("outer", N, "np.linalg.outer(x, y)", {"x": normal(3), "y": normal(2)}),
    (
        "tensordot",
        N,
        "np.linalg.tensordot(x, y, axes=1)",
        {"x": normal(2, 3), "y": normal(3, 4)},
    ),
    (
        "transpose",
        N,
        "np.permute_dims(x, (1, 2, 0)) * y",
        {"x": normal(2, 3, 4), "y": normal(3, 4, 2)},
    ),
    (
        "concatenate",
        N,
        "np.concat([x, y], axis=1)",
        {"x": normal(2, 3), "y": normal(2, 1)},
    ),
    ("ravel", N, "np.ravel(x.T) + x.flatten()", {"x": normal(3, 4)}),
    ("swapaxes", N, "np.swapaxes(x, 0, 2)", {"x": normal(2, 3, 4)}),
    ("swapaxes", N, "x.swapaxes(1, 0) * 2.0", {"x": normal(2, 3)}),
    ("sqrt", M, "math.sqrt(x)", {"x": pos()}),
    ("sqrt", N, "np.sqrt(x)", {"x": pos(3)}),
    ("square", N, "np.square(x)", {"x": normal(3)}),
    ("square", M, "x * x", {"x": normal()}),
    ("reciprocal", N, "np.reciprocal(x)", {"x": pos(3)}),
    ("sigmoid", M, "1.0 / (1 + math.exp(-x))", {"x": normal()}),
    ("sigmoid", N, "1 / (np.exp(-x) + 1)", {"x": normal(3)}),
    ("sin", M, "math.sin(x)", {"x": normal()}),
    ("sin", N, "np.sin(x)", {"x": normal(3)}),
    ("cos", M, "math.cos(x)", {"x": normal()}),
    ("cos", N, "np.cos(x)", {"x": normal(3)}),
    ("tan", M, "math.tan(x)", {"x": unit()}),
    ("tan", N, "np.tan(x)", {"x": unit(3)}),
    ("arcsin", M, "math.asin(x)", {"x": unit()}),
    ("arcsin", N, "np.arcsin(x)", {"x": unit(3)}),
    ("arccos", M, "math.acos(x)", {"x": unit()}),
    ("arccos", N, "np.arccos(x)", {"x": unit(3)}),
    ("arctan", M, "math.atan(x)", {"x": normal()}),
    ("arctan", N, "np.arctan(x)", {"x": normal(3)}),
    ("sinh", M, "math.sinh(x)", {"x": normal()}),
    ("sinh", N, "np.sinh(x)", {"x": normal(3)}),
    ("cosh", M, "math.cosh(x)", {"x": normal()}),
    ("cosh", N, "np.cosh(x)", {"x": normal(3)}),
    ("tanh", M, "math.tanh(x)", {"x": normal()}),
    ("tanh", N, "np.tanh(x)", {"x": normal(3)}),
    ("abs", M, "abs(x) + math.fabs(y)", {"x": apart(), "y": apart()}),
    ("abs", N, "np.abs(x)", {"x": apart(3, 2)}),
    ("max", M, "max(x, y, 0.05)", {"x": apart(), "y": apart()}),
    ("min", M, "min(x, y)", {"x": apart(), "y": apart()}),
    ("maximum", N, "np.maximum(x, y)", {"x": apart(3, 4), "y": apart(4)}),
    ("maximum", N, "np.maximum(0, x)", {"x": apart(3, 4)}),
    ("minimum", N, "np.minimum(x, y)", {"x": apart(3, 1), "y": apart(3, 4)}),
    ("where", N, "np.where(x > 0, x, y)", {"x": apart(3, 4), "y": normal(4)}),
    ("clip", N, "np.clip(x, lo, 0.2)", {"x": apart(3, 4), "lo": lambda r: -0.25}),
    (
        "clip",
        N,
        "np.clip(x, a, b)",
        {"x": apart(3, 4), "a": lambda r: -0.25, "b": lambda r: 0.35},
    ),
    ("clip", N, "np.clip(x, None, b)", {"x": apart(3, 4), "b": lambda r: 0.35}),
    ("clip", N, "x.clip(-0.25, 0.35) * y", {"x": apart(2, 3, 2), "y": normal(2)}),
    ("dot", N, "x.dot(y)", {"x": normal(3, 4), "y": normal(4, 2)}),
    ("dot", N, "np.dot(x, y)", {"x": normal(3, 4), "y": normal(4, 2)}),
    ("matmul", N, "x @ y", {"x": normal(3, 4), "y": normal(4, 2)}),
    ("matmul", N, "np.matmul(x, y)", {"x": normal(2, 3, 4), "y": normal(2, 4, 2)}),
    ("outer", N, "np.outer(x, y)", {"x": normal(3), "y": normal(4)}),
    ("outer", N, "np.outer(x, y)", {"x": normal(3, 1), "y": normal(1, 2)}),
    ("dot", N, "x.dot(y)", {"x": normal(3, 4), "y": normal(4)}),
    ("dot", N, "np.dot(x, y)", {"x": normal(4), "y": normal(4, 2)}),
    ("dot", N, "np.dot(x, y)", {"x": normal(4), "y": normal(4)}),
    ("dot", N, "x.sum(axis=0).dot(y)", {"x": normal(3, 4), "y": normal(4, 2)}),
    # N-D operands: the last axis of x meets the second-to-last of y (class 3)
    ("dot", N, "x.dot(w)", {"x": normal(3, 3, 4), "w": normal(4, 2)}),
    ("dot", N, "np.dot(x, y)", {"x": normal(2, 3), "y": normal(4, 3, 2)}),
    (
        "dot",
        N,
        "np.dot(x.reshape(2, 3, 4), y.reshape(3, 4, 2))",
        {"x": normal(24), "y": normal(24)},
    ),
    ("dot", N, "np.dot(x, y.reshape(4, 3, 2))", {"x": normal(3), "y": normal(24)}),
    ("matmul", N, "x @ y", {"x": normal(4), "y": normal(2, 4, 3)}),
    ("matmul", N, "x @ y", {"x": normal(2, 3, 4), "y": normal(4)}),
    ("matmul", N, "x @ y", {"x": normal(4), "y": normal(4)}),
    (
        "matmul",
        N,
        "x.reshape(3, 4) @ y.reshape(4, 2)",
        {"x": normal(12), "y": normal(8)},
    ),
    ("sum", N, "np.sum(x)", {"x": normal(3, 4)}),
    ("sum", N, "x.sum(axis=1) * y", {"x": normal(3, 4), "y": normal(3)}),
    ("sum", N, "np.sum(x, axis=(0, 2), keepdims=True)", {"x": normal(2, 3, 4)}),
    ("mean", N, "np.mean(x, axis=0)", {"x": normal(3, 4)}),
    ("mean", N, "x.mean(axis=1, keepdims=True) * x", {"x": normal(3, 4)}),
    ("amax", N, "np.max(x, axis=1)", {"x": apart(3, 4)}),
    ("amax", N, "x.max()", {"x": apart(3, 4)}),
    ("amin", N, "np.min(x, axis=0, keepdims=True)", {"x": apart(3, 4)}),
    ("var", N, "np.var(x, axis=1)", {"x": normal(3, 4)}),
    (
        "logsumexp",
        N,
        "np.log(np.sum(np.exp(x), axis=1, keepdims=True)) * y",
        {"x": normal(3, 4), "y": normal(3, 1)},
    ),
    ("logsumexp", N, "np.log(np.exp(x).sum(axis=0))", {"x": normal(3, 4)}),
    ("logsumexp", N, "np.log(np.sum(np.exp(x - 1.0)))", {"x": normal(3, 4)}),
    ("var", N, "x.var(ddof=1)", {"x": normal(3, 4)}),
    ("std", N, "np.std(x, axis=0, keepdims=True)", {"x": normal(3, 4)}),
    ("transpose", N, "x.T * y", {"x": normal(3, 4), "y": normal(4, 3)}),
    ("transpose", N, "np.transpose(x, (1, 2, 0))", {"x": normal(2, 3, 4)}),
    ("transpose", N, "x.transpose(2, 0, 1)", {"x": normal(2, 3, 4)}),
    # negative axes: the inverse permutation (issue 9, class 2)
    ("transpose", N, "np.transpose(x, (-1, 0, 1))", {"x": normal(2, 3, 4)}),
    (
        "transpose",
        N,
        "np.transpose(x, (-1, 0, 1)) * y",
        {"x": normal(3, 3, 3), "y": normal(3, 3, 3)},
    ),
    ("transpose", N, "x.transpose(0, -1, 1, 2)", {"x": normal(2, 3, 4, 5)}),
    ("transpose", N, "x.transpose((-2, -1, 0))", {"x": normal(2, 3, 4)}),
    ("reshape", N, "x.reshape(2, -1)", {"x": normal(3, 4)}),
    ("reshape", N, "np.reshape(x, (4, 3))", {"x": normal(3, 4)}),
    ("expand_dims", N, "np.expand_dims(x, 1) * y", {"x": normal(3), "y": normal(3, 2)}),
    ("squeeze", N, "np.squeeze(x, axis=1)", {"x": normal(3, 1)}),
    ("copy", N, "x.copy()", {"x": normal(3)}),
    ("asarray", N, "np.asarray(x) ** 2 * y", {"x": normal(3), "y": normal(2, 3)}),
    ("float", N, "float(np.sum(x ** 2)) * y", {"x": normal(3), "y": normal(2)}),
    ("float", N, "float(x[1]) * y", {"x": normal(3), "y": normal(2)}),
    ("stack", N, "np.stack([x, y, x])", {"x": normal(3), "y": normal(3)}),
    (
        "stack",
        N,
        "np.stack((x, y), axis=1) * 2.0",
        {"x": normal(3, 2), "y": normal(3, 2)},
    ),
    (
        "concatenate",
        N,
        "np.concatenate([x, y, x])",
        {"x": normal(2, 3), "y": normal(1, 3)},
    ),
    (
        "concatenate",
        N,
        "np.concatenate((x, y), axis=1)",
        {"x": normal(2, 3), "y": normal(2, 1)},
    ),
    (
        "concatenate",
        N,
        "np.concatenate([x, y], axis=-1)",
        {"x": normal(2, 3), "y": normal(2, 1)},
    ),
    # -- NumPy coverage (issue 12): each gate on the ranks it accepts
    ("arcsinh", N, "np.arcsinh(x)", {"x": normal(3, 2)}),
    ("arcsinh", M, "math.asinh(x)", {"x": normal()}),
    ("arccosh", N, "np.arccosh(x + 2.0)", {"x": pos(3)}),
    ("arccosh", M, "math.acosh(x + 2.0)", {"x": pos()}),
    ("arctanh", N, "np.arctanh(x)", {"x": unit(2, 3)}),
    ("arctanh", M, "math.atanh(x)", {"x": unit()}),
    ("deg2rad", N, "np.deg2rad(x) + np.radians(x)", {"x": normal(3)}),
    ("deg2rad", M, "math.radians(x)", {"x": normal()}),
    ("rad2deg", N, "np.rad2deg(x) + np.degrees(x)", {"x": normal(2, 2)}),
    ("rad2deg", M, "math.degrees(x)", {"x": normal()}),
    ("sinc", N, "np.sinc(x)", {"x": normal(2, 3)}),
    ("sinc", N, "np.sinc(x * 0.0) * y", {"x": normal(3), "y": normal(3)}),
    ("erf", M, "math.erf(x)", {"x": normal()}),
    ("erfc", M, "math.erfc(x) * y", {"x": normal(), "y": normal()}),
    ("logaddexp2", N, "np.logaddexp2(x, y)", {"x": normal(3, 4), "y": normal(4)}),
    ("fmax", N, "np.fmax(x, y)", {"x": apart(3, 4), "y": apart(4)}),
    (
        "fmax",
        N,
        "np.fmax(x, nan) + np.fmin(nan, x)",
        {"x": apart(4), "nan": lambda r: np.array([0.05, np.nan, 0.15, -0.05])},
    ),
    ("fmin", N, "np.fmin(x, y)", {"x": apart(3, 1), "y": apart(3, 4)}),
    ("astype", N, "x.astype(float) * 2.0", {"x": normal(3)}),
    ("cast", N, "np.float64(x) * np.float32(2.0)", {"x": normal(3)}),
    ("prod", N, "np.prod(x)", {"x": pos(3, 4)}),
    ("prod", N, "x.prod(axis=1)", {"x": pos(3, 4)}),
    ("prod", N, "np.prod(x, axis=(0, 2), keepdims=True)", {"x": pos(2, 3, 2)}),
    (
        "nansum",
        N,
        "np.nansum(x + nan, axis=0)",
        {"x": normal(3, 4), "nan": lambda r: np.array([1, np.nan, 1, 1])},
    ),
    ("nansum", N, "np.nansum(x)", {"x": normal(5)}),
    (
        "nanmean",
        N,
        "np.nanmean(x + nan, axis=1)",
        {"x": normal(3, 4), "nan": lambda r: np.array([1, np.nan, 1, 1])},
    ),
    (
        "nanmean",
        N,
        "np.nanmean(x + nan)",
        {"x": normal(4), "nan": lambda r: np.array([1, np.nan, 1, 1])},
    ),
    (
        "nanmax",
        N,
        "np.nanmax(x + nan, axis=1)",
        {"x": apart(3, 4), "nan": lambda r: np.array([1, np.nan, 1, 1])},
    ),
    ("nanmin", N, "np.nanmin(x)", {"x": apart(2, 3, 2)}),
    (
        "nanprod",
        N,
        "np.nanprod(x + nan, axis=0, keepdims=True)",
        {"x": pos(3, 4), "nan": lambda r: np.array([1, np.nan, 1, 1])},
    ),
    (
        "nanvar",
        N,
        "np.nanvar(x + nan, axis=1)",
        {"x": normal(3, 4), "nan": lambda r: np.array([1, np.nan, 1, 1])},
    ),
    ("nanvar", N, "np.nanvar(x, ddof=1)", {"x": normal(3, 4)}),
    (
        "nanstd",
        N,
        "np.nanstd(x + nan, axis=1, keepdims=True)",
        {"x": normal(3, 4), "nan": lambda r: np.array([1, np.nan, 1, 1])},
    ),
    ("average", N, "np.average(x)", {"x": normal(3, 4)}),
    (
        "average",
        N,
        "np.average(x, axis=1) * y",
        {"x": normal(2, 3, 4), "y": normal(2, 4)},
    ),
    ("norm", N, "np.linalg.norm(x)", {"x": normal(3, 4)}),
    ("norm", N, "np.linalg.norm(x, axis=1)", {"x": normal(3, 4)}),
    ("norm", N, "np.linalg.norm(x, 'fro', (1, 2), True)", {"x": normal(2, 3, 4)}),
    ("norm", N, "np.linalg.norm(x, ord=1, axis=0)", {"x": apart(3, 4)}),
    ("norm", N, "np.linalg.norm(x, 2, 0)", {"x": normal(5)}),
    ("trace", N, "np.trace(x)", {"x": normal(3, 4)}),
    ("trace", N, "x.trace(1)", {"x": normal(3, 3)}),
    ("trace", N, "np.trace(x, -1, 1, 2)", {"x": normal(2, 3, 4)}),
    ("cumsum", N, "np.cumsum(x) * y", {"x": normal(3, 4), "y": normal(12)}),
    ("average", N, "np.average(x, weights=w)", {"x": normal(3, 4), "w": pos(3, 4)}),
    ("average", N, "np.average(x, weights=[0.2, 0.3, 0.5])", {"x": normal(3)}),
    (
        "average",
        N,
        "np.average(x, 1, (0.2, 0.8)) * y",
        {"x": normal(3, 2), "y": normal(3)},
    ),
    (
        "average",
        N,
        "np.average(x, 0, w) * y",
        {"x": normal(3, 2), "w": pos(3), "y": normal(2)},
    ),
    (
        "average",
        N,
        "np.average(x, axis=-2, weights=w) * y",
        {"x": normal(2, 3, 4), "w": pos(3), "y": normal(2, 4)},
    ),
    (
        "average",
        N,
        "np.average(x, axis=(0, 2), weights=w, keepdims=True) * y",
        {"x": normal(2, 3, 4), "w": pos(2, 3, 4), "y": normal(2, 3, 1)},
    ),
    (
        "cumsum",
        N,
        "x.cumsum(axis=-1) * y",
        {"x": normal(2, 3, 4), "y": normal(2, 3, 4)},
    ),
    ("cumprod", N, "np.cumprod(x, axis=0) * y", {"x": pos(3, 4), "y": normal(3, 4)}),
    ("cumprod", N, "x.cumprod() * y", {"x": pos(5), "y": normal(5)}),
    ("diff", N, "np.diff(x) * y", {"x": normal(3, 4), "y": normal(3, 3)}),
    ("diff", N, "np.diff(x, 2, axis=0) * y", {"x": normal(5, 2), "y": normal(3, 2)}),
    ("flip", N, "np.flip(x) * y", {"x": normal(2, 3), "y": normal(2, 3)}),
    ("flip", N, "np.flip(x, 1) * y", {"x": normal(2, 3, 4), "y": normal(2, 3, 4)}),
    ("fliplr", N, "np.fliplr(x) * y", {"x": normal(2, 3), "y": normal(2, 3)}),
    ("flipud", N, "np.flipud(x) * y", {"x": normal(4), "y": normal(4)}),
    ("roll", N, "np.roll(x, 2) * y", {"x": normal(2, 3), "y": normal(2, 3)}),
    (
        "roll",
        N,
        "np.roll(x, (1, -1), axis=(0, 2)) * y",
        {"x": normal(2, 3, 4), "y": normal(2, 3, 4)},
    ),
    ("rot90", N, "np.rot90(x) * y", {"x": normal(2, 3), "y": normal(3, 2)}),
    (
        "rot90",
        N,
        "np.rot90(x, 3, axes=(1, 2)) * y",
        {"x": normal(2, 3, 4), "y": normal(2, 4, 3)},
    ),
    (
        "moveaxis",
        N,
        "np.moveaxis(x, 0, -1) * y",
        {"x": normal(2, 3, 4), "y": normal(3, 4, 2)},
    ),
    (
        "moveaxis",
        N,
        "np.moveaxis(x, [0, 1], [2, 0]) * y",
        {"x": normal(2, 3, 4), "y": normal(3, 4, 2)},
    ),
    ("atleast_1d", N, "np.atleast_1d(x) * y", {"x": zero_d(), "y": normal(3)}),
    ("atleast_2d", N, "np.atleast_2d(x) * y", {"x": normal(3), "y": normal(2, 3)}),
    (
        "atleast_3d",
        N,
        "np.atleast_3d(x) * y",
        {"x": normal(2, 3), "y": normal(2, 3, 2)},
    ),
    (
        "broadcast_to",
        N,
        "np.broadcast_to(x, (2, 3, 4)) * y",
        {"x": normal(3, 1), "y": normal(2, 3, 4)},
    ),
    (
        "broadcast_to",
        N,
        "np.broadcast_to(x, (3,)) * y",
        {"x": zero_d(), "y": normal(3)},
    ),
    ("tile", N, "np.tile(x, 2) * y", {"x": normal(3), "y": normal(6)}),
    ("tile", N, "np.tile(x, (2, 1, 3)) * y", {"x": normal(2, 3), "y": normal(2, 2, 9)}),
    ("tile", N, "np.tile(x, 2) * y", {"x": normal(2, 3), "y": normal(2, 6)}),
    ("repeat", N, "np.repeat(x, 2) * y", {"x": normal(2, 3), "y": normal(12)}),
    ("repeat", N, "x.repeat(3, axis=-1) * y", {"x": normal(2, 2), "y": normal(2, 6)}),
    (
        "pad",
        N,
        "np.pad(x, ((1, 0), (2, 1))) * y",
        {"x": normal(2, 3), "y": normal(3, 6)},
    ),
    (
        "pad",
        N,
        "np.pad(x, 1, mode='constant', constant_values=1.5) * y",
        {"x": normal(2, 3), "y": normal(4, 5)},
    ),
    ("sort", N, "np.sort(x) * y", {"x": apart(3, 4), "y": normal(3, 4)}),
    ("sort", N, "np.sort(x, axis=None) * y", {"x": apart(2, 3), "y": normal(6)}),
    ("sort", N, "np.sort(x, 0) * y", {"x": apart(3, 2), "y": normal(3, 2)}),
    (
        "take",
        N,
        "np.take(x, idx) * 2.0",
        {"x": normal(2, 3), "idx": lambda r: np.array([0, 5, 5, -1])},
    ),
    (
        "take",
        N,
        "x.take(idx, axis=1)",
        {"x": normal(2, 4), "idx": lambda r: np.array([[0, 3], [3, 3]])},
    ),
    ("take", N, "np.take(x, 1, axis=-1)", {"x": normal(2, 3, 4)}),
    (
        "take_along_axis",
        N,
        "np.take_along_axis(x, idx, 1)",
        {"x": normal(2, 4), "idx": lambda r: np.array([[0, 3, 3], [1, 1, -1]])},
    ),
    (
        "take_along_axis",
        N,
        "np.take_along_axis(x, idx, axis=0)",
        {"x": normal(3, 2), "idx": lambda r: np.array([[2, 0]])},
    ),
    ("diagonal", N, "np.diagonal(x) * y", {"x": normal(3, 4), "y": normal(3)}),
    (
        "diagonal",
        N,
        "x.diagonal(-1, 1, 2) * y",
        {"x": normal(2, 3, 3), "y": normal(2, 2)},
    ),
    ("diag", N, "np.diag(x) * y", {"x": normal(3), "y": normal(3, 3)}),
    ("diag", N, "np.diag(x, 1) * y", {"x": normal(3, 4), "y": normal(3)}),
    ("triu", N, "np.triu(x, 1)", {"x": normal(3, 4)}),
    ("triu", N, "np.triu(x)", {"x": normal(3)}),
    ("tril", N, "np.tril(x, -1) * y", {"x": normal(2, 3, 3), "y": normal(3, 3)}),
    ("vstack", N, "np.vstack([x, y, x]) * 2.0", {"x": normal(3), "y": normal(2, 3)}),
    ("hstack", N, "np.hstack([x, y]) * 2.0", {"x": normal(2), "y": normal(3)}),
    ("hstack", N, "np.hstack((x, y, x)) * 2.0", {"x": normal(2, 1), "y": normal(2, 3)}),
    ("dstack", N, "np.dstack([x, y]) * 2.0", {"x": normal(2, 3), "y": normal(2, 3, 2)}),
    (
        "column_stack",
        N,
        "np.column_stack([x, y]) * 2.0",
        {"x": normal(3), "y": normal(3, 2)},
    ),
    (
        "tensordot",
        N,
        "np.tensordot(x, y)",
        {"x": normal(2, 3, 4), "y": normal(3, 4, 2)},
    ),
    ("tensordot", N, "np.tensordot(x, y, 1)", {"x": normal(3), "y": normal(3, 2)}),
    (
        "tensordot",
        N,
        "np.tensordot(x, y, axes=([0, 2], [2, 0]))",
        {"x": normal(2, 3, 4), "y": normal(4, 5, 2)},
    ),
    ("tensordot", N, "np.tensordot(x, y, 0)", {"x": normal(2), "y": normal(3)}),
    (
        "einsum",
        N,
        "np.einsum('ij,jk->ik', x, y)",
        {"x": normal(2, 3), "y": normal(3, 4)},
    ),
    (
        "einsum",
        N,
        "np.einsum('bij,bj', x, y)",
        {"x": normal(2, 3, 4), "y": normal(2, 4)},
    ),
    ("einsum", N, "np.einsum('ij,k->ik', x, y)", {"x": normal(2, 3), "y": normal(4)}),
    ("einsum", N, "np.einsum('ijk->ki', x)", {"x": normal(2, 3, 4)}),
    ("inner", N, "np.inner(x, y)", {"x": normal(2, 3), "y": normal(4, 3)}),
    ("inner", N, "np.inner(x, y)", {"x": normal(3), "y": normal(2, 2, 3)}),
    ("vdot", N, "np.vdot(x, y)", {"x": normal(2, 3), "y": normal(6)}),
    ("kron", N, "np.kron(x, y)", {"x": normal(2, 3), "y": normal(4, 2)}),
    ("kron", N, "np.kron(x, y)", {"x": normal(2), "y": normal(3)}),
    ("cross", N, "np.cross(x, y)", {"x": normal(4, 3), "y": normal(3)}),
    ("inv", N, "np.linalg.inv(x)", {"x": invertible(3)}),
    ("inv", N, "np.linalg.inv(x)", {"x": invertible(2, 2)}),
    ("det", N, "np.linalg.det(x)", {"x": normal(3, 3)}),
    ("det", N, "np.linalg.det(x)", {"x": invertible(3, 2)}),
    ("solve", N, "np.linalg.solve(x, y)", {"x": invertible(3), "y": normal(3)}),
    ("solve", N, "np.linalg.solve(x, y)", {"x": invertible(3), "y": normal(3, 2)}),
    ("cholesky", N, "np.linalg.cholesky(x @ x.T)", {"x": invertible(3)}),
    (
        "slogdet[1]",
        N,
        "np.linalg.slogdet(x)[1] * y",
        {"x": invertible(3), "y": normal()},
    ),
    (
        "slogdet[1]",
        N,
        "np.linalg.slogdet(x)[1] * y",
        {"x": invertible(3, 2), "y": normal(2)},
    ),
    ("eigvalsh", N, "np.linalg.eigvalsh(x) * y", {"x": normal(3, 3), "y": normal(3)}),
    ("eigvalsh", N, "np.linalg.eigh(x)[0] * y", {"x": normal(2, 3, 3), "y": normal(3)}),
    (
        "eigh[1]",
        N,
        "np.linalg.eigh(x)[1] ** 2 * y",
        {"x": normal(3, 3), "y": normal(3)},
    ),
    (
        "eigh[1]",
        N,
        "np.linalg.eigh(x)[1] ** 2 * y",
        {"x": normal(2, 3, 3), "y": normal(3, 1)},
    ),
    ("gamma", M, "math.gamma(x) * y", {"x": pos(), "y": normal()}),
    ("gamma", S, "scipy.special.gamma(x + y)", {"x": pos(2, 3), "y": pos(3)}),
    ("gammaln", M, "math.lgamma(x) * y", {"x": pos(), "y": normal()}),
    ("gammaln", S, "scipy.special.gammaln(x) * y", {"x": pos(3, 1), "y": normal(4)}),
    (
        "digamma",
        S,
        "scipy.special.digamma(x) + scipy.special.psi(x * y)",
        {"x": pos(3), "y": pos(2, 1)},
    ),
    (
        "cholesky",
        N,
        "np.linalg.cholesky(x @ np.swapaxes(x, -1, -2))",
        {"x": invertible(2, 2)},
    ),
    (
        "concatenate",
        N,
        "np.concatenate([x, y], axis=None) * 2.0",
        {"x": normal(2, 3), "y": normal(4)},
    ),
    ("getitem", N, "x[1:, ::2]", {"x": normal(3, 4)}),
    (
        "getitem",
        N,
        "x[idx] * 2.0",
        {"x": normal(5), "idx": lambda r: np.array([0, 2, 2, 4])},
    ),
    ("getitem", N, "x[:, None] * y", {"x": normal(3), "y": normal(3, 2)}),
    (
        "getitem",
        N,
        "x[np.arange(3), k]",
        {"x": normal(3, 4), "k": lambda r: np.array([1, 1, 3])},
    ),
    ("getitem", N, "x[x > 0]", {"x": apart(3, 4)}),
    (
        "setitem",
        ASSIGN,
        "out[idx] = y",
        {"x": normal(5), "y": normal(), "idx": lambda r: np.array([0, 3])},
    ),
    ("setitem", ASSIGN, "out[:, 1:] = y", {"x": normal(3, 4), "y": normal(3)}),
    ("setitem", ASSIGN, "out[x > 0] += y", {"x": apart(3, 4), "y": normal()}),
    # scipy.special (everyday code, round 5)
    ("sigmoid", S, "scipy.special.expit(x) * y", {"x": normal(3, 4), "y": normal(4)}),
    ("sigmoid", S, "scipy.special.expit(x * y)", {"x": normal(), "y": normal()}),
    (
        "logit",
        S,
        "scipy.special.logit(x) * y",
        {"x": lambda r: r.uniform(0.1, 0.9, (3, 4)), "y": normal(4)},
    ),
    ("logsumexp", S, "scipy.special.logsumexp(x)", {"x": normal(3, 4)}),
    (
        "logsumexp",
        S,
        "scipy.special.logsumexp(x, axis=1) * y",
        {"x": normal(3, 4), "y": normal(3)},
    ),
    (
        "logsumexp",
        S,
        "scipy.special.logsumexp(x, axis=(0, 2), keepdims=True) * y",
        {"x": normal(2, 3, 4), "y": normal(3, 1)},
    ),
    (
        "softmax",
        S,
        "scipy.special.softmax(x, axis=1) * y",
        {"x": normal(3, 4), "y": normal(3, 4)},
    ),
    (
        "softmax",
        S,
        "scipy.special.softmax(x) * y",
        {"x": normal(3, 4), "y": normal(3, 4)},
    ),
    (
        "softmax",
        S,
        "scipy.special.softmax(x, axis=-2) * y",
        {"x": normal(2, 3, 4), "y": normal(4)},
    ),
    (
        "log_softmax",
        S,
        "scipy.special.log_softmax(x, axis=-1) * y",
        {"x": normal(3, 4), "y": normal(3, 4)},
    ),
    (
        "log_softmax",
        S,
        "scipy.special.log_softmax(x) * y",
        {"x": normal(5), "y": normal(5)},
    ),
    ("xlogy", S, "scipy.special.xlogy(x, y)", {"x": normal(3, 4), "y": pos(4)}),
    ("xlogy", S, "scipy.special.xlogy(x, y) * 2.0", {"x": normal(), "y": pos()}),
    ("erf", S, "scipy.special.erf(x) * y", {"x": normal(3, 4), "y": normal(4)}),
    ("ndtr", S, "scipy.special.ndtr(x) * y", {"x": normal(3, 4), "y": normal(4)}),
    ("ndtr", S, "scipy.special.ndtr(x * y)", {"x": normal(), "y": normal()}),
    ("erfc", S, "scipy.special.erfc(x * y)", {"x": normal(3), "y": normal(2, 1)}),
]


# Gates of the NumPy coverage (issue 12) that tests/programs.py's random
# grammar does not write yet: test_rules.py checks each alone, on every rank it
# accepts and in float16/32/64. test_properties.py reads this set.
NOT_IN_RANDOM_PROGRAMS = frozenset(
    """arcsinh arccosh arctanh deg2rad rad2deg sinc erf erfc logaddexp2 fmax fmin
    astype cast prod nansum nanmean nanmax nanmin nanprod nanvar nanstd average norm
    trace cumsum cumprod diff flip fliplr flipud roll rot90 moveaxis atleast_1d
    atleast_2d atleast_3d broadcast_to tile repeat pad sort take take_along_axis
    diagonal diag triu tril vstack hstack dstack column_stack tensordot einsum
    inner vdot kron cross inv det solve cholesky slogdet[1] eigvalsh eigh[1]
    gammaln digamma gamma matrix_transpose asarray float
    logit softmax log_softmax xlogy ndtr""".split()
    # item assignment is a statement; tests/test_everyday.py checks it
    + ["setitem"]
)


def _source(template, body, params):
    return template.format(params=", ".join(params), body=body)


def _differentiable(params):
    return tuple(n for n in params if n not in ("idx", "k", "lo", "nan"))


@pytest.mark.parametrize(
    "gate, template, body, params",
    RULE_CASES,
    ids=[f"{c[0]}:{c[2]}" for c in RULE_CASES],
)
def test_rule(gate, template, body, params):
    for seed in range(3):
        rng = np.random.default_rng(seed)
        args = [make(rng) for make in params.values()]
        source = _source(template, body, params)
        check_gradients(source, args, "f", _differentiable(params), seed=seed)


@pytest.mark.parametrize(
    "body, shapes",
    [
        ("np.average(x, axis=1, weights=w) * y", {"x": "A B C", "w": "B", "y": "A C"}),
        ("np.average(x, axis=-1, weights=w) * y", {"x": "A B C", "w": "A B C"}),
    ],
)
def test_weighted_average_with_ranks_known(body, shapes):
    """Declared shapes: the weights' layout is written out, nothing decided at
    run time."""
    rng = np.random.default_rng(0)
    sizes = {"A": 2, "B": 3, "C": 4}
    make = {"x": normal, "w": pos, "y": normal}
    params = {p: make[p](*(sizes[d] for d in s.split())) for p, s in shapes.items()}
    params.setdefault("y", normal(2, 3))
    args = [f(rng) for f in params.values()]
    code = check_gradients(_source(N, body, params), args, "f", shapes=shapes)
    assert "np.ndim(w)" not in code


def test_every_rule_is_tested():
    assert set(RULES) - {c[0] for c in RULE_CASES} == set()


def test_float32_stays_float32():
    source = _source(N, "np.tanh(x * w + b).sum(axis=0) * 2.0", ["x", "w", "b"])
    import bpgen
    from bpgen.check import load

    forward, backward = load(bpgen.generate(source), "f")
    rng = np.random.default_rng(0)
    args = [rng.standard_normal(s).astype(np.float32) for s in [(3, 4), (4,), (1, 4)]]
    out, cache = forward(*args)
    grads = backward(np.ones_like(out), cache)
    for arg, grad in zip(args, grads, strict=True):
        assert grad.dtype == np.float32
        assert grad.shape == arg.shape


# -- the declarations: one per gate, every fact derived from it ----------------


def test_every_gate_declares_every_fact():
    from bpgen import docs
    from bpgen.rules import KINDS

    for gate, rule in RULES.items():
        assert rule.kind in KINDS, f"{gate}: no shape kind"
        assert isinstance(rule.view, bool), f"{gate}: view not declared"
        spelled = rule.numpy + rule.math + rule.builtin + rule.method + rule.scipy
        spelled += rule.written + (rule.operator,) * bool(rule.operator)
        assert spelled, f"{gate}: no spelling"
        assert rule.grads, f"{gate}: no gradient template"
        assert set(rule.grads) <= set(rule.params), f"{gate}: template for no param"
        assert set(rule.defaults) <= set(rule.params), f"{gate}: default for no param"
        assert rule.broadcasts or rule.kind != "broadcast", gate
    for gate, written, grads in docs.rows():
        assert written and grads, f"{gate}: no README line"


def test_pipeline_facts_are_derived_from_the_declarations():
    from bpgen import calls, reverse, shapes, stage
    from bpgen.rules import MATH_TWINS, VIEW_CALLS, VIEW_GATES

    for gate, rule in RULES.items():
        for name in rule.numpy:
            assert calls.gate_spelled(f"numpy.{name}") == gate
        for name in rule.math:
            assert calls.gate_spelled(f"math.{name}") == gate
            for numpy in rule.numpy:
                assert MATH_TWINS[f"np.{numpy}"] == f"math.{name}"
        for name in rule.builtin:
            assert calls.gate_spelled(f"builtins.{name}") == gate
        for name in rule.method:
            assert calls.METHODS[name] == gate
        assert (gate in shapes._SAME_SHAPE) == (rule.kind == "same")
        assert (gate in shapes._REDUCTIONS) == (rule.kind == "reduce")
        assert (gate in stage._VIEWS) == rule.view
    assert stage._VIEWS is VIEW_GATES
    assert "broadcast_to" in VIEW_CALLS and reverse.VIEW_CALLS is VIEW_CALLS
    # the drift that one declaration per gate removed
    assert {"exp2", "cbrt"} <= shapes._SAME_SHAPE


def test_a_spelling_declared_twice_is_refused(monkeypatch):
    from bpgen import rules

    twice = dict(rules.RULES, exp2=rules.replace(rules.RULES["exp2"], numpy=("exp",)))
    monkeypatch.setattr(rules, "RULES", twice)
    with pytest.raises(ValueError, match="declared by exp and exp2"):
        rules.spellings("numpy")


def test_scalar_templates_have_math_twins():
    """A gate spelled with `math` runs in pure-float code: every NumPy function
    its templates call must have a `math` twin."""
    import ast

    from bpgen.docs import _template
    from bpgen.rules import MATH_TWINS, SCALAR_RULES

    for gate, rule in RULES.items():
        if not (rule.math or rule.builtin):
            continue
        grads = (SCALAR_RULES.get(gate) or rule).grads
        for template in grads.values():
            text = _template(template, rule)
            for node in ast.walk(ast.parse(text.strip("`"), mode="eval")):
                if (
                    isinstance(node, ast.Attribute)
                    and getattr(node.value, "id", "") == "np"
                ):
                    assert f"np.{node.attr}" in MATH_TWINS, f"{gate}: np.{node.attr}"


# a call of each view gate's NumPy spelling; a view gate without one fails
VIEW_SAMPLES = {
    "asarray": "np.asarray(a)",
    "matrix_transpose": "np.matrix_transpose(a)",
    "transpose": "np.transpose(a, (2, 0, 1))",
    "reshape": "np.reshape(a, (6, 4))",
    "expand_dims": "np.expand_dims(a, 1)",
    "squeeze": "np.squeeze(a[:, :1], 1)",
    "ravel": "np.ravel(a)",
    "swapaxes": "np.swapaxes(a, 0, 2)",
    "getitem": "a[1:, ::2]",
    "flip": "np.flip(a)",
    "fliplr": "np.fliplr(a)",
    "flipud": "np.flipud(a)",
    "rot90": "np.rot90(a)",
    "moveaxis": "np.moveaxis(a, 0, -1)",
    "atleast_1d": "np.atleast_1d(a)",
    "atleast_2d": "np.atleast_2d(a)",
    "atleast_3d": "np.atleast_3d(a)",
    "broadcast_to": "np.broadcast_to(a, (2, 2, 3, 4))",
    "diagonal": "np.diagonal(a)",
    "diag": "np.diag(a[0])",
}


def test_declared_views_are_views():
    from bpgen.rules import VIEW_CALLS, VIEW_GATES

    assert set(VIEW_SAMPLES) == VIEW_GATES
    a = np.arange(24.0).reshape(2, 3, 4)
    for gate, call in VIEW_SAMPLES.items():
        assert np.shares_memory(eval(call), a), gate
    for name in VIEW_CALLS - {"flatten"}:  # flatten copies: taken as a view
        assert hasattr(np, name) or hasattr(a, name), name


def test_exp2_output_needs_no_unbroadcast():
    """exp2 keeps its input's shape: `h * x` needs no sum back (issue 10)."""
    import bpgen

    for func in ("exp2", "cbrt", "exp"):
        lines = ["import numpy as np", "", "", "def f(x):", f"    h = np.{func}(x)"]
        source = "\n".join([*lines, "    return h * x", ""])
        assert "_unbroadcast" not in bpgen.generate(source)


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_every_rule_keeps_the_dtype(dtype):
    """float16/32 in, float16/32 out: no rule promotes (issue 9, class 7)."""
    import bpgen
    from bpgen.check import load

    failures = []
    for gate, template, body, params in RULE_CASES:
        if template is not N:
            continue
        if dtype == np.float16 and RULES[gate].kind == "linalg":
            continue  # NumPy's linalg refuses float16
        rng = np.random.default_rng(0)
        args = [make(rng) for make in params.values()]
        args = [
            a.astype(dtype) if isinstance(a, np.ndarray) and a.dtype.kind == "f" else a
            for a in args
        ]
        wrt = _differentiable(params)
        forward, backward = load(
            bpgen.generate(_source(template, body, params), wrt=wrt), "f"
        )
        out, cache = forward(*args)
        grads = backward(np.ones_like(out), cache)
        for name, grad in zip(wrt, grads, strict=True):
            arg = args[list(params).index(name)]
            if isinstance(arg, np.ndarray) and np.asarray(grad).dtype != dtype:
                failures.append(f"{gate}: {body}: d{name} is {np.asarray(grad).dtype}")
    assert not failures, "\n".join(failures)


_X_SHAPES = {0: (), 1: (3,), 2: (2, 3), 3: (4, 2, 3), 4: (2, 4, 2, 3)}
_Y_SHAPES = {0: (), 1: (3,), 2: (3, 2), 3: (2, 3, 5), 4: (2, 2, 3, 5)}


def _ranked(name, rank, shapes):
    """`name` written so that bpgen sees its rank (a reshape, or a sum for 0-d)."""
    return f"{name}.reshape({shapes[rank]!r})" if rank else f"np.sum({name})"


@pytest.mark.parametrize("rank_x", range(5))
@pytest.mark.parametrize("rank_y", range(5))
def test_dot_every_rank(rank_x, rank_y):
    """np.dot's backward for every pair of ranks, each visible or not (class 3).
    A 0-d operand is supported where its rank is visible."""
    seen = [(True, True)]
    if rank_x:
        seen.append((False, True))
    if rank_y:
        seen.append((True, False))
    if rank_x and rank_y:
        seen.append((False, False))
    rng = np.random.default_rng(rank_x * 5 + rank_y)
    x = rng.standard_normal(_X_SHAPES[rank_x])
    y = rng.standard_normal(_Y_SHAPES[rank_y])
    for see_x, see_y in seen:
        ax = _ranked("x", rank_x, _X_SHAPES) if see_x else "x"
        ay = _ranked("y", rank_y, _Y_SHAPES) if see_y else "y"
        args = [x.ravel() if see_x else x, y.ravel() if see_y else y]
        body = f"np.dot({ax}, {ay})" if rank_x != 1 or see_x else f"{ax}.dot({ay})"
        check_gradients(_source(N, body, ["x", "y"]), args, "f")
