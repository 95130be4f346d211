"""Driving the pipeline: plan the function, generate each part as a function
of its own (errors pointed back at the user's lines), compose the whole."""

from __future__ import annotations

import ast
from typing import cast

from ..errors import BpgenError, UnsupportedError
from .compose import Composer
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
    parsed, fname: str, wrt, options, sub_generate
) -> tuple[list[str], str, list[str]]:
    """The parts' generated modules, the composite's text and the wrt used."""
    from .. import parse, stage

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

    def generate_part(part: Part, name: str, part_wrt):
        key = (id(part), None if part_wrt is None else tuple(part_wrt))
        if key in memo:
            return memo[key]
        text, mapping = part_source(planner, part, name, span)
        try:
            sub = parse.parse(text, parsed.filename)
            node = parse.find_function(sub, name)
            program = stage.stage(
                sub, node, part_wrt, fusion=options.fusion, activity=options.activity
            )
            varied = []
            if part_wrt is not None:
                modules[name] = sub_generate(text, name, part_wrt)
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
        memo[key] = (list(program.wrt), varied)
        return memo[key]

    numpy = next(
        (local for local, full in parsed.imports.items() if full == "numpy"), None
    )  # None: a scalar module, whose zeros are 0.0
    composer = Composer(
        planner, fname, wrt, generate_part, numpy, set(parsed.functions)
    )
    if wrt is None and not composer.wrt:
        raise error(function, "no parameter of the function carries a gradient", None)
    tree = ast.parse(parsed.text)
    composer.helpers = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}
    code = composer.composite()
    imports = [
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
