"""Driving the pipeline: plan the function, generate each part as a function
of its own (errors pointed back at the user's lines), compose the whole."""

from __future__ import annotations

import ast
from typing import cast

from ..errors import BpgenError, UnsupportedError
from .compose import Composer
from .guard import guard_lines, part_shapes, prove_carried, proven_arrays
from .items import Part
from .module import module_helpers
from .parts import part_source
from .plan import Planner


def _remap(exc: BpgenError, mapping: dict, lines: list[str], offset: int) -> BpgenError:
    """Point an error raised in a part's text at the user's line."""
    line = exc.lineno
    if line is not None and line in mapping:
        exc.lineno = mapping[line] + offset
        exc.source_line = lines[mapping[line] - 1]
        exc.args = (exc.render(),)
    return exc


def _pack_across(function: ast.FunctionDef, part) -> ast.Assign | None:
    """`Ws = [W1, W2]` of a name this part takes in or hands out, if any."""
    crossing = set(part.inputs) | set(part.outputs)
    for node in ast.walk(function):
        if (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
            and node.targets[0].id in crossing
            and isinstance(node.value, (ast.List, ast.Tuple))
        ):
            return node
    return None


def function_node(text: str, name: str) -> ast.FunctionDef:
    tree = ast.parse(text)
    return next(
        n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == name
    )


def generate_function(
    parsed, fname: str, wrt, options, sub_generate, declared=None
) -> tuple[list[str], str, list[str]]:
    """The parts' generated modules, the composite's text and the wrt used.
    `declared`: the parameters' declared shapes (generate._declared)."""
    from ..generate import NOT_ONE, OUT_SHAPES

    declared = declared or {}
    assumed: set[str] = set()
    token, sink = NOT_ONE.set(assumed), OUT_SHAPES.set({})
    try:
        return _generate_function(
            parsed, fname, wrt, options, sub_generate, declared, assumed
        )
    finally:
        NOT_ONE.reset(token)
        OUT_SHAPES.reset(sink)


def _generate_function(
    parsed, fname: str, wrt, options, sub_generate, declared, assumed
) -> tuple[list[str], str, list[str]]:
    from .. import parse, stage
    from ..generate import NOT_ONE, OUT_SHAPES

    lines = parsed.text.splitlines()
    offset = parsed.line_offset

    def error(node, message, hint):
        return UnsupportedError(
            message,
            filename=parsed.filename,
            lineno=node.lineno + offset,
            col_offset=node.col_offset,
            source_line=lines[node.lineno - 1],
            hint=hint,
        )

    function = function_node(parsed.text, fname)
    start = min([function.lineno] + [d.lineno for d in function.decorator_list])
    span = (start, function.end_lineno or start)
    planner = Planner(parsed.text, function, error)
    modules: dict[str, str] = {}
    memo: dict = {}
    carried: dict = {}  # locals' shapes, proven by rounds below (guard.py)
    outs = OUT_SHAPES.get()
    assert outs is not None  # set by generate_function

    def generate_part(part: Part, name: str, part_wrt):
        shapes = part_shapes(planner, part, declared, carried)
        wanted = None if part_wrt is None else tuple(part_wrt)
        key = (id(part), wanted, tuple(sorted(shapes.items())))
        if key in memo:
            if part_wrt is not None:
                modules[name], outs[name], before = memo[key][2:]
                assumed.update(before)
            return memo[key][:2]
        taken_as_not_1: set[str] = set()  # this part's (dims.not_one)
        text, mapping = part_source(planner, part, name, span)
        try:
            sub = parse.parse(text, parsed.filename)
            node = parse.find_function(sub, name)
            program = stage.stage(
                sub,
                node,
                part_wrt,
                fusion=options.fusion,
                activity=options.activity,
                scalars={p for p, shape in shapes.items() if shape == ()},
            )
            varied = []
            if part_wrt is not None:
                token = NOT_ONE.set(taken_as_not_1)
                try:
                    modules[name] = sub_generate(text, name, part_wrt, shapes)
                finally:
                    NOT_ONE.reset(token)
                assumed.update(taken_as_not_1)
                for out, expr in zip(part.outputs, program.outputs, strict=False):
                    if isinstance(expr, ast.Name) and expr.id in program.varied:
                        varied.append(out)
        except BpgenError as exc:
            packed = _pack_across(function, part)
            if exc.lineno not in mapping and packed is not None:
                # the part's own `return`/parameters, not the user's text
                raise error(
                    packed,
                    f"`{ast.unparse(packed.targets[0])}`, a list or tuple of "
                    "arrays, is read on both sides of a loop that runs at run "
                    "time; bpgen passes only arrays and numbers across such a loop",
                    "loop a fixed number of times (`range(len(Ws))`, `for W in "
                    "(W1, W2):`), or use the names it holds in the loop",
                ) from None
            raise _remap(exc, mapping, lines, offset) from None
        memo[key] = (
            list(program.wrt),
            varied,
            modules.get(name),
            outs.get(name),
            taken_as_not_1,
        )
        return memo[key][:2]

    numpy = next(
        (local for local, full in parsed.imports.items() if full == "numpy"), None
    )  # None: a scalar module, whose zeros are 0.0
    composer = Composer(
        planner, fname, wrt, generate_part, numpy, set(parsed.functions)
    )
    if wrt is None and not composer.wrt:
        raise error(function, "no parameter of the function carries a gradient", None)
    if declared:  # values carried through the loops keep their shapes
        prove_carried(planner, declared, carried, outs, generate_part, assumed)
    tree = ast.parse(parsed.text)
    composer.helpers = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}
    guard, np_name = "", numpy or "np"
    if options.guards:  # the declared shapes, checked once in the forward
        np_name = numpy or planner.fresh("np")  # a scalar module: imported below
        composer.guard, guard = guard_lines(
            declared,
            assumed,
            np_name,
            planner.fresh("_check_shapes"),
            proven_arrays(function),
            # `len` is the builtin unless the function or module binds it
            "len" not in planner.locals | set(parsed.functions)
            and "len" not in set(parsed.constants) | set(parsed.imports),
        )
    code = composer.composite() + guard
    imports = [f"import numpy as {np_name}"] if guard and numpy is None else []
    imports += [
        # a node parsed from this very text always has its position
        cast(str, ast.get_source_segment(parsed.text, n))
        for n in tree.body
        if isinstance(n, (ast.Import, ast.ImportFrom))
        and "bpgen" not in ast.unparse(n)
        and not (isinstance(n, ast.ImportFrom) and n.module == "__future__")
    ]
    helpers = module_helpers(tree, parsed.text, code)
    code = "\n".join(imports) + "\n\n\n" + "".join(h + "\n\n\n" for h in helpers) + code
    parts = sorted(planner.parts, key=lambda p: p.stmts[0].lineno)
    texts = [modules[p.name] for p in parts if p.name]
    return texts, code, composer.wrt
