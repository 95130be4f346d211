"""`@bpgen.differentiable`: a function's backward pass, generated at import time.

    @bpgen.differentiable                 # or @bpgen.differentiable(wrt=["x"])
    def f(x, y):
        ...

    out, cache = f.forward(x, y)
    dx, dy = f.backward(1.0, cache)

The decorator reads the whole text of the function's module (the function
reads module-level imports and constants), runs the generator once, executes
the generated module and hangs its `f_forward` / `f_backward` on the function
itself, which is returned unchanged: calling `f` is exactly calling the
undecorated function. The generated text is cached on disk (see `_cache`),
so importing an unchanged module again neither imports libcst and black nor
generates anything.
"""

from __future__ import annotations

import dataclasses
import inspect
import linecache
import types
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar, overload

from . import _cache
from ._siblings import sibling_texts
from .errors import (
    BpgenError,
    InternalError,
    SourceUnavailableError,
    UnsupportedError,
    UsageError,
    check_wrt,
)
from .generate import TESTS_SHAPES
from .options import Options

F = TypeVar("F", bound=Callable[..., Any])


@overload
def differentiable(function: F, /) -> F: ...


@overload
def differentiable(
    *,
    wrt: Sequence[str] | None = None,
    options: Options | None = None,
    inline_helpers: bool | None = None,
) -> Callable[[F], F]: ...


def differentiable(
    function: Any = None,
    /,
    *,
    wrt: Sequence[str] | None = None,
    options: Options | None = None,
    inline_helpers: bool | None = None,
) -> Any:
    """Give a top-level function `forward`, `backward` and `source` attributes.

    - `f(*args)` is the undecorated function, untouched.
    - `f.forward(*args) -> (out, cache)`: what `f` returns, plus the
      intermediates the backward pass needs.
    - `f.backward(dout, cache) -> tuple`: one gradient per `wrt` name (every
      parameter by default), in `wrt` order.
    - `f.source`: the generated module's text.

    `inline_helpers=False` writes each helper of the module the function
    calls as its own `<g>_forward`/`<g>_backward` (Options' switch).

    Generation runs once, now; errors are raised now, as `bpgen.BpgenError`
    pointing at the line of your file that bpgen refused.
    """
    names = check_wrt(wrt)
    if options is not None and not isinstance(options, Options):
        raise UsageError(
            f"options must be a bpgen.Options, not {type(options).__name__}",
            hint="for example options=bpgen.Options(fusion=False)",
        )
    if inline_helpers is not None:
        options = dataclasses.replace(
            options or Options(), inline_helpers=bool(inline_helpers)
        )
    if function is None:

        def decorate(fn: F) -> F:
            return _attach(fn, names, options)

        return decorate
    if isinstance(function, (str, list, tuple)):
        raise UsageError(
            "pass the parameter names as a keyword: @bpgen.differentiable(wrt=[...])",
            hint="for example @bpgen.differentiable(wrt=['x', 'y'])",
        )
    return _attach(function, names, options)


def _attach(fn: F, wrt: list[str] | None, options: Options | None) -> F:
    if not isinstance(fn, types.FunctionType):
        raise UsageError(
            "@bpgen.differentiable decorates plain functions, "
            f"not {type(fn).__name__} objects",
            hint="put @bpgen.differentiable directly above `def` (and under "
            "any other decorator)",
        )
    if hasattr(fn, "__wrapped__"):
        raise UsageError(
            f"{fn.__qualname__}() is wrapped by another decorator; bpgen needs "
            "the function itself",
            hint="put @bpgen.differentiable directly above `def`, under the "
            "other decorators",
        )
    code = fn.__code__
    name = fn.__name__
    filename = code.co_filename
    lines = _source_lines(fn)
    if fn.__qualname__ != name:
        where = "a method" if "<locals>" not in fn.__qualname__ else "a nested function"
        raise UnsupportedError(
            f"{fn.__qualname__}() is {where}; bpgen differentiates top-level "
            "functions of a module",
            **_at(filename, code.co_firstlineno, lines),
            hint=f"move {name}() to the top level of its module",
        )
    if not lines:
        raise _unavailable(fn)
    first = lines[code.co_firstlineno - 1] if code.co_firstlineno <= len(lines) else ""
    if not first.lstrip().startswith(("@", "def ", "def\t", "async ")):
        raise SourceUnavailableError(
            f"the file {filename} does not match the running code of {name}() "
            f"(line {code.co_firstlineno} is not its `def`)",
            filename=filename,
            hint="the file changed after it was loaded; import it again",
        )
    source = "".join(lines)
    options = options or Options()
    text, namespace, facts = _load_or_generate(source, name, wrt, options, fn, lines)
    forward = namespace[f"{name}_forward"]
    backward = namespace[f"{name}_backward"]
    if TESTS_SHAPES in facts:
        # the general code tests shapes at run time: specialise per call kind
        dispatch = _Dispatch(source, name, wrt, options, fn, lines, forward, backward)
        forward, backward = dispatch.forward, dispatch.backward
    for attribute, generated in (("forward", forward), ("backward", backward)):
        # pickle finds them as module.f.forward, so multiprocessing works
        generated.__module__ = fn.__module__
        generated.__qualname__ = f"{fn.__qualname__}.{attribute}"
    fn.forward = forward  # type: ignore[attr-defined]
    fn.backward = backward  # type: ignore[attr-defined]
    fn.source = text  # type: ignore[attr-defined]
    return fn


def _load_or_generate(
    source: str,
    name: str,
    wrt: list[str] | None,
    options: Options,
    fn: types.FunctionType,
    lines: list[str],
    shapes: dict[str, tuple] | None = None,
) -> tuple[str, dict[str, Any], frozenset[str]]:
    """The generated module's text, namespace and facts (generate.FACTS),
    from the disk cache when an entry for exactly these inputs is there."""
    filename = fn.__code__.co_filename
    extra: tuple[str, ...] = () if shapes is None else (repr(sorted(shapes.items())),)
    extra += tuple(sibling_texts(source, filename))  # helpers read from there
    entry_key = _cache.key(source, filename, name, repr(wrt), repr(options), *extra)
    root = _cache.directory()
    path = None if root is None else _cache.entry_path(root, name, entry_key)
    entry = None if path is None else _cache.load_entry(path, entry_key)
    text, facts = (None, frozenset()) if entry is None else entry
    namespace = None
    if text is not None:
        try:
            namespace = _execute(text, entry_key, path, fn, facts)
        except Exception:  # noqa: BLE001 -- a damaged entry: regenerate it
            namespace = None
    if namespace is None:
        text, facts = _generate(source, name, wrt, options, fn, lines, shapes)
        if path is not None and not _cache.store(path, entry_key, text, facts):
            path = None
        namespace = _execute(text, entry_key, path, fn, facts)
    assert text is not None
    return text, namespace, facts


class _Cache:
    """The cache of a specialised forward, with the backward that reads it."""

    __slots__ = ("backward", "saved")

    def __init__(self, backward: Callable, saved: tuple) -> None:
        self.backward = backward
        self.saved = saved

    def __eq__(self, other: object) -> bool:
        return type(other) is _Cache and self.saved == other.saved

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"<cache of {self.backward.__qualname__}: {self.saved!r}>"


class _Dispatch:
    """`f.forward` / `f.backward` that run code specialised to the kinds of
    the arguments seen at call time (rank, which axes are 1, float or array):
    the same backward a person would write once the shapes are known.

    Each kind is generated once, on its first call, and cached on disk like
    the general code; calls with keyword arguments run the general code.
    """

    def __init__(self, source, name, wrt, options, fn, lines, forward, backward):
        self.generate = (source, name, wrt, options, fn, lines)
        self.table: dict[tuple, tuple[Callable, Callable]] = {}
        seen: dict[tuple, tuple[Callable, Callable]] = {}  # exact shapes: fast

        def dispatch_forward(*args: Any, **kwargs: Any) -> tuple[Any, Any]:
            if kwargs:
                return forward(*args, **kwargs)
            exact = tuple([getattr(a, "shape", a.__class__) for a in args])
            pair = seen.get(exact)
            if pair is None:
                if len(seen) > 256:
                    seen.clear()
                pair = seen[exact] = self.specialised(tuple(map(_kind, args)))
            out, saved = pair[0](*args)
            return out, _Cache(pair[1], saved)

        def dispatch_backward(dout: Any, cache: Any) -> tuple:
            if type(cache) is _Cache:
                return cache.backward(dout, cache.saved)
            return backward(dout, cache)

        # inspect.unwrap(f.backward) is the general code, as without dispatch
        dispatch_forward.__wrapped__ = forward
        dispatch_backward.__wrapped__ = backward
        self.forward, self.backward = dispatch_forward, dispatch_backward

    def specialised(self, kind: tuple) -> tuple[Callable, Callable]:
        pair = self.table.get(kind)
        if pair is None:
            pair = self.table[kind] = self._specialise(kind)
        return pair

    def _specialise(self, kind: tuple) -> tuple[Callable, Callable]:
        source, name, wrt, options, fn, lines = self.generate
        params = list(inspect.signature(fn).parameters)
        observed = [_observed(i, k) for i, k in enumerate(kind)]
        called = zip(params, observed, strict=False)  # defaults fill the rest
        shapes = {p: s for p, s in called if s is not None}
        quiet = dataclasses.replace(options, guards=False)  # the kind is the guard
        _, namespace, _ = _load_or_generate(source, name, wrt, quiet, fn, lines, shapes)
        return namespace[f"{name}_forward"], namespace[f"{name}_backward"]


def _kind(value: Any) -> tuple:
    """What specialised code depends on: float, or rank, size-1 axes, dtype kind."""
    import numpy as np  # only when a new kind of call comes: `import bpgen` is light

    if isinstance(value, (float, int, np.floating)) or (
        type(value) is np.ndarray and value.ndim == 0
    ):
        return ("float",)
    if type(value) is np.ndarray:
        ones = tuple(i for i, n in enumerate(value.shape) if n == 1)
        return (value.ndim, ones, value.dtype.kind)
    return ("other",)


def _observed(index: int, kind: tuple) -> tuple | None:
    """A kind as declared dimensions; bpgen's own names start with `_`."""
    if kind == ("float",):
        return ()
    if kind == ("other",):
        return None
    rank, ones, _ = kind
    return tuple(1 if axis in ones else f"_{index}_{axis}" for axis in range(rank))


def _source_lines(fn: types.FunctionType) -> list[str]:
    """The lines of the file `fn` was defined in, as Python's own tools see it."""
    filename = fn.__code__.co_filename
    try:
        linecache.checkcache(filename)
        return linecache.getlines(filename, fn.__globals__)
    except (OSError, ImportError, ValueError):  # a loader that fails oddly
        return []


def _unavailable(fn: types.FunctionType) -> SourceUnavailableError:
    filename = fn.__code__.co_filename
    name = fn.__name__
    if filename.startswith("<") and filename.endswith(">"):
        why = (
            f"it was defined in {filename} (an interactive session, exec() or "
            "eval()), so there is no file to read"
        )
    else:
        why = f"{filename} cannot be read (deleted, or shipped without sources?)"
    return SourceUnavailableError(
        f"cannot read the source of {name}(): {why}",
        filename=filename,
        lineno=fn.__code__.co_firstlineno,
        col_offset=0,
        hint=f"define {name}() in a .py file and import it, or call "
        f"bpgen.generate(source_text, function={name!r}) and exec the result",
    )


def _at(filename: str, lineno: int, lines: list[str]) -> dict[str, Any]:
    line = lines[lineno - 1] if 0 < lineno <= len(lines) else None
    return {
        "filename": filename,
        "lineno": lineno,
        "col_offset": 0,
        "source_line": line,
    }


def _generate(
    source: str,
    name: str,
    wrt: list[str] | None,
    options: Options,
    fn: types.FunctionType,
    lines: list[str],
    shapes: dict[str, tuple] | None = None,
) -> tuple[str, frozenset[str]]:
    """The module's text, and what the pipeline reported about it."""
    from .generate import FACTS, generate

    filename = fn.__code__.co_filename
    facts: set[str] = set()
    token = FACTS.set(facts)
    try:
        text = generate(
            source, name, wrt, filename=filename, options=options, shapes=shapes
        )
    except InternalError:
        raise  # keeps the failing frames as its cause, for the bug report
    except BpgenError as error:
        # The message points into the user's file; the generator's own
        # frames would only hide it.
        raise error.with_traceback(None) from None
    finally:
        FACTS.reset(token)
    return _relabel(text, filename, _module_path(fn)), frozenset(facts)


def _module_path(fn: types.FunctionType) -> str:
    """The file as its import name spells it (`pkg/mod.py`), not where the
    checkout lives: `f.source` reads the same on every machine. Errors keep
    the full path, which editors can open."""
    path = Path(fn.__code__.co_filename)
    parts = [p for p in (fn.__module__ or "").split(".") if p]
    if path.name == "__init__.py":
        parts.append("__init__")
    if not parts or parts[0] == "__main__" or path.stem != parts[-1]:
        return path.name
    tail = path.parts[-len(parts) :]
    if list(tail[:-1]) != parts[:-1]:
        return path.name
    return "/".join(tail)


def _relabel(text: str, filename: str, shown: str) -> str:
    """Name `shown` instead of `filename` in the generated header (line 1)."""
    first, newline, rest = text.partition("\n")
    return first.replace(f" from {filename}. ", f" from {shown}. ", 1) + newline + rest


def _execute(
    text: str,
    entry_key: str,
    path: Path | None,
    fn: types.FunctionType,
    facts: frozenset[str] = frozenset(),
) -> dict[str, Any]:
    """Run the generated module; its lines show up in tracebacks and pdb."""
    if path is not None:
        codefile = str(path)
        full = _cache.entry_text(text, entry_key, facts)  # the file on disk
    else:
        codefile = (
            f"<bpgen: {fn.__name__}() from {fn.__code__.co_filename} {entry_key[:8]}>"
        )
        full = text
    # mtime None: linecache.checkcache never evicts it, even if the file goes
    linecache.cache[codefile] = (len(full), None, full.splitlines(True), codefile)
    code = None if path is None else _cache.load_code(_cache.code_path(path), path)
    if code is None:
        code = compile(full, codefile, "exec", dont_inherit=True)
        if path is not None:
            _cache.store_code(_cache.code_path(path), path, code)
    namespace: dict[str, Any] = {
        "__name__": f"{fn.__module__}.<bpgen {fn.__name__}>",
        "__file__": codefile,
    }
    exec(code, namespace)  # noqa: S102 -- running generated code is the point
    return namespace
