"""A part as a function of its own, in the user's module text (same lines and
columns, so the pipeline's errors point at the user's code)."""

from __future__ import annotations

import ast

from .items import Part
from .plan import Planner
from .syntax import item_writes

_ATOMS = (ast.Name, ast.Constant, ast.Call, ast.Attribute, ast.Subscript)


_OPS = {
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.Div: "/",
    ast.Pow: "**",
    ast.MatMult: "@",
    ast.FloorDiv: "//",
    ast.Mod: "%",
}


def part_source(planner: Planner, part: Part, name: str, span: tuple[int, int]):
    """Module text with the function replaced by `name`, the part's statements
    copied verbatim (same columns), and a map of its lines to the original's."""
    lines = list(planner.lines)
    start, end = span
    first = part.stmts[0].lineno
    last = part.stmts[-1].end_lineno or first
    body = lines[first - 1 : last]
    indent = len(body[0]) - len(body[0].lstrip())
    spans = []  # (line, start, end, name): the slices passed in whole
    for alias, subscript in part.slices.items():
        for s in part.stmts:
            for n in ast.walk(s):
                if (
                    isinstance(n, ast.Subscript)
                    and isinstance(n.value, ast.Name)
                    and n.value.id == subscript.value.id  # type: ignore[attr-defined]
                    and ast.dump(n.slice) == ast.dump(subscript.slice)
                ):
                    spans.append((n.lineno, n.col_offset, n.end_col_offset, alias))

    def segment(lineno: int, a: int, b: int | None = None) -> str:
        """Columns a..b of a line of the function, the slices renamed."""
        return planner.line(lineno, a, b, spans)

    body = [segment(first + i, 0) for i in range(len(body))]
    for stmt in part.stmts:  # `s += e` on an input would write into the caller's
        if (
            isinstance(stmt, ast.AugAssign)
            and isinstance(stmt.target, ast.Name)
            and stmt.target.id in part.inputs
            and stmt.lineno == stmt.end_lineno
        ):
            v = stmt.value
            value = segment(stmt.lineno, v.col_offset, v.end_col_offset)
            if not isinstance(stmt.value, _ATOMS):
                value = f"({value})"
            op = _OPS[type(stmt.op)]
            line = lines[stmt.lineno - 1]
            var = stmt.target.id
            body[stmt.lineno - first] = (
                line[: stmt.col_offset]
                + f"{var} = {var} {op} {value}"
                + line[stmt.end_col_offset :]
            )
    # `y[i] = v` into the function's own array `y`, made before this part: the
    # part writes into a copy, so no earlier record sees the change
    written = set().union(*map(item_writes, part.stmts))
    copied = [
        name
        for name in part.inputs
        if name in written
        and name not in planner.params
        and name not in planner.aliases
    ]
    for arr in written & set(part.inputs):
        if arr not in planner.aliases and arr not in copied:
            continue  # a parameter's own: refused by the stager
        write = next(
            n
            for s in part.stmts
            for n in ast.walk(s)
            if isinstance(n, ast.Subscript)
            and isinstance(n.ctx, ast.Store)
            and isinstance(n.value, ast.Name)
            and n.value.id == arr
        )
        # a name bound to it after the outermost loop around the write is fine
        outer = next(
            s.end_lineno or s.lineno
            for s in planner.function.body
            if s.lineno <= write.lineno <= (s.end_lineno or s.lineno)
        )
        if arr not in planner.aliases and not any(
            arr in (t, v) and line <= outer for t, v, line in planner.sharing
        ):
            continue
        held = "another array (an alias, a slice, .T, reshape)"
        if arr in planner.aliases:
            held = f"the parameter `{planner.aliases[arr]}`, the caller's array"
        raise planner.error(
            write,
            f"`{arr}` shares its memory with {held}; bpgen cannot write "
            f"into it item by item in this loop",
            f"make `{arr}` a new array (`{arr} = np.zeros(...)` or "
            f"`.copy()`) that no other name holds",
        )
    body[:0] = [" " * indent + f"{name} = {name}.copy()" for name in copied]
    signature = []
    for arg in planner.function.args.args + planner.function.args.kwonlyargs:
        if arg.arg in part.inputs and arg.annotation is not None:
            signature.append(f"{arg.arg}: {ast.unparse(arg.annotation)}")
    signature += [f"{n}: int" for n in part.inputs if n in planner.ints]
    annotated = {s.split(":")[0] for s in signature}
    signature += [n for n in part.inputs if n not in annotated]
    signature.sort(key=lambda s: part.inputs.index(s.split(":")[0]))
    kept = lines[: start - 1] + [""] * (end - start + 1) + lines[end:]
    mapping = {}
    for node in planner.nested:  # the function's own helpers, at module level
        text = lines[node.lineno - 1 : node.end_lineno]
        cut = node.col_offset
        kept += ["", ""]
        for i, line in enumerate(text):
            mapping[len(kept) + 1] = node.lineno + i
            kept.append(line[cut:] if line[:cut].strip() == "" else line)
    at = len(kept) + 2
    kept += ["", "", f"def {name}({', '.join(signature)}):"]
    for i, line in enumerate(body):
        kept.append(line)
        mapping[at + 2 + i] = first + max(i - len(copied), 0)
    if not part.returns:
        outs = ", ".join(part.outputs) if part.outputs else "None"
        kept.append(" " * indent + f"return {outs}")
    return "\n".join(kept) + "\n", mapping
