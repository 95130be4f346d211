"""Two independent oracles for bpgen's gradients, and the gradient contract.

`check_oracles` compares bpgen's gradients in float64 with central
differences of the user's own forward function *and* with autograd running
that same function on `autograd.numpy`, so a rule and its finite-difference
check cannot share a misconception. Where autograd itself is wrong (its
`transpose` backward mishandles negative axes), central differences decide;
the program then names the reason (`autograd_wrong=...`) and the check
asserts autograd really does disagree, so the note cannot go stale.

`check_contract` runs the generated pair on float16/32/64 inputs with a
Python-float and an array `dout`, and checks what every returned gradient
promises: its argument's shape and dtype (a float for a float), writable,
and sharing memory with neither `dout`, the cache, the arguments nor another
gradient (each gradient is written into after the backward and nothing else
may change).
"""

from __future__ import annotations

import ast
import copy
import math
import types
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

import bpgen
from bpgen.check import check_gradients, load, positional, with_defaults
from bpgen.generate import default_wrt

RTOL, ATOL, H = 1e-5, 1e-7, 1e-6


# -- autograd ---------------------------------------------------------------------


def _math_shim() -> types.SimpleNamespace:
    """`math` with autograd's differentiable functions where they exist."""
    import autograd.numpy as anp

    shim = types.SimpleNamespace(
        **{k: getattr(math, k) for k in dir(math) if not k.startswith("_")}
    )
    same = "exp expm1 exp2 log2 log10 log1p sqrt cbrt sin cos tan sinh cosh tanh"
    for name in same.split() + ["hypot"]:
        setattr(shim, name, getattr(anp, name))
    shim.asin, shim.acos, shim.atan = anp.arcsin, anp.arccos, anp.arctan
    shim.atan2, shim.fabs, shim.pow = anp.arctan2, anp.abs, anp.power
    shim.log = lambda x, base=None: (
        anp.log(x) if base is None else anp.log(x) / anp.log(base)
    )
    return shim


class _MethodsAsCalls(ast.NodeTransformer):
    """`a.dot(b)` -> `np.dot(a, b)`, `a.copy()` -> `np.copy(a)`,
    `a.transpose(1, 0)` -> `np.transpose(a, (1, 0))`: autograd's boxes lack
    the first two methods and the third spelling."""

    def visit_Call(self, node: ast.Call) -> ast.AST:
        self.generic_visit(node)
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr in ("dot", "copy"):
            if isinstance(func.value, ast.Name) and func.value.id in ("np", "numpy"):
                return node
            target = ast.Attribute(
                ast.Name("__anp__", ast.Load()), func.attr, ast.Load()
            )
            return ast.Call(target, [func.value, *node.args], node.keywords)
        if (
            isinstance(func, ast.Attribute)
            and func.attr == "transpose"
            and len(node.args) > 1
        ):
            target = ast.Attribute(
                ast.Name("__anp__", ast.Load()), "transpose", ast.Load()
            )
            return ast.Call(target, [func.value, ast.Tuple(node.args, ast.Load())], [])
        return node


def _methods_as_calls(source: str) -> str:
    return ast.unparse(
        ast.fix_missing_locations(_MethodsAsCalls().visit(ast.parse(source)))
    )


def autograd_function(source: str, function: str) -> Callable:
    """The user's function, run on autograd.numpy and a differentiable `math`."""
    import autograd.numpy as anp

    namespace: dict[str, Any] = {"__anp__": anp}
    exec(compile(_methods_as_calls(source), "<forward>", "exec"), namespace)
    shim = _math_shim()
    for key, value in list(namespace.items()):
        if value is np:
            namespace[key] = anp
        elif value is math:
            namespace[key] = shim
        elif callable(value) and getattr(value, "__module__", None) == "math":
            namespace[key] = getattr(shim, getattr(value, "__name__", key))
    return positional(namespace[function])


def _objective(out, dout):
    import autograd.numpy as anp

    if isinstance(out, tuple):
        return sum(
            anp.sum(o * d) for o, d in zip(out, dout, strict=True) if d is not None
        )
    return anp.sum(out * dout)


def autograd_gradients(
    source: str, function: str, args: list, indices: list[int], dout
) -> list:
    """d<sum(f(args) * dout)>/d args[i] for each i, by autograd."""
    import autograd

    f = autograd_function(source, function)
    grads = []
    for i in indices:

        def objective(value, i=i):
            call = list(args)
            call[i] = value
            return _objective(f(*call), dout)

        grads.append(autograd.grad(objective)(_float64(args[i])))
    return grads


# -- central differences ------------------------------------------------------------


def _float64(value):
    if isinstance(value, float):
        return value
    return np.asarray(value, dtype=np.float64)


def numeric_gradients(
    f: Callable, args: list, indices: list[int], dout, h: float = H
) -> list:
    """Central differences of sum(f(args) * dout), element by element, in float64."""

    def objective(call):
        out = f(*call)
        if isinstance(out, tuple):
            return float(
                sum(
                    np.sum(np.asarray(o) * d)
                    for o, d in zip(out, dout, strict=True)
                    if d is not None
                )
            )
        return float(np.sum(np.asarray(out) * dout))

    grads = []
    for i in indices:
        value = _float64(args[i])
        numeric = np.zeros(np.shape(value))
        for index in np.ndindex(np.shape(value)):
            plus, minus = list(args), list(args)
            if isinstance(value, float):
                plus[i], minus[i] = value + h, value - h
            else:
                up, down = value.copy(), value.copy()
                up[index] += h
                down[index] -= h
                plus[i], minus[i] = up, down
            numeric[index] = (objective(plus) - objective(minus)) / (2 * h)
        grads.append(numeric)
    return grads


# -- the oracle check ---------------------------------------------------------------


@dataclass
class Verdict:
    code: str
    names: list[str]
    autograd: str  # "agrees", "wrong: <reason>" or "cannot: <exception>"
    notes: list[str] = field(default_factory=list)


def _random_dout(out, rng: np.random.Generator):
    if isinstance(out, tuple):
        return tuple(_random_dout(o, rng) for o in out)
    if np.ndim(out) == 0:
        return float(rng.standard_normal())
    return rng.standard_normal(np.shape(out))


def _first_difference(
    name: str, got, want, who: str, mine: str = "bpgen"
) -> str | None:
    if np.shape(got) != np.shape(want):
        return f"d{name}: shape {np.shape(got)} against {who}'s {np.shape(want)}"
    close = np.isclose(np.asarray(got, dtype=float), want, rtol=RTOL, atol=ATOL)
    if np.all(close):
        return None
    where = tuple(int(k) for k in np.argwhere(~np.atleast_1d(close))[0])
    return (
        f"d{name} at {where}: {mine} {np.atleast_1d(got)[where]!r}, "
        f"{who} {np.atleast_1d(np.asarray(want))[where]!r}"
    )


def _names(source: str, function: str | None, wrt: Sequence[str] | None) -> list[str]:
    return list(wrt) if wrt is not None else default_wrt(source, function)


def _function_name(source: str, function: str | None) -> str:
    if function is not None:
        return function
    (name,) = [n.name for n in ast.parse(source).body if isinstance(n, ast.FunctionDef)]
    return name


def check_oracles(
    source: str,
    args: Sequence[Any],
    function: str | None = None,
    wrt: Sequence[str] | None = None,
    *,
    autograd_wrong: str | None = None,
    autograd_may_be_wrong: str | None = None,
    seed: int = 0,
) -> Verdict:
    """bpgen's gradients against central differences and autograd, in float64.

    Raises AssertionError on any disagreement that involves bpgen; returns the
    verdict (the code and what autograd did). `autograd_wrong` says autograd
    is wrong here (asserted); `autograd_may_be_wrong` that it may be (random
    programs: a negative-axes transpose, a guarded where)."""
    function = _function_name(source, function)
    names = _names(source, function, wrt)
    args = [copy.deepcopy(a) for a in args]
    # the project's own checker first: central differences + random direction
    code = check_gradients(source, copy.deepcopy(args), function, wrt, seed=seed)
    namespace: dict[str, Any] = {}
    exec(compile(source, "<forward>", "exec"), namespace)
    original = positional(namespace[function])
    args = with_defaults(original, args)
    import inspect

    params = list(inspect.signature(original).parameters)
    indices = [params.index(n) for n in names]
    forward, backward = load(code, function)
    out, cache = forward(*copy.deepcopy(args))
    dout = _random_dout(out, np.random.default_rng(seed + 1))
    grads = backward(dout, cache)
    numeric = numeric_gradients(original, args, indices, dout)
    for name, got, want in zip(names, grads, numeric, strict=True):
        problem = _first_difference(name, got, want, "central differences")
        assert problem is None, f"{problem}\n{code}"
    if isinstance(out, tuple):  # an entry of a tuple dout may be None
        partial = (None, *dout[1:])
        _, cache = forward(*copy.deepcopy(args))
        got_partial = backward(partial, cache)
        want_partial = numeric_gradients(original, args, indices, partial)
        for name, got, want in zip(names, got_partial, want_partial, strict=True):
            problem = _first_difference(name, got, want, "central differences")
            assert problem is None, f"dout[0] = None: {problem}\n{code}"
    try:
        with warnings.catch_warnings():  # "Output seems independent of input."
            warnings.simplefilter("ignore", UserWarning)
            auto = autograd_gradients(source, function, args, indices, dout)
    except Exception as exc:  # autograd lacks a rule or fails: CD decide
        return Verdict(code, names, f"cannot: {type(exc).__name__}: {exc}")
    wrong = [
        problem
        for name, a, want in zip(names, auto, numeric, strict=True)
        if (
            problem := _first_difference(
                name, a, want, "central differences", "autograd"
            )
        )
        is not None
    ]
    if wrong and autograd_may_be_wrong is not None:
        return Verdict(code, names, f"wrong: {autograd_may_be_wrong}", wrong)
    if autograd_wrong is None:
        assert not wrong, (
            "autograd disagrees with central differences (bpgen agrees with central "
            "differences); if autograd is the one wrong, say why with autograd_wrong=: "
            + "; ".join(wrong)
        )
        for name, got, a in zip(names, grads, auto, strict=True):
            problem = _first_difference(name, got, a, "autograd")
            assert problem is None, f"{problem}\n{code}"
        return Verdict(code, names, "agrees")
    assert wrong, f"autograd_wrong={autograd_wrong!r} but autograd agrees now: drop it"
    return Verdict(code, names, f"wrong: {autograd_wrong}", wrong)


# -- the contract ------------------------------------------------------------------


def cast(value, dtype):
    """A float array argument in `dtype`; anything else unchanged."""
    if isinstance(value, np.ndarray) and value.dtype.kind == "f":
        return value.astype(dtype)
    return value


def _freeze(value):
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, (tuple, list)):
        return type(value)(_freeze(v) for v in value)
    if isinstance(value, dict):
        return {k: _freeze(v) for k, v in value.items()}
    return copy.copy(value)


def _unchanged(a, b) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return (
            np.shape(a) == np.shape(b)
            and np.asarray(a).dtype == np.asarray(b).dtype
            and np.array_equal(a, b, equal_nan=True)
        )
    if isinstance(a, (tuple, list)):
        return type(a) is type(b) and len(a) == len(b) and all(map(_unchanged, a, b))
    if isinstance(a, dict):
        return (
            isinstance(b, dict)
            and a.keys() == b.keys()
            and all(_unchanged(a[k], b[k]) for k in a)
        )
    try:
        return bool(a == b) or (a != a and b != b)
    except Exception:
        return a is b


def _douts(out, dtype, rng: np.random.Generator, pyfloat: bool = True):
    """(label, dout): an array of out's dtype, and Python floats for 0-d outputs."""

    def array(o):
        return np.asarray(rng.standard_normal(np.shape(o))).astype(np.asarray(o).dtype)

    def python_float(o):
        return float(rng.standard_normal()) if np.ndim(o) == 0 else array(o)

    if isinstance(out, tuple):
        yield "array dout", tuple(array(o) for o in out)
        if pyfloat and any(np.ndim(o) == 0 for o in out):
            yield "Python-float dout", tuple(python_float(o) for o in out)
    else:
        yield "array dout", array(out)
        if pyfloat and np.ndim(out) == 0:
            yield "Python-float dout", python_float(out)


def contract_problems(
    code: str,
    function: str,
    args: Sequence[Any],
    names: list[str],
    params: list[str],
    dtype,
    pyfloat: bool = True,
) -> list[str]:
    """What breaks the gradient contract for these arguments cast to `dtype`
    (with a Python-float dout too for 0-d outputs unless `pyfloat` is off)."""
    forward, backward = load(code, function)
    call = [cast(copy.deepcopy(a), dtype) for a in args]
    problems: list[str] = []
    try:  # NumPy itself refuses linalg on float16: nothing to check
        forward(*_freeze(call))
    except TypeError as exc:
        if "unsupported in linalg" not in str(exc):
            raise
        return []
    out, _ = forward(*_freeze(call))
    for label, dout in _douts(out, dtype, np.random.default_rng(3), pyfloat):
        where = f"{np.dtype(dtype).name} inputs, {label}"
        arguments = _freeze(call)
        out, cache = forward(*arguments)
        kept = (_freeze(dout), _freeze(cache), _freeze(arguments))
        try:
            grads = backward(dout, cache)
        except Exception as exc:
            problems.append(f"{where}: backward raised {type(exc).__name__}: {exc}")
            continue
        if not isinstance(grads, tuple) or len(grads) != len(names):
            problems.append(
                f"{where}: backward returned {type(grads).__name__} of {len(grads)}"
            )
            continue
        for name, grad in zip(names, grads, strict=True):
            arg = call[params.index(name)]
            if isinstance(arg, (float, int)) and not isinstance(arg, bool):
                if not isinstance(grad, float):
                    problems.append(
                        f"{where}: d{name} is {type(grad).__name__}, not a float"
                    )
                continue
            if not isinstance(grad, np.ndarray):
                problems.append(
                    f"{where}: d{name} is {type(grad).__name__}, not an array"
                )
                continue
            if grad.shape != np.shape(arg):
                problems.append(
                    f"{where}: d{name} has shape {grad.shape}, {name} {np.shape(arg)}"
                )
            if grad.dtype != np.asarray(arg).dtype:
                problems.append(
                    f"{where}: d{name} is {grad.dtype}, "
                    f"{name} is {np.asarray(arg).dtype}"
                )
            if not grad.flags.writeable:
                problems.append(f"{where}: d{name} is read-only")
        for i, (name, grad) in enumerate(zip(names, grads, strict=True)):
            if not isinstance(grad, np.ndarray) or not grad.flags.writeable:
                continue
            before = [_freeze(g) for g in grads]
            grad[...] = 7.0
            for j, other in enumerate(grads):
                if j != i and not _unchanged(other, before[j]):
                    problems.append(
                        f"{where}: writing into d{name} changed d{names[j]}"
                    )
            for what, now, then in zip(  # noqa: B905
                ("dout", "the cache", "the arguments"), (dout, cache, arguments), kept
            ):
                if not _unchanged(now, then):
                    problems.append(f"{where}: writing into d{name} changed {what}")
                    break
            kept = (
                (_freeze(dout), _freeze(cache), _freeze(arguments))
                if problems
                else kept
            )
    return problems


def check_contract(
    source: str,
    args: Sequence[Any],
    function: str | None = None,
    wrt: Sequence[str] | None = None,
    dtypes=(np.float16, np.float32, np.float64),
    pyfloat_dtypes=None,
) -> None:
    """Assert the gradient contract for float16/32/64 inputs and both douts
    (the Python-float one only for `pyfloat_dtypes`, default: all)."""
    import inspect

    function = _function_name(source, function)
    code = bpgen.generate(source, function, wrt)
    namespace: dict[str, Any] = {}
    exec(compile(source, "<forward>", "exec"), namespace)
    params = list(inspect.signature(namespace[function]).parameters)
    args = with_defaults(namespace[function], args)
    names = _names(source, function, wrt)
    problems: list[str] = []
    with np.errstate(all="ignore"):  # float16 overflows are not the point here
        for dtype in dtypes:
            pyfloat = pyfloat_dtypes is None or dtype in pyfloat_dtypes
            problems += contract_problems(
                code, function, args, names, params, dtype, pyfloat
            )
    assert not problems, "\n".join(dict.fromkeys(problems)) + "\n" + code
