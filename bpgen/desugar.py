"""Everyday expressions rewritten as the statements bpgen already stages.

Users write `y = a if c else b`, `np.stack([f(x) for x in xs])`,
`sum(w**2 for w in ws)` and `g = lambda t: t * t`; bpgen differentiates the
statements these mean: an `if`/`else` with one assignment per arm, loops
appending to a list (one per `for`, nested; in a loop body the list is made
anew in each iteration), a nested `def`. Rewriting the text once, before
parsing, gives both the stager and bpgen/flow/ (which copies the user's
lines) the same program, so neither needs a case of its own. A conditional
expression or comprehension inside a larger expression is first computed
into a fresh name (`picked`, `items`) on the lines before its statement.

The rewritten text keeps a `LineMap` back to the user's lines and columns:
`restore` points an error raised in the rewritten text at the user's code.
Text bpgen cannot rewrite (a statement sharing its line, a `while` test) is
left alone, and the stager refuses it where it stands.
"""

from __future__ import annotations

import ast
import functools
from dataclasses import dataclass

from .errors import BpgenError

# where a piece of the new text came from: (new column, line, column, copied)
Segment = tuple[int, int, int, bool]
# a piece of new text: (text, line, column, copied); a copied piece is the
# user's text from that place on, any other piece stands for that place
Piece = tuple[str, int, int, bool]
Line = list[Piece]

# builtins whose one argument may be a generator expression: a list is the same
_REDUCTIONS = frozenset({"sum", "max", "min"})


@dataclass(frozen=True)
class LineMap:
    """Positions in the rewritten text, back to the user's text."""

    lines: tuple[str, ...]  # the user's lines
    segments: tuple[tuple[Segment, ...], ...]  # per rewritten line

    def where(self, line: int, col: int) -> tuple[int, int]:
        """The user's (line, column) of rewritten (line, column), 1-based lines."""
        if not 0 < line <= len(self.segments) or not self.segments[line - 1]:
            return line, col
        found = self.segments[line - 1][0]
        for segment in self.segments[line - 1]:
            if segment[0] <= col:
                found = segment
        start, orig_line, orig_col, copied = found
        return orig_line, orig_col + (col - start if copied else 0)


def restore(exc: BpgenError, linemap: LineMap | None, offset: int) -> BpgenError:
    """Point `exc`, raised in the rewritten text, at the user's line and column."""
    if linemap is None or exc.lineno is None or getattr(exc, "_restored", False):
        return exc
    line, col = linemap.where(exc.lineno - offset, exc.col_offset or 0)
    exc.lineno, exc.col_offset = line + offset, col
    if 0 < line <= len(linemap.lines):
        exc.source_line = linemap.lines[line - 1]
    exc._restored = True  # type: ignore[attr-defined]
    exc.args = (exc.render(),)
    return exc


@functools.lru_cache(maxsize=16)
def rewrite(text: str) -> tuple[str, LineMap | None]:
    """`text` with every conditional expression, comprehension and named
    lambda the rewriter accepts turned into statements; None for the map
    when nothing changed."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return text, None
    wanted = (ast.IfExp, ast.ListComp, ast.GeneratorExp, ast.Lambda)
    functions = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)]
    if not any(isinstance(n, wanted) for f in functions for n in ast.walk(f)):
        return text, None
    try:
        new, linemap = _Rewriter(text, tree).run()
        ast.parse(new)
    except (SyntaxError, ValueError, RecursionError):  # pragma: no cover - a bug
        return text, None
    return (new, linemap) if new != text else (text, None)


def _chars(line: str, byte_col: int) -> int:
    """ast's columns count UTF-8 bytes; LibCST's and the user's count characters."""
    return len(line.encode()[:byte_col].decode("utf-8", errors="ignore"))


class _Rewriter:
    def __init__(self, text: str, tree: ast.Module) -> None:
        self.text = text
        self.lines = text.splitlines()
        self.tree = tree
        self.taken = {
            getattr(n, attr)
            for n in ast.walk(tree)
            for attr in ("id", "arg", "name", "asname")
            if isinstance(getattr(n, attr, None), str)
        }
        self.replaced: dict[int, tuple[int, list[Line]]] = {}  # first line -> ...
        self.parents: dict[ast.AST, ast.AST] = {}
        for node in ast.walk(tree):
            for child in ast.iter_child_nodes(node):
                self.parents[child] = node
        self.unit = "    "
        self.function: ast.FunctionDef | None = None

    # -- positions --

    def start(self, node: ast.AST) -> tuple[int, int]:
        line = node.lineno  # type: ignore[attr-defined]
        return line, _chars(self.lines[line - 1], node.col_offset)  # type: ignore[attr-defined]

    def end(self, node: ast.AST) -> tuple[int, int]:
        line = node.end_lineno  # type: ignore[attr-defined]
        return line, _chars(self.lines[line - 1], node.end_col_offset)  # type: ignore[attr-defined]

    def fresh(self, base: str) -> str:
        name, n = base, 1
        while name in self.taken:
            n += 1
            name = f"{base}{n}"
        self.taken.add(name)
        return name

    # -- the walk over statements --

    def run(self) -> tuple[str, LineMap]:
        for node in self.tree.body:
            if isinstance(node, ast.FunctionDef):
                self.function_def(node)
        out: list[str] = []
        segments: list[tuple[Segment, ...]] = []
        line = 1
        while line <= len(self.lines):
            if line in self.replaced:
                last, new_lines = self.replaced[line]
                for rewritten in new_lines:
                    for text, segs in _render(rewritten):
                        out.append(text)
                        segments.append(segs)
                line = last + 1
                continue
            out.append(self.lines[line - 1])
            segments.append(((0, line, 0, True),))
            line += 1
        text = "\n".join(out) + ("\n" if self.text.endswith("\n") else "")
        return text, LineMap(tuple(self.lines), tuple(segments))

    def function_def(self, node: ast.FunctionDef) -> None:
        outer = self.function
        self.function = node
        if node.body:
            head = self.lines[node.lineno - 1]
            body = self.lines[node.body[0].lineno - 1]
            unit = _indent(body)[len(_indent(head)) :]
            self.unit = unit or "    "
        self.block(node.body)
        self.function = outer

    def block(self, statements: list[ast.stmt]) -> None:
        for statement in statements:
            if isinstance(statement, ast.FunctionDef):
                self.function_def(statement)
            elif isinstance(statement, (ast.If, ast.For, ast.While, ast.With)):
                self.block(statement.body)
                self.block(getattr(statement, "orelse", []))
            elif isinstance(statement, ast.Try):
                for part in (statement.body, statement.orelse, statement.finalbody):
                    self.block(part)
                for handler in statement.handlers:
                    self.block(handler.body)
            else:
                self.simple(statement)

    def simple(self, statement: ast.stmt) -> None:
        """Rewrite a statement alone on its lines, when it holds something to."""
        if not self.candidates(statement) and not _named_lambda(statement):
            return
        (first, col), (last, end) = self.start(statement), self.end(statement)
        before = self.lines[first - 1][:col]
        after = self.lines[last - 1][end:]
        if before.strip() or not (after.strip() == "" or after.lstrip()[0] == "#"):
            return  # shares its line (`a = 1; b = ...`, `if c: y = ...`)
        lines = self.statement(statement, before)
        if after:
            lines[-1].append((after, last, end, True))
        self.replaced[first] = (last, lines)

    def statement(self, node: ast.stmt, ind: str) -> list[Line]:
        lam = _named_lambda(node)
        if lam is not None:
            return self.lambda_def(node, lam, ind)  # type: ignore[arg-type]
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            if not self.candidates(target):
                return self.assign(self.copy(target, {}), node.value, ind, {}, target)
        if isinstance(node, ast.Return) and node.value is not None:
            pre, value = self.expr(node.value, ind, {})
            return pre + [[self.synthetic(ind + "return ", node), *value]]
        pre, pieces = self.expr(node, ind, {}, whole=False)
        return pre + [[self.synthetic(ind, node), *pieces]]

    # -- expressions --

    def candidates(self, node: ast.AST) -> list[ast.expr]:
        """The outermost expressions under `node` to rewrite, in source order."""
        found: list[ast.expr] = []

        def visit(child: ast.AST) -> None:
            if self.wanted(child):
                found.append(child)  # type: ignore[arg-type]
                return
            scopes = (ast.Lambda, ast.comprehension, ast.ListComp, ast.GeneratorExp)
            if isinstance(child, (*scopes, ast.SetComp, ast.DictComp)):
                return  # its own scope: left as it is (and refused)
            for grandchild in ast.iter_child_nodes(child):
                visit(grandchild)

        for child in ast.iter_child_nodes(node):
            visit(child)
        return sorted(found, key=self.start)

    def wanted(self, node: ast.AST) -> bool:
        if isinstance(node, ast.IfExp):
            return True
        if isinstance(node, (ast.ListComp, ast.GeneratorExp)) and any(
            g.is_async for g in node.generators
        ):
            return False  # `async for`: left to refuse
        if isinstance(node, ast.ListComp):
            return True
        if isinstance(node, ast.GeneratorExp):
            call = self.parents.get(node)
            return (
                isinstance(call, ast.Call)
                and isinstance(call.func, ast.Name)
                and call.func.id in _REDUCTIONS
                and call.args == [node]
            )
        return False

    def expr(
        self, node: ast.AST, ind: str, renames: dict[str, str], whole: bool = True
    ) -> tuple[list[Line], list[Piece]]:
        """Lines computing what `node` needs first, and `node`'s own text."""
        if whole and self.wanted(node):
            name = self.fresh("picked" if isinstance(node, ast.IfExp) else "items")
            assert isinstance(node, ast.expr)
            lines = self.define(node, [self.synthetic(name, node)], ind, renames)
            return lines, [self.synthetic(name, node)]
        pre: list[Line] = []
        subs: dict[ast.AST, str] = {}
        for inner in self.candidates(node):
            base = "picked" if isinstance(inner, ast.IfExp) else "items"
            name = self.fresh(base)
            pre += self.define(inner, [self.synthetic(name, inner)], ind, renames)
            # `sum(w for w in ws)`: the generator's text starts at the call's `(`
            bracket = isinstance(inner, ast.GeneratorExp)
            subs[inner] = f"({name})" if bracket else name
        return pre, self.copy(node, subs, renames)

    def assign(
        self,
        target: list[Piece],
        value: ast.expr,
        ind: str,
        renames: dict[str, str],
        node: ast.AST | None = None,
    ) -> list[Line]:
        """`target = value`, an `if` or a loop when value is one to rewrite."""
        name = "".join(p[0] for p in target)
        direct = isinstance(value, ast.IfExp) or (
            self.wanted(value)
            and name.isidentifier()
            and name not in {n.id for n in ast.walk(value) if isinstance(n, ast.Name)}
        )
        if direct:
            return self.define(value, target, ind, renames)
        pre, pieces = self.expr(value, ind, renames)
        at = node if node is not None else value
        return pre + [
            [
                self.synthetic(ind, at),
                *target,
                (" = ", *self.start(value), False),
                *pieces,
            ]
        ]

    def define(
        self, node: ast.expr, target: list[Piece], ind: str, renames: dict[str, str]
    ) -> list[Line]:
        """Statements giving `target` the value of `node`."""
        if isinstance(node, ast.IfExp):
            pre, test = self.expr(node.test, ind, renames)
            inner = ind + self.unit
            return [
                *pre,
                [self.synthetic(ind + "if ", node), *test, self.synthetic(":", node)],
                *self.assign(target, node.body, inner, renames),
                [self.synthetic(ind + "else:", node.orelse)],
                *self.assign(target, node.orelse, inner, renames),
            ]
        assert isinstance(node, (ast.ListComp, ast.GeneratorExp))
        renames = dict(renames)
        for generator in node.generators:
            for name in _stored(generator.target):
                if self.clashes(name, node):
                    renames[name] = self.fresh(name)
        lines: list[Line] = [
            [self.synthetic(ind, node), *target, self.synthetic(" = []", node)]
        ]
        level = ind
        for k, generator in enumerate(node.generators):
            # the first iterable is the enclosing scope's
            pre, iterable = self.expr(generator.iter, level, renames if k else {})
            lines += pre
            lines.append(
                [
                    self.synthetic(level + "for ", generator.target),
                    *self.copy(generator.target, {}, renames),
                    self.synthetic(" in ", generator.iter),
                    *iterable,
                    self.synthetic(":", generator.iter),
                ]
            )
            level += self.unit
            for kept in generator.ifs:
                pre, condition = self.expr(kept, level, renames)
                lines += pre
                lines.append(
                    [
                        self.synthetic(level + "if ", kept),
                        *condition,
                        self.synthetic(":", kept),
                    ]
                )
                level += self.unit
        pre, element = self.expr(node.elt, level, renames)
        lines += pre
        lines.append(
            [
                self.synthetic(level, node.elt),
                *target,
                self.synthetic(".append(", node.elt),
                *element,
                self.synthetic(")", node.elt),
            ]
        )
        return lines

    def lambda_def(self, node: ast.Assign, lam: ast.Lambda, ind: str) -> list[Line]:
        """`g = lambda t: t * t` is `def g(t): return t * t`."""
        name = node.targets[0].id  # type: ignore[attr-defined]
        (line, col), (body_line, body_col) = self.start(lam), self.start(lam.body)
        args: str | None = None
        if line == body_line:
            head = self.lines[line - 1][col + len("lambda") : body_col].strip()
            args = head[:-1].strip() if head.endswith(":") else None
        if args is None:  # `lambda` and its body on two lines: left to refuse
            return [[(self.lines[line - 1].lstrip(), line, col, True)]]
        inner = ind + self.unit
        pre, value = self.expr(lam.body, inner, {})
        return [
            [self.synthetic(f"{ind}def {name}({args}):", lam)],
            *pre,
            [self.synthetic(inner + "return ", lam.body), *value],
        ]

    def clashes(self, name: str, comprehension: ast.expr) -> bool:
        """Whether the enclosing function uses `name` outside the comprehension
        (its loop variable would leak into the function after the rewrite)."""
        inside = set(map(id, ast.walk(comprehension)))
        scope = self.function if self.function is not None else self.tree
        for n in ast.walk(scope):
            if id(n) in inside:
                continue
            if (isinstance(n, ast.Name) and n.id == name) or (
                isinstance(n, ast.arg) and n.arg == name
            ):
                return True
        return False

    # -- pieces --

    def synthetic(self, text: str, node: ast.AST) -> Piece:
        return (text, *self.start(node), False)

    def copy(
        self,
        node: ast.AST,
        subs: dict[ast.AST, str],
        renames: dict[str, str] | None = None,
    ) -> list[Piece]:
        """`node`'s text, `subs` and renamed names replaced; in parentheses
        when it spans lines (it may have relied on parentheses around it)."""
        spans = [(self.start(n), self.end(n), text, n) for n, text in subs.items()]
        if renames:
            covered = [(s, e) for s, e, _, _ in spans]
            for n in ast.walk(node):
                if isinstance(n, ast.Name) and n.id in renames:
                    s = self.start(n)
                    if not any(a <= s < b for a, b in covered):
                        spans.append((s, self.end(n), renames[n.id], n))
        spans.sort(key=lambda span: span[0])
        pieces: list[Piece] = []
        here, stop = self.start(node), self.end(node)
        for s, e, text, n in spans:
            pieces += self.original(here, s)
            pieces.append(self.synthetic(text, n))
            here = e
        pieces += self.original(here, stop)
        if stop[0] != self.start(node)[0]:
            pieces = [self.synthetic("(", node), *pieces, (")", *stop, False)]
        return pieces

    def original(self, start: tuple[int, int], stop: tuple[int, int]) -> list[Piece]:
        """The user's text from `start` to `stop`, one copied piece per line."""
        pieces: list[Piece] = []
        (line, col), (last, end) = start, stop
        while line < last:
            pieces.append((self.lines[line - 1][col:] + "\n", line, col, True))
            line, col = line + 1, 0
        if end > col:
            pieces.append((self.lines[line - 1][col:end], line, col, True))
        return pieces


def _render(line: Line) -> list[tuple[str, tuple[Segment, ...]]]:
    """The physical lines of a rewritten line (copied text may span several,
    each copied piece then ending at its newline) with their segments."""
    out: list[tuple[str, tuple[Segment, ...]]] = []
    text = ""
    segments: list[Segment] = []
    for piece, orig_line, orig_col, copied in line:
        segments.append((len(text), orig_line, orig_col, copied))
        if piece.endswith("\n"):
            out.append((text + piece[:-1], tuple(segments)))
            text, segments = "", []
            continue
        text += piece
    out.append((text, tuple(segments)))
    return out


def _indent(line: str) -> str:
    return line[: len(line) - len(line.lstrip())]


def _stored(target: ast.expr) -> list[str]:
    return [n.id for n in ast.walk(target) if isinstance(n, ast.Name)]


def _named_lambda(node: ast.stmt) -> ast.Lambda | None:
    if (
        isinstance(node, ast.Assign)
        and len(node.targets) == 1
        and isinstance(node.targets[0], ast.Name)
        and isinstance(node.value, ast.Lambda)
    ):
        return node.value
    return None
