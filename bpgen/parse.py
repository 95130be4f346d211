"""Read the user's module with LibCST: the function, its imports, its constants.

Every later step raises errors through `Source.error`, so each refusal names
the user's file, line and column.
"""

from __future__ import annotations

import ast
import importlib
import unicodedata
from dataclasses import dataclass, field

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from .errors import (
    BpgenError,
    FunctionNotFoundError,
    SourceSyntaxError,
    UnsupportedError,
)
from .location import Location


@dataclass
class Source:
    """The parsed module plus what is needed to point at a place in it."""

    text: str
    filename: str
    module: cst.Module
    line_offset: int = 0
    imports: dict[str, str] = field(default_factory=dict)  # local name -> qualified
    constants: dict[str, cst.SimpleStatementLine] = field(default_factory=dict)
    functions: dict[str, cst.FunctionDef] = field(default_factory=dict)
    # `@bpgen.gradient_of(target)` functions: declarations, not functions to
    # differentiate (declared.py reads them)
    gradients: list[cst.FunctionDef] = field(default_factory=list)
    declared: dict | None = None  # qualified target -> Declaration, when read

    # nodes bpgen made stand for the user's node they came from (for errors)
    origin: dict = field(default_factory=dict)
    _positions: dict | None = None

    @property
    def positions(self) -> dict:
        """Positions are computed only when an error needs one: most runs don't."""
        if self._positions is None:
            wrapper = MetadataWrapper(self.module, unsafe_skip_copy=True)
            self._positions = dict(wrapper.resolve(PositionProvider))
        return self._positions

    def where(self, node: cst.CSTNode) -> tuple[int, int]:
        node = self.origin.get(node, node)
        pos = self.positions.get(node)
        if pos is None:
            return 1 + self.line_offset, 0
        return pos.start.line + self.line_offset, pos.start.column

    def line(self, lineno: int) -> str | None:
        lines = self.text.splitlines()
        index = lineno - self.line_offset - 1
        return lines[index] if 0 <= index < len(lines) else None

    def location(self, node: cst.CSTNode | None) -> Location | None:
        """The IR's plain location of `node`, resolved when an error asks."""
        if node is None:
            return None
        return Location(self.filename, self._span, node)

    def _span(self, node: cst.CSTNode) -> tuple[int, int, str | None]:
        lineno, col = self.where(node)
        return lineno, col, self.line(lineno)

    def error(
        self,
        node: cst.CSTNode | Location | None,
        message: str,
        hint: str | None = None,
        kind: type[BpgenError] = UnsupportedError,
    ) -> BpgenError:
        if node is None:
            return kind(message, filename=self.filename, hint=hint)
        if isinstance(node, Location):
            return kind(
                message,
                filename=node.filename,
                lineno=node.line,
                col_offset=node.column,
                source_line=node.source_line,
                hint=hint,
            )
        lineno, col = self.where(node)
        return kind(
            message,
            filename=self.filename,
            lineno=lineno,
            col_offset=col,
            source_line=self.line(lineno),
            hint=hint,
        )

    def code(self, node: cst.CSTNode) -> str:
        return self.module.code_for_node(node)


def parse(text: str, filename: str = "<source>", line_offset: int = 0) -> Source:
    """Parse `text`; `line_offset` shifts reported lines (for dedented snippets)."""
    _check_syntax(text, filename, line_offset)
    try:
        module = cst.parse_module(text)
    except cst.ParserSyntaxError as exc:
        lines = text.splitlines()
        line = lines[exc.raw_line - 1] if 0 < exc.raw_line <= len(lines) else None
        raise SourceSyntaxError(
            "invalid Python syntax: " + exc.message,
            filename=filename,
            lineno=exc.raw_line + line_offset,
            col_offset=exc.raw_column,
            source_line=line,
            hint="bpgen reads Python 3 source; fix the syntax and run it again",
        ) from None
    except RecursionError:
        raise SourceSyntaxError(
            "the source is nested too deeply to parse",
            filename=filename,
            hint="split the deepest expression into several assignments",
        ) from None
    if not text.isascii():
        module = module.visit(_NormalizeNames())
    source = Source(text, filename, module, line_offset)
    _read_top_level(source)
    return source


class _NormalizeNames(cst.CSTTransformer):
    """Python reads identifiers in NFKC form (`ﬁ` is `fi`); so does bpgen."""

    def leave_Name(self, original: cst.Name, updated: cst.Name) -> cst.Name:
        return updated.with_changes(value=unicodedata.normalize("NFKC", updated.value))


def _check_syntax(text: str, filename: str, line_offset: int) -> None:
    """Python's own parser words syntax errors best; ask it first."""
    try:
        compile(text, filename, "exec", flags=ast.PyCF_ONLY_AST, dont_inherit=True)
    except SyntaxError as exc:
        lineno = exc.lineno or 1
        lines = text.splitlines()
        line = lines[lineno - 1] if 0 < lineno <= len(lines) else None
        raise SourceSyntaxError(
            "invalid syntax" + ("" if exc.msg == "invalid syntax" else f": {exc.msg}"),
            filename=filename,
            lineno=lineno + line_offset,
            col_offset=max((exc.offset or 1) - 1, 0),
            source_line=line,
            hint="bpgen reads Python 3 source; fix the syntax and run it again",
        ) from None
    except (ValueError, RecursionError, MemoryError) as exc:
        raise SourceSyntaxError(
            f"cannot parse the source: {exc}",
            filename=filename,
            hint="check that the file is Python source (UTF-8, no NUL bytes)",
        ) from None


# modules whose `from M import *` bpgen reads (what it has gates for)
_STARRED = ("math", "numpy", "numpy.linalg", "scipy.special")


def _public(module: str) -> list[str]:
    """The names `from module import *` binds, for the modules bpgen knows;
    none for others (their names stay unknown, and a call is refused)."""
    if module not in _STARRED:
        return []
    try:
        imported = importlib.import_module(module)
    except ImportError:  # scipy is optional
        return []
    names = getattr(imported, "__all__", None)
    if names is None:
        names = [n for n in dir(imported) if not n.startswith("_")]
    return sorted(n for n in names if isinstance(n, str))


def _dotted(node: cst.BaseExpression) -> str | None:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        base = _dotted(node.value)
        return None if base is None else f"{base}.{node.attr.value}"
    return None


def _read_top_level(source: Source) -> None:
    for statement in source.module.body:
        if isinstance(statement, cst.FunctionDef):
            source.functions[statement.name.value] = statement
            continue
        if not isinstance(statement, cst.SimpleStatementLine):
            continue
        for small in statement.body:
            if isinstance(small, cst.Import):
                for alias in small.names:
                    name = _dotted(alias.name) or ""
                    if alias.asname is not None:
                        local = _dotted(alias.asname.name) or name
                        source.imports[local] = name
                    else:
                        head = name.split(".")[0]
                        source.imports[head] = head
            elif isinstance(small, cst.ImportFrom) and small.module is not None:
                if small.relative:
                    continue
                base = _dotted(small.module) or ""
                if isinstance(small.names, cst.ImportStar):
                    # later imports shadow earlier ones, as in Python
                    source.imports.update((n, f"{base}.{n}") for n in _public(base))
                    continue
                for alias in small.names:
                    name = _dotted(alias.name) or ""
                    local = name
                    if alias.asname is not None:
                        local = _dotted(alias.asname.name) or name
                    source.imports[local] = f"{base}.{name}"
            elif isinstance(small, (cst.Assign, cst.AnnAssign)):
                targets = (
                    [t.target for t in small.targets]
                    if isinstance(small, cst.Assign)
                    else [small.target]
                )
                for target in targets:
                    if isinstance(target, cst.Name):
                        source.constants[target.value] = statement
    for name, function in list(source.functions.items()):
        if any(_declares_gradient(source, d) for d in function.decorators):
            source.gradients.append(function)
            del source.functions[name]


def _declares_gradient(source: Source, decorator: cst.Decorator) -> bool:
    """`@bpgen.gradient_of(...)`, however bpgen or gradient_of was imported."""
    call = decorator.decorator
    if not isinstance(call, cst.Call):
        return False
    dotted = _dotted(call.func) or ""
    head, _, rest = dotted.partition(".")
    qualified = source.imports.get(head, head) + ("." + rest if rest else "")
    return qualified == "bpgen.gradient_of"


def find_function(source: Source, name: str | None) -> cst.FunctionDef:
    """The top-level function `name`, or the only one when `name` is None."""
    if name is None:
        if len(source.functions) == 1:
            return next(iter(source.functions.values()))
        found = ", ".join(sorted(source.functions)) or "none"
        hint = "pass function=NAME (or -f NAME on the command line)"
        classes = [s for s in source.module.body if isinstance(s, cst.ClassDef)]
        if not source.functions and classes:
            hint = "bpgen differentiates top-level functions, not methods of a class"
        raise FunctionNotFoundError(
            f"the module defines {len(source.functions)} top-level functions "
            f"({found}); name the one to differentiate",
            filename=source.filename,
            hint=hint,
        )
    if name not in source.functions:
        method = _method(source, name)
        if method is not None:  # pasted from a class: `self.W` is no parameter
            owner, node = method
            raise source.error(
                node,
                f"`{node.name.value}` is a method of class `{owner}`; bpgen "
                "differentiates top-level functions",
                f"write it as a function of what it reads: `def "
                f"{node.name.value}(W, x):` with `W` for `self.W`",
                kind=FunctionNotFoundError,
            )
        found = ", ".join(sorted(source.functions)) or "none"
        raise FunctionNotFoundError(
            f"no top-level function named {name!r} (found: {found})",
            filename=source.filename,
            hint="check the spelling; methods and nested functions are not supported",
        )
    return source.functions[name]


def _method(source: Source, name: str) -> tuple[str, cst.FunctionDef] | None:
    """(class, method) for `loss` or `Net.loss` defined in a top-level class."""
    owner, _, wanted = name.rpartition(".")
    for statement in source.module.body:
        if not isinstance(statement, cst.ClassDef):
            continue
        if owner and statement.name.value != owner:
            continue
        body = statement.body
        items = body.body if isinstance(body, cst.IndentedBlock) else []
        for item in items:
            if isinstance(item, cst.FunctionDef) and item.name.value == wanted:
                return statement.name.value, item
    return None
