"""bpgen writes black's output directly (bpgen/spell.py, bpgen/emit.py).

Every sample, every snapshot and random programs (test_properties.py) must
come out exactly as `black.format_str` of themselves in the pinned mode;
here, random expression trees are spelled, parsed back (same tree: the
parentheses are right) and formatted by black (same text: the spacing is
black's). Nothing here uses a private `ast` API.
"""

from __future__ import annotations

import ast
import random
from pathlib import Path

import black
import pytest
from cases import SAMPLES

import bpgen
from bpgen import emit
from bpgen.generate import generate_module
from bpgen.spell import Speller

ROOT = Path(__file__).resolve().parent.parent
SNAPSHOTS = sorted((ROOT / "tests" / "snapshots").glob("*.py"))
MODE = black.Mode(
    target_versions={black.TargetVersion.PY310},
    line_length=88,
    string_normalization=True,
    magic_trailing_comma=True,
)


def blacks(text: str) -> str:
    return black.format_str(text, mode=MODE)


@pytest.mark.parametrize("path", SNAPSHOTS, ids=[p.stem for p in SNAPSHOTS])
def test_snapshot_is_blacks_output(path):
    text = path.read_text()
    assert blacks(text) == text


@pytest.mark.parametrize("sample", sorted(SAMPLES.glob("*.py")), ids=lambda p: p.stem)
def test_sample_needs_no_black(sample, monkeypatch):
    seen = []
    real = emit.black_format
    monkeypatch.setattr(
        emit, "black_format", lambda text: seen.append(text) or real(text)
    )
    code = generate_module(sample.read_text())
    whole = [text for text in seen if text.startswith("# Generated")]
    assert whole == [], "black ran on a whole sample: spell.py misses a construct"
    assert blacks(code) == code


@pytest.mark.parametrize(
    "text, expected",
    [
        ("dc[:a.shape[0]]", "dc[: a.shape[0]]"),
        (
            "g[a.shape[0]:a.shape[0] + b.shape[0]]",
            "g[a.shape[0] : a.shape[0] + b.shape[0]]",
        ),
        ("g[n:]", "g[n:]"),
        ("g[1:-1]", "g[1:-1]"),
        ("g[:, None]", "g[:, None]"),
        ("g[::f(x)]", "g[:: f(x)]"),
        ("g[a + 1::2]", "g[a + 1 :: 2]"),
        ("g[a:b, n + 1:]", "g[a:b, n + 1 :]"),
        ("x ** 2", "x**2"),
        ("a.b ** c.d", "a.b**c.d"),
        ("a.b ** -1", "a.b ** (-1)"),
        ("x ** (-y)", "x ** (-y)"),
        ("f(x) ** 2", "f(x) ** 2"),
        ("(-x) ** 2", "(-x) ** 2"),
        ("-x ** 2", "-(x**2)"),
        ("-a.b ** 2", "-a.b**2"),
        ("-(a + b) ** 2", "-((a + b) ** 2)"),
        ("x ** 1e+20", "x**1e20"),
        ("p['eps']", 'p["eps"]'),
        ("g if x >= y else 0.0", "g if x >= y else 0.0"),
        ("(a >= b) & (a <= c)", "(a >= b) & (a <= c)"),
        (
            "np.sum(g, axis=(0, 1), keepdims=True)",
            "np.sum(g, axis=(0, 1), keepdims=True)",
        ),
    ],
)
def test_black_spelling(text, expected):
    assert Speller().expr(ast.parse(text, mode="eval").body) == expected
    assert blacks(f"y = {expected}\n") == f"y = {expected}\n"


def test_signature_spelling():
    args = ast.parse("def f(x, y: float = 1.0, *, z=2): pass").body[0].args
    assert Speller().arguments(args) == "x, y: float = 1.0, *, z=2"


def test_comments_keep_their_old_spelling():
    """black leaves comments alone, so they keep ast.unparse's slices."""
    node = ast.parse("dc[:a.shape[0]] + x ** (-y)", mode="eval").body
    assert Speller(black=False).expr(node) == "dc[:a.shape[0]] + x**(-y)"


def test_unknown_node_hands_the_module_to_black(monkeypatch):
    """A string with an escape is black's to spell: black sees the module."""
    seen = []
    real = emit.black_format
    monkeypatch.setattr(
        emit, "black_format", lambda text: seen.append(text) or real(text)
    )
    source = 'def f(x, p):\n    return x * p["a\\tb"]\n'
    code = bpgen.generate(source, wrt=["x"])
    assert len(seen) == 1 and seen[0].startswith("# Generated")
    assert blacks(code) == code


def test_long_statement_split_as_black_splits_it(monkeypatch):
    names = [f"long_parameter_name_{i}" for i in range(8)]
    source = f"def f({', '.join(names)}):\n    return {' * '.join(names)}\n"
    seen = []
    real = emit.black_format
    monkeypatch.setattr(
        emit, "black_format", lambda text: seen.append(text) or real(text)
    )
    code = bpgen.generate(source)
    assert seen and not any(s.startswith("# Generated") for s in seen)
    assert blacks(code) == code
    code_lines = [
        line for line in code.splitlines() if not ("#" in line or '"""' in line)
    ]
    assert max(map(len, code_lines)) <= 88


# -- random expression trees -------------------------------------------------

_LEAVES = ["x", "y", "a.b", "1", "2.5", "0.5", "None", "np.pi"]
_BIN = ["+", "-", "*", "/", "@", "**", "&", "|", "%", "//"]


def _random(rng: random.Random, depth: int) -> str:
    if depth == 0 or rng.random() < 0.2:
        return rng.choice(_LEAVES)
    kind = rng.randrange(9)
    sub = lambda: _random(rng, depth - 1)  # noqa: E731
    if kind <= 2:
        return f"({sub()}) {rng.choice(_BIN)} ({sub()})"
    if kind == 3:
        return f"{rng.choice(['-', '+', '~', 'not '])}({sub()})"
    if kind == 4:
        return f"({sub()}) {rng.choice(['<', '==', 'is not', '>='])} ({sub()})"
    if kind == 5:
        return f"f({sub()}, k=({sub()}))"
    if kind == 6:
        bounds = [rng.choice(["", sub(), "1", "n"]) for _ in range(3)]
        index = ":".join(bounds) if rng.random() < 0.5 else ":".join(bounds[:2])
        return f"({sub()})[{index}, {sub()}]" if rng.random() < 0.3 else f"v[{index}]"
    if kind == 7:
        return f"({sub()}) if ({sub()}) else ({sub()})"
    return f"({sub()}).T"


def test_random_expressions_round_trip_and_are_blacks():
    rng = random.Random(14)
    spell = Speller()
    checked = 0
    for _ in range(600):
        text = _random(rng, 4)
        node = ast.parse(text, mode="eval").body
        unsure = spell.unsure
        spelled = spell.expr(node)
        again = ast.parse(spelled, mode="eval").body
        assert ast.dump(again) == ast.dump(node), (text, spelled)
        line = f"y = {spelled}\n"
        if len(line) <= 88 and spell.unsure == unsure:
            assert blacks(line) == line, (text, spelled)
            checked += 1
    assert checked > 300
