"""Random programs over what realistic code does and programs.py never wrote.

programs.py keeps shapes among a few of rank <= 2 and values inside proven
intervals; the bugs of issue 9 lived outside it. This grammar draws:

- operands of rank 0 to 4 (dimensions 1-4) for every product spelling
  (`@`, `np.matmul`, `np.dot`, `.dot`), a new parameter shaped to fit;
- indexing mixing slices with and without start/stop/step, integer arrays
  (literals and list parameters), boolean masks, `None`, `...`, ints;
- negative and tuple axes wherever an axis is accepted (transpose,
  swapaxes, expand_dims, squeeze, reductions);
- `math` scalars mixed with arrays (`math.sqrt(2.0 / w.shape[0])`,
  `max(x.shape[0], 1)`, `math.exp(s)` of a float parameter);
- non-array parameters: a dict read as `p['scale']`, an int used as a slice
  bound, a list of ints used as an index (none of them in the default wrt);
- guarded `np.where(x > 0, np.sqrt(x), 0.0)` and its kin.

Every program is built by evaluating each line on its own arguments while it
is drawn, so the code is valid NumPy by construction and carries those
arguments; draws that come near a kink (a where-condition, a tie in a
max/min, std near 0) are rejected.

`OPEN` lists constructs left out (or dtypes left unchecked) while their bug
is open; each has a strict xfail in tests/test_regressions.py. Set
`BPGEN_WIDE_ALL=1` to draw them anyway (a discovery run).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from hypothesis import assume
from hypothesis import strategies as st

# bug name -> what it keeps out while open (see tests/test_regressions.py)
OPEN: set[str] = {
    "dot-float",  # np.dot with a 0-d operand: construct left out
    "pyfloat-dout-dtype",  # Python-float dout: float16/32 not checked
    "float-scalar-dtype",  # float parameters: float16/32 not checked
    "0d-array-kind",  # a 0-d array argument gets a NumPy scalar: no 0-d arrays
    "setitem-repeated",  # t[[0, 0]] = b: every duplicate gets the gradient: left out
    "view-alias",  # moveaxis/flip/rot90 gradients are views of dout: left out
}
if os.environ.get("BPGEN_WIDE_ALL", "") not in ("", "0"):
    OPEN = set()

# a program feature -> the open dtype bug that makes float16/32 unchecked
DTYPE_BUGS = {
    "max": "max-dtype",
    "log2": "log-dtype",
    "float-param": "float-scalar-dtype",
}

DIMS = [1, 2, 3, 4]
MAX_SIZE = 48


@dataclass
class WideProgram:
    source: str
    args: list
    params: list[str]
    expect_wrt: list[str]  # array and float parameters: the default wrt's bound
    features: set[str] = field(default_factory=set)
    autograd_may_be_wrong: str | None = None

    def low_precision_checked(self) -> bool:
        """Whether float16/32 dtypes are checked (no open dtype bug in the way)."""
        return not any(DTYPE_BUGS.get(f) in OPEN for f in self.features)


class _Builder:
    def __init__(self, draw) -> None:
        self.draw = draw
        self.lines: list[str] = []
        self.env: dict[str, Any] = {}  # every name's value for the drawn arguments
        self.params: list[tuple[str, Any, str]] = []  # (name, value, kind)
        self.features: set[str] = set()
        self.values: list[str] = []  # differentiable names, newest last
        self.autograd_note: str | None = None

    def note_autograd(self, reason: str) -> None:
        """Autograd may be wrong on this program (central differences decide)."""
        notes = [] if self.autograd_note is None else self.autograd_note.split("; ")
        if reason not in notes:
            self.autograd_note = "; ".join([*notes, reason])

    # -- drawing helpers ------------------------------------------------------
    def pick(self, options):
        return self.draw(st.sampled_from(list(options)))

    def chance(self, p: float) -> bool:
        return self.draw(st.integers(0, 99)) < int(p * 100)

    def int_(self, lo: int, hi: int) -> int:
        return self.draw(st.integers(lo, hi))

    def shape(self, rank: int) -> tuple[int, ...]:
        while True:
            s = tuple(self.pick(DIMS) for _ in range(rank))
            if int(np.prod(s)) <= MAX_SIZE:
                return s

    def values_of(self, shape, lo=-1.5, hi=1.5, seed_name="") -> np.ndarray:
        seed = self.int_(0, 2**31 - 1)
        rng = np.random.default_rng(seed)
        v = rng.uniform(lo, hi, shape)
        if lo < 0 < hi:  # keep away from 0: kinks of relu, abs, guards
            v = np.where(np.abs(v) < 0.1, np.sign(v + 1e-12) * 0.1 + v, v)
        return v

    # -- names ----------------------------------------------------------------
    def param(self, prefix: str, value, kind: str) -> str:
        name = f"{prefix}{len(self.params)}"
        self.params.append((name, value, kind))
        self.env[name] = value
        if kind in ("array", "float"):
            self.values.append(name)
        if kind == "float":
            self.features.add("float-param")
        return name

    def array_or_float(self, prefix: str, shape, lo=-1.5, hi=1.5) -> str:
        """A parameter of `shape`; a float instead of a 0-d array while the
        0-d array kind bug is open."""
        if shape == () and "0d-array-kind" in OPEN:
            return self.param("s", float(self.values_of((), lo, hi)), "float")
        return self.param(prefix, self.values_of(shape, lo, hi), "array")

    def array_param(self, shape) -> str:
        if shape == ():
            if self.chance(0.5) or "0d-array-kind" in OPEN:
                return self.param("s", float(self.values_of(())), "float")
            return self.param("x", np.array(self.values_of(())), "array")
        return self.param(
            "x" if len(self.params) < 2 else "w", self.values_of(shape), "array"
        )

    def assign(self, code: str) -> str | None:
        """`t = code`, evaluated on the drawn arguments; None when invalid."""
        namespace = {"np": np, "math": math, **self.env}
        try:
            with np.errstate(all="raise"):
                value = eval(code, namespace)  # our own generated code
        except Exception:
            return None
        if isinstance(value, (bool, int)) or value is None:
            return None
        if not isinstance(value, float):
            value = np.asarray(value)
            if value.dtype.kind != "f" or value.size == 0 or value.size > 4 * MAX_SIZE:
                return None
        if not np.all(np.isfinite(value)) or np.max(np.abs(value)) > 1e3:
            return None
        name = f"t{len(self.lines)}"
        self.lines.append(f"{name} = {code}")
        self.env[name] = value
        self.values.append(name)
        return name

    def operand(self, array: bool = False, min_rank: int = 0) -> str | None:
        names = [
            n
            for n in self.values
            if np.ndim(self.env[n]) >= min_rank
            and not (array and isinstance(self.env[n], float))
        ]
        if not names:
            return None
        recent = names[-3:]
        return self.pick(recent if self.chance(0.7) else names)


# -- the constructs ---------------------------------------------------------------


def _axis_spelling(b: _Builder, axis: int, rank: int) -> int:
    return axis - rank if b.chance(0.5) else axis


def _slice_text(b: _Builder) -> tuple[str, bool]:
    """A random slice and whether it has a start."""
    start = b.pick([None, None, 0, 1, -1, -2, 2])
    stop = b.pick([None, None, 1, 2, 3, -1, -2])
    step = b.pick([None, None, None, 2, -1, -2])
    text = (
        ("" if start is None else str(start))
        + ":"
        + ("" if stop is None else str(stop))
    )
    if step is not None:
        text += f":{step}"
    return text, start is not None


def _index_text(b: _Builder, shape: tuple[int, ...]) -> str:
    """A random index for an array of `shape`: slices with and without
    start/stop/step, ints, integer arrays, boolean lists, None and `...`."""
    parts, has_start, has_array = [], False, False
    axis, ellipsis = 0, False
    for _ in range(b.int_(1, len(shape) + 1)):
        part = b.pick(
            ["slice", "slice", "int", "array", "array", "none", "ellipsis", "bools"]
        )
        if part == "none":
            parts.append("None")
            b.features.add("index-none")
            continue
        if part == "ellipsis":
            if ellipsis:
                continue
            ellipsis = True
            parts.append("...")
            axis = len(shape) - (b.int_(0, 1))
            continue
        if axis >= len(shape):
            break
        d = shape[axis]
        if part == "slice":
            text, start = _slice_text(b)
            parts.append(text)
            has_start |= start
        elif part == "int":
            parts.append(str(b.int_(-d, d - 1)))
        elif part == "bools":
            mask = [b.chance(0.6) for _ in range(d)]
            parts.append("[" + ", ".join(map(str, mask)) + "]")
            b.features.add("index-bool")
            b.note_autograd("autograd takes a list of booleans as integer indices")
            has_array = True
        else:
            items = [b.int_(-d, d - 1) for _ in range(b.int_(1, 4))]
            literal = "[" + ", ".join(map(str, items)) + "]"
            parts.append(literal if b.chance(0.7) else f"np.array({literal})")
            has_array = True
        axis += 1
    if has_start and has_array:
        b.features.add("slice-start-fancy")
    return ", ".join(parts)


def index(b: _Builder) -> str | None:
    v = b.operand(array=True, min_rank=1)
    if v is None:
        return None
    shape = np.shape(b.env[v])
    kind = b.pick(["parts", "parts", "parts", "mask", "param"])
    if kind == "mask":
        b.features.add("index-bool")
        k = b.pick([0.0, 0.3, -0.3])
        if np.min(np.abs(b.env[v] - k)) < 1e-2:
            return None
        return b.assign(f"{v}[{v} > {k!r}]")
    if kind == "param":
        if b.chance(0.5):
            n = b.param("n", b.int_(1, max(shape[0] - 1, 1)), "int")
            b.features.add("int-param")
            form = b.pick([f"{v}[:{n}]", f"{v}[{n}:]", f"{v}[{n} - 1]"])
            return b.assign(form)
        idx = [b.int_(-shape[0], shape[0] - 1) for _ in range(b.int_(1, 4))]
        p = b.param("idx", idx, "list")
        b.features.add("list-param")
        rest = "" if len(shape) == 1 or b.chance(0.5) else ", " + _slice_text(b)[0]
        return b.assign(f"{v}[{p}{rest}]")
    return b.assign(f"{v}[{_index_text(b, shape)}]")


def transpose(b: _Builder) -> str | None:
    v = b.operand(array=True, min_rank=2)
    if v is None:
        return None
    rank = np.ndim(b.env[v])
    perm = b.draw(st.permutations(list(range(rank))))
    negative = "transpose-negative" not in OPEN and b.chance(0.5)
    axes = [_axis_spelling(b, a, rank) if negative else a for a in perm]
    if any(a < 0 for a in axes):
        b.features.add("transpose-negative")
        b.note_autograd("autograd's transpose backward mishandles negative axes")
    text = ", ".join(map(str, axes))
    form = b.pick(["np", "method", "method-tuple", "swapaxes", "swapaxes-method", "T"])
    if form == "np":
        return b.assign(
            f"np.transpose({v}, ({text},))"
            if rank == 1
            else f"np.transpose({v}, ({text}))"
        )
    if form == "method":
        return b.assign(f"{v}.transpose({text})")
    if form == "method-tuple":
        return b.assign(f"{v}.transpose(({text}))")
    if form == "T":
        return b.assign(f"{v}.T")
    a1, a2 = b.int_(0, rank - 1), b.int_(0, rank - 1)
    a1, a2 = _axis_spelling(b, a1, rank), _axis_spelling(b, a2, rank)
    if form == "swapaxes":
        return b.assign(f"np.swapaxes({v}, {a1}, {a2})")
    return b.assign(f"{v}.swapaxes({a1}, {a2})")


def expand(b: _Builder) -> str | None:
    v = b.operand(array=True)
    if v is None:
        return None
    rank = np.ndim(b.env[v])
    if rank >= 4:
        return None
    k = b.int_(1, min(2, 4 - rank))
    out_rank = rank + k
    chosen = sorted(b.draw(st.permutations(list(range(out_rank))))[:k])
    axes = [_axis_spelling(b, a, out_rank) for a in chosen]
    b.features.add("expand-tuple" if k > 1 else "expand")
    if k == 1 and b.chance(0.5):
        return b.assign(f"np.expand_dims({v}, {axes[0]})")
    return b.assign(f"np.expand_dims({v}, ({', '.join(map(str, axes))},))")


def squeeze(b: _Builder) -> str | None:
    v = b.operand(array=True, min_rank=1)
    if v is None:
        return None
    shape = np.shape(b.env[v])
    ones = [i for i, d in enumerate(shape) if d == 1]
    if not ones:
        return None
    axes = [_axis_spelling(b, a, len(shape)) for a in ones[: b.int_(1, len(ones))]]
    text = str(axes[0]) if len(axes) == 1 else "(" + ", ".join(map(str, axes)) + ",)"
    if b.chance(0.5):
        return b.assign(f"np.squeeze({v}, axis={text})")
    return b.assign(f"{v}.squeeze({text})")


def reshape(b: _Builder) -> str | None:
    v = b.operand(array=True)
    if v is None:
        return None
    size = int(np.size(b.env[v]))
    dims, rest = [], size
    for _ in range(b.int_(1, 3)):
        divisors = [d for d in DIMS if rest % d == 0]
        d = b.pick(divisors)
        dims.append(d)
        rest //= d
    dims[-1] *= rest
    if b.chance(0.4):
        dims[b.int_(0, len(dims) - 1)] = -1
    text = ", ".join(map(str, dims))
    if b.chance(0.5):
        return b.assign(f"{v}.reshape({text})")
    return b.assign(f"np.reshape({v}, ({text},))")


def _ties(value, axis) -> bool:
    a = np.asarray(value, dtype=float)
    axes = (
        tuple(range(a.ndim))
        if axis is None
        else (axis if isinstance(axis, tuple) else (axis,))
    )
    axes = tuple(sorted(x % a.ndim for x in axes))
    moved = np.moveaxis(a, axes, tuple(range(-len(axes), 0)))
    flat = moved.reshape(moved.shape[: a.ndim - len(axes)] + (-1,))
    if flat.shape[-1] < 2:
        return False
    s = np.sort(flat, axis=-1)
    return bool(
        min(np.min(s[..., -1] - s[..., -2]), np.min(s[..., 1] - s[..., 0])) < 1e-3
    )


def reduce(b: _Builder) -> str | None:
    v = b.operand(array=True, min_rank=1)
    if v is None:
        return None
    value = b.env[v]
    rank = np.ndim(value)
    kind = b.pick(["sum", "sum", "mean", "max", "min", "var", "std"])
    form = b.pick(["none", "int", "int", "tuple"])
    axis = None
    if form == "int":
        axis = _axis_spelling(b, b.int_(0, rank - 1), rank)
    elif form == "tuple" and rank >= 2:
        chosen = sorted(b.draw(st.permutations(list(range(rank))))[: b.int_(1, rank)])
        axis = tuple(_axis_spelling(b, a, rank) for a in chosen)
        b.features.add("tuple-axis")
    if isinstance(axis, int) and axis < 0 or isinstance(axis, tuple) and min(axis) < 0:
        b.features.add("negative-axis")
    if kind in ("max", "min"):
        if _ties(value, axis):
            return None
        b.features.add("max")
    keep = b.chance(0.4)
    kw = ([f"axis={axis!r}"] if axis is not None else []) + (
        ["keepdims=True"] if keep else []
    )
    code = (
        f"np.{kind}({', '.join([v, *kw])})"
        if b.chance(0.5)
        else f"{v}.{kind}({', '.join(kw)})"
    )
    if kind == "std":
        spread = np.std(value, axis=axis)
        if np.min(spread) < 1e-2:
            return None
    return b.assign(code)


def product(b: _Builder) -> str | None:
    v = b.operand()
    if v is None:
        return None
    value = b.env[v]
    rank = np.ndim(value)
    spelling = b.pick(["@", "matmul", "dot", ".dot"])
    if spelling == ".dot" and isinstance(value, float):
        spelling = "dot"
    if spelling in ("@", "matmul"):
        if rank == 0:
            return None
        k = np.shape(value)[-1]
        other_rank = b.int_(1, 4)
        if other_rank == 1:
            shape = (k,)
        else:
            batch = b.shape(other_rank - 2) if other_rank > 2 else ()
            shape = batch + (k, b.pick(DIMS))
        w_rank_ok = rank + len(shape) <= 7
        if not w_rank_ok:
            return None
        w = b.param("w", b.values_of(shape, -1.0, 1.0), "array")
        left = b.chance(0.8) or rank == 1 and len(shape) == 1
        a, c = (v, w) if left else (w, v)
        if not left:
            # w @ v needs w's last axis to match v's second-to-last
            kk = np.shape(value)[-2] if rank >= 2 else np.shape(value)[-1]
            shape = shape[:-2] + (b.pick(DIMS), kk) if len(shape) >= 2 else (kk,)
            b.env[w] = b.values_of(shape, -1.0, 1.0)
            b.params[-1] = (w, b.env[w], "array")
        code = f"{a} @ {c}" if spelling == "@" else f"np.matmul({a}, {c})"
    else:
        if rank == 0:
            if "dot-float" in OPEN:
                return None
            b.features.add("dot-float")
            shape = b.shape(b.int_(1, 2))
        else:
            k = np.shape(value)[-1]
            other_rank = b.int_(1, 3)
            if other_rank == 1:
                shape = (k,)
            else:
                shape = b.shape(other_rank - 2) + (k, b.pick(DIMS))
        if rank >= 3 or len(shape) >= 3:
            if "dot-nd" in OPEN:
                return None
            b.features.add("dot-nd")
        w = b.param("w", b.values_of(shape, -1.0, 1.0), "array")
        code = f"np.dot({v}, {w})" if spelling == "dot" else f"{v}.dot({w})"
    b.features.add("product")
    return b.assign(code)


def elementwise(b: _Builder) -> str | None:
    v = b.operand()
    if v is None:
        return None
    value = b.env[v]
    rank = np.ndim(value)
    kind = b.pick(["unary", "unary", "binary", "binary", "math", "math", "nonarray"])
    if kind == "unary":
        form = b.pick(
            [
                "np.tanh({})",
                "np.sin({})",
                "np.exp(np.tanh({}))",
                "{0} * {0}",
                "np.square({})",
                "np.log1p({0} * {0})",
                "np.sqrt({0} * {0} + 1.0)",
                "np.log2({0} * {0} + 1.0)",
                "np.exp2(np.tanh({}))",
                "np.abs({})",
                "np.maximum({}, 0.0)",
            ]
        )
        if "log2" in form or "exp2" in form:
            b.features.add("log2")
        if "abs" in form or "maximum" in form:
            b.features.add("kink")
            if np.min(np.abs(value)) < 1e-2:
                return None
        return b.assign(form.format(v))
    if kind == "binary":
        shape = np.shape(value)
        cut = b.int_(0, len(shape))
        sub = tuple(d if b.chance(0.7) else 1 for d in shape[cut:])
        op = b.pick(["+", "-", "*", "/"])
        lo, hi = (0.5, 1.5) if op == "/" else (-1.5, 1.5)
        if sub == () and (b.chance(0.5) or "0d-array-kind" in OPEN):
            other = b.param("s", float(b.values_of((), lo, hi)), "float")
        else:
            other = b.array_or_float("b", sub, lo, hi)
        if b.chance(0.2) and op != "/":
            return b.assign(f"{other} {op} {v}")
        return b.assign(f"{v} {op} {other}")
    if kind == "math":
        b.features.add("math")
        options = ["{v} * math.pi", "math.sqrt(2.0) * {v}"]
        if rank >= 1:
            options += [
                "{v} * math.sqrt(2.0 / {v}.shape[-1])",
                "{v} / max({v}.shape[0], 1)",
                "{v} * math.sqrt(1.0 / ({v}.shape[0] + {v}.shape[-1]))",
            ]
        options += [
            "{v} * math.exp(-{s})",
            "math.log({a}) * {v}",
            "{v} * min({s}, 2.0)",
            "{v} * math.tanh({s}) + math.cos({s})",
        ]
        form = b.pick(options)
        s = a = None
        if "{s}" in form:
            s = b.param("s", float(b.values_of((), -1.0, 1.0)), "float")
        if "{a}" in form:
            a = b.param("a", float(b.values_of((), 0.5, 2.0)), "float")
        return b.assign(form.format(v=v, s=s, a=a))
    # non-array parameters read for a number
    if b.chance(0.5):
        p = b.param(
            "p", {"scale": float(b.values_of((), 0.5, 2.0)), "mode": "train"}, "dict"
        )
        b.features.add("dict-param")
        return b.assign(b.pick([f"{v} * {p}['scale']", f"{v} + {p}['scale']"]))
    if rank == 0 or np.shape(value)[0] < 2:
        return None
    n = b.param("n", b.int_(1, np.shape(value)[0] - 1), "int")
    b.features.add("int-param")
    return b.assign(f"{v}[:{n}] * 2.0")


def where(b: _Builder) -> str | None:
    v = b.operand()
    if v is None:
        return None
    value = b.env[v]
    guarded = [
        ("np.where({v} > 0, np.sqrt({v}), 0.0)", 0.0),
        ("np.where({v} > 0, np.log({v}), 0.0)", 0.0),
        ("np.where({v} > 0.5, np.reciprocal({v}), 1.0)", 0.5),
        ("np.where({v} < 0, {v}, np.sqrt({v}))", 0.0),
    ]
    nested = [
        ("np.where({v} > 0, np.sqrt({v}) + {v}, 0.0)", 0.0),
        ("np.where({v} > 0.1, {v} * np.log({v}), 0.0)", 0.1),
        ("np.where({v} != 0, np.sin({v}) / {v}, 1.0)", 0.0),
        ("np.where({v} > 0, 1.0 / np.sqrt({v}), {v})", 0.0),
    ]
    plain = [
        ("np.where({v} > 0, {v}, 0.01 * {v})", 0.0),
        ("np.where({v} > 0.3, {v} * {v}, -{v})", 0.3),
    ]
    options = plain + guarded + ([] if "where-nested" in OPEN else nested)
    form, k = b.pick(options)
    if np.min(np.abs(np.asarray(value) - k)) < 2e-2:
        return None
    b.features.add("where")
    if (form, k) in guarded or (form, k) in nested:
        b.features.add("where-guard")
        b.note_autograd("autograd's where lets the untaken branch's NaN through")
        if (form, k) in nested:
            b.features.add("where-nested")
    with np.errstate(all="ignore"):
        return b.assign(form.format(v=v))


def join(b: _Builder) -> str | None:
    """np.concatenate / np.stack with a negative axis, of a value and a new
    parameter shaped to fit."""
    v = b.operand(array=True, min_rank=1)
    if v is None:
        return None
    shape = np.shape(b.env[v])
    rank = len(shape)
    if b.chance(0.5):
        axis = b.int_(0, rank - 1)
        other = list(shape)
        other[axis] = b.pick(DIMS)
        w = b.array_or_float("b", tuple(other))
        spelled = _axis_spelling(b, axis, rank)
        items = f"[{v}, {w}]" if b.chance(0.5) else f"({v}, {w})"
        return b.assign(f"np.concatenate({items}, axis={spelled})")
    if rank >= 4:
        return None
    axis = b.int_(0, rank)
    w = b.array_or_float("b", shape)
    return b.assign(f"np.stack([{v}, {w}], axis={_axis_spelling(b, axis, rank + 1)})")


def update(b: _Builder) -> str | None:
    """`t = <copy of v>; t op= <value>`: augmented assignment on a fresh array."""
    v = b.operand(array=True, min_rank=1)
    if v is None:
        return None
    shape = np.shape(b.env[v])
    t = b.assign(b.pick([f"{v} * 1.5", f"np.tanh({v})", f"{v}.copy()"]))
    if t is None:
        return None
    op = b.pick(["+=", "-=", "*=", "/="])
    cut = b.int_(0, len(shape))
    sub = shape[cut:]
    lo, hi = (0.5, 1.5) if op == "/=" else (-1.5, 1.5)
    other = b.array_or_float("b", sub, lo, hi) if sub else None
    if other is None:
        other = b.param("s", float(b.values_of((), lo, hi)), "float")
    namespace = {"np": np, **b.env}
    exec(f"{t} {op} {other}", namespace)
    b.lines.append(f"{t} {op} {other}")
    b.env[t] = namespace[t]
    b.features.add("augmented")
    return t


def pairwise(b: _Builder) -> str | None:
    """np.maximum/np.minimum/np.clip/np.outer of a value (kinks kept apart)."""
    v = b.operand(array=True)
    if v is None:
        return None
    value = np.asarray(b.env[v])
    kind = b.pick(["maximum", "minimum", "clip", "outer", "newaxis"])
    if kind in ("maximum", "minimum"):
        w = b.array_or_float("b", np.shape(value)[b.int_(0, value.ndim) :])
        if np.min(np.abs(value - b.env[w])) < 2e-2:
            return None
        b.features.add("kink")
        return b.assign(f"np.{kind}({v}, {w})")
    if kind == "clip":
        if np.min(np.minimum(np.abs(value - 0.5), np.abs(value + 0.5))) < 2e-2:
            return None
        b.features.add("kink")
        return b.assign(f"np.clip({v}, -0.5, 0.5)")
    if kind == "outer":
        w = b.param("w", b.values_of(b.shape(b.int_(1, 2))), "array")
        b.features.add("outer")
        return b.assign(f"np.outer({v}, {w})")
    return b.assign(b.pick([f"{v}[..., None]", f"{v}[None]", f"{v}[np.newaxis, ...]"]))


def setitem(b: _Builder) -> str | None:
    """`t = <a new array>; t[index] = value`: item assignment into an array
    the function made (repeated integer indices included: the last write wins)."""
    v = b.operand(array=True, min_rank=1)
    if v is None:
        return None
    shape = np.shape(b.env[v])
    t = b.assign(b.pick([f"np.zeros_like({v})", f"{v} * 1.0", f"np.tanh({v})"]))
    if t is None:
        return None
    text = _index_text(b, shape)
    try:
        target = np.shape(eval(f"{t}[{text}]", {"np": np, t: b.env[t]}))
    except Exception:
        return None
    if int(np.prod(target)) == 0:
        return None
    cells = np.arange(int(np.prod(shape))).reshape(shape)
    written = np.asarray(eval(f"cells[{text}]", {"np": np, "cells": cells}))
    if np.unique(written).size < written.size:
        if "setitem-repeated" in OPEN:
            return None
        b.features.add("setitem-repeated")
    form = b.pick(["full", "suffix", "float", "value"])
    if form == "float" or target == ():
        value = b.param("s", float(b.values_of(())), "float")
    elif form == "value" and any(np.shape(b.env[n]) == target for n in b.values[:-1]):
        value = b.pick([n for n in b.values[:-1] if np.shape(b.env[n]) == target])
    else:
        sub = target if form == "full" else target[b.int_(0, len(target)) :]
        value = b.array_or_float("b", sub)
    namespace = {"np": np, **b.env}
    namespace[t] = b.env[t].copy()
    try:
        exec(f"{t}[{text}] = {value}", namespace)
    except Exception:
        return None
    b.lines.append(f"{t}[{text}] = {value}")
    b.env[t] = namespace[t]
    b.features.add("setitem")
    return t


def axis_gate(b: _Builder) -> str | None:
    """Gates that take an axis (negative or tuple where NumPy allows):
    moveaxis, flip, roll, cumsum, cumprod, diff, take, prod, repeat, tile,
    broadcast_to, tensordot, atleast_2d/3d, diagonal, trace, vstack/hstack."""
    v = b.operand(array=True, min_rank=1)
    if v is None:
        return None
    shape = np.shape(b.env[v])
    rank = len(shape)

    def ax() -> int:
        return _axis_spelling(b, b.int_(0, rank - 1), rank)

    views = [f"np.moveaxis({v}, {ax()}, {ax()})", f"np.flip({v}, axis={ax()})"]
    if rank >= 2:
        views += [
            f"np.flip({v}, axis=({ax()},))",
            f"np.moveaxis({v}, ({ax()},), ({ax()},))",
            f"np.fliplr({v})",
            f"np.flipud({v})",
            f"np.rot90({v})",
        ]
    options = [] if "view-alias" in OPEN else views
    options += [
        f"np.roll({v}, {b.int_(-2, 2)}, axis={ax()})",
        f"np.cumsum({v}, axis={ax()})",
        f"np.cumprod({v}, axis={ax()})",
        f"np.diff({v}, axis={ax()})",
        f"np.take({v}, [{b.int_(0, shape[0] - 1)}, 0], axis={ax()})",
        f"np.prod({v}, axis={ax()})",
        f"np.repeat({v}, 2, axis={ax()})",
        f"np.tile({v}, (2,) + (1,) * {rank - 1})",
        f"np.broadcast_to({v}, (2,) + {v}.shape)",
        f"np.atleast_2d({v})",
        f"np.atleast_3d({v})",
        f"np.vstack([{v}, {v}])",
        f"np.hstack([{v}, {v}])",
    ]
    if rank >= 2:
        options += [
            f"np.diagonal({v}, axis1={ax()}, axis2={ax()})",
            f"np.trace({v})",
        ]
    if rank <= 2:
        w_shape = shape[-1:] + (b.pick(DIMS),)
        w = b.param("w", b.values_of(w_shape, -1.0, 1.0), "array")
        options.append(f"np.tensordot({v}, {w}, axes=1)")
        options.append(f"np.tensordot({v}, {w}, axes=([-1], [0]))")
    code = b.pick(options)
    name = code.split("(", 1)[0].split(".")[-1]
    if name in ("cumprod", "prod") and np.min(np.abs(b.env[v])) < 0.1:
        return None
    b.features.add(f"gate-{name}")
    if name in ("repeat", "tile", "diagonal", "moveaxis") and "-" in code:
        b.note_autograd(f"autograd's {name} mishandles negative axes")
    return b.assign(code)


def unpack(b: _Builder) -> str | None:
    """`n0, n1 = v.shape`, then a size in arithmetic and a reshape."""
    if "shape-unpack-state" in OPEN:
        return None
    v = b.operand(array=True, min_rank=2)
    if v is None:
        return None
    rank = np.ndim(b.env[v])
    sizes = [f"n{len(b.lines)}_{i}" for i in range(rank)]
    namespace = {"np": np, **b.env}
    exec(f"{', '.join(sizes)} = {v}.shape", namespace)
    b.lines.append(f"{', '.join(sizes)} = {v}.shape")
    for name in sizes:
        b.env[name] = namespace[name]
    b.features.add("shape-unpack")
    form = b.pick(
        [
            f"{v} / {sizes[0]}",
            f"{v}.reshape({sizes[0]}, -1) * 2.0",
            f"np.sum({v}) / ({sizes[0]} * {sizes[-1]})",
        ]
    )
    return b.assign(form)


CONSTRUCTS = [
    index,
    index,
    transpose,
    expand,
    squeeze,
    reshape,
    reduce,
    reduce,
    product,
    product,
    elementwise,
    elementwise,
    elementwise,
    where,
    join,
    update,
    pairwise,
    setitem,
    axis_gate,
    axis_gate,
    unpack,
]

# gates of bpgen.rules.RULES this grammar writes (test_generator_covers_rule_table)
GATES = (
    frozenset("""setitem moveaxis flip fliplr flipud rot90 roll cumsum cumprod diff take
    prod repeat tile broadcast_to atleast_2d atleast_3d vstack hstack diagonal
    trace tensordot""".split())
    - (
        frozenset("moveaxis flip fliplr flipud rot90".split())
        if "view-alias" in OPEN
        else frozenset()
    )
)


@st.composite
def wide_programs(draw) -> WideProgram:
    b = _Builder(draw)
    for _ in range(b.int_(1, 2)):
        b.array_param(b.shape(b.int_(0, 4)))
    for _ in range(b.int_(1, 4)):
        for _attempt in range(4):
            construct = b.pick(CONSTRUCTS)
            saved = (list(b.params), dict(b.env), set(b.features), list(b.values))
            if construct(b) is not None:
                break
            b.params, b.env, b.features, b.values = saved  # drop unused parameters
    last = b.values[-1]
    ret = b.pick(["value", "value", "loss", "tuple"])
    if ret == "loss" and not isinstance(b.env[last], float):
        body = b.pick([f"np.sum({last} ** 2)", f"np.mean({last})", f"{last}.sum()"])
    elif ret == "tuple" and len(b.values) >= 2:
        body = f"{last}, {b.values[-2]}"
    else:
        body = last
    assume(any(kind in ("array", "float") for _, _, kind in b.params))
    signature = ", ".join(name for name, _, _ in b.params)
    lines = "".join(f"    {line}\n" for line in b.lines)
    header = "import math\n\nimport numpy as np\n\n\n"
    source = f"{header}def f({signature}):\n{lines}    return {body}\n"
    return WideProgram(
        source,
        [value for _, value, _ in b.params],
        [name for name, _, _ in b.params],
        [name for name, _, kind in b.params if kind in ("array", "float")],
        b.features,
        b.autograd_note,
    )
