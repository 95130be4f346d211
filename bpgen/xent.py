"""Softmax and cross-entropy as one gate: `ds = -p * g; ds[rows, y] += g`.

    e = np.exp(s); p = e / np.sum(e, axis=1, keepdims=True)
    loss = -np.sum(np.log(p[np.arange(N), y])) / N

staged gate by gate, the backward scatters into a zero array with
`np.add.at`, divides by the row sums and subtracts a row sum of products.
Per picked row i the gradient of `log p[i, y_i]` is `onehot(y_i) - p[i]`, so a
person writes `dscores = probs.copy(); dscores[range(N), y] -= 1` (times the
incoming gradient). That is exact only when every row is picked exactly
once: the pick is `p[np.arange(...), y]` and the declared shapes prove it
has one entry per row of `p` (a 2-D p, softmax along axis 1). Then the log
stage takes `s` as its input (gate XENT) and the stages between are no
longer differentiated; they still run in the forward, which caches `p`.

Without that proof (no shapes declared) the gate calls the module's
`_softmax_pick`, which checks one pick per row at run time (a few hundred ns)
and otherwise falls back to the form exact for any pick: with G the incoming
gradient scattered at the picks, `ds = G - p * sum(G along the softmax axis)`.
"""

from __future__ import annotations

import ast
import copy
import dataclasses
from typing import cast

from .ir import Branch
from .kinds import names_in
from .lower import NP
from .patterns import name_of, restaged
from .patterns import readers as read_by
from .shapes import Shapes
from .stage import Program, Stage

XENT = "log_softmax_pick"

# the generated module's `_softmax_pick`, for a pick the shapes do not prove
SOFTMAX_PICK = "\x00softmax_pick\x00"
SOFTMAX_PICK_HELPER = '''def {name}(probs, rows, cols, grad, axis):
    """d log(probs[rows, cols]) / d scores, probs their softmax along axis."""
    if (
        probs.ndim == 2
        and len(rows) == len(probs)
        and {np}.shape(cols) in ((), (1,), rows.shape)
    ):  # each row picked once: -probs * grad, plus grad at the picks
        column = {np}.reshape(grad, (-1, 1)) if getattr(grad, "ndim", 0) else grad
        dscores = probs * -column
        dscores[rows, cols] += grad
        return dscores
    dscores = {np}.zeros_like(probs)  # any pick: G - probs * (G summed per softmax)
    {np}.add.at(dscores, (rows, cols), grad)
    dscores -= probs * {np}.sum(dscores, axis=axis, keepdims=True)
    return dscores
'''


def fuse(program: Program, shapes: Shapes) -> Program:
    """`program` with each provable `log(softmax(s)[rows, y])` as one XENT stage."""
    if not any(s.gate == "getitem" for s in program.stages):
        return program
    if restaged(program):
        return program
    by_target = {s.target: s for s in program.stages}
    readers = read_by(program)
    outputs = set().union(*map(names_in, program.outputs)) if program.outputs else set()
    stages: list[Stage | Branch] = []
    for stage in program.stages:
        fused = _fused(stage, by_target, readers, outputs, shapes)
        stages.append(fused or stage)
    return dataclasses.replace(program, body=stages)


def _only(name: str, readers, outputs, allowed: set[str]) -> bool:
    """`name` is read only by the stages named in `allowed`, and not returned."""
    uses = {r.target for r in readers.get(name, [])}
    return name not in outputs and bool(uses) and uses <= allowed


def _fused(stage: Stage, by_target, readers, outputs, shapes: Shapes) -> Stage | None:
    """The XENT stage replacing `stage`, when it ends a provable pattern."""
    found = _softmax_pick(stage, by_target, readers, outputs)
    if found is None:
        found = _log_softmax_pick(stage, by_target, readers, outputs)
    if found is None:
        return None
    s, probs, pick, p, axis = found
    if not _rows_picked(pick):
        return None
    params = {
        "index": pick.params["index"],
        "probs": probs,
        "axis": axis,
        "proved": ast.Constant(_one_per_row(pick, p, shapes)),
    }
    return dataclasses.replace(stage, gate=XENT, inputs={"a": s}, params=params)


def _softmax_pick(log: Stage, by_target, readers, outputs):
    """`log(p[rows, y])` with `p = e / sum(e)`, `e = exp(s)`: (s, p, pick, p)."""
    if log.gate != "log":
        return None
    pick = by_target.get(name_of(log.inputs.get("x")) or "")
    if pick is None or pick.gate != "getitem":
        return None
    p = by_target.get(name_of(pick.inputs.get("a")) or "")
    if p is None or p.gate != "div":
        return None
    e = by_target.get(name_of(p.inputs.get("x")) or "")
    total = by_target.get(name_of(p.inputs.get("y")) or "")
    if e is None or total is None or e.gate != "exp" or total.gate != "sum":
        return None
    if name_of(total.inputs.get("a")) != e.target or not _along_rows(total):
        return None
    s = e.inputs.get("x")
    chain = {
        pick.target: {log.target},
        p.target: {pick.target},
        total.target: {p.target},
        e.target: {total.target, p.target},
    }
    if not isinstance(s, ast.Name) or not _closed(chain, readers, outputs):
        return None
    return s, ast.Name(p.target, ast.Load()), pick, p.target, total.params["axis"]


def _log_softmax_pick(pick: Stage, by_target, readers, outputs):
    """`lp[rows, y]` with `lp = s - logsumexp(s)`: (s, np.exp(lp), pick, lp)."""
    if pick.gate != "getitem":
        return None
    lp = by_target.get(name_of(pick.inputs.get("a")) or "")
    if lp is None or lp.gate != "sub":
        return None
    s = lp.inputs.get("x")
    lse = by_target.get(name_of(lp.inputs.get("y")) or "")
    if not isinstance(s, ast.Name) or lse is None or lse.gate != "logsumexp":
        return None
    if name_of(lse.inputs.get("a")) != s.id or not _along_rows(lse):
        return None
    chain = {lp.target: {pick.target}, lse.target: {lp.target}}
    if not _closed(chain, readers, outputs):
        return None
    exp = ast.Attribute(ast.Name(NP, ast.Load()), "exp", ast.Load())
    probs = ast.Call(exp, [ast.Name(lp.target, ast.Load())], [])
    return s, probs, pick, lp.target, lse.params["axis"]


def _closed(chain: dict[str, set[str]], readers, outputs) -> bool:
    return all(_only(n, readers, outputs, ok) for n, ok in chain.items())


def _along_rows(total: Stage) -> bool:
    axis_node, keepdims_node = total.params.get("axis"), total.params.get("keepdims")
    if axis_node is None or keepdims_node is None:
        return False  # as literal_eval(None) would say (ValueError)
    try:
        axis = ast.literal_eval(axis_node)
        keepdims = ast.literal_eval(keepdims_node)
    except ValueError:
        return False
    return axis in (1, -1) and keepdims is True


def _rows_picked(pick: Stage) -> bool:
    """The pick is `p[np.arange(...), y]`: each row at most once."""
    index = pick.params.get("index")
    if not (isinstance(index, ast.Tuple) and len(index.elts) == 2):
        return False
    rows = index.elts[0]
    return (
        isinstance(rows, ast.Call)
        and isinstance(rows.func, ast.Attribute)
        and rows.func.attr == "arange"
        and name_of(rows.func.value) == NP
        and len(rows.args) == 1
        and not rows.keywords
    )


def _one_per_row(pick: Stage, p: str, shapes: Shapes) -> bool:
    """The declared shapes prove one entry per row of a 2-D `p`: as many
    picks as rows, and `np.arange` as long as the rows (`np.arange(1)` with
    labels of shape (N,) picks row 0 N times)."""
    dims = shapes.dims
    if dims is None:
        return False
    p_shape, picked = dims.shape.get(p), dims.shape.get(pick.target)
    if p_shape is None or picked is None or len(p_shape) != 2 or len(picked) != 1:
        return False
    index = cast(ast.Tuple, pick.params["index"])  # `_rows_picked` checked
    rows = dims.size(cast(ast.Call, index.elts[0]).args[0])
    n = dims.root(p_shape[0])
    return rows is not None and dims.root(rows) == n and dims.root(picked[0]) == n


def backward(reverse, stage: Stage) -> None:
    """`ds = -p * g[:, None]` (or times a scalar g), then `ds[rows, y] += g`."""
    from .reverse import Block, _broadcast_value

    grad = reverse.grad[stage.target]
    g: ast.expr = ast.Name(grad, ast.Load())
    spread = _spread(reverse.blocks, grad, _broadcast_value)
    owner = {grad: var for var, grad in reverse.grad.items()}
    if (
        isinstance(spread, ast.Name)
        and reverse.shapes.rank.get(owner.get(spread.id)) != 0
    ):
        spread = None  # only a 0-d value is each row's gradient as it stands
    if spread is not None:
        g = spread  # `dl = np.full_like(l, v)`: v is every row's gradient
    if not cast(ast.Constant, stage.params["proved"]).value:  # set by _fused
        _checked(reverse, stage, g)
        return
    s = cast(ast.Name, stage.inputs["a"])  # the softmax's input: a staged name
    reverse.blocks.append(Block(stage))
    np_reshape = ast.Attribute(ast.Name(NP, ast.Load()), "reshape", ast.Load())
    column = ast.Tuple([ast.Constant(-1), ast.Constant(1)], ast.Load())
    if spread is not None or reverse.shapes.rank.get(grad) == 0:
        factor: ast.expr = g
    else:
        factor = ast.Call(np_reshape, [g, column], [])
    probs = ast.UnaryOp(ast.USub(), copy.deepcopy(stage.params["probs"]))
    reverse.contribute(s.id, ast.BinOp(probs, ast.Mult(), factor))
    name = reverse.grad[s.id]
    if name in reverse.owned and reverse.options.inplace:
        # one entry per row: no index repeats, so a plain += adds each once
        item = ast.Subscript(
            ast.Name(name, ast.Load()),
            copy.deepcopy(stage.params["index"]),
            ast.Store(),
        )
        reverse._emit(ast.AugAssign(item, ast.Add(), g))
    else:
        reverse.scatter(s.id, s, stage.params["index"], g)


def _checked(reverse, stage: Stage, g: ast.expr) -> None:
    """`ds = _softmax_pick(p, rows, y, g, axis)`: one pick per row checked at
    run time; a new array either way."""
    from .reverse import Block

    reverse.blocks.append(Block(stage))
    rows, cols = cast(ast.Tuple, stage.params["index"]).elts  # `_rows_picked`
    args = [stage.params["probs"], rows, cols, g, stage.params["axis"]]
    call = ast.Call(ast.Name(SOFTMAX_PICK, ast.Load()), copy.deepcopy(args), [])
    reverse.contribute(cast(ast.Name, stage.inputs["a"]).id, call)


def _spread(blocks, name: str, broadcast_value) -> ast.expr | None:
    """The scalar `v` when `name`'s one definition is `np.full_like(_, v)`."""
    found = [
        st
        for block in blocks
        for st in block.statements
        if isinstance(st, (ast.Assign, ast.AugAssign, ast.Expr)) and name in _stored(st)
    ]
    if len(found) != 1 or not isinstance(found[0], ast.Assign):
        return None
    value = broadcast_value(found[0].value)
    if isinstance(value, ast.Name) or (
        isinstance(value, ast.Constant) and isinstance(value.value, (int, float))
    ):
        return copy.deepcopy(value)
    return None


def _stored(statement: ast.stmt) -> set[str]:
    if isinstance(statement, ast.Expr):  # np.add.at(dv, ...)
        args = getattr(statement.value, "args", [])
        return {args[0].id} if args and isinstance(args[0], ast.Name) else set()
    return {
        n.id
        for n in ast.walk(statement)
        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)
    } | {
        n.value.id
        for n in ast.walk(statement)
        if isinstance(n, ast.Subscript)
        and isinstance(n.ctx, ast.Store)
        and isinstance(n.value, ast.Name)
    }
