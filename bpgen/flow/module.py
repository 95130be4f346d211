"""The generated module around the composite: the user's helpers and constants
it reads, and one module merged from the parts' and the composite's texts."""

from __future__ import annotations

import ast
from typing import cast


def module_helpers(tree: ast.Module, text: str, code: str) -> list[str]:
    """The module's functions and constants the composite reads as they are (a
    loop's test or a branch's condition calling a helper), with what they read,
    in the module's order: the generated module must define them too."""
    own = {n.name for n in ast.parse(code).body if isinstance(n, ast.FunctionDef)}
    defs: dict[str, ast.stmt] = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            defs[node.name] = node
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for t in targets:
                if isinstance(t, ast.Name):
                    defs[t.id] = node

    def reads(node: ast.AST) -> set[str]:
        return {
            n.id
            for n in ast.walk(node)
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)
        }

    composite = ast.parse(code)
    own |= {  # the composite's locals shadow the module's names
        n.id if isinstance(n, ast.Name) else n.arg
        for n in ast.walk(composite)
        if isinstance(n, ast.arg)
        or (isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load))
    }
    wanted: set[str] = set()
    todo = [n for n in reads(composite) if n in defs and n not in own]
    while todo:
        name = todo.pop()
        if name in wanted:
            continue
        wanted.add(name)
        todo += [n for n in reads(defs[name]) if n in defs and n not in own]
    chosen = [node for node in tree.body if any(defs.get(w) is node for w in wanted)]
    # nodes parsed from this very text always have their positions
    return [cast(str, ast.get_source_segment(text, node)) for node in chosen]


def merge(texts: list[str], header: str) -> str:
    """One module from several: imports and helpers once, functions in order."""
    from ..emit import black_format

    imports: list[str] = []
    rest: list[str] = []
    seen: set[str] = set()
    for text in texts:
        lines = text.splitlines()
        for node in ast.parse(text).body:
            start = min(
                [node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])]
            )
            chunk = "\n".join(lines[start - 1 : node.end_lineno])
            key = getattr(node, "name", chunk)
            if key in seen:
                continue
            seen.add(key)
            (
                imports if isinstance(node, (ast.Import, ast.ImportFrom)) else rest
            ).append(chunk)
    body = "\n".join(imports) + "\n\n\n" + "\n\n\n".join(rest) + "\n"
    return header + "\n\n" + black_format(body)
