"""Symbolic shapes, where the arguments' shapes are declared or observed.

A shape is a tuple of dimensions: an int, a symbol (`"N"`), or None for a
size nobody can know before run time (a slice with computed bounds, the -1
of a reshape). A value whose rank is unknown has no tuple at all. Symbols
meeting in an elementwise operation or a matrix product are one size; two
different symbols the user declared (`"D"` against `"E"`) are an error at
the line that meets them. Symbols bpgen made up (observed shapes, `?1`)
unify freely.

shapes.py turns these tuples into the facts the backward needs: which values
surely have one shape, and which axes a broadcast gradient sums over.
"""

from __future__ import annotations

import ast
import itertools
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

from .lower import NP
from .rules import ASSIGN, BROADCAST, FLOATS, REDUCE, RULES, SAME, Gate

if TYPE_CHECKING:
    from .stage import Program, Stage

Dim = int | str | None
Shape = tuple  # of Dim
Spec = str | Sequence[int | str]


class ShapeError(Exception):
    """Declared shapes that cannot both hold; staging turns it into a located
    error."""


def parse(spec: Spec, name: str = "") -> Shape | None:
    """`"N D"`, `"N 3"`, `""` (0-d), `("N", 3)`; `...`/`*rest` make the rank
    unknown (None). `_` is a size nobody names."""
    parts = spec.replace(",", " ").split() if isinstance(spec, str) else list(spec)
    dims: list[Dim] = []
    for part in parts:
        if isinstance(part, int) and not isinstance(part, bool):
            dims.append(part)
            continue
        text = str(part).strip()
        if text in ("...", "#...") or text.startswith("*"):
            return None
        if text.isdigit():
            dims.append(int(text))
        elif text == "_":
            dims.append(None)
        elif text.isidentifier():
            dims.append(text)
        else:
            raise ValueError(f"bad dimension {text!r} in the shape of {name}")
    return tuple(dims)


class Dims:
    """Union-find over symbols, and the inferred shape of every value."""

    def __init__(self, declared: Mapping[str, Shape | None]) -> None:
        self.parent: dict[str, Dim] = {}
        self.named = {  # the user's names; bpgen's own start with `_`
            d for s in declared.values() if s for d in s if _symbol(d) and d[0] != "_"
        }
        self.sizes: dict[str, Dim] = {}  # int-valued locals: n = x.shape[0]
        self.unknowns = itertools.count(1)  # numbers ?1, ?2, ...
        # the user's names taken for a broadcast's size against sizes that
        # may be 1: sound only while they are not 1 (the guard checks)
        self.not_one: set[str] = set()
        self.shape = {name: self.fill(s) for name, s in declared.items()}

    # -- dimensions ---------------------------------------------------------------

    def root(self, dim: Dim) -> Dim:
        while _symbol(dim) and dim in self.parent:
            dim = self.parent[dim]
        return dim

    def same(self, a: Dim, b: Dim) -> Dim:
        """`a` and `b` are one size; ShapeError when declared otherwise."""
        a, b = self.root(a), self.root(b)
        if a == b:
            return a
        if a is None or b is None:
            return None
        if not _symbol(a) and not _symbol(b):
            raise ShapeError(f"sizes {a} and {b} differ")
        if not _symbol(a):
            a, b = b, a  # a is a symbol now
        if a in self.named and b in self.named:
            raise ShapeError(f"dimensions {a} and {b} are declared different")
        if a in self.named and _symbol(b):
            a, b = b, a  # keep the user's name
        assert isinstance(a, str)  # a symbol: swapped above when it was not
        self.parent[a] = b
        return b

    def broadcast(self, shapes: Sequence[Shape | None]) -> Shape | None:
        known = [s for s in shapes if s is not None]
        if len(known) != len(shapes):
            return None
        rank = max((len(s) for s in known), default=0)
        out: list[Dim] = []
        for axis in range(rank):
            dims = [
                self.root(s[axis - rank + len(s)])
                for s in known
                if axis - rank + len(s) >= 0
            ]
            rest = [d for d in dims if d != 1]
            if not rest:
                out.append(1)
            elif rest[0] is not None and all(d == rest[0] for d in rest):
                out.append(rest[0])
            else:
                # sizes that may be 1 give way to the ones that surely are not
                definite = [d for d in rest if d is not None and not _unknown(d)]
                out.append(self._all_same(definite) if definite else None)
                if definite and len(definite) < len(rest):
                    self.not_one |= {
                        d for d in definite if isinstance(d, str) and d in self.named
                    }
        return tuple(out)

    def fill(self, shape: Shape | None) -> Shape | None:
        """Each size nobody knows gets a name of its own (`?1`), so the values
        that share it are known to share it."""
        if shape is None or None not in shape:
            return shape
        return tuple(f"?{next(self.unknowns)}" if d is None else d for d in shape)

    def _all_same(self, dims: Sequence[Dim]) -> Dim:
        first = dims[0]
        for other in dims[1:]:
            first = self.same(first, other)
        return first

    def canonical(self, shape: Shape | None) -> Shape | None:
        return None if shape is None else tuple(self.root(d) for d in shape)

    # -- values ---------------------------------------------------------------------

    def of(self, node: ast.expr) -> Shape | None:
        """The shape of an atom or a small expression without gradient."""
        if isinstance(node, ast.Name):
            return self.shape.get(node.id)
        if isinstance(node, ast.Constant) and isinstance(
            node.value, (int, float, bool)
        ):
            return ()
        if isinstance(node, ast.UnaryOp):
            return self.of(node.operand)
        if isinstance(node, ast.Compare):
            return self.broadcast([self.of(n) for n in [node.left, *node.comparators]])
        if isinstance(node, ast.BinOp) and not isinstance(node.op, ast.MatMult):
            return self.broadcast([self.of(node.left), self.of(node.right)])
        if isinstance(node, ast.Attribute) and node.attr == "T":
            shape = self.of(node.value)
            return None if shape is None else shape[::-1]
        if self.size(node) is not None or is_count(node):
            return ()
        if isinstance(node, ast.Call):
            return self._call(node)
        if isinstance(node, ast.Subscript):
            return self.index(self.of(node.value), node.slice)
        return None

    def _call(self, node: ast.Call) -> Shape | None:
        func = node.func
        if not (isinstance(func, ast.Attribute) and _is_np(func.value)):
            return None
        name, args = func.attr, node.args
        if name == "arange" and len(args) == 1 and not node.keywords:
            return (self.size(args[0]),)
        if name in ("zeros", "ones", "empty", "full") and args:
            return self.shape_value(args[0])
        if name in ("zeros_like", "ones_like", "empty_like", "full_like") and args:
            return self.of(args[0])
        return None

    def size(self, node: ast.expr) -> Dim:
        """The size an int-valued expression stands for: 3, n, x.shape[1]."""
        if isinstance(node, ast.Constant) and type(node.value) is int:
            return node.value
        if isinstance(node, ast.Name):
            return self.sizes.get(node.id)
        if (
            isinstance(node, ast.Subscript)
            and isinstance(node.value, ast.Attribute)
            and node.value.attr == "shape"
        ):
            shape = self.of(node.value.value)
            axis = _int(node.slice)
            if (
                shape is not None
                and axis is not None
                and -len(shape) <= axis < len(shape)
            ):
                return shape[axis]
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "len"
            and node.args
        ):
            shape = self.of(node.args[0])
            return shape[0] if shape else None
        return None

    def shape_value(self, node: ast.expr) -> Shape | None:
        """The shape a shape-valued expression stands for: x.shape, (n, -1), 3."""
        if isinstance(node, ast.Attribute) and node.attr == "shape":
            return self.of(node.value)
        if isinstance(node, (ast.Tuple, ast.List)):
            dims = [self.size(e) for e in node.elts]
            return tuple(None if d == -1 else d for d in dims)
        size = self.size(node)
        if size is not None or isinstance(node, ast.Name):
            return (None if size == -1 else size,)
        return None

    def index(self, shape: Shape | None, index: ast.expr) -> Shape | None:
        """The shape of `value[index]`: basic indexing, and integer arrays that
        stand together (`scores[np.arange(n), y]`)."""
        if shape is None:
            return None
        parts = list(index.elts) if isinstance(index, ast.Tuple) else [index]
        if any(_is_ellipsis(p) for p in parts):
            at = next(i for i, p in enumerate(parts) if _is_ellipsis(p))
            used = sum(not _is_none(p) for p in parts) - 1
            parts[at : at + 1] = [ast.Slice()] * (len(shape) - used)
        out: list[Dim] = []
        arrays: list[Shape | None] = []
        first_array = None
        axis = 0
        for part in parts:
            if _is_none(part):
                out.append(1)
                continue
            if axis >= len(shape):
                return None
            if isinstance(part, ast.Slice):
                out.append(self._sliced(shape[axis], part))
            elif self.of(part) == ():
                pass  # an integer drops the axis
            else:
                if first_array is None:
                    first_array = len(out)
                elif first_array != len(out):
                    return None  # arrays apart: NumPy moves them to the front
                arrays.append(self.of(part))
            axis += 1
        out.extend(shape[axis:])
        if arrays:
            joined = self.broadcast(arrays)
            if joined is None:
                return None
            out[first_array:first_array] = list(joined)
        return tuple(out)

    def _sliced(self, dim: Dim, part: ast.Slice) -> Dim:
        if part.lower is None and part.upper is None and part.step is None:
            return dim
        stop = _int(part.upper) if part.upper is not None else None
        start = _int(part.lower) if part.lower is not None else 0
        if part.step is None and start == 0 and stop is not None and stop >= 0:
            return stop
        return None


def infer(
    program: Program,
    declared: Mapping[str, Shape | None],
    error: Callable[[Stage, str, str | None], Exception],
) -> Dims:
    """The shape of every value, from the declared shapes of the parameters."""
    dims = Dims(declared)
    for name in program.params:
        if name in program.float_params and name not in declared:
            dims.shape[name] = ()
    assigned: set[str] = set()
    for stage in program.stages:
        try:
            shape = dims.fill(_stage(dims, stage))
        except ShapeError as exc:
            raise error(
                stage,
                f"the declared shapes do not fit here: {exc}",
                "check the shapes given in annotations, shapes= or --shape",
            ) from None
        again = stage.target in assigned
        if again:
            # the other arm of an `if` (`var = x.var(axis=0)` or `var = 1.0`):
            # after it the value has either shape, known only if they agree
            if dims.shape.get(stage.target) != shape:
                shape = None
            dims.sizes.pop(stage.target, None)
        assigned.add(stage.target)
        dims.shape[stage.target] = shape
        if stage.gate is None and shape == () and not again:
            dims.sizes[stage.target] = dims.size(stage.value)
    return dims


def _stage(dims: Dims, stage: Stage) -> Shape | None:
    gate, inputs, params = stage.gate, stage.inputs, stage.params
    if gate is None:
        return dims.of(stage.value)
    kind = RULES[gate].kind
    if kind in (SAME, ASSIGN):
        return dims.of(inputs["x" if "x" in inputs else "a"])
    if kind in (BROADCAST, FLOATS):
        nodes = list(inputs.values())
        if "condition" in params:
            nodes.append(params["condition"])
        return dims.broadcast([dims.of(n) for n in nodes])
    if kind == REDUCE and "a" in inputs:
        return _reduced(dims.of(inputs["a"]), params)
    rule = RULES[gate]
    if rule.out_shape is not None:  # declared in rules.py
        return rule.out_shape(dims, Gate({**params, **inputs}))
    return None


def _reduced(shape: Shape | None, params: dict) -> Shape | None:
    if shape is None:
        return None
    axis = _literal(params.get("axis"))
    keep = _literal(params.get("keepdims")) is True
    if axis is None:
        return tuple(1 for _ in shape) if keep else ()
    axes = axis if isinstance(axis, (tuple, list)) else (axis,)
    if not all(type(k) is int for k in axes) or not shape:
        return None
    drop = {k % len(shape) for k in axes}
    if keep:
        return tuple(1 if i in drop else d for i, d in enumerate(shape))
    return tuple(d for i, d in enumerate(shape) if i not in drop)


def _symbol(dim: Dim) -> bool:
    return isinstance(dim, str)


def _unknown(dim: Dim) -> bool:
    """A size bpgen named itself because nobody knows it; it may be 1."""
    return isinstance(dim, str) and dim.startswith("?")


def _int(node: ast.expr | None) -> int | None:
    if node is None:
        return None
    try:
        value = ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return None
    return value if type(value) is int else None


def _literal(node: ast.expr | None):
    if node is None:
        return None
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return ...


def _is_np(node: ast.expr) -> bool:
    return isinstance(node, ast.Name) and node.id == NP


def _is_none(node: ast.expr) -> bool:
    if isinstance(node, ast.Constant) and node.value is None:
        return True
    return isinstance(node, ast.Attribute) and node.attr == "newaxis"


def _is_ellipsis(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value is ...


def is_count(node: ast.expr) -> bool:
    """x.shape[0], x.ndim, x.size, len(x), int(...): plain integers."""
    if isinstance(node, ast.Subscript):
        value = node.value
        return isinstance(value, ast.Attribute) and value.attr == "shape"
    if isinstance(node, ast.Attribute):
        return node.attr in ("ndim", "size")
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        return node.func.id in ("len", "int", "float")
    return False


# jaxtyping's dtype kinds: these carry gradients; Int/Bool ones are labels
_FLOAT_KINDS = frozenset(
    "Float Float16 Float32 Float64 BFloat16 Inexact Real Num Shaped".split()
)
_LABEL_KINDS = frozenset(
    "Int Int8 Int16 Int32 Int64 UInt UInt8 UInt16 UInt32 UInt64 Integer Bool".split()
)


def annotated(function) -> tuple[dict[str, Shape | None], set[str]]:
    """Shapes declared by annotations in jaxtyping's spelling, read from the
    text: `x: Float[np.ndarray, "N D"]`; and the parameters annotated as
    labels (`Int[...]`, `Bool[...]`), which carry no gradient."""
    import libcst as cst

    shapes: dict[str, Shape | None] = {}
    labels: set[str] = set()
    params = [*function.params.params, *function.params.kwonly_params]
    for param in params:
        if param.annotation is None:
            continue
        node = param.annotation.annotation
        name = param.name.value
        if isinstance(node, cst.Subscript) and len(node.slice) == 2:
            kind = _tail(node.value)
            spec = node.slice[1].slice
            text = getattr(getattr(spec, "value", None), "evaluated_value", None)
            if kind in _LABEL_KINDS:
                labels.add(name)
            if kind in _FLOAT_KINDS | _LABEL_KINDS and isinstance(text, str):
                shapes[name] = parse(text, name)
        elif _tail(node) in ("ndarray", "Array", "ArrayLike"):
            shapes[name] = None
    return shapes, labels


def _tail(node) -> str:
    import libcst as cst

    if isinstance(node, cst.Attribute):
        return node.attr.value
    return node.value if isinstance(node, cst.Name) else ""
