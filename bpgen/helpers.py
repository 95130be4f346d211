"""Calls to top-level functions of the same module (CS231n's `layer_utils`):
the helper's body is staged in place of the call, its parameters bound to the
caller's argument values, its locals renamed so they clash with nothing.

Each call is staged afresh, so a helper called twice keeps two sets of
intermediates (its own "cache" per call), and activity flows through it:
gradients are computed only for what the caller differentiates.
"""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

import libcst as cst

if TYPE_CHECKING:
    from .stage import Stager


class HelperTuple(ast.Tuple):
    """The values a helper returns as a tuple: unpacked by the caller."""


def stage_call(stager: Stager, node: cst.Call, name: str) -> ast.expr:
    """Stage `name(args)` by staging the helper's body; returns its value (a
    Name or constant), or a HelperTuple when the helper returns a tuple."""
    source = stager.source
    chain = stager.helper_chain
    if name in chain:
        path = " -> ".join([*chain, name])
        raise source.error(
            node.func,
            f"`{name}()` is called recursively ({path}); bpgen does not "
            "differentiate through recursion",
            "write the computation without recursion",
        )
    helper = source.functions[name]
    bindings = _bind_arguments(stager, node, helper)
    saved_env = dict(stager.env)
    saved_function, saved_out = stager.function, stager.out_name
    stager.env.clear()
    stager.env.update(bindings)
    stager.helper_chain = [*chain, name]
    stager.function = helper
    stager.out_name = f"{name}_out"
    try:
        outputs, returns_tuple = stager.body()
    finally:
        stager.function, stager.out_name = saved_function, saved_out
        stager.helper_chain = chain
        stager.env.clear()
        stager.env.update(saved_env)
    if returns_tuple:
        return HelperTuple(outputs, ast.Load())
    return outputs[0]


def _bind_arguments(
    stager: Stager, node: cst.Call, helper: cst.FunctionDef
) -> dict[str, str]:
    """Parameter name -> the staged name of its argument's value."""
    source = stager.source
    params = helper.params
    if params.star_arg is not cst.MaybeSentinel.DEFAULT or params.star_kwarg:
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
        value = stager.atom(stager.lowered(expression))
        if not isinstance(value, ast.Name):
            value = stager.emit(value, None, {}, {}, stager.fresh(key))
        bindings[key] = value.id
    return bindings
