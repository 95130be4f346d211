"""Calls to top-level functions of the same module (CS231n's `layer_utils`):
the helper's body is staged in place of the call, its parameters bound to the
caller's argument values, its locals renamed so they clash with nothing.

Each call is staged afresh, so a helper called twice keeps two sets of
intermediates (its own "cache" per call), and activity flows through it:
gradients are computed only for what the caller differentiates.

With `Options(inline_helpers=False)` a helper is instead generated once as
its own `<g>_forward`/`<g>_backward` pair, called by the caller's forward and
backward (`_call_pair`). Helpers may also come from the user's module next to
the input file (`sibling`).
"""

from __future__ import annotations

import ast
import hashlib
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import libcst as cst

from .errors import BpgenError
from .rules import DECLARED, Rule
from .tags import retag

if TYPE_CHECKING:
    from .parse import Source
    from .stage import Stager


class HelperTuple(ast.Tuple):
    """The values a helper returns as a tuple: unpacked by the caller."""


@dataclass
class Pairs:
    """With `Options(inline_helpers=False)`: the helpers the staged functions
    call as `<g>_forward`/`<g>_backward` pairs (name -> their wrt), to be
    generated into the same module."""

    fusion: bool = True
    activity: bool = True
    fixed: set[str] = field(default_factory=set)  # generated whole: asked for
    used: dict[str, tuple[str, ...]] = field(default_factory=dict)
    wanted: dict[str, set[str]] = field(default_factory=dict)  # across attempts
    retry: bool = False  # a call needed more than an earlier one was given
    callers: list[str] = field(default_factory=list)  # of the helper staged now


PAIRS: ContextVar[Pairs | None] = ContextVar("bpgen_pairs", default=None)

# gate -> (the helper, its wrt): reverse.py writes one call of its backward
PAIR_GATES: dict[str, tuple[str, tuple[str, ...]]] = {}


def sibling(source: Source, module: str, name: str) -> Source | None:
    """The user's module `module.py` next to the input file, when it defines
    `name` (`from layers import affine_forward`); parsed again when edited."""
    other = _sibling(source, module)
    return other if other is not None and name in other.functions else None


def sibling_constant(source: Source, module: str, name: str) -> bool:
    """`from layers import EPS`: when `layers.py` next to the input defines
    the constant EPS, copy it (and the constants it reads) into the input's
    constants, so the generated module defines it as it defines its own."""
    other = _sibling(source, module)
    if other is None or name not in other.constants:
        return False
    return _copy_constant(source, other, name)


def _copy_constant(source: Source, other: Source, name: str) -> bool:
    """Copy `other`'s constant `name` and those it reads into `source`; False
    when `source` defines one of them itself."""
    pending, seen = [name], set()
    copied = source.__dict__.setdefault("copied_constants", set())
    while pending:
        current = pending.pop()
        if current in seen:
            continue
        seen.add(current)
        if current in source.constants and current not in copied:
            return False  # the input module has its own constant of that name
        pending += [n for n in sorted(_read_names(other.constants[current]))]
        pending = [n for n in pending if n in other.constants]
    for current in other.constants:  # in the sibling's order: defined first
        if current in seen:  # the latest text: the sibling is parsed again
            source.constants.pop(current, None)
            source.constants[current] = other.constants[current]
            copied.add(current)
    return True


def _sibling(source: Source, module: str) -> Source | None:
    if "." in module or source.filename.startswith("<"):
        return None
    path = Path(source.filename).resolve().parent / f"{module}.py"
    text = path.read_text(encoding="utf-8") if path.is_file() else None
    siblings = source.__dict__.setdefault("siblings", {})
    if text is None:
        return None
    if siblings.get(path, (None,))[0] != text:
        from .parse import parse

        siblings[path] = (text, parse(text, str(path)))
    return siblings[path][1]


def stage_call(
    stager: Stager, node: cst.Call, name: str, other: Source | None = None
) -> ast.expr:
    """Stage `name(args)` by staging the helper's body; returns its value (a
    Name or constant), or a HelperTuple when the helper returns a tuple.
    `other` is the user's module the helper comes from, when not this one."""
    source = other or stager.source
    chain = stager.helper_chain
    if name in chain:
        path = " -> ".join([*chain, name])
        raise source.error(
            node.func,
            f"`{name}()` is called recursively ({path}); bpgen does not "
            "differentiate through recursion",
            "write the computation without recursion",
        )
    local = stager.lower.local_functions
    nested = other is None and name in local
    helper = local[name] if nested else source.functions[name]
    bindings = _bind_arguments(stager, node, helper)
    pairs = PAIRS.get()
    packed = any(v in stager.lower.packs for v in bindings.values())
    if pairs is not None and other is None and not (nested or packed):
        called = _call_pair(stager, node, name, bindings, pairs)
        if called is not None:
            return called
    saved_env = dict(stager.env)
    saved_function, saved_out = stager.function, stager.out_name
    stager.env.clear()
    stager.env.update(bindings)
    stager.helper_chain = [*chain, name]
    stager.function = helper
    stager.out_name = f"{name}_out"
    # a module-level helper sees no nested function of its caller
    stager.lower.local_functions = dict(local) if nested else {}
    home, constants = stager.source, set(stager.lower.constants)
    stager.source = stager.lower.source = source
    try:
        outputs, returns_tuple = stager.body()
        for read in sorted(stager.lower.constants - constants):
            if other is not None and not _copy_constant(home, other, read):
                raise source.error(
                    helper.name,
                    f"`{name}()` reads `{read}`, a constant of its own module, and "
                    f"the input module defines its own `{read}`",
                    f"pass {read} as an argument, or rename one of the two",
                )
    finally:
        stager.source = stager.lower.source = home
        stager.function, stager.out_name = saved_function, saved_out
        stager.lower.local_functions = local
        stager.helper_chain = chain
        stager.env.clear()
        stager.env.update(saved_env)
    if returns_tuple:
        return HelperTuple(outputs, ast.Load())
    return outputs[0]


def nested_def(stager: Stager, node: cst.FunctionDef) -> None:
    """`def _fn(a, n): return a * n` inside the function: staged inline at
    each call like a module-level helper. Only a closure-free one: a body
    reading the enclosing function's locals (which may change between the
    definition and a call) is refused."""
    source = stager.source
    if node.decorators or node.asynchronous is not None:
        raise source.error(
            node.name,
            "a decorated or async nested function is not supported",
            "define the helper at module level, without decorators",
        )
    for statement in _walk(node.body):
        if isinstance(statement, (cst.Nonlocal, cst.Global)):
            word = "nonlocal" if isinstance(statement, cst.Nonlocal) else "global"
            raise source.error(
                node,
                f"the nested function `{node.name.value}()` declares `{word}`: it "
                "would change names outside itself",
                "return the new value from the helper and assign it in the caller",
            )
    params = node.params
    own = {p.name.value for p in [*params.posonly_params, *params.params]}
    own |= {p.name.value for p in params.kwonly_params}
    own |= _assigned(node.body)
    for name in sorted(_read_names(node.body) - own):
        if name in stager.env and name != node.name.value:
            raise source.error(
                node,
                f"the nested function `{node.name.value}()` reads `{name}`, a "
                "local of the enclosing function; bpgen stages only closure-free "
                "nested functions",
                f"pass {name} as a parameter of {node.name.value}(), or define the "
                "helper at module level",
            )
    stager.lower.local_functions[node.name.value] = node
    stager.env.pop(node.name.value, None)  # the name now means the function


def _walk(node: cst.CSTNode) -> list[cst.CSTNode]:
    """Every node under `node`, itself included."""
    found: list[cst.CSTNode] = []

    class Every(cst.CSTVisitor):
        def on_visit(self, child: cst.CSTNode) -> bool:
            found.append(child)
            return True

    node.visit(Every())
    return found


def _read_names(node: cst.CSTNode) -> set[str]:
    """Every name the body mentions (a superset of what it reads)."""
    found: set[str] = set()

    class Names(cst.CSTVisitor):
        def visit_Name(self, name: cst.Name) -> None:
            found.add(name.value)

        def visit_Attribute(self, attribute: cst.Attribute) -> bool:
            attribute.value.visit(self)  # `x.T`: the attribute name is no read
            return False

        def visit_Arg(self, arg: cst.Arg) -> bool:
            arg.value.visit(self)  # `f(axis=0)`: the keyword is no read
            return False

    node.visit(Names())
    return found


def _assigned(node: cst.CSTNode) -> set[str]:
    """The names the body binds (assignment targets, loop variables)."""
    found: set[str] = set()

    class Targets(cst.CSTVisitor):
        def visit_AssignTarget(self, target: cst.AssignTarget) -> None:
            found.update(
                _read_names(target.target)
                if not isinstance(target.target, cst.Subscript)
                else set()
            )

        def visit_AnnAssign(self, assign: cst.AnnAssign) -> None:
            if isinstance(assign.target, cst.Name):
                found.add(assign.target.value)

        def visit_AugAssign(self, assign: cst.AugAssign) -> None:
            if isinstance(assign.target, cst.Name):
                found.add(assign.target.value)

        def visit_For(self, loop: cst.For) -> None:
            found.update(_read_names(loop.target))

        def visit_FunctionDef(self, function: cst.FunctionDef) -> None:
            found.add(function.name.value)

    node.visit(Targets())
    return found


def _bind_arguments(
    stager: Stager, node: cst.Call, helper: cst.FunctionDef
) -> dict[str, str]:
    """Parameter name -> the staged name of its argument's value."""
    source = stager.source
    params = helper.params
    star = params.star_arg  # a bare `*` (keyword-only parameters) binds fine
    if (
        star is not cst.MaybeSentinel.DEFAULT and not isinstance(star, cst.ParamStar)
    ) or params.star_kwarg:
        raise source.error(
            node.func,
            f"`{helper.name.value}()` takes *args or **kwargs; bpgen binds only "
            "named parameters",
            "give the helper one parameter per argument",
        )
    positional = [*params.posonly_params, *params.params]
    everything = [*positional, *params.kwonly_params]
    given: dict[str, cst.BaseExpression] = {}
    for index, arg in enumerate(node.args):
        if arg.star:
            raise source.error(
                arg,
                "`*args` in a call to a helper are not supported",
                "pass each argument",
            )
        if arg.keyword is None:
            if index >= len(positional):
                raise source.error(
                    arg,
                    f"`{helper.name.value}()` takes {len(positional)} positional "
                    "arguments here",
                    "check the call against the helper's parameters",
                )
            key = positional[index].name.value
        else:
            key = arg.keyword.value
            if key not in {p.name.value for p in everything}:
                raise source.error(
                    arg, f"`{helper.name.value}()` has no parameter `{key}`"
                )
        given[key] = arg.value
    bindings: dict[str, str] = {}
    for param in everything:
        key = param.name.value
        expression = given.get(key, param.default)
        if expression is None:
            raise source.error(
                node, f"missing argument `{key}` in the call to {helper.name.value}()"
            )
        lowered = stager.lowered(expression)
        if stager.is_pack(lowered):  # f(dict(a=a, b=b)): the helper reads items
            bindings[key] = stager.pack(lowered, key)
            continue
        value = stager.atom(lowered)
        if not isinstance(value, ast.Name):
            value = stager.emit(value, None, {}, {}, stager.fresh(key))
        bindings[key] = value.id
    return bindings


def _call_pair(
    stager: Stager, node: cst.Call, name: str, bindings: dict[str, str], pairs: Pairs
) -> ast.expr | None:
    """`pair = name_forward(args)`, then `name_out = pair[0]`: a gate whose
    backward is one call `(dx, dw) = name_backward(g, pair[1])`. None where
    the helper is better inlined: it returns a tuple, no argument is
    differentiated, or one goes to a parameter without gradient."""
    from .stage import stage

    chain = [*pairs.callers, *stager.helper_chain]
    if name in chain:
        raise stager.source.error(
            node.func,
            f"`{name}()` is called recursively ({' -> '.join([*chain, name])}); "
            "bpgen does not differentiate through recursion",
            "write the computation without recursion",
        )
    varied = {p for p, v in bindings.items() if v in stager.varied}
    if not varied:
        return None
    # staged once to learn its parameters with gradient; what it needs of
    # its own helpers then is not recorded (a probe, not a use)
    probe = Pairs(pairs.fusion, pairs.activity, callers=chain)
    token = PAIRS.set(probe)
    try:
        helper = stager.source.functions[name]
        program = stage(
            stager.source, helper, None, fusion=pairs.fusion, activity=pairs.activity
        )
    except BpgenError:
        return None  # inlined instead: staged there again, and refused if it must
    finally:
        PAIRS.reset(token)
    if program.returns_tuple or not varied <= set(program.wrt):
        return None
    wrt = tuple(program.wrt)
    if name not in pairs.fixed:  # only the gradients some caller needs
        wanted = pairs.wanted.setdefault(name, set())
        if not varied <= wanted:
            pairs.retry = pairs.retry or name in pairs.used
            wanted |= varied
        wrt = tuple(p for p in program.wrt if p in wanted)
    pairs.used[name] = wrt
    params = helper.params
    args: list[ast.expr] = [
        ast.Name(bindings[p.name.value], ast.Load()) for p in params.params
    ]
    keywords = [
        ast.keyword(p.name.value, ast.Name(bindings[p.name.value], ast.Load()))
        for p in params.kwonly_params
    ]
    forward = ast.Call(ast.Name(f"{name}_forward", ast.Load()), args, keywords)
    retag(forward, at=stager.source.location(node))
    pair = stager.emit(forward, None, {}, {}, stager.fresh(f"{name}_pair"))
    gate = _pair_gate(name, wrt)
    inputs = {p: ast.Name(bindings[p], ast.Load()) for p in wrt if p in varied}
    value = ast.Subscript(pair, ast.Constant(0), ast.Load())
    retag(value, at=stager.source.location(node))
    return stager.emit(value, gate, inputs, {"pair": pair}, stager.fresh(f"{name}_out"))


def _pair_gate(name: str, wrt: tuple[str, ...]) -> str:
    gate = f"{name}_pair@" + hashlib.sha1(repr(wrt).encode()).hexdigest()[:8]
    # the templates are never instantiated: reverse.py calls the backward
    DECLARED[gate] = Rule((*wrt, "pair"), {}, {p: f"{name}_backward" for p in wrt})
    PAIR_GATES[gate] = (name, wrt)
    return gate
