"""Check generated gradients numerically, the way bpgen's own tests do.

Two independent checks in float64: central differences element by element,
and a random-direction (dot-product) test
`<backward(dout), v> == <dout, (f(x + h v) - f(x - h v)) / 2h>`.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from .options import Options

if TYPE_CHECKING:
    from .dims import Spec


def load(code: str, name: str) -> tuple[Callable, Callable]:
    """The `name_forward` and `name_backward` functions of generated code."""
    namespace: dict[str, Any] = {}
    exec(compile(code, f"<bpgen {name}>", "exec"), namespace)
    return positional(namespace[f"{name}_forward"]), namespace[f"{name}_backward"]


def positional(f: Callable) -> Callable:
    """`f` taking its keyword-only parameters positionally too, after the
    others, so a check can vary every parameter by its index."""
    parameters = inspect.signature(f).parameters.values()
    kwonly = [p.name for p in parameters if p.kind is p.KEYWORD_ONLY]
    if not kwonly:
        return f
    count = len(parameters) - len(kwonly)

    @functools.wraps(f)
    def call(*args, **kwargs):
        kwargs.update(zip(kwonly, args[count:], strict=False))
        return f(*args[:count], **kwargs)

    return call


def _objective(f: Callable, args: list, dout) -> float:
    out = f(*args)
    if isinstance(out, tuple):
        return float(
            sum(np.sum(np.asarray(o) * d) for o, d in zip(out, dout, strict=True))
        )
    return float(np.sum(np.asarray(out) * dout))


def _random_like(value, rng: np.random.Generator):
    if np.ndim(value) == 0:
        return float(rng.standard_normal())
    return rng.standard_normal(np.shape(value))


def _shift(value, direction, h: float):
    shifted = np.asarray(value, dtype=np.float64) + h * np.asarray(direction)
    return float(shifted) if isinstance(value, (float, int)) else shifted


def _same(a, b) -> bool:
    if isinstance(a, tuple):
        return isinstance(b, tuple) and len(a) == len(b) and all(map(_same, a, b))
    return np.array_equal(np.asarray(a), np.asarray(b), equal_nan=True)


def with_defaults(f: Callable, args: Sequence[Any]) -> list:
    """`args` and then the defaults of the parameters they leave out, so a
    defaulted parameter (`alpha=1.0`, in the default `wrt`) can be varied;
    keyword-only ones follow the others, as `positional` takes them."""
    signature = inspect.signature(f)
    kwonly = [p.name for p in signature.parameters.values() if p.kind is p.KEYWORD_ONLY]
    count = len(signature.parameters) - len(kwonly)
    bound = signature.bind(
        *args[:count], **dict(zip(kwonly, args[count:], strict=False))
    )
    bound.apply_defaults()
    return list(bound.arguments.values())


def check_gradients(
    source: str,
    args: Sequence[Any],
    function: str | None = None,
    wrt: Sequence[str] | None = None,
    *,
    options: Options | None = None,
    shapes: Mapping[str, Spec] | None = None,
    rtol: float = 1e-5,
    atol: float = 1e-7,
    h: float = 1e-6,
    seed: int = 0,
) -> str:
    """Generate `function`, run it on `args` and compare with numerical gradients.

    Raises AssertionError naming the input and the first disagreeing element;
    returns the generated code.
    """
    from .generate import default_wrt, generate

    code = generate(source, function, wrt, options=options, shapes=shapes)
    namespace: dict[str, Any] = {}
    exec(compile(source, "<forward>", "exec"), namespace)
    if function is None:
        function = next(n for n in namespace if n + "_forward" in code)
    original = positional(namespace[function])
    forward, backward = load(code, function)
    params = list(inspect.signature(original).parameters)
    names = list(wrt) if wrt is not None else default_wrt(source, function)
    args = with_defaults(original, args)

    out, cache = forward(*args)
    expected = original(*args)
    assert _same(out, expected), f"forward differs: {out!r} != {expected!r}"
    rng = np.random.default_rng(seed)
    dout = (
        tuple(_random_like(o, rng) for o in out)
        if isinstance(out, tuple)
        else _random_like(out, rng)
    )
    grads = backward(dout, cache)
    assert isinstance(grads, tuple) and len(grads) == len(
        names
    ), f"backward returned {grads!r}, expected a tuple of {len(names)}"

    directional = 0.0
    directions = []
    for name, grad in zip(names, grads, strict=True):
        i = params.index(name)
        value = args[i]
        assert np.shape(grad) == np.shape(
            value
        ), f"d{name} has shape {np.shape(grad)}, {name} has {np.shape(value)}"
        numeric = np.zeros(np.shape(value))
        for index in np.ndindex(np.shape(value)):
            unit = np.zeros(np.shape(value))
            unit[index] = 1.0
            plus, minus = list(args), list(args)
            plus[i], minus[i] = _shift(value, unit, h), _shift(value, unit, -h)
            numeric[index] = (
                _objective(original, plus, dout) - _objective(original, minus, dout)
            ) / (2 * h)
        close = np.isclose(grad, numeric, rtol=rtol, atol=atol)
        if not np.all(close):
            where = tuple(int(k) for k in np.argwhere(~np.atleast_1d(close))[0])
            raise AssertionError(
                f"gradient of {name} is wrong at {where}: bpgen "
                f"{np.atleast_1d(grad)[where]!r}, numerical "
                f"{np.atleast_1d(numeric)[where]!r}\n{code}"
            )
        direction = _random_like(value, rng)
        directions.append((i, direction))
        directional += float(np.sum(np.asarray(grad) * direction))

    plus, minus = list(args), list(args)
    for i, direction in directions:
        plus[i] = _shift(args[i], direction, h)
        minus[i] = _shift(args[i], direction, -h)
    numeric_directional = (
        _objective(original, plus, dout) - _objective(original, minus, dout)
    ) / (2 * h)
    assert np.isclose(directional, numeric_directional, rtol=rtol, atol=atol * 10), (
        f"random-direction check failed: <grad, v> = {directional!r}, "
        f"numerical {numeric_directional!r}\n{code}"
    )
    return code
