"""User-declared gradients, read statically from the user's source:

    @bpgen.gradient_of(scipy.special.erf)
    def erf_grad(g, out, x):
        return g * 2 / math.sqrt(math.pi) * np.exp(-x * x)

A call to the target becomes a gate whose rule is the declaration: one
template per input (a tuple for several, `None` for an input without
gradient), over `g` (the gradient at the call's output), `out` (its value)
and the inputs. Templates are the user's expressions with names resolved as
in the forward function, so the generated module needs neither bpgen nor the
user's module: the gradient is written out where it is used.
"""

from __future__ import annotations

import ast
import hashlib
import importlib
import inspect
from dataclasses import dataclass

import libcst as cst

from . import calls
from .lower import MATH, NP, Lowerer, placeholder
from .parse import Source
from .rules import BROADCAST, DECLARED, Rule

RESERVED = ("g", "out")


@dataclass(frozen=True)
class Declaration:
    """One `@gradient_of` function, as a gate."""

    target: str  # the qualified callable (math.erf, scipy.special.erf)
    gate: str  # its name in the rule table (unique per declaration text)
    inputs: tuple[str, ...]  # the target's parameters, in order
    constants: frozenset[str]  # module constants the gradients read
    modules: tuple[str, ...] = ()  # other modules the gradients call into


def declarations(source: Source) -> dict[str, Declaration]:
    """Qualified target -> its declaration; each is checked (located errors)
    and registered as a rule the first time a source is asked."""
    if source.declared is None:
        # gradients are written without declared calls: none are known yet
        found: dict[str, Declaration] = {}
        source.declared = found
        try:
            for function in source.gradients:
                declaration = _read(source, function)
                if declaration.target in found:
                    raise source.error(
                        function.name,
                        f"a second gradient of `{declaration.target}` is declared",
                        "keep one @bpgen.gradient_of per function",
                    )
                found[declaration.target] = declaration
        except BaseException:
            source.declared = None  # a refused declaration is refused every time
            raise
    return source.declared


def _read(source: Source, function: cst.FunctionDef) -> Declaration:
    name = function.name.value
    decorator = next(
        d.decorator for d in function.decorators if isinstance(d.decorator, cst.Call)
    )
    assert isinstance(decorator, cst.Call)
    target = _target(source, decorator)
    inputs = _inputs(source, function)
    returned = _returned(source, function)
    items: list[cst.BaseElement | cst.BaseExpression] = (
        list(returned.elements)
        if isinstance(returned, cst.Tuple) and len(inputs) > 1
        else [returned]
    )
    if len(items) != len(inputs):
        listed = ", ".join(f"`{i}`" for i in inputs)
        raise source.error(
            returned,
            f"`{name}` returns {len(items)} gradient(s) but declares "
            f"{len(inputs)} input(s) ({listed})",
            "return one gradient per input after `g, out`, as a tuple in their "
            "order (None for an input without gradient)",
        )
    lower = Lowerer(source, {p: p for p in (*RESERVED, *inputs)})
    lower.function = name
    lower.opaque_calls = True  # a gradient may call any library function
    grads: dict[str, str] = {}
    for param, item in zip(inputs, items, strict=True):
        value = item.value if isinstance(item, cst.BaseElement) else item
        if isinstance(value, cst.Name) and value.value == "None":
            continue
        text = ast.unparse(lower.expr(value))
        grads[param] = text.replace(NP, "np").replace(MATH, "math")
    # other modules (scipy.special.digamma) stand in the templates as hidden
    # parameters, filled in at each call with the module's placeholder
    modules = tuple(sorted(lower.modules - {"numpy", "math"}))
    for k, module in enumerate(modules):
        for param in grads:
            grads[param] = grads[param].replace(placeholder(module), f"__module{k}")
    digest = hashlib.sha1(f"{target}\n{inputs}\n{grads}".encode()).hexdigest()[:8]
    gate = f"{name}@{digest}"
    # an input without gradient may not be given a differentiated value;
    # a ufunc (scipy.special.erf) or a math function is elementwise, so shapes
    # are known through it; anything else is opaque to shape inference
    kind = BROADCAST if _elementwise(target) else ""
    hidden = tuple(f"__module{k}" for k in range(len(modules)))
    DECLARED[gate] = Rule(
        (*inputs, *hidden), {}, grads, broadcasts=bool(kind), kind=kind
    )
    return Declaration(target, gate, inputs, frozenset(lower.constants), modules)


def _target(source: Source, decorator: cst.Call) -> str:
    """The qualified name of what `gradient_of(...)` declares a gradient of."""
    args = decorator.args
    if len(args) != 1 or args[0].keyword is not None or args[0].star:
        raise source.error(
            decorator,
            "bpgen.gradient_of takes one argument: the function whose gradient this is",
            "write @bpgen.gradient_of(scipy.special.erf)",
        )
    node = args[0].value
    parts: list[str] = []
    while isinstance(node, cst.Attribute):
        parts.append(node.attr.value)
        node = node.value
    head = node.value if isinstance(node, cst.Name) else None
    qualified = None
    if head in source.imports:
        qualified = ".".join([source.imports[head], *reversed(parts)])
    elif head in source.functions and not parts:
        return f"builtins.{head}"  # a function of this module, copied as it is
    not_callable = (
        qualified is None
        or qualified in calls.CONSTANTS
        or head in source.constants
        or head in ("True", "False", "None")
    )
    if not_callable:
        what = source.code(args[0].value)
        found = "is a constant, not" if qualified or head else "is not"
        if qualified is None and head not in source.constants:
            found = "is not defined as"
        raise source.error(
            args[0].value,
            f"`{what}` {found} a function: a gradient is declared for a "
            "function imported at module level",
            "write @bpgen.gradient_of(module.function), e.g. scipy.special.erf",
        )
    assert qualified is not None
    return qualified


def _inputs(source: Source, function: cst.FunctionDef) -> tuple[str, ...]:
    params = function.params
    name = function.name.value
    if params.star_arg is not cst.MaybeSentinel.DEFAULT or params.star_kwarg:
        raise source.error(
            function.params,
            f"`{name}` takes *args or **kwargs",
            "name one parameter per input of the function, after `g, out`",
        )
    names = [p.name.value for p in (*params.posonly_params, *params.params)]
    names += [p.name.value for p in params.kwonly_params]
    if names[:2] != list(RESERVED) or len(names) < 3:
        raise source.error(
            function.params,
            f"`{name}` must take `g, out` and then the function's inputs "
            f"(it takes {', '.join(names) or 'nothing'})",
            f"write def {name}(g, out, x): with g the gradient at the output and "
            "out the output",
        )
    return tuple(names[2:])


def _returned(source: Source, function: cst.FunctionDef) -> cst.BaseExpression:
    """The one returned expression (a docstring may precede it)."""
    body = function.body
    statements = list(body.body) if isinstance(body, cst.IndentedBlock) else [body]
    lines = [s for s in statements if not _is_docstring(s)]
    if len(lines) == 1 and isinstance(lines[0], cst.SimpleStatementLine):
        smalls = lines[0].body
        returned = smalls[0].value if isinstance(smalls[0], cst.Return) else None
        if len(smalls) == 1 and returned is not None:
            return returned
    raise source.error(
        function.body if not lines else lines[0],
        f"the body of `{function.name.value}` must be one `return` of the "
        "gradient expression(s)",
        "write the gradients as expressions of g, out and the inputs: "
        "return g * ..., g * ...",
    )


def _is_docstring(statement: cst.CSTNode) -> bool:
    return (
        isinstance(statement, cst.SimpleStatementLine)
        and len(statement.body) == 1
        and isinstance(statement.body[0], cst.Expr)
        and isinstance(statement.body[0].value, cst.SimpleString)
    )


# modules whose functions' signatures may be read by importing them: never the
# user's own modules (importing those could run anything)
_READABLE = frozenset({"numpy", "scipy", "math", "cmath"})


def parameters(qualified: str, given: int) -> list[str]:
    """The positional parameters of a library function, read from the
    function itself when its module is a known library (ufuncs from their
    docstring), else x, y, ... for the `given` arguments of the call."""
    module, _, name = qualified.rpartition(".")
    fallback = ["x", "y", "z", "w"][:given] or ["x"]
    fallback += [f"x{i}" for i in range(len(fallback), given)]
    if module.partition(".")[0] not in _READABLE:
        return fallback
    try:
        function = getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError):
        return fallback
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError):
        head = (getattr(function, "__doc__", None) or "").partition("\n")[0]
        inside = head.partition("(")[2].partition("/")[0]
        found = [p.strip() for p in inside.split(",") if p.strip().isidentifier()]
        return found or fallback
    kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    found = [
        p.name
        for p in signature.parameters.values()
        if p.kind in kinds and p.default is inspect.Parameter.empty
    ]
    return found or fallback


def _elementwise(qualified: str) -> bool:
    module, _, name = qualified.rpartition(".")
    if module in ("math", "cmath"):
        return True
    if module.partition(".")[0] not in _READABLE:
        return False
    try:
        function = getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError):
        return False
    import numpy as np

    return isinstance(function, np.ufunc)


def stub(name: str, params: list[str]) -> str:
    """A declaration for `name`, ready to paste, with `params` its inputs."""
    head = ", ".join(["g", "out", *params])
    short = name.rpartition(".")[2]
    grads = ", ".join(f"g * d{short}_d{p}" for p in params) or "..."
    return f"@bpgen.gradient_of({name})\ndef {short}_grad({head}):\n    return {grads}"


def local_targets(source: Source) -> set[str]:
    """Functions of this module with a declared gradient: called, not
    differentiated (an iterative solver, say)."""
    if not source.gradients:
        return set()
    return {
        target.removeprefix("builtins.")
        for target in declarations(source)
        if target.startswith("builtins.")
    }


def copied(source: Source, called: set[str]) -> tuple[list[str], list[str], set[str]]:
    """The generated module's copy of the module functions `called` (and
    those they call): import lines, definitions (black's layout) and the
    module constants they read."""
    from .emit import black_format

    pending, seen = sorted(called), set()
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        for node in _names(source.functions[name]):
            if node in source.functions and node not in seen:
                pending.append(node)
    read = set().union(*(_names(source.functions[n]) for n in seen))
    imports = []
    for local in sorted(read & set(source.imports)):
        qualified = source.imports[local]
        module, _, attr = qualified.rpartition(".")
        if not module:
            line = f"import {qualified}" + (
                "" if local == qualified else f" as {local}"
            )
        else:
            line = f"from {module} import {attr}" + (
                "" if local == attr else f" as {local}"
            )
        imports.append(line)
    order = [n for n in source.functions if n in seen]
    texts = [
        black_format(source.code(source.functions[n]).strip() + "\n") for n in order
    ]
    return imports, texts, read & set(source.constants)


def _names(function: cst.FunctionDef) -> set[str]:
    found: set[str] = set()

    class Names(cst.CSTVisitor):
        def visit_Name(self, node: cst.Name) -> None:
            found.add(node.value)

    function.visit(Names())
    return found
