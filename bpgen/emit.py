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
import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

from . import fastpath
from .blocks import Block
from .handout import LIKE, LIKE_HELPER
from .ir import Branch, leaves
from .kinds import proven_arrays
from .lower import MATH, NP, placeholder
from .renest import renest
from .reverse import UNBROADCAST, Backward, Namer
from .spell import Speller
from .stage import Program, SetItem, Stage, makes_array
from .tags import of
from .xent import SOFTMAX_PICK, SOFTMAX_PICK_HELPER

LINE_LENGTH = 88

# The sums are ndarray methods: np.sum's dispatch costs 2-3 µs a call (about
# 10% of summing a 256x512 array over an axis); size-1 axes are summed with
# keepdims, so no reshape.
UNBROADCAST_HELPER = '''def {name}(grad, shape):
    """Sum grad over the axes along which NumPy broadcast a value of this shape."""
    if getattr(grad, "shape", ()) == shape:
        return grad
    lead = grad.ndim - len(shape)
    ones = tuple(i for i, n in enumerate(shape, lead) if n == 1)
    if ones:
        grad = grad.sum(axis=ones, keepdims=True)
    return grad.sum(axis=tuple(range(lead))) if lead else grad
'''

CHECK_SHAPES = "\x00check_shapes\x00"
CHECK_SHAPES_HELPER = '''def {name}(**declared):
    """Raise ValueError unless every argument has its declared shape."""
    sizes = {{}}
    for arg, (value, dims) in declared.items():
        shape = {np}.shape(value)
        fits = len(shape) == len(dims)
        for dim, size in zip(dims, shape):
            if type(dim) is int:
                fits = fits and dim == size
            else:
                fits = fits and sizes.setdefault(dim, size) == size
        if not fits:
            known = [f"{{d}}={{sizes[d]}}" for d in dims if d in sizes]
            raise ValueError(
                f"{{arg}} has shape {{shape}}, declared ({{', '.join(map(str, dims))}})"
                + (f" with {{', '.join(known)}}" if known else "")
            )
'''


@dataclass
class Unit:
    """One differentiated function, ready to print."""

    program: Program
    backward: Backward
    guards: dict[str, tuple] = field(default_factory=dict)  # declared shapes
    renest: bool = False  # single-use temporaries back into their readers
    fastpath: bool = False  # one shared rank test per stage (fastpath.py)
    not_one: frozenset[str] = frozenset()  # declared names assumed not 1


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
    units: list[Unit],
    constants: list[tuple[str, ast.expr]],
    header: str,
    copies: tuple[list[str], list[str]] = ([], []),
) -> str:
    """`copies`: import lines and definitions of the user's functions the
    generated code calls (declared gradients of this module's functions)."""
    taken: set[str] = set()
    copied_imports, copied = copies
    for text in [*copied_imports, *copied]:  # the globals the copies read
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.FunctionDef):
                taken.add(node.name)
            elif isinstance(node, ast.Import | ast.ImportFrom):
                shared = isinstance(node, ast.Import) and node.names[0].name in (
                    "numpy",
                    "math",
                )  # the generated code may use the same alias for the same module
                if not shared:
                    taken |= {a.asname or a.name.split(".")[0] for a in node.names}
    for unit in units:
        taken |= unit.program.taken | set(unit.program.params)
        taken |= {unit.backward.dout, unit.backward.cache_name}
    taken |= {name for name, _ in constants}
    names = Namer(taken)
    aliases = {
        NP: names.take("np", "numpy", "np_"),
        MATH: names.take("math", "math_"),
        UNBROADCAST: names.take("_unbroadcast"),
        CHECK_SHAPES: names.take("_check_shapes"),
        LIKE: names.take("_like"),
        SOFTMAX_PICK: names.take("_softmax_pick"),
    }
    # other modules (a declared gradient's scipy.special): `import a.b as b`
    others = sorted(
        set().union(*(u.program.modules for u in units)) - {"numpy", "math"}
    )
    for other in others:
        head, short = other.partition(".")[0], other.rpartition(".")[2]
        free = head not in names.taken
        alias = names.take(head) and other if free else names.take(short, f"{short}_")
        aliases[placeholder(other)] = alias
    render = Renderer(aliases)
    functions = [_functions(unit, render) for unit in units]
    defined = [_fit(f"{name} = {render(value)}") for name, value in constants]
    helpers = []
    if CHECK_SHAPES in render.used:
        render.used.add(NP)
        helpers.append(
            CHECK_SHAPES_HELPER.format(name=aliases[CHECK_SHAPES], np=aliases[NP])
        )
    if UNBROADCAST in render.used:
        render.used.add(NP)
        helpers.append(
            UNBROADCAST_HELPER.format(name=aliases[UNBROADCAST], np=aliases[NP])
        )
    if LIKE in render.used:
        render.used.add(NP)
        helpers.append(LIKE_HELPER.format(name=aliases[LIKE], np=aliases[NP]))
    if SOFTMAX_PICK in render.used:
        render.used.add(NP)
        helper = SOFTMAX_PICK_HELPER.format(name=aliases[SOFTMAX_PICK], np=aliases[NP])
        helpers.append(helper)
    imports = []
    if MATH in render.used:
        imports.append(_import("math", aliases[MATH]))
    if NP in render.used:
        imports.append(_import("numpy", aliases[NP]))
    for other in others:
        if placeholder(other) in render.used:
            imports.append(_import(other, aliases[placeholder(other)]))
    imports += [line for line in copied_imports if line not in imports]
    # blank lines as black puts them, so black's output is its input
    top = "\n\n".join(p for p in [header, "\n".join(imports), "\n".join(defined)] if p)
    parts = [top, *(p.strip("\n") for p in [*helpers, *copied, *functions])]
    text = "\n\n\n".join(parts) + "\n"
    # spell.py wrote black's spelling of every node it knew; if it met one
    # it did not, black settles the whole module (tests check the rest)
    return black_format(text) if render.speller.unsure else text


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


def _forward(
    stage: Stage, render: Callable[[ast.expr], str], same: dict[str, str] | None = None
) -> list[str]:
    """The forward lines of one stage. An item assignment writes into a copy,
    or into the array itself where nothing reads the old items afterwards
    (`same` maps such a version to the array it shares)."""
    same = same or {}
    value = _Renamed(same).visit(stage.value) if same else stage.value
    if isinstance(value, SetItem):
        target = same.get(stage.target, stage.target)
        item = ast.Subscript(ast.Name(target, ast.Load()), value.index)
        written = f"{render(item)} = {render(value.item)}"
        if target != stage.target:
            return [written]
        return [f"{target} = {render(value.array)}.copy()", written]
    if of(value).effect:  # print(...): the call alone, as the user wrote it
        return [render(value)]
    return [f"{stage.target} = {render(value)}"]


class _Renamed(ast.NodeTransformer):
    """Renames in place: the arrays written into keep one name throughout."""

    def __init__(self, names: dict[str, str]) -> None:
        self.names = names

    def visit_Name(self, node: ast.Name) -> ast.Name:
        return ast.Name(self.names.get(node.id, node.id), node.ctx)


def _written_in_place(unit: Unit) -> dict[str, str]:
    """Item assignments whose old array nothing reads afterwards (no later
    stage, not the cache, not the output): version -> the array written into."""
    program, backward = unit.program, unit.backward
    cached = set(backward.cache) | set(program.params)
    outputs = {o.id for o in program.outputs if isinstance(o, ast.Name)}
    same: dict[str, str] = {}
    stages = list(leaves(backward.forward))
    for i, stage in enumerate(stages):
        value = stage.value
        if not isinstance(value, SetItem):
            continue
        array = value.array.id
        made = next((s for s in stages[:i] if s.target == same.get(array, array)), None)
        if made is None or not makes_array(made):
            continue  # a view of a temporary the backward may read: copy
        # the array and every view of it made so far keep their items
        sharing = {array}
        for before in stages[:i]:
            if _names(before.value) & sharing and not makes_array(before):
                sharing.add(before.target)
        later = set().union(*(_names(s.value) for s in stages[i + 1 :]))
        if sharing & (cached | outputs | later):
            continue
        same[stage.target] = same.get(array, array)
    return same


def _names(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


def _functions(unit: Unit, render: Renderer) -> str:
    program, backward = unit.program, unit.backward
    name = program.name
    lines = [
        _fit(f"def {name}_forward({render(program.signature)}):"),
        f'    """Run {name}; return its value and what {name}_backward needs."""',
    ]
    if unit.guards and program.scalar:  # every one 0-d: no NumPy to call
        lines += scalar_guard_lines(list(unit.guards))
    elif unit.guards:
        taken = program.taken | set(program.params)
        # a list or a number where an array is declared: to the explaining call
        loose = set(unit.guards) - proven_arrays(program.stages, program.params)
        np = aliases_np(render)
        typed = {p: f"{np}.ndarray" for p in loose if unit.guards[p] != ()}
        lines += _guard_lines(unit.guards, render, "len" not in taken, typed, np)
        lines += _not_one_lines(unit.guards, unit.not_one)
    lines += [_fit(f"    {ast.unparse(check)}") for check in program.checks]
    branched = any(isinstance(node, Branch) for node in backward.forward)
    same = {} if branched else _written_in_place(unit)
    body: list[Stage] | list[Stage | Branch] = backward.forward
    printed: dict[str, Stage] = {}  # the forward as printed, when re-nested
    if unit.renest and not branched and not same:
        body = _renested(unit, render)
        printed = {stage.target: stage for stage in body}

    def forward(stage: Stage) -> list[str]:
        return _forward(stage, render, same)

    lines += _nest(body, forward, set(backward.cache))
    outputs = [render(_Renamed(same).visit(o) if same else o) for o in program.outputs]
    value = _tuple(outputs) if program.returns_tuple else outputs[0]
    shaped = {n: same.get(v, v) for n, v in backward.shapes.items()}
    saved = [
        f"{aliases_np(render)}.shape({shaped[n]})" if n in shaped else same.get(n, n)
        for n in backward.cache
    ]
    lines.append(_wrapped(f"    return {value}, (", saved, ")"))
    lines += [
        "",
        "",
        _fit(f"def {name}_backward({backward.dout}, {backward.cache_name}):"),
        f'    """Gradients of {name} with respect to {", ".join(program.wrt)}."""',
    ]
    # an array written into in place keeps its name in the backward too
    cache = [same.get(n, n) for n in backward.cache]
    if cache:
        if len(cache) == 1:
            lines.append(_fit(f"    ({cache[0]},) = {backward.cache_name}"))
        else:
            unpack = _wrapped("    ", cache, f" = {backward.cache_name}", "(")
            lines.append(unpack)

    # a stage re-nested into its reader shares the reader's comment
    home = _homes(printed, leaves(backward.forward)) if printed else {}
    commented: list[str | None] = [None]

    def undo(block: Block) -> list[str]:
        text = []
        if block.stage is not None:
            target = home.get(block.stage.target, block.stage.target)
            if target not in home.values() or target != commented[0]:
                stage = printed.get(target, block.stage)
                text.append(f"# {_forward(stage, render.comment, same)[-1]}")
            commented[0] = target
        elif block.note:
            text.append(f"# {block.note}")
        for statement in block.statements:
            renamed = _Renamed(same).visit(statement) if same else statement
            text.append(render(renamed))
        return text

    blocks = backward.blocks
    if unit.fastpath and not program.scalar:  # only NumPy code tests ranks
        blocks = fastpath.split(
            blocks, lambda test: render(_Renamed(same).visit(test) if same else test)
        )
    lines += _nest(blocks, undo, set())
    lines.append(_fit(f"    return {_tuple(backward.returns)}"))
    return "\n".join(lines)


def _renested(unit: Unit, render: Renderer) -> list[Stage]:
    """renest.py's forward: what it may not touch, and how wide a line is."""
    program, backward = unit.program, unit.backward
    kept = set(backward.cache) | set(backward.shapes.values()) | set(program.params)
    kept |= set().union(*(_names(o) for o in program.outputs))
    measure = Renderer(render.aliases)  # marks nothing used in `render`

    def one_line(target: str, value: ast.expr) -> bool:
        return fits(f"    {target} = {measure(value)}")

    # the caller re-nests only a forward without branches: stages alone
    return renest(
        cast("list[Stage]", backward.forward), program.unnamed, kept, one_line
    )


def _homes(printed: dict[str, Stage], staged) -> dict[str, str]:
    """Each stage re-nested away -> the printed stage that now holds it (the
    next one printed: renest.py takes in only the run right above a reader)."""
    homes: dict[str, str] = {}
    waiting: list[str] = []
    for stage in staged:
        if stage.target in printed:
            homes |= dict.fromkeys(waiting, stage.target)
            waiting = []
        else:
            waiting.append(stage.target)
    return homes


def _nest(
    body: list,
    text: Callable[[Any], list[str]],
    cached: set[str],
    level: int = 0,
    top: bool = True,
) -> list[str]:
    """The lines of a region (ir.py): each leaf's `text`, branches as
    `if cond:` / `elif` / `else:`; `level` counts indentation.

    At the outermost branch, a cached name only some paths assign starts as
    None, so the cache can always be built."""
    lines: list[str] = []
    for node in body:
        if not isinstance(node, Branch):
            lines += [_fit_at(line, level) for line in text(node)]
            continue
        if top and cached:
            both = _assigned(node.then) & _assigned(node.orelse)
            made = dict.fromkeys(
                getattr(leaf, "target", None) for leaf in leaves([node])
            )
            unset = [name for name in made if name in cached and name not in both]
            if unset:
                lines.append(_fit_at(" = ".join([*unset, "None"]), level))
        lines += _chain(node, text, cached, level, "if")
    return lines


def _assigned(body: list) -> set[str]:
    """The names a region's own stages assign (not those of branches in it)."""
    return {node.target for node in body if isinstance(node, Stage)}


def _chain(branch: Branch, text, cached, level, keyword) -> list[str]:
    """`if c:` and its arms; an `else` holding only another branch is `elif`."""
    indent = "    " * (level + 1)
    if not branch.then:
        head = f"{indent}{keyword} not {branch.condition}:"
        return [head, *_nest(branch.orelse, text, cached, level + 1, False)]
    lines = [f"{indent}{keyword} {branch.condition}:"]
    lines += _nest(branch.then, text, cached, level + 1, False)
    orelse = branch.orelse
    if not orelse:
        return lines
    if len(orelse) == 1 and isinstance(orelse[0], Branch) and orelse[0].then:
        return lines + _chain(orelse[0], text, cached, level, "elif")
    return [*lines, f"{indent}else:", *_nest(orelse, text, cached, level + 1, False)]


def _fit_at(line: str, depth: int) -> str:
    """`_fit` for a line nested `depth` branches deep in a function body."""
    if line.startswith("#"):  # black leaves comments as they are
        return "    " * (depth + 1) + line
    if not depth:
        return _fit(f"    {line}")
    indented = "    " * (depth + 1) + line
    if fits(indented):
        return indented
    return _fit_nested(indented, depth)


@functools.lru_cache(maxsize=1024)
def _fit_nested(indented: str, depth: int) -> str:
    """black's split of a line `depth` branches deep, memoised as `_fit` is."""
    headers = "".join("    " * (k + 1) + "if _:\n" for k in range(depth))
    text = black_format(f"def _():\n{headers}{indented}\n")
    return text.split("\n", depth + 1)[depth + 1].rstrip("\n")


def scalar_guard_lines(names: list[str]) -> list[str]:
    """The guard of arguments all declared 0-d, without NumPy: a number or a
    0-d array passes, any larger array raises."""
    test = " or ".join(f'getattr({n}, "ndim", 0)' for n in names)
    message = f"{', '.join(names)}: declared 0-d (a number), given an array"
    test = _fit(f"    if {test}:", "        pass")  # black splits a long one
    return [test, _fit_at(f'raise ValueError("{message}")', 1)]


def _guard_lines(
    declared: dict[str, tuple],
    render: Renderer,
    builtin_len: bool = True,
    typed: dict[str, str] | None = None,
    np: str = "np",
) -> list[str]:
    """`if x.ndim != 2 or len(W) != x.shape[1]:` and under it the call
    that explains: a few attribute reads (~0.1 us) where the call, with its
    keyword dict and loop, costs ~2 us on every forward. `builtin_len`:
    no parameter or global of the module is called `len`. `typed`: the
    arguments whose type is tested first (`type(y) is not np.ndarray`), the
    ones the forward does not prove arrays (a list of labels)."""
    test = _mismatch(declared, builtin_len, typed or {}, np)
    test = _fit(f"    if {test}:", "        pass")
    return [test, _fit_at(render(_guard(declared)), 1)]


def _not_one_lines(declared: dict[str, tuple], not_one: frozenset[str]) -> list[str]:
    """A declared name that met a size that may be 1 in a broadcast was
    taken for the result's size: `if len(g) == 1: raise ValueError(...)`
    where the argument gives it size 1 (declare such an axis `1`)."""
    lines = []
    for dim in sorted(not_one):
        at = next(
            (
                (n, dims.index(dim))
                for n, dims in declared.items()
                if dims and dim in dims
            ),
            None,
        )
        if at is None:
            continue
        name, axis = at
        message = (
            f"{name} has size 1 on axis {axis}, declared {dim}: declare an "
            "axis that broadcasts as 1"
        )
        lines += [
            _fit(f"    if {name}.shape[{axis}] == 1:"),
            _fit_at(f"raise ValueError({message!r})", 1),
        ]
    return lines


def _mismatch(
    declared: dict[str, tuple],
    builtin_len: bool = True,
    typed: dict[str, str] | None = None,
    np: str = "np",
) -> str:
    """True exactly when some argument does not have its declared shape.
    An argument whose sizes are all known by then is one tuple comparison
    (`b.shape != (W.shape[1],)`); one that names a new size has its rank
    tested first, so that every index read after the ranks exists. The
    leading size is `len(x)`: no shape tuple is built for it."""
    ranks, sizes = [], []
    first: dict[str, str] = {}
    for name, dims in declared.items():
        if dims == ():  # a float or a 0-d array, never a larger array
            ranks.append(f"{np}.ndim({name}) != 0")
            continue
        twin = next((n for n, d in declared.items() if d == dims), name)
        if twin != name and None not in dims:  # `mask.shape != x.shape`
            sizes.append(f"{name}.shape != {twin}.shape")
            continue
        known = all(type(d) is int or d in first for d in dims)
        if known:
            spelled = [str(d) if type(d) is int else first[d] for d in dims]
            sizes.append(f"{name}.shape != {_shape_tuple(spelled)}")
            continue
        ranks.append(f"{name}.ndim != {len(dims)}")
        for axis, dim in enumerate(dims):
            short = axis == 0 and builtin_len
            size = f"len({name})" if short else f"{name}.shape[{axis}]"
            if type(dim) is int:
                sizes.append(f"{size} != {dim}")
            elif dim is not None and dim in first:
                sizes.append(f"{size} != {first[dim]}")
            elif dim is not None:
                first[dim] = size
    types = [f"type({n}) is not {t}" for n, t in (typed or {}).items()]
    return " or ".join(sorted(types) + ranks + sizes)


def _shape_tuple(sizes: list[str]) -> str:
    return f"({sizes[0]},)" if len(sizes) == 1 else f"({', '.join(sizes)})"


def _guard(declared: dict[str, tuple]) -> ast.expr:
    """`_check_shapes(x=(x, ("N", "D")), ...)`, which raises naming the
    argument, its shape and the declared one; `_` matches any size."""
    anonymous = iter(range(1, 1000))
    keywords = []
    for name, dims in declared.items():
        spelled = [f"_{next(anonymous)}" if d is None else d for d in dims]
        value = ast.Tuple([ast.Constant(d) for d in spelled], ast.Load())
        pair = ast.Tuple([ast.Name(name, ast.Load()), value], ast.Load())
        keywords.append(ast.keyword(name, pair))
    return ast.Call(ast.Name(CHECK_SHAPES, ast.Load()), [], keywords)


def fits(line: str) -> bool:
    """Surely within black's line length (a wide character counts two)."""
    if line.isascii():
        return len(line) <= LINE_LENGTH
    return 2 * len(line) <= LINE_LENGTH


@functools.lru_cache(maxsize=1024)
def _fit(line: str, body: str = "") -> str:
    """One statement as black writes it: as is when it fits, else black's
    split of it alone, at its own indentation (a split never depends on the
    lines around it). Memoised: black takes ~7 ms on one nested statement,
    and the functions of one module often repeat a statement exactly."""
    if fits(line):
        return line
    if line.startswith("def "):
        return black_format(f"{line}\n    pass\n")[: -len("    pass\n")].rstrip("\n")
    if body:  # a compound statement's header, black split with `body` under it
        text = black_format(f"def _():\n{line}\n{body}\n").split("\n", 1)[1]
        return text.rstrip("\n")[: -len(body)].rstrip("\n")
    if line.startswith("    "):
        return black_format(f"def _():\n{line}\n").split("\n", 1)[1].rstrip("\n")
    return black_format(line + "\n").rstrip("\n")


def black_format(text: str) -> str:
    """black, in the mode bpgen's output is in (the benchmarks compare with it)."""
    import black

    mode = black.Mode(
        target_versions={black.TargetVersion.PY310},
        line_length=88,
        string_normalization=True,
        magic_trailing_comma=True,
    )
    return black.format_str(text, mode=mode)
