"""Python text for the `ast` nodes bpgen emits, spelled the way black does.

Parentheses follow `ast.unparse`'s precedence rules (restated here, so no
private `ast` API is needed); spacing follows black's: a power of simple
operands hugs (`x**2`), a slice with a non-trivial bound gets spaces around
its colons (`dc[: a.shape[0]]`), strings take double quotes, defaults after an
annotation get spaces (`x: float = 1.0`). A node outside this set is written
by `ast.unparse` and counted in `Speller.unsure`, so the caller knows black
must look at the text. Splitting long lines is the caller's job (emit.py).

`Speller(black=False)` writes the spelling bpgen's comments have always had
(ast.unparse with hugged powers), which black never touches.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from typing import Any, TypeGuard, cast

# ast.unparse's precedence levels (Lib/ast.py, _Precedence), lowest first
TUPLE, YIELD, TEST, OR, AND, NOT, CMP = 1, 2, 3, 4, 5, 6, 7
EXPR = BOR = 8
BXOR, BAND, SHIFT, ARITH, TERM, FACTOR, POWER, AWAIT, ATOM = range(9, 18)

BINOPS: dict[type, tuple[str, int]] = {
    ast.Add: ("+", ARITH),
    ast.Sub: ("-", ARITH),
    ast.Mult: ("*", TERM),
    ast.MatMult: ("@", TERM),
    ast.Div: ("/", TERM),
    ast.Mod: ("%", TERM),
    ast.FloorDiv: ("//", TERM),
    ast.LShift: ("<<", SHIFT),
    ast.RShift: (">>", SHIFT),
    ast.BitOr: ("|", BOR),
    ast.BitXor: ("^", BXOR),
    ast.BitAnd: ("&", BAND),
    ast.Pow: ("**", POWER),
}
UNARY: dict[type, str] = {
    ast.USub: "-",
    ast.UAdd: "+",
    ast.Invert: "~",
    ast.Not: "not ",
}
COMPARE: dict[type, str] = {
    ast.Eq: " == ",
    ast.NotEq: " != ",
    ast.Lt: " < ",
    ast.LtE: " <= ",
    ast.Gt: " > ",
    ast.GtE: " >= ",
    ast.Is: " is ",
    ast.IsNot: " is not ",
    ast.In: " in ",
    ast.NotIn: " not in ",
}
# A hug `x**y` whose right operand starts with a name waits for what follows
# it: black scans on over names (keywords too) and dots, and a `(` or `[`
# there means no hug (`x ** y if c else f(z)`). NUL: emit's module names.
HUG = "\x01"
_NAMES = re.compile(r"\s*(?:(?:[^\W\d]|\x00)(?:\w|\x00)*|\.)")
_LAST = re.compile(r"(?:\w|\x00)+$")
_NUMBER = re.compile(r"[-+~]?\d")

# blib2to3 node kinds that make a subscript "complex" for black (nodes.py,
# TEST_DESCENDANTS): everything but a bare name, number, string or `-x`.
_SIMPLE_INDEX = (ast.Name, ast.Constant)


def _number(node: ast.expr) -> TypeGuard[ast.Constant]:
    """A number or None: one token for black (a negative constant is `-`, `1`)."""
    return isinstance(node, ast.Constant) and (
        node.value is None or isinstance(node.value, (int, float))
    )


def _negative(node: ast.Constant) -> bool:
    return isinstance(node.value, (int, float)) and node.value < 0


def _lookup(node: ast.expr) -> bool:
    """A name, number or dotted lookup (`a.b.c`)."""
    while isinstance(node, ast.Attribute):
        node = node.value
    return isinstance(node, ast.Name) or _number(node)


def _complex(node: ast.expr | None) -> bool:
    """Whether black spaces the colons of a slice holding `node`."""
    if node is None or isinstance(node, _SIMPLE_INDEX):
        return False
    if isinstance(node, ast.UnaryOp) and not isinstance(node.op, ast.Not):
        return _complex(node.operand)  # `-x` is a factor, not complex
    if isinstance(node, (ast.Tuple, ast.List)):
        return any(map(_complex, node.elts))  # an atom: only its items count
    return True


def _bare_power(node: ast.expr) -> bool:
    """`x ** y` whose base has no trailer (`.b`, `(...)`, `[...]`): black puts
    parentheses between it and a unary operator (linegen.visit_factor)."""
    return (
        isinstance(node, ast.BinOp)
        and isinstance(node.op, ast.Pow)
        and not isinstance(node.left, (ast.Attribute, ast.Call, ast.Subscript))
    )


class Speller:
    """Writes expressions and statements; `unsure` counts what black must see."""

    def __init__(self, black: bool = True) -> None:
        self.black = black
        self.unsure = 0
        # each writer takes the node type it is filed under
        self._write: dict[type, Callable[[Any, int], str]] = {
            ast.Name: lambda n, p: n.id,
            ast.Constant: self._constant,
            ast.Attribute: self._attribute,
            ast.Call: self._call,
            ast.BinOp: self._binop,
            ast.UnaryOp: self._unary,
            ast.Compare: self._compare,
            ast.BoolOp: self._boolop,
            ast.IfExp: self._ifexp,
            ast.Subscript: self._subscript,
            ast.Tuple: self._tuple,
            ast.List: self._list,
            ast.Starred: self._starred,
            ast.JoinedStr: self._fstring,
        }

    # -- expressions -------------------------------------------------------

    def expr(self, node: ast.AST, level: int = TEST) -> str:
        """The text of one expression."""
        return _resolve(self._expr(node, level))

    def _expr(self, node: ast.AST, level: int = TEST) -> str:
        write = self._write.get(type(node))
        if write is None:
            return self._fallback(node)
        return write(node, level)

    def _fallback(self, node: ast.AST) -> str:
        self.unsure += 1
        return ast.unparse(node)

    def _constant(self, node: ast.Constant, level: int) -> str:
        value = node.value
        if value is ...:
            return "..."
        if isinstance(value, float):
            text = repr(value)
            if "inf" in text or "nan" in text:
                return self._fallback(node)
            if self.black:
                text = text.replace("e+", "e")  # black: `1e20`, not `1e+20`
        elif isinstance(value, str):
            text = repr(value)
            if not self.black:
                return text
            if "\\" in text or (text[0] == "'" and '"' in text):
                return self._fallback(node)  # black's escape rules: let it decide
            return text if text[0] == '"' else f'"{text[1:-1]}"'
        elif value is None or isinstance(value, (bool, int)):
            text = repr(value)
        else:
            return self._fallback(node)
        if node.kind is not None:
            return self._fallback(node)
        return text

    def _fstring(self, node: ast.JoinedStr, level: int) -> str:
        """`f"loss {t:.3f}"`, in the quotes black prefers (the fewer escapes,
        double on a tie); ast.unparse would escape bpgen's module placeholders.
        The `{...}` parts hold no string (effects.py refuses one)."""
        texts = [v.value for v in node.values if isinstance(v, ast.Constant)]
        joined = "".join(texts)
        quote = "'" if joined.count('"') > joined.count("'") else '"'
        pieces = []
        for part in node.values:
            if isinstance(part, ast.Constant):
                pieces.append(_escaped(part.value, quote))
                continue
            assert isinstance(part, ast.FormattedValue)
            inner = _resolve(self._expr(part.value))
            if inner.startswith("{"):
                inner = f" {inner}"  # `{{` would be a literal brace
            if part.conversion != -1:
                inner += f"!{chr(part.conversion)}"
            if part.format_spec is not None:
                spec = cast(ast.JoinedStr, part.format_spec).values
                inner += ":" + "".join(_escaped(c.value, quote) for c in spec)  # type: ignore[attr-defined]
            pieces.append(f"{{{inner}}}")
        return f"f{quote}{''.join(pieces)}{quote}"

    def _attribute(self, node: ast.Attribute, level: int) -> str:
        value = node.value
        if _number(value) and value.value is not None:
            return self._fallback(node)  # `1 .real`, `(0.5).T`: black's call
        return f"{self._expr(value, ATOM)}.{node.attr}"

    def _call(self, node: ast.Call, level: int) -> str:
        parts = [self._expr(a) for a in node.args]
        for keyword in node.keywords:
            value = self._expr(keyword.value)
            parts.append(
                f"**{value}" if keyword.arg is None else f"{keyword.arg}={value}"
            )
        return f"{self._expr(node.func, ATOM)}({', '.join(parts)})"

    def _binop(self, node: ast.BinOp, level: int) -> str:
        op, own = BINOPS[type(node.op)]
        if own == POWER:
            left = self._expr(node.left, own + 1)
            right = self._expr(node.right, own)
            if not self.black:  # the comments' historical spelling
                op = "**" if self._old_hug(node) else " ** "
            elif isinstance(node.left, ast.Constant) and _negative(node.left):
                return self._fallback(node)  # `-1 ** 2`: black adds parentheses
            else:
                op = _power(left, right)
            text = f"{left}{op}{right}"
        else:
            left = self._expr(node.left, own)
            right = self._expr(node.right, own + 1)
            text = f"{left} {op} {right}"
        return f"({text})" if own < level else text

    def _old_hug(self, node: ast.BinOp) -> bool:
        """ast.unparse with `x**2`, `x**(-y)`: what comments have always had."""
        right = node.right
        if isinstance(right, ast.UnaryOp) and not isinstance(right.op, ast.Not):
            right = right.operand
        return _lookup(node.left) and _lookup(right)

    def _unary(self, node: ast.UnaryOp, level: int) -> str:
        op = UNARY[type(node.op)]
        own = NOT if isinstance(node.op, ast.Not) else FACTOR
        operand = self._expr(node.operand, own)
        if self.black and own == FACTOR and _bare_power(node.operand):
            operand = f"({operand})"  # black: `-(x**2)`, but `-a.b**2`
        text = op + operand
        return f"({text})" if own < level else text

    def _compare(self, node: ast.Compare, level: int) -> str:
        parts = [self._expr(node.left, CMP + 1)]
        for op, right in zip(node.ops, node.comparators, strict=True):
            parts.append(COMPARE[type(op)])
            parts.append(self._expr(right, CMP + 1))
        text = "".join(parts)
        return f"({text})" if level > CMP else text

    def _boolop(self, node: ast.BoolOp, level: int) -> str:
        own = AND if isinstance(node.op, ast.And) else OR
        word = " and " if own == AND else " or "
        # ast.unparse raises the level for each further operand
        text = word.join(self._expr(v, own + 1 + i) for i, v in enumerate(node.values))
        return f"({text})" if own < level else text

    def _ifexp(self, node: ast.IfExp, level: int) -> str:
        text = (
            f"{self._expr(node.body, TEST + 1)} if {self._expr(node.test, TEST + 1)}"
            f" else {self._expr(node.orelse, TEST)}"
        )
        return f"({text})" if level > TEST else text

    def _subscript(self, node: ast.Subscript, level: int) -> str:
        index = node.slice
        if isinstance(index, ast.Tuple) and index.elts:
            if len(index.elts) == 1:
                return self._fallback(node)  # `x[a,]`: black's comma rules
            inner = ", ".join(self._index(e) for e in index.elts)
        else:
            inner = self._index(index)
        return f"{self._expr(node.value, ATOM)}[{inner}]"

    def _index(self, node: ast.expr) -> str:
        if not isinstance(node, ast.Slice):
            return self._expr(node)
        bounds = [node.lower, node.upper, node.step]
        spaced = self.black and any(_complex(b) for b in bounds)
        lower, upper, step = (b and self._expr(b) for b in bounds)
        if not spaced:
            text = f"{lower or ''}:{upper or ''}"
            return text + f":{step}" if step else text
        # black: `a + 1 : b`, `: b`, `a :`, `a : b : c`, `:: c`, `a :: c`
        text = f"{lower} :" if lower else ":"
        if upper:
            text += f" {upper}"
        if step:
            text += f" : {step}" if upper else f": {step}"
        return text

    def _tuple(self, node: ast.Tuple, level: int) -> str:
        items = [self._expr(e) for e in node.elts]
        text = f"{items[0]}," if len(items) == 1 else ", ".join(items)
        if not items:
            return "()"
        return f"({text})" if not items or level > TUPLE else text

    def _list(self, node: ast.List, level: int) -> str:
        return "[" + ", ".join(self._expr(e) for e in node.elts) + "]"

    def _starred(self, node: ast.Starred, level: int) -> str:
        return "*" + self._expr(node.value, EXPR)

    # -- statements and signatures -----------------------------------------

    def stmt(self, node: ast.stmt) -> str:
        """The text of one simple statement."""
        return _resolve(self._stmt(node))

    def _stmt(self, node: ast.stmt) -> str:
        if isinstance(node, ast.Assign) and not node.type_comment:
            targets = "".join(f"{self._expr(t, TUPLE)} = " for t in node.targets)
            return targets + self._expr(node.value)
        if isinstance(node, ast.AugAssign):
            op = BINOPS[type(node.op)][0]
            return f"{self._expr(node.target)} {op}= {self._expr(node.value)}"
        if isinstance(node, ast.Expr):
            return self._expr(node.value, YIELD)
        if isinstance(node, ast.Return):
            return (
                "return" if node.value is None else f"return {self._expr(node.value)}"
            )
        self.unsure += 1
        node.lineno = 0  # ast.unparse looks up type comments by line
        return ast.unparse(node)

    def arguments(self, node: ast.arguments) -> str:
        """A signature as black writes it: `x, y=1.0, *, z: float = 2.0`."""
        return _resolve(self._arguments(node))

    def _arguments(self, node: ast.arguments) -> str:
        if node.posonlyargs or node.vararg or node.kwarg:
            return self._fallback(node)
        padded = [None] * (len(node.args) - len(node.defaults)) + node.defaults
        parts = [self._arg(a, d) for a, d in zip(node.args, padded, strict=True)]
        if node.kwonlyargs:
            parts.append("*")
            kw = zip(node.kwonlyargs, node.kw_defaults, strict=True)
            parts += [self._arg(a, d) for a, d in kw]
        return ", ".join(parts)

    def _arg(self, arg: ast.arg, default: ast.expr | None) -> str:
        text = arg.arg
        if arg.annotation is not None:
            text += f": {self._expr(arg.annotation)}"
        if default is not None:
            eq = " = " if arg.annotation is not None and self.black else "="
            text += eq + self._expr(default)
        return text


def _power(left: str, right: str) -> str:
    """black's spacing of `**` between these operand texts (trans.hug_power_op):
    hugged when the left ends in a name or number not looked up on a bracket
    (`a.b`, not `f(x).b`) and the right starts with a number or a name that
    is not called or indexed (decided once the text after it is known)."""
    end = _LAST.search(left)
    if end is None:
        return " ** "
    if not end.group()[0].isdigit():  # a name: `x`, or `.b` on something
        before = left[: end.start()].rstrip()
        if before.endswith(".") and before[:-1].rstrip().endswith((")", "]")):
            return " ** "
    if _NUMBER.match(right):
        return "**"
    if _NAMES.match(right) and not right.startswith("."):
        return HUG
    return " ** "


def _escaped(text: str, quote: str) -> str:
    """Literal f-string text between `quote`s: braces doubled, the quote,
    backslashes and unprintable characters escaped."""
    out = []
    for char in text:
        if char in "{}":
            out.append(char * 2)
        elif char == quote or char == "\\":
            out.append("\\" + char)
        elif char.isprintable():
            out.append(char)
        else:
            out.append(repr(char)[1:-1])
    return "".join(out)


def _resolve(text: str) -> str:
    """Settle each waiting hug by what follows its right operand."""
    while HUG in text:
        at = text.index(HUG)
        end = at + 1
        while match := _NAMES.match(text, end):
            end = match.end()
        hug = not text[end:].lstrip().startswith(("(", "["))
        text = text[:at] + ("**" if hug else " ** ") + text[at + 1 :]
    return text
