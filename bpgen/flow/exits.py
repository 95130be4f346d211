"""`return` inside a loop as an early exit (`if converged: return y`): when
only `return y`, the function's last statement, follows the loop, the
`return` is a `break` (after `y = v` when it returns another value), so the
rest of the plan sees an ordinary loop. Any other `return` in a loop is
refused where it is."""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

from .syntax import stores

if TYPE_CHECKING:
    from .plan import Planner


def early_exits(planner: Planner, body: list[ast.stmt]) -> None:
    """`return v` in a loop that only the function's last statement,
    `return y`, follows: an early exit (`if converged: return y`). It
    becomes `break` (`y = v` first when v is another value)."""
    for k, stmt in enumerate(body):
        if not isinstance(stmt, (ast.For, ast.While)):
            continue
        rest = body[k + 1 :]
        final = rest[0].value if len(rest) == 1 else None  # type: ignore
        local = stores(planner.function) - {
            a.arg for a in ast.walk(planner.function.args) if isinstance(a, ast.arg)
        }
        for ret, depth in _returns_in(stmt, 0):
            same = (
                isinstance(rest[0] if rest else None, ast.Return)
                and final is not None
                and ret.value is not None
                and ast.dump(ret.value) == ast.dump(final)
            )
            named = (
                isinstance(final, ast.Name)
                and final.id in local
                and ret.value is not None
                and ret.value.lineno == ret.lineno
            )
            if depth != 1 or not (same or named):
                value = (
                    ret.value is not None
                    and ast.get_source_segment(planner.text, ret.value)
                ) or "..."
                what = (
                    "only as an early exit: the function's last statement, "
                    "right after the loop, must return a local name"
                )
                message = f"`return` inside a loop is supported {what}"
                if depth != 1:
                    message = (
                        "`return` inside a nested loop is not supported (it "
                        "leaves the outer loops too)"
                    )
                raise planner.error(
                    ret,
                    message,
                    f"assign the result and `break` (`result = {value}`), "
                    "then `return result` after the loop",
                )
        for node in ast.walk(stmt):
            for field in ("body", "orelse"):
                stmts = getattr(node, field, None)
                if isinstance(stmts, list):
                    stmts[:] = [n for s in stmts for n in _exit(planner, s, final)]


def _exit(planner: Planner, stmt: ast.stmt, final) -> list[ast.stmt]:
    """`return v` as `break`, or as `y = v` then `break`."""
    if not isinstance(stmt, ast.Return):
        return [stmt]
    leave = ast.copy_location(ast.Break(), stmt)
    value = stmt.value
    assert value is not None  # a bare `return` in a loop was refused above
    if ast.dump(value) == ast.dump(final):
        return [leave]
    planner.edit(stmt.lineno, stmt.col_offset, value.col_offset, f"{final.id} = ")
    target = ast.copy_location(ast.Name(final.id, ast.Store()), stmt)
    target.end_lineno = stmt.lineno
    target.end_col_offset = stmt.col_offset + len(final.id)
    assign = ast.copy_location(ast.Assign([target], value), stmt)
    return [assign, leave]


def _returns_in(node: ast.AST, depth: int) -> list[tuple[ast.Return, int]]:
    """The `return`s under `node`, each with how many loops hold it."""
    if isinstance(node, ast.Return):
        return [(node, depth)]
    if isinstance(node, (ast.FunctionDef, ast.Lambda)):
        return []
    depth += isinstance(node, (ast.For, ast.While))
    out = []
    for child in ast.iter_child_nodes(node):
        out += _returns_in(child, depth)
    return out
