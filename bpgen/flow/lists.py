"""Lists a function builds in a loop (`hs = []`, then `hs.append(h)`) and reads
once built: `np.stack(hs, axis=1)`, `np.array(hs)`, `sum(hs)`, and at the
function's top level `max(hs)`/`min(hs)` of numbers (the first extreme item
takes the gradient, the item Python's max returns).

Each append and each read is a list item of the plan (ListOp). An appended
expression, or a read inside a larger expression, first gets a name of its
own, so what is left is ordinary parts: `hs.append(h * 2.0)` is planned as
`hs_item = (h * 2.0)` then `hs.append(hs_item)`, and `out = np.stack(hs,
axis=1) @ W` as `hs_stacked = np.stack(hs, axis=1)` then `out = hs_stacked @
W` (the planner's text edits say so to the parts and the forward).
"""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

from .items import ListOp

if TYPE_CHECKING:
    from .plan import Planner

# what a read inside an expression is named after: hs -> hs_stacked
_SUFFIX = {"stack": "stacked", "array": "array", "sum": "sum", "concatenate": "cat"}
_SUFFIX |= {"max": "max", "min": "min"}
_SUFFIX |= {"vstack": "stacked", "hstack": "cat", "column_stack": "columns"}
# joined like np.concatenate; the backward reshapes each item's piece
_JOINS = ("vstack", "hstack", "column_stack")


def list_op(planner: Planner, stmt: ast.stmt) -> ListOp | None:
    """`hs.append(v)`, or a statement that is one read: `y = np.stack(hs,
    axis=1)`, `return np.array(hs)`, `total = sum(losses)`."""
    if (
        isinstance(stmt, ast.Expr)
        and isinstance(stmt.value, ast.Call)
        and isinstance(stmt.value.func, ast.Attribute)
        and stmt.value.func.attr == "append"
        and isinstance(stmt.value.func.value, ast.Name)
        and stmt.value.func.value.id in planner.lists
    ):
        return _append(planner, stmt, stmt.value)
    returns = isinstance(stmt, ast.Return)
    if (
        isinstance(stmt, ast.Return)
        or isinstance(stmt, ast.Assign)
        and len(stmt.targets) == 1
        and isinstance(stmt.targets[0], ast.Name)
    ) and isinstance(stmt.value, ast.Call):
        read = _read(planner, stmt, stmt.value)
        if read is not None:
            kind, name, axis = read
            target = "out" if returns else stmt.targets[0].id  # type: ignore
            joined = _joined(stmt.value)
            return ListOp(stmt, kind, name, target, axis, returns, joined=joined)
    return None


def _append(planner: Planner, stmt: ast.Expr, call: ast.Call) -> ListOp:
    lst = call.func.value.id  # type: ignore[attr-defined]
    args = call.args
    if len(args) != 1 or call.keywords or isinstance(args[0], ast.Starred):
        raise planner.error(
            stmt,
            "append one value to a list built in a loop",
            f"append the values one by one: `{lst}.append(v)`",
        )
    if isinstance(args[0], ast.Name):
        return ListOp(stmt, "append", lst, args[0].id)
    func = call.func
    if func.lineno != func.end_lineno:
        raise planner.error(
            stmt,
            "append a name to a list built in a loop",
            f"assign the value to a name first: `h = ...; {lst}.append(h)`",
        )
    name = planner.fresh(f"{lst}_item")
    planner.locals.add(name)
    # `hs.append(h * 2.0)` reads as `hs_item =(h * 2.0)`: the parentheses stay,
    # and so do the columns after them (errors point at the user's text)
    assert func.end_col_offset is not None  # parsed: it has its position
    planner.edit(stmt.lineno, stmt.col_offset, func.end_col_offset, f"{name} =")
    target = ast.Name(name, ast.Store())
    ast.copy_location(target, stmt)
    target.end_lineno, target.end_col_offset = stmt.lineno, stmt.col_offset + len(name)
    value = ast.Assign(targets=[target], value=args[0])
    ast.copy_location(value, stmt)
    return ListOp(
        stmt, "append", lst, name, value=value, written=f"{lst}.append({name})"
    )


def _read(
    planner: Planner, stmt: ast.stmt, call: ast.Call
) -> tuple[str, str, int] | None:
    """(kind, list, axis) of `np.stack(hs, axis=k)`, `np.array(hs)`, `sum(hs)`."""
    func = call.func
    if not call.args or not isinstance(call.args[0], ast.Name):
        return None
    lst = call.args[0].id
    if lst not in planner.lists:
        return None
    if isinstance(func, ast.Name) and func.id in ("sum", "max", "min"):
        if len(call.args) == 1 and not call.keywords:
            return func.id, lst, 0
        return None
    if not (
        isinstance(func, ast.Attribute)
        and func.attr in ("stack", "array", "concatenate", *_JOINS)
    ):
        return None
    if func.attr in _JOINS:
        if len(call.args) != 1 or call.keywords:
            raise planner.error(
                stmt,
                f"np.{func.attr} of a list built in a loop takes the list alone",
                None,
            )
        return "concat", lst, 0
    if func.attr == "array" and (len(call.args) != 1 or call.keywords):
        return None
    axis = 0
    rest = call.args[1:] + [k.value for k in call.keywords]
    if len(rest) > 1 or any(k.arg != "axis" for k in call.keywords):
        raise planner.error(stmt, f"np.{func.attr} of a list takes only axis=", None)
    if rest:
        value = rest[0]
        if isinstance(value, ast.UnaryOp) and isinstance(value.op, ast.USub):
            value = ast.Constant(-value.operand.value)  # type: ignore[attr-defined]
        if not isinstance(value, ast.Constant) or not isinstance(value.value, int):
            raise planner.error(
                stmt, f"the axis of np.{func.attr} must be a number", None
            )
        axis = value.value
    if func.attr == "concatenate":
        return "concat", lst, axis
    return "stack", lst, axis  # np.array(hs) stacks along axis 0


def inner_reads(planner: Planner, stmt: ast.stmt) -> list[ListOp]:
    """Reads of built lists inside `stmt`'s expression, each taken out under a
    name of its own (`np.stack(hs, axis=1) @ W` becomes `hs_stacked @ W`)."""
    if not isinstance(stmt, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Return)):
        return []
    ops: list[ListOp] = []

    class Take(ast.NodeTransformer):
        def visit_Call(self, call: ast.Call) -> ast.AST:
            read = _read(planner, stmt, call)
            if read is None:
                self.as_arrays(call)
                return self.generic_visit(call)
            kind, lst, axis = read
            if call.lineno != call.end_lineno:
                raise planner.error(
                    call,
                    f"a read of the list `{lst}` written over several lines",
                    f"write it on one line, or name it first: "
                    f"`{lst}_array = np.stack({lst})`",
                )
            builtin = kind in ("sum", "max", "min")
            spelled = call.func.id if builtin else call.func.attr  # type: ignore
            name = planner.fresh(f"{lst}_{_SUFFIX[spelled]}")
            planner.locals.add(name)
            text = ast.get_source_segment(planner.text, call) or ""
            assert call.end_col_offset is not None  # parsed: it has its position
            width = call.end_col_offset - call.col_offset
            # padded to the call's width, so later columns on the line stay put
            planner.edit(
                call.lineno, call.col_offset, call.end_col_offset, name.ljust(width)
            )
            written = f"{name} = {text}"
            joined = _joined(call)
            ops.append(
                ListOp(stmt, kind, lst, name, axis, written=written, joined=joined)
            )
            return ast.copy_location(ast.Name(name, ast.Load()), call)

        def as_arrays(self, call: ast.Call) -> None:
            """`np.sum(hs)`, `np.mean(hs, axis=0)`: NumPy reads a list of
            equal-shape arrays as `np.array(hs)`; so does bpgen (`hs_array`)."""
            func = call.func
            if not (
                isinstance(func, ast.Attribute)
                and isinstance(func.value, ast.Name)
                and func.value.id in _numpy_names(planner)
                and func.attr not in ("array", "asarray", "stack", "concatenate")
            ):
                return
            for arg in call.args:
                if isinstance(arg, ast.Name) and arg.id in planner.lists:
                    name = planner.fresh(f"{arg.id}_array")
                    planner.locals.add(name)
                    planner.edit(arg.lineno, arg.col_offset, arg.end_col_offset, name)  # type: ignore[arg-type]
                    written = f"{name} = {func.value.id}.array({arg.id})"
                    ops.append(ListOp(stmt, "stack", arg.id, name, 0, written=written))
                    arg.id = name

    Take().visit(stmt)
    return ops


def _joined(call: ast.Call) -> str:
    func = call.func
    if isinstance(func, ast.Attribute) and func.attr in _JOINS:
        return func.attr
    return "concatenate"


def _numpy_names(planner: Planner) -> set[str]:
    """The names the module imports NumPy as (`import numpy as np`)."""
    found = getattr(planner, "_numpy_names", None)
    if found is None:
        found = {
            alias.asname or alias.name
            for node in ast.walk(ast.parse(planner.text))
            if isinstance(node, ast.Import)
            for alias in node.names
            if alias.name == "numpy"
        }
        planner._numpy_names = found  # type: ignore[attr-defined]
    return found
