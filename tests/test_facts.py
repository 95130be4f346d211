"""Decisions made from the program, not from the generated text: whether the
decorator specialises, and which gradients a generated backward hands out new."""

from __future__ import annotations

import ast
import importlib.util
import itertools
import sys
from pathlib import Path

import numpy as np
import pytest

import bpgen
from bpgen import _cache, decorator, handout
from bpgen.generate import FACTS, TESTS_SHAPES

_names = itertools.count()


def facts_of(source: str, **kwargs) -> set[str]:
    facts: set[str] = set()
    token = FACTS.set(facts)
    try:
        bpgen.generate(source, **kwargs)
    finally:
        FACTS.reset(token)
    return facts


ADD = "import numpy as np\n\n\ndef f(x, b):\n    return np.sum(x + b)\n"


def test_a_backward_that_sums_back_at_run_time_says_so():
    assert facts_of(ADD) == {TESTS_SHAPES}


def test_declared_shapes_leave_nothing_to_test_at_run_time():
    assert facts_of(ADD, shapes={"x": "N D", "b": "D"}) == set()


def test_nothing_is_collected_unless_asked():
    assert FACTS.get() is None
    bpgen.generate(ADD)
    assert FACTS.get() is None


def write(directory: Path, text: str) -> Path:
    path = directory / f"factmod_{next(_names)}.py"
    path.write_text(text)
    return path


def load(path: Path):
    """Import `path` as a fresh module: a second import finds the disk cache."""
    name = f"{path.stem}_{next(_names)}"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


# the forward reads .ndim, the backward does not: the text has `.ndim` in it,
# the program tests no shape at run time
NDIM_FORWARD = """\
import numpy as np
import bpgen


@bpgen.differentiable
def f(x: float, y: float):
    n = np.ndim(x)
    return x * y + n
"""


DECORATED_ADD = ADD.replace("np\n", "np\nimport bpgen\n", 1).replace(
    "def f", "@bpgen.differentiable\ndef f"
)


@pytest.mark.parametrize("cached", [False, True])
def test_the_decorator_specialises_from_the_programs_facts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cached: bool
):
    monkeypatch.setenv("BPGEN_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("BPGEN_NO_CACHE", raising=False)
    generations = []
    real = decorator._generate
    monkeypatch.setattr(
        decorator, "_generate", lambda *a: generations.append(a[1]) or real(*a)
    )
    plain_path, add_path = write(tmp_path, NDIM_FORWARD), write(tmp_path, DECORATED_ADD)
    plain, broadcasting = load(plain_path).f, load(add_path).f
    assert generations == ["f", "f"]
    if cached:  # the facts come back from the disk cache
        generations.clear()
        plain, broadcasting = load(plain_path).f, load(add_path).f
        assert generations == []
    assert "np.ndim" in plain.source
    assert not hasattr(plain.forward, "__wrapped__")  # no dispatch
    assert hasattr(broadcasting.forward, "__wrapped__")  # dispatches per kind
    out, saved = broadcasting.forward(np.ones((2, 3)), np.ones(3))
    dx, db = broadcasting.backward(1.0, saved)
    assert np.array_equal(db, np.full(3, 2.0)) and dx.shape == (2, 3)


def test_cache_entries_keep_their_facts_and_check_them(tmp_path: Path):
    path = tmp_path / "entry.py"
    facts = frozenset({TESTS_SHAPES})
    assert _cache.store(path, "k", "x = 1\n", facts)
    assert _cache.load_entry(path, "k") == ("x = 1\n", facts)
    data = path.read_text()
    path.write_text(data.replace(TESTS_SHAPES, "other"))
    assert _cache.load_entry(path, "k") is None  # the digest covers the facts
    assert _cache.store(path, "k", "x = 1\n")
    assert _cache.load_entry(path, "k") == ("x = 1\n", frozenset())


# -- handout: a generated backward's gradients are new where tagged -----------


def hand_out(source: str, handed_new: set[str]) -> list[str]:
    statements = ast.parse(source).body
    fixes = handout.hand_out(
        statements, ["dx", "dw"], ["x", "w"], set(), {"x", "w"}, handed_new=handed_new
    )
    return [ast.unparse(ast.fix_missing_locations(s)) for s in fixes]


def test_tagged_gradients_of_a_generated_backward_need_no_copy():
    source = "dx, dw = layer_backward(dout, pair[1])"
    assert hand_out(source, {"dx", "dw"}) == []


def test_a_call_named_like_a_backward_but_not_tagged_is_copied():
    source = "dx, dw = user_backward(dout, pair[1])"  # the name alone proves nothing
    assert hand_out(source, set()) == ["dx = dx.copy()", "dw = dw.copy()"]
