"""Divide a gradient by a per-row or per-column vector as a product.

    xhat = xmu / sqrtvar        # sqrtvar: np.sqrt(np.var(x, axis=0) + eps)

makes the backward divide the whole incoming gradient, `dxmu = dxhat /
sqrtvar`; a person multiplies by the vector's reciprocal, `dxhat * ivar`,
because a division costs more than a product per element (a 256x512 array
by a 512-vector: about 63 µs against 56 µs on the benchmark machine). This
pass writes `dxmu = dxhat * (1 / sqrtvar)`: the reciprocal is taken of the
vector alone. Only where the shapes prove the divisor smaller than the
gradient (`Shapes.into`, or the declared shapes): otherwise it would add a
full-size division. Without declared shapes, `np.sqrt(var + eps)` is of
unknown size, as eps may be any array; the pass takes such a divisor as
smaller too (`Shapes.likely`: a proven smaller value met only by numbers and
parameters outside wrt). Should eps be as large as x after all, the
gradient is still exact and pays one more full-size division. The forward
keeps its division: it must compute exactly the user's value, and the
backward may round differently in the last bit.
"""

from __future__ import annotations

import ast

from .blocks import UNBROADCAST, Block
from .shapes import SCALAR, Shapes, summed_axes


def multiply_by_reciprocals(
    blocks: list[Block], owner: dict[str, str], shapes: Shapes
) -> list[Block]:
    """Each `dv = e / w`, w a forward value proven smaller than v, as
    `dv = e * (1 / w)`. `owner` maps a gradient to its variable."""
    for block in blocks:
        for statement in block.statements:
            if not (
                isinstance(statement, ast.Assign)
                and len(statement.targets) == 1
                and isinstance(statement.targets[0], ast.Name)
            ):
                continue
            value = _summed(statement.value)
            if not (isinstance(value, ast.BinOp) and isinstance(value.op, ast.Div)):
                continue
            divisor = value.right
            variable = owner.get(statement.targets[0].id)
            if not isinstance(divisor, ast.Name) or variable is None:
                continue
            if divisor.id in owner or not _smaller(shapes, divisor.id, variable):
                continue  # a gradient, or not a proven per-row/column vector
            inverse = ast.BinOp(ast.Constant(1), ast.Div(), divisor)
            value.op, value.right = ast.Mult(), inverse
    return blocks


def _summed(value: ast.expr) -> ast.expr:
    """The gradient `_unbroadcast(e, shape)` sums back: e (else `value`)."""
    if (
        isinstance(value, ast.Call)
        and isinstance(value.func, ast.Name)
        and value.func.id == UNBROADCAST
        and value.args
    ):
        return value.args[0]
    return value


def _smaller(shapes: Shapes, small: str, big: str) -> bool:
    """`small`, an array, broadcasts into `big`'s shape along some axis (a
    number divides as fast as it multiplies: `dout / p` stays)."""
    if shapes.rank.get(small) == 0 or shapes.klass.get(small) == SCALAR:
        return False
    klass = shapes.klass.get(big)
    into = shapes.into.get(small) or shapes.likely.get(small)
    if klass is not None and into is not None and into.klass == klass:
        return bool(into.axes)
    summed = summed_axes(shapes, small, big)  # declared: (lead, kept) axes
    return summed is not None and any(summed)
