"""Circuit diagrams: the staged function as the seed draws it, values and all.

    bpgen model.py -f f --graph f.svg --at x=3,y=-4
    bpgen.circuit(f, x=3, y=-4)          # displays inline in Jupyter

(`bpgen.circuit` loads this module on first use: `import bpgen` stays light.)

Each parameter and each stage is a node (the gate, and the line it stands
for); wires run from the values a stage reads to the stage. Above a node is
its forward value at the given point, below it the gradient of the output
with respect to it (summed over its uses: what the backward's `d<name>`
holds when the backward pass is done). Arrays are shown by shape, mean and
range.

The numbers come from bpgen's own generated code, run at that point: the
module is generated without peepholes (every stage keeps its `d<name>`), and
its forward and backward are run returning their locals. The gate names come
from the staging step; this module is the one place outside the pipeline
that reads it. The layout is a small layered one written here (layers by
depth, left to right), so no system program (Graphviz's `dot`) is needed.
"""

from __future__ import annotations

import ast
import dataclasses
import re
import types
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import BpgenError, UsageError
from .options import Options

__all__ = ["Circuit", "circuit", "parse_point"]

_SYMBOLS = {
    "add": "+",
    "sub": "−",
    "mul": "×",
    "div": "÷",
    "neg": "−x",
    "matmul": "@",
    "square": "x²",
}


@dataclass
class Node:
    """One value of the circuit: a parameter or a stage's output."""

    name: str
    label: str  # the gate ("sigmoid", "+"), or "input"
    expression: str  # the stage as the generated forward writes it
    value: Any
    grad: Any  # None: no gradient reaches it
    layer: int = 0
    row: float = 0.0
    output: bool = False


@dataclass
class Circuit:
    """The staged circuit of one function at one point; displays as SVG."""

    function: str
    point: dict[str, Any]
    nodes: list[Node]
    edges: list[tuple[str, str]]
    svg: str = field(repr=False, default="")

    def _repr_svg_(self) -> str:
        return self.svg

    def _repr_html_(self) -> str:
        """For front ends that show HTML but not SVG (the same drawing)."""
        return f'<div class="bpgen-circuit">{self.svg}</div>'

    def save(self, path: str | Path) -> None:
        """Write the SVG to `path` (atomically)."""
        from ._files import atomic_write

        atomic_write(path, self.svg.encode("utf-8"))


def circuit(function: Callable[..., Any], /, **values: Any) -> Circuit:
    """The circuit of `function` (a top-level function of a .py file, plain
    or `@bpgen.differentiable`) at the point `values`, e.g. x=3, y=-4."""
    if not isinstance(function, types.FunctionType):
        raise UsageError(
            f"bpgen.circuit draws a function, not {type(function).__name__}",
            hint="pass the function itself: bpgen.circuit(f, x=3, y=-4)",
        )
    from .decorator import _source_lines, _unavailable

    lines = _source_lines(function)
    if not lines:
        raise _unavailable(function)
    return build(
        "".join(lines),
        function.__name__,
        values,
        filename=function.__code__.co_filename,
    )


def build(
    source: str,
    function: str,
    values: Mapping[str, Any],
    *,
    filename: str = "<source>",
    wrt: list[str] | None = None,
    options: Options | None = None,
) -> Circuit:
    """The circuit of `function` in `source` at `values`, with its SVG."""
    from .generate import generate

    options = options or Options()
    plain = dataclasses.replace(options, simplify=False)
    text = generate(source, function, wrt, filename=filename, options=plain)
    forward, backward, params, wrt_names = _instrument(text, function)
    missing = [p for p in params if p not in values]
    unknown = [name for name in values if name not in params]
    if missing or unknown:
        parts = []
        if missing:
            parts.append("no value for " + ", ".join(missing))
        if unknown:
            parts.append(f"{', '.join(unknown)} not a parameter of {function}()")
        raise UsageError(
            "; ".join(parts),
            filename=filename,
            hint=f"give every parameter a value, e.g. {_example(params)}",
        )
    point = {name: _number(values[name]) for name in params}
    (out, cache), seen = forward(**point)
    dout = _ones(out)
    grads, adjoints = backward(dout, cache)
    gates = _gates(source, function, filename, wrt, options)

    steps = _steps(text, function)
    outputs = _output_names(text, function)
    taken = set(seen) | set(params)
    nodes = []
    for name in params:
        grad = grads[wrt_names.index(name)] if name in wrt_names else None
        nodes.append(Node(name, "input", name, point[name], grad))
    defined = set(params)
    edges: list[tuple[str, str]] = []
    for target, expression, reads in steps:
        grad = dout if target in outputs and len(outputs) == 1 else None
        if grad is None:
            grad = _adjoint(target, taken, adjoints)
        gate = gates.get(target)
        label = _SYMBOLS.get(gate or "", gate or "")
        nodes.append(Node(target, label, expression, seen.get(target), grad))
        for name in reads:
            if name in defined and (name, target) not in edges:
                edges.append((name, target))
        defined.add(target)
    for node in nodes:
        node.output = node.name in outputs
    result = Circuit(function, point, nodes, edges)
    result.svg = render(result)
    return result


def parse_point(text: str) -> dict[str, Any]:
    """`x=3,y=-4` (or `w=[[1, 2], [3, 4]]`) as {"x": 3.0, "y": -4.0, ...}."""
    values: dict[str, Any] = {}
    for item in re.split(r",(?=\s*[A-Za-z_]\w*\s*=)", text.strip()):
        name, equals, literal = item.partition("=")
        name = name.strip()
        if not equals or not name.isidentifier():
            raise UsageError(
                f"--at: cannot read {item!r}",
                hint="write NAME=VALUE,..., e.g. x=3,y=-4",
            )
        try:
            values[name] = ast.literal_eval(literal.strip())
        except (ValueError, SyntaxError):
            raise UsageError(
                f"--at: {name}={literal.strip()} is not a number or a list of numbers",
                hint="for example x=3,y=-4 or w=[[1, 2], [3, 4]]",
            ) from None
    return values


# -- running the generated code ----------------------------------------------------


def _instrument(text: str, function: str):
    """The generated forward and backward, each also returning its locals."""
    tree = ast.parse(text)
    params: list[str] = []
    wrt: list[str] = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name in (
            f"{function}_forward",
            f"{function}_backward",
        ):
            last = node.body[-1]
            assert isinstance(last, ast.Return) and last.value is not None
            call = ast.Call(ast.Name("locals", ast.Load()), [], [])
            last.value = ast.Tuple([last.value, call], ast.Load())
            if node.name.endswith("_forward"):
                params = [a.arg for a in [*node.args.args, *node.args.kwonlyargs]]
            else:
                doc = ast.get_docstring(node) or ""
                wrt = [
                    w.strip() for w in doc.split("respect to ", 1)[-1][:-1].split(",")
                ]
    ast.fix_missing_locations(tree)
    namespace: dict[str, Any] = {"__name__": f"<bpgen circuit {function}>"}
    exec(compile(tree, f"<bpgen circuit {function}>", "exec"), namespace)  # noqa: S102
    return (
        namespace[f"{function}_forward"],
        namespace[f"{function}_backward"],
        params,
        wrt,
    )


def _steps(text: str, function: str) -> list[tuple[str, str, list[str]]]:
    """(target, expression, names read) of each line of the generated forward."""
    tree = ast.parse(text)
    (forward,) = [
        n for n in tree.body if isinstance(n, ast.FunctionDef)
        and n.name == f"{function}_forward"
    ]  # fmt: skip
    steps = []
    for statement in forward.body:
        if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
            target = statement.targets[0]
            if isinstance(target, ast.Name):
                reads = [
                    n.id
                    for n in ast.walk(statement.value)
                    if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)
                ]
                steps.append((target.id, ast.unparse(statement.value), reads))
    return steps


def _output_names(text: str, function: str) -> list[str]:
    tree = ast.parse(text)
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == f"{function}_forward":
            last = node.body[-1]
            assert isinstance(last, ast.Return) and isinstance(last.value, ast.Tuple)
            out = last.value.elts[0]
            items = out.elts if isinstance(out, ast.Tuple) else [out]
            return [n.id for n in items if isinstance(n, ast.Name)]
    return []  # pragma: no cover


def _gates(
    source: str,
    function: str,
    filename: str,
    wrt: list[str] | None,
    options: Options,
) -> dict[str, str]:
    """Each stage's gate, from the staging step (the one internal API used)."""
    from . import parse, stage

    try:
        parsed = parse.parse(source, filename)
        node = parse.find_function(parsed, function)
        program = stage.stage(
            parsed, node, wrt, fusion=options.fusion, activity=options.activity
        )
    except BpgenError:  # pragma: no cover -- generate() already accepted it
        return {}
    return {s.target: s.gate for s in program.stages if s.gate}


def _adjoint(name: str, taken: set[str], adjoints: Mapping[str, Any]) -> Any:
    """The backward's gradient of `name`, spelled as bpgen's namer spells it."""
    for candidate in (f"d{name}", f"d_{name}", f"grad_{name}"):
        if candidate not in taken:
            return adjoints.get(candidate)
    return None


def _number(value: Any) -> Any:
    import numpy as np

    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return float(value)
    if isinstance(value, (list, tuple)):
        return np.asarray(value, dtype=np.float64)
    return value


def _ones(out: Any) -> Any:
    import numpy as np

    if isinstance(out, tuple):
        return tuple(_ones(o) for o in out)
    if isinstance(out, np.ndarray):
        return np.ones_like(out, dtype=np.float64)
    return 1.0


def _example(params: list[str]) -> str:
    return ", ".join(f"{p}=1.0" for p in params)


# -- layout and drawing ---------------------------------------------------------------

FONT = 'font-family="DejaVu Sans Mono, Menlo, Consolas, monospace"'
CHAR = 7.3  # width of one character at 12px, for box sizes
ROW = 96
GAP = 64
MARGIN = 24
BOX_H = 40


def show(value: Any) -> str:
    """A value as the diagram prints it: 4 significant digits, or an array's
    shape, mean and range."""
    import numpy as np

    if value is None:
        return "no gradient"
    if isinstance(value, tuple):
        return "(" + ", ".join(show(v) for v in value) + ")"
    array = np.asarray(value)
    if array.ndim == 0:
        number = float(array)
        if number == 0:
            return "0"
        return f"{number:.4g}".replace("-", "−")
    shape = "×".join(str(n) for n in array.shape)
    if array.size == 0:
        return f"[{shape}]"
    stats = f"μ {show(array.mean())} in [{show(array.min())}, {show(array.max())}]"
    return f"[{shape}] {stats}"


def layout(result: Circuit) -> dict[tuple[str, str], list[tuple[int, float]]]:
    """Layers by depth from the inputs, rows by the mean row of what a node
    reads (one sweep). A wire that skips layers gets a placeholder in each
    layer it crosses, so it runs between boxes, never through one; returns
    those (layer, row) waypoints of each such wire."""
    by_name = {node.name: node for node in result.nodes}
    reads: dict[str, list[str]] = {node.name: [] for node in result.nodes}
    for source, target in result.edges:
        reads[target].append(source)
    for node in result.nodes:  # stages come after what they read
        node.layer = 1 + max((by_name[r].layer for r in reads[node.name]), default=-1)
    # a slot is a node, or (source, target, layer): a wire passing a layer
    slots: dict[int, list[Any]] = {}
    feeds: dict[Any, Any] = {}  # slot -> the slot one layer to its left
    for node in result.nodes:
        slots.setdefault(node.layer, []).append(node)
    waypoints: dict[tuple[str, str], list[Any]] = {}
    for source, target in result.edges:
        start, end = by_name[source].layer, by_name[target].layer
        previous: Any = by_name[source]
        passing = []
        for depth in range(start + 1, end):
            slot = (source, target, depth)
            slots[depth].append(slot)
            feeds[slot] = previous
            previous = slot
            passing.append(slot)
        waypoints[(source, target)] = passing
        feeds[(source, target, "end")] = previous
    rows: dict[Any, float] = {}

    def key(slot: Any) -> Any:
        return slot.name if isinstance(slot, Node) else slot

    for depth in sorted(slots):
        members = slots[depth]
        if depth:

            def wanted(slot: Any) -> float:
                if isinstance(slot, Node):
                    before = [
                        feeds[(r, slot.name, "end")]
                        for r in dict.fromkeys(reads[slot.name])
                    ]
                else:
                    before = [feeds[slot]]
                return sum(rows[key(b)] for b in before) / max(len(before), 1)

            members.sort(key=wanted)  # stable: stage order on ties
        for row, slot in enumerate(members):
            rows[key(slot)] = float(row)
            if isinstance(slot, Node):
                slot.row = float(row)
    return {
        edge: [(slot[2], rows[slot]) for slot in passing]
        for edge, passing in waypoints.items()
    }


def render(result: Circuit) -> str:
    """The SVG text of a laid-out circuit (deterministic)."""
    waypoints = layout(result)
    layers: dict[int, list[Node]] = {}
    for node in result.nodes:
        layers.setdefault(node.layer, []).append(node)
    widths = {}
    for node in result.nodes:
        texts = [_title(node), _subtitle(node), show(node.value), show(node.grad)]
        widths[node.name] = max(len(t) for t in texts) * CHAR + 20
    column = {d: max(widths[n.name] for n in layers[d]) for d in layers}
    left = {}
    x: float = MARGIN
    for depth in sorted(layers):
        left[depth] = x
        x += column[depth] + GAP
    rows = 1 + max(
        [int(n.row) for n in result.nodes]
        + [int(row) for points in waypoints.values() for _, row in points]
    )
    width = x - GAP + MARGIN
    height = MARGIN + rows * ROW + 36
    place = {}
    for node in result.nodes:
        w = widths[node.name]
        bx = left[node.layer] + (column[node.layer] - w) / 2
        by = MARGIN + 22 + node.row * ROW
        place[node.name] = (bx, by, w)

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" '
        f'height="{height:.0f}" viewBox="0 0 {width:.0f} {height:.0f}" '
        f'class="bpgen-circuit" data-function="{escape(result.function)}">',
        f"<title>{escape(_caption(result))}</title>",
        '<rect width="100%" height="100%" fill="white"/>',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" '
        'markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
        '<path d="M 0 0 L 10 5 L 0 10 z" fill="#555"/></marker></defs>',
    ]
    for source, target in result.edges:
        sx, sy, sw = place[source]
        tx, ty, _ = place[target]
        points = [(sx + sw, sy + BOX_H / 2)]
        for depth, row in waypoints[(source, target)]:
            y = MARGIN + 22 + row * ROW + BOX_H / 2
            points += [(left[depth], y), (left[depth] + column[depth], y)]
        points.append((tx, ty + BOX_H / 2))
        path = f"M {points[0][0]:.1f} {points[0][1]:.1f}"
        for i in range(1, len(points)):
            (x1, y1), (x2, y2) = points[i - 1], points[i]
            if i % 2:  # between layers: an S-curve
                mid = (x1 + x2) / 2
                path += f" C {mid:.1f} {y1:.1f}, {mid:.1f} {y2:.1f}, {x2:.1f} {y2:.1f}"
            else:  # across a layer, between its boxes: straight
                path += f" L {x2:.1f} {y2:.1f}"
        out.append(
            f'<g class="edge" data-from="{escape(source)}" data-to="{escape(target)}">'
            f'<path d="{path}" fill="none" stroke="#555" stroke-width="1.4" '
            'marker-end="url(#arrow)"/></g>'
        )
    for node in result.nodes:
        bx, by, w = place[node.name]
        cx = bx + w / 2
        fill = "#eef3fb" if node.label == "input" else "#fdf6e3"
        stroke = "#c0392b" if node.output else "#4a5a70"
        attrs = (
            f'class="node" data-name="{escape(node.name)}" '
            f'data-gate="{escape(node.label)}" '
            f'data-value="{escape(_exact(node.value), _QUOTE)}" '
            f'data-grad="{escape(_exact(node.grad), _QUOTE)}"'
        )
        if node.output:
            attrs += ' data-output="true"'

        def text(y: float, style: str, kind: str, content: str, cx: float = cx) -> str:
            return (
                f'<text x="{cx:.1f}" y="{y:.1f}" text-anchor="middle" {FONT} '
                f'{style} class="{kind}">{escape(content)}</text>'
            )

        out += [
            f"<g {attrs}>",
            f"<title>{escape(node.name)} = {escape(node.expression)}</title>",
            text(by - 6, 'font-size="12" fill="#1e7b34"', "value", show(node.value)),
            f'<rect x="{bx:.1f}" y="{by:.1f}" width="{w:.1f}" height="{BOX_H}" '
            f'rx="6" fill="{fill}" stroke="{stroke}" stroke-width="1.4"/>',
            text(by + 16, 'font-size="12" font-weight="bold"', "gate", _title(node)),
            text(by + 31, 'font-size="10" fill="#555"', "stage", _subtitle(node)),
            text(
                by + BOX_H + 15,
                'font-size="12" fill="#b03a2e"',
                "grad",
                show(node.grad),
            ),
            "</g>",
        ]
    out.append(
        f'<text x="{MARGIN}" y="{height - 12:.0f}" {FONT} font-size="11" '
        f'fill="#333" class="legend">{escape(_caption(result))}</text>'
    )
    out.append("</svg>")
    return "\n".join(out) + "\n"


_QUOTE = {'"': "&quot;"}


def escape(text: str, extra: Mapping[str, str] | None = None) -> str:
    """Text for XML (xml.sax.saxutils.escape, without its import cost)."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    for old, new in (extra or {}).items():
        text = text.replace(old, new)
    return text


def _title(node: Node) -> str:
    if node.label == "input":
        return node.name
    return f"{node.name} = {node.label}" if node.label else node.name


def _subtitle(node: Node) -> str:
    if node.label == "input":
        return "input"
    text = node.expression
    return text if len(text) <= 32 else text[:31] + "…"


def _exact(value: Any) -> str:
    """The full value for machines (tests, tools): repr of floats, else show()."""
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, tuple):
        return "(" + ", ".join(_exact(v) for v in value) + ")"
    try:
        import numpy as np

        if np.ndim(value) == 0:
            return repr(float(value))
    except (TypeError, ValueError):  # pragma: no cover
        pass
    return show(value)


def _caption(result: Circuit) -> str:
    at = ", ".join(f"{k}={show(v)}" for k, v in result.point.items())
    outputs = [n.name for n in result.nodes if n.output]
    name = outputs[0] if len(outputs) == 1 else result.function
    return (
        f"{result.function}({at}): forward values above (green), gradients "
        f"d{name}/d(value) below (red)"
    )
