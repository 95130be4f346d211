"""Which names share memory (`z = y`, `z = y[1:]`, `z = y.T`, `for z in y`): a
part must not write into a copy of one of them, the other would not see it."""

from __future__ import annotations

import ast

from ..rules import VIEW_CALLS

_VIEW_ATTRS = frozenset({"T", "mT", "real", "imag", "flat"})


_VIEWS = VIEW_CALLS | {"view", "asarray", "asanyarray"}


def _shared(value: ast.expr) -> set[str]:
    """Names whose memory `value` may share: `x`, `x[...]`, `x.T`,
    `x.reshape(...)`, `np.asarray(x)` (a copy or not, it may be a view)."""
    if isinstance(value, ast.Name):
        return {value.id}
    if isinstance(value, ast.Subscript) or (
        isinstance(value, ast.Attribute) and value.attr in _VIEW_ATTRS
    ):
        return _shared(value.value)
    func = value.func if isinstance(value, ast.Call) else None
    if isinstance(func, ast.Attribute) and func.attr in _VIEWS:
        first = _shared(value.args[0]) if value.args else set()  # type: ignore[attr-defined]
        return _shared(func.value) | first
    if isinstance(value, (ast.Tuple, ast.List)):
        return set().union(*map(_shared, value.elts)) if value.elts else set()
    return set()


def sharing(function: ast.FunctionDef, locals_: set[str]) -> set[tuple[str, str, int]]:
    """(target, value, line) of names bound to memory another name holds."""
    edges = set()
    for n in ast.walk(function):
        if isinstance(n, (ast.Assign, ast.AnnAssign)) and n.value is not None:
            targets = n.targets if isinstance(n, ast.Assign) else [n.target]
            value = n.value
        elif isinstance(n, ast.For):
            targets, value = [n.target], n.iter
        else:
            continue
        for t in targets:
            if isinstance(t, ast.Subscript):
                continue  # `y[i] = v` copies v into y
            for name in {m.id for m in ast.walk(t) if isinstance(m, ast.Name)}:
                shared = _shared(value) & locals_ - {name}
                edges |= {(name, v, n.lineno) for v in shared}
    return edges
