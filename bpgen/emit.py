"""Write the generated module as text, already in black's pinned style.

Every line is written as black writes it (spell.py); the few statements
longer than a line go to black one at a time, and black sees the whole
module only when spell.py met a node whose spelling it leaves to black. The
tests check that the result is exactly black's output of itself.

The module is standalone: it imports only math and/or NumPy (under names
that cannot collide with the user's), never bpgen.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from .lower import MATH, NP
from .reverse import UNBROADCAST, Backward, Namer
from .spell import Speller
from .stage import Program

LINE_LENGTH = 88

UNBROADCAST_HELPER = '''def {name}(grad, shape):
    """Sum grad over the axes along which NumPy broadcast a value of this shape."""
    if getattr(grad, "shape", ()) == shape:
        return grad
    lead = {np}.ndim(grad) - len(shape)
    axes = tuple(range(lead)) + tuple(lead + i for i, n in enumerate(shape) if n == 1)
    summed = {np}.sum(grad, axis=axes)
    return summed.reshape(shape) if shape else summed
'''


@dataclass
class Unit:
    """One differentiated function, ready to print."""

    program: Program
    backward: Backward


@dataclass
class Renderer:
    """Spells nodes as black does, placeholders with real names, and
    remembers which placeholders were used."""

    aliases: dict[str, str]
    used: set[str] = field(default_factory=set)
    speller: Speller = field(default_factory=Speller)
    commenter: Speller = field(default_factory=lambda: Speller(black=False))

    def __call__(self, node: ast.AST) -> str:
        speller = self.speller
        if isinstance(node, ast.stmt):
            text = speller.stmt(node)
        elif isinstance(node, ast.arguments):
            text = speller.arguments(node)
        else:
            text = speller.expr(node)
        return self._names(text)

    def comment(self, node: ast.expr) -> str:
        """A forward line in a comment: black leaves comments as they are."""
        return self._names(self.commenter.expr(node))

    def _names(self, text: str) -> str:
        if "\x00" in text:
            for placeholder, name in self.aliases.items():
                if placeholder in text:
                    self.used.add(placeholder)
                    text = text.replace(placeholder, name)
        return text


def module(
    units: list[Unit], constants: list[tuple[str, ast.expr]], header: str
) -> str:
    taken: set[str] = set()
    for unit in units:
        taken |= unit.program.taken | set(unit.program.params)
        taken |= {unit.backward.dout, unit.backward.cache_name}
    taken |= {name for name, _ in constants}
    names = Namer(taken)
    aliases = {
        NP: names.take("np", "numpy", "np_"),
        MATH: names.take("math", "math_"),
        UNBROADCAST: names.take("_unbroadcast"),
    }
    render = Renderer(aliases)
    functions = [_functions(unit, render) for unit in units]
    defined = [_fit(f"{name} = {render(value)}") for name, value in constants]
    helpers = []
    if UNBROADCAST in render.used:
        render.used.add(NP)
        helpers.append(
            UNBROADCAST_HELPER.format(name=aliases[UNBROADCAST], np=aliases[NP])
        )
    imports = []
    if MATH in render.used:
        imports.append(_import("math", aliases[MATH]))
    if NP in render.used:
        imports.append(_import("numpy", aliases[NP]))
    # blank lines as black puts them, so black's output is its input
    top = "\n\n".join(p for p in [header, "\n".join(imports), "\n".join(defined)] if p)
    parts = [top, *(p.strip("\n") for p in [*helpers, *functions])]
    text = "\n\n\n".join(parts) + "\n"
    # spell.py wrote black's spelling of every node it knew; if it met one
    # it did not, black settles the whole module (tests check the rest)
    return _format(text) if render.speller.unsure else text


def _import(module: str, alias: str) -> str:
    return f"import {module}" if module == alias else f"import {module} as {alias}"


def _tuple(names: list[str]) -> str:
    if len(names) == 1:
        return f"({names[0]},)"
    return "(" + ", ".join(names) + ")"


def aliases_np(render: Renderer) -> str:
    render.used.add(NP)
    return render.aliases[NP]


def _wrapped(head: str, names: list[str], tail: str, bracket: str = "") -> str:
    """A tuple on one line, or one name per line when too long: the shape
    black gives it, so black has no long line to split."""
    inner = ", ".join(names) + ("," if len(names) == 1 and not bracket else "")
    line = f"{head}{inner}{tail}"
    if fits(line):
        return line
    if not line.isascii():
        return _fit(line)
    close = ")" if bracket else ""
    items = [f"        {n}," for n in names]
    return "\n".join([head + bracket, *items, f"    {close}{tail}"])


def _functions(unit: Unit, render: Renderer) -> str:
    program, backward = unit.program, unit.backward
    name = program.name
    lines = [
        _fit(f"def {name}_forward({render(program.signature)}):"),
        f'    """Run {name}; return its value and what {name}_backward needs."""',
    ]
    for stage in backward.stages:
        lines.append(_fit(f"    {stage.target} = {render(stage.value)}"))
    outputs = [render(o) for o in program.outputs]
    value = _tuple(outputs) if program.returns_tuple else outputs[0]
    saved = [
        (
            f"{aliases_np(render)}.shape({backward.shapes[n]})"
            if n in backward.shapes
            else n
        )
        for n in backward.cache
    ]
    lines.append(_wrapped(f"    return {value}, (", saved, ")"))
    lines += [
        "",
        "",
        _fit(f"def {name}_backward({backward.dout}, {backward.cache_name}):"),
        f'    """Gradients of {name} with respect to {", ".join(program.wrt)}."""',
    ]
    if backward.cache:
        if len(backward.cache) == 1:
            lines.append(_fit(f"    ({backward.cache[0]},) = {backward.cache_name}"))
        else:
            unpack = _wrapped("    ", backward.cache, f" = {backward.cache_name}", "(")
            lines.append(unpack)
    for block in backward.blocks:
        if block.stage is not None:
            stage = block.stage
            lines.append(f"    # {stage.target} = {render.comment(stage.value)}")
        elif block.note:
            lines.append(f"    # {block.note}")
        for statement in block.statements:
            lines.append(_fit(f"    {render(statement)}"))
    lines.append(_fit(f"    return {_tuple(backward.returns)}"))
    return "\n".join(lines)


def fits(line: str) -> bool:
    """Surely within black's line length (a wide character counts two)."""
    if line.isascii():
        return len(line) <= LINE_LENGTH
    return 2 * len(line) <= LINE_LENGTH


def _fit(line: str) -> str:
    """One statement as black writes it: as is when it fits, else black's
    split of it alone, at its own indentation (a split never depends on the
    lines around it)."""
    if fits(line):
        return line
    if line.startswith("def "):
        return _format(f"{line}\n    pass\n")[: -len("    pass\n")].rstrip("\n")
    if line.startswith("    "):
        return _format(f"def _():\n{line}\n").split("\n", 1)[1].rstrip("\n")
    return _format(line + "\n").rstrip("\n")


def _format(text: str) -> str:
    import black

    mode = black.Mode(
        target_versions={black.TargetVersion.PY310},
        line_length=88,
        string_normalization=True,
        magic_trailing_comma=True,
    )
    return black.format_str(text, mode=mode)
