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
from bpgen.blocks import Block
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
    blocks = [Block(statements=ast.parse(source).body)]
    fixes = handout.hand_out(
        blocks, ["dx", "dw"], ["x", "w"], set(), {"x", "w"}, handed_new=handed_new
    )
    return [ast.unparse(ast.fix_missing_locations(s)) for s in fixes]


def test_tagged_gradients_of_a_generated_backward_need_no_copy():
    source = "dx, dw = layer_backward(dout, pair[1])"
    assert hand_out(source, {"dx", "dw"}) == []


def test_a_call_named_like_a_backward_but_not_tagged_is_copied():
    source = "dx, dw = user_backward(dout, pair[1])"  # the name alone proves nothing
    assert hand_out(source, set()) == ["dx = dx.copy()", "dw = dw.copy()"]


# -- every gate declared once, with every fact (issue 10) ----------------------
# rules.py is the one place a gate is declared; these fail when a declaration
# lacks a fact the pipeline derives from it, or a fact it declares is false.

import builtins  # noqa: E402
import math  # noqa: E402

import scipy.special  # noqa: E402
from test_rules import RULE_CASES, _source  # noqa: E402

from bpgen import calls, docs, rules  # noqa: E402
from bpgen.rules import KINDS, RULES  # noqa: E402

_NAMESPACES = {
    "numpy": ("numpy", np),
    "math": ("math", math),
    "builtin": ("builtins", builtins),
    "scipy": ("scipy.special", scipy.special),
}


@pytest.mark.parametrize("gate", list(RULES))
def test_every_gate_has_a_kind_gradients_and_a_readme_line(gate: str):
    rule = RULES[gate]
    assert rule.kind in KINDS, f"{gate}: kind={rule.kind!r}"
    assert rule.grads and set(rule.grads) <= set(rule.params)
    assert set(rule.defaults) <= set(rule.params)
    assert set(rule.discrete) <= set(rule.params) - set(rule.grads)
    written, gradients = {g: (w, d) for g, w, d in docs.rows()}[gate]
    assert written, f"{gate}: no spelling and no written= form for the README"
    assert gradients and "`" in gradients


def _template_names(template: str) -> set[str]:
    return {
        n.id
        for n in ast.walk(ast.parse(template, mode="eval"))
        if isinstance(n, ast.Name)
    }


@pytest.mark.parametrize("gate", list(RULES))
def test_every_written_template_reads_only_what_the_gate_has(gate: str):
    """A string template names the gate's parameters, g, out, np, math and
    the modules its declaration derived (scipy.special) and builtins."""
    rule = RULES[gate]
    heads = {m.partition(".")[0] for m in rule.modules}
    known = {*rule.params, "g", "out", "np", "math", *heads, *dir(builtins)}
    for template in [*rule.grads.values(), *rule.scalar.values()]:
        if isinstance(template, str):
            assert _template_names(template) <= known, (gate, template)


def _resolve(module, dotted: str):
    for part in dotted.split("."):
        module = getattr(module, part)
    return module


@pytest.mark.parametrize("gate", list(RULES))
def test_every_spelling_resolves_to_its_gate(gate: str):
    """Each declared spelling names a real callable, and calls.py finds the
    gate by it (methods: an ndarray method of that name)."""
    rule = RULES[gate]
    for field_name, (module_name, module) in _NAMESPACES.items():
        for name in getattr(rule, field_name):
            assert callable(_resolve(module, name)), f"{module_name}.{name}"
            assert calls.gate_spelled(f"{module_name}.{name}") == gate
    for name in rule.method:
        assert callable(getattr(np.ndarray, name)), f"ndarray.{name}"
        assert calls.METHODS[name] == gate
    if rule.operator:  # lowered by the operator alone: `x @ y` is matmul
        node = ast.parse(rule.operator, mode="eval").body
        assert rules.OPERATORS[type(node.op)] == gate
        assert {n.id for n in ast.walk(node) if isinstance(n, ast.Name)} <= set(
            rule.params
        )


def test_the_derived_tables_cover_exactly_the_declarations():
    assert set(rules.VIEW_GATES) == {g for g, r in RULES.items() if r.view}
    modules = {m for r in RULES.values() for m in r.modules}
    assert modules == rules.TEMPLATE_MODULES
    for module in modules:  # a template's module is one the generated code imports
        assert importlib.util.find_spec(module) is not None, module
    spelled = {
        calls.gate_spelled(f"{m}.{n}")
        for f, (m, _) in _NAMESPACES.items()
        for r in RULES.values()
        for n in getattr(r, f)
    }
    assert spelled <= set(RULES)


def _gates_read(source: str) -> set[str]:
    """The gates whose rules generating `source` looked up."""
    read: set[str] = set()
    table = type(RULES)
    real = table.__getitem__

    def recording(self, gate):
        read.add(gate)
        return real(self, gate)

    table.__getitem__ = recording
    try:
        bpgen.generate(source)
    finally:
        table.__getitem__ = real
    return read


@pytest.mark.parametrize("gate", list(RULES))
def test_every_gate_has_a_gradient_case_that_reaches_it(gate: str):
    """tests/test_rules.py checks each gate numerically in float64; here one
    of the gate's cases is shown really to stage that gate."""
    cases = [c for c in RULE_CASES if c[0] == gate]
    assert cases, f"{gate}: no numerically checked case in tests/test_rules.py"
    reached = [c for c in cases if gate in _gates_read(_source(c[1], c[2], c[3]))]
    assert reached, f"{gate}: its cases never stage it"


PRODUCT_RANKS = ["dot", "matmul", "outer"]


@pytest.mark.parametrize("gate", PRODUCT_RANKS)
def test_declared_product_ranks_agree_with_numpy(gate: str):
    """shapes.py takes a product's rank from its declaration: for every pair
    of input ranks NumPy accepts, the declared rank is NumPy's."""
    from bpgen.rules import Gate

    function = {"dot": np.dot, "matmul": np.matmul, "outer": np.outer}[gate]
    checked = 0
    for rx, ry in itertools.product(range(4), repeat=2):
        try:
            out = function(np.ones((2,) * rx), np.ones((2,) * ry))
        except ValueError:
            continue  # matmul refuses 0-d operands
        assert RULES[gate].out_rank({"x": rx, "y": ry}, Gate({})) == np.ndim(out), (
            rx,
            ry,
        )
        checked += 1
    assert checked >= 9


RANK_CASES = [
    ("float", "float(a)", 0),
    ("transpose", "np.transpose(a, (1, 2, 0))", 3),
    ("reshape", "np.reshape(a, (2, -1))", 3),
    ("reshape", "np.reshape(a, -1)", 3),
    ("reshape", "np.reshape(a, 8)", 3),
    ("expand_dims", "np.expand_dims(a, 0)", 3),
    ("expand_dims", "np.expand_dims(a, (0, -1))", 3),
    ("matrix_transpose", "np.matrix_transpose(a)", 3),
]


def test_every_declared_rank_and_shape_has_a_case():
    """A gate declaring `out_rank=` or `out_shape=` is checked against NumPy
    below: its declaration comes with a case here."""
    ranked = {g for g, r in RULES.items() if r.out_rank is not None}
    shaped = {g for g, r in RULES.items() if r.out_shape is not None}
    assert ranked == set(PRODUCT_RANKS) | {c[0] for c in RANK_CASES}
    assert shaped == {c[0] for c in SHAPE_CASES}


@pytest.mark.parametrize("gate, call, rank", RANK_CASES)
def test_declared_shape_ranks_agree_with_numpy(gate: str, call: str, rank: int):
    from bpgen.rules import Gate

    node = ast.parse(call, mode="eval").body
    params = dict(zip(RULES[gate].params[1:], node.args[1:], strict=False))
    a = np.ones((2,) * rank)
    want = np.ndim(eval(call, {"np": np, "a": a}))
    assert RULES[gate].out_rank({"a": rank}, Gate(params)) == want


SHAPE_CASES = [
    ("dot", "np.dot(x, y)"),
    ("matmul", "np.matmul(x, z)"),
    ("outer", "np.outer(v, v)"),
    ("transpose", "np.transpose(a, (1, 2, 0))"),
    ("swapaxes", "np.swapaxes(a, 0, 2)"),
    ("reshape", "np.reshape(a, (4, 6))"),
    ("ravel", "np.ravel(a)"),
    ("expand_dims", "np.expand_dims(a, (0, -1))"),
    ("squeeze", "np.squeeze(s, 1)"),
    ("stack", "np.stack([a, a], axis=-1)"),
    ("concatenate", "np.concatenate([a, a], axis=1)"),
    ("getitem", "a[0, :, 1:3]"),
    ("matrix_transpose", "np.matrix_transpose(a)"),
]


@pytest.mark.parametrize("gate, call", SHAPE_CASES)
def test_declared_shapes_agree_with_numpy(gate: str, call: str):
    """dims.py takes these gates' shapes from their declarations: each agrees
    with NumPy's (a size the declaration leaves unknown is None)."""
    from bpgen.dims import Dims
    from bpgen.rules import Gate

    rng = np.random.default_rng(0)
    env = {
        "a": rng.normal(size=(2, 3, 4)),
        "s": rng.normal(size=(2, 1, 4)),
        "x": rng.normal(size=(2, 3, 4)),
        "y": rng.normal(size=(5, 4, 6)),
        "z": rng.normal(size=(1, 4, 6)),
        "v": rng.normal(size=(3,)),
    }
    node = ast.parse(call, mode="eval").body
    rule = RULES[gate]
    if isinstance(node, ast.Subscript):
        params = {"a": node.value, "index": node.slice}
    else:
        params = dict(zip(rule.params, node.args, strict=False))
        params |= {k.arg: k.value for k in node.keywords}
    dims = Dims({name: np.shape(value) for name, value in env.items()})
    got = rule.out_shape(dims, Gate(params))
    want = np.shape(eval(call, {"np": np}, env))
    assert got is not None and len(got) == len(want)
    assert all(g in (None, w) for g, w in zip(got, want, strict=True)), (got, want)
