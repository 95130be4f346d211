"""Every gradient check again with each optimisation switched off.

Each sample case (tests/cases.py), each rule-level program (test_rules.py) and a
few programs aimed at one optimisation each are checked with every
`bpgen.Options` switch off on its own, and with all of them off, so an
optimisation can neither hide nor cause a wrong gradient. Switches added to
Options later are picked up automatically.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from cases import CASES
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_rules import RULE_CASES, _differentiable, _source

import bpgen
from bpgen.check import check_gradients
from bpgen.options import Options

SWITCHES = Options.switches()
CONFIGS = {f"no-{name}": Options(**{name: False}) for name in SWITCHES}
CONFIGS["all-off"] = Options(**{name: False for name in SWITCHES})
CHOICES = Options.choices()  # off by default: each run turned on
CONFIGS |= {name: Options(**{name: True}) for name in CHOICES}


def normal(*shape):
    return lambda rng: (
        rng.standard_normal(shape) if shape else float(rng.standard_normal())
    )


def positive(*shape):
    return lambda rng: (
        rng.uniform(0.5, 1.5, shape) if shape else float(rng.uniform(0.5, 1.5))
    )


N = "import numpy as np\n\n\ndef f({params}):\n{body}"
M = "import math\n\n\ndef f({params}):\n{body}"
# annotations in jaxtyping's spelling, read from the text and never evaluated
J = (
    "from __future__ import annotations\n\n"
    "import numpy as np\n\n\ndef f({params}):\n{body}"
)

# Programs that each lean on one optimisation: (id, template, lines, params, wrt)
TARGETED = [
    (
        "fusion-sigmoid",
        M,
        ["s = 1.0 / (1 + math.exp(-x))", "return s * y + 1 / (math.exp(-y) + 1)"],
        {"x": normal(), "y": normal()},
        None,
    ),
    (
        "fusion-square",
        N,
        ["h = x * x", "return np.sum(h * y)"],
        {"x": normal(3, 4), "y": normal(4)},
        None,
    ),
    (
        "activity",
        N,
        ["h = np.tanh(x * w + b)", "return np.sum(h * mask)"],
        {"x": normal(3, 4), "w": normal(4), "b": normal(4), "mask": normal(3, 4)},
        ("w", "b"),
    ),
    (
        "activity-float",
        M,
        ["return math.exp(x * k) + k ** 2"],
        {"x": normal(), "k": positive()},
        ("x",),
    ),
    (
        "dce",
        N,
        [
            "dead = np.exp(x) * y",
            "unused = np.log(y)",
            "h = x * 2.0",
            "h = h + y",
            "return np.sum(h ** 2)",
        ],
        {"x": normal(3, 4), "y": positive(4)},
        None,
    ),
    (
        "dce-reassign",
        M,
        ["a = x * y", "a = math.sin(a)", "b = a * a", "a = b + x", "return a"],
        {"x": normal(), "y": normal()},
        None,
    ),
    (
        "simplify",
        N,
        [
            "a = x * 1",
            "b = a ** 1",
            "c = -(-b)",
            "d = c / 1",
            "return np.sum(+d * 2 - 1)",
        ],
        {"x": normal(3)},
        None,
    ),
    (
        "reuse",
        N,
        [
            "return np.sum(np.exp(x) + np.tanh(x) + np.sqrt(y) + np.reciprocal(y)"
            " + np.tan(x * 0.3))"
        ],
        {"x": normal(3, 4), "y": positive(3, 4)},
        None,
    ),
    (
        "broadcast",
        N,
        [
            "h = x + y * z",
            "k = h - b",
            "return np.sum(k * k, axis=0, keepdims=True) + y",
        ],
        {"x": normal(3, 4), "y": normal(1, 4), "z": normal(3, 1), "b": normal()},
        None,
    ),
    (
        "broadcast-0d",
        N,
        ["return x * y + z"],
        {
            "x": lambda rng: np.array(rng.standard_normal()),
            "y": normal(4),
            "z": normal(3, 1),
        },
        None,
    ),
    (
        "inplace-fanout",
        N,
        [
            "a = x * 2.0",
            "b = a + a",
            "c = b * a + np.exp(a)",
            "return c[::-1] + a[0] + x.T.T",
        ],
        {"x": normal(3, 4)},
        None,
    ),
    (
        "inplace-scatter",
        N,
        ["a = x[0] + x[1:].sum(axis=0)", "b = x[[0, 2, 2]] * a", "return b + x"],
        {"x": normal(3, 4)},
        None,
    ),
    (
        "guards",
        J,
        ["return np.tanh(x @ w + b)"],
        {
            'x: Float[np.ndarray, "N D"]': normal(3, 4),
            'w: Float[np.ndarray, "D M"]': normal(4, 2),
            'b: Float[np.ndarray, "M"]': normal(2),
        },
        None,
    ),
    (
        "shift-softmax",
        N,
        [
            "s = x - np.max(x, axis=1, keepdims=True)",
            "e = np.exp(s)",
            "return np.sum(e / np.sum(e, axis=1, keepdims=True) * y)",
        ],
        {"x": normal(3, 4), "y": normal(3, 4)},
        ("x",),
    ),
    (
        "shift-log-softmax",
        N,
        [
            "s = x - x.max(axis=-1, keepdims=True)",
            "return np.sum((s - np.log(np.sum(np.exp(s), axis=-1, keepdims=True)))"
            " * y)",
        ],
        {"x": normal(3, 4), "y": normal(3, 4)},
        ("x",),
    ),
    (
        "masks-relu",
        N,
        [
            "h = np.maximum(0, x @ w)",
            "k = np.maximum(h, 0.0) * w[0]",
            "return np.sum(k * k)",
        ],
        {"x": normal(3, 4), "w": normal(4, 4)},
        None,
    ),
    (
        "centre-batchnorm",
        N,
        [
            "mu = np.mean(x, axis=0)",
            "var = np.var(x, axis=0)",
            "return (x - mu) / np.sqrt(var + 1e-5) * g",
        ],
        {"x": normal(5, 3), "g": normal(3)},
        None,
    ),
    (
        "xent",
        J,
        [
            "N = x.shape[0]",
            "e = np.exp(x - np.max(x, axis=1, keepdims=True))",
            "p = e / np.sum(e, axis=1, keepdims=True)",
            "return -np.sum(np.log(p[np.arange(N), y])) / N",
        ],
        {
            'x: Float[np.ndarray, "N C"]': normal(3, 4),
            'y: Int[np.ndarray, "N"]': lambda rng: rng.integers(0, 4, 3),
        },
        None,
    ),
    (
        "inplace-views",
        N,
        [
            "a = x.T",
            "b = a.reshape(12)",
            "c = b * b",
            "return c.reshape(4, 3) + a + x.T",
        ],
        {"x": normal(3, 4)},
        None,
    ),
]


def _targeted_source(template, lines, params):
    return template.format(
        params=", ".join(params), body="".join(f"    {line}\n" for line in lines)
    )


def _programs():
    """(id, source, make_args, wrt) for every sample case, rule case and targeted
    program."""
    for case in CASES:
        yield f"sample:{case.id}", case.source, case.make_args, case.function, case.wrt
    seen = set()
    for i, (gate, template, body, params) in enumerate(RULE_CASES):
        if gate in seen:
            continue  # one program per gate; test_rules.py runs them all
        seen.add(gate)
        make = lambda rng, p=params: [m(rng) for m in p.values()]  # noqa: E731
        yield f"rule:{gate}:{i}", _source(
            template, body, params
        ), make, "f", _differentiable(params)
    for name, template, lines, params, wrt in TARGETED:
        make = lambda rng, p=params: [m(rng) for m in p.values()]  # noqa: E731
        yield f"targeted:{name}", _targeted_source(
            template, lines, params
        ), make, "f", wrt


PROGRAMS = list(_programs())
IDS = [p[0] for p in PROGRAMS]


@pytest.mark.parametrize("config", list(CONFIGS), ids=list(CONFIGS))
@pytest.mark.parametrize("name, source, make_args, function, wrt", PROGRAMS, ids=IDS)
def test_switched_off(name, source, make_args, function, wrt, config):
    seed = sum(map(ord, name + config)) % 1000
    args = make_args(np.random.default_rng(seed))
    options = CONFIGS[config]
    code = check_gradients(source, args, function, wrt, options=options, seed=seed)
    compile(code, "<generated>", "exec")


@pytest.mark.parametrize("switch", SWITCHES)
def test_every_switch_changes_something(switch):
    """A switch that changes no output at all is not wired to anything: turning it
    off must change some program's code, either from the defaults or, for an
    optimisation another one masks, from the all-off setting."""
    pairs = [
        (Options(), Options(**{switch: False})),
        (CONFIGS["all-off"], Options(**{name: name == switch for name in SWITCHES})),
    ]
    targeted_first = sorted(PROGRAMS, key=lambda p: not p[0].startswith("targeted:"))
    for _id, source, _, function, wrt in targeted_first:
        for on, off in pairs:
            if bpgen.generate(source, function, wrt, options=on) != bpgen.generate(
                source, function, wrt, options=off
            ):
                return
    pytest.fail(f"turning {switch} off changes no generated code")


def test_configs_cover_every_switch():
    assert set(SWITCHES) | set(CHOICES) == {f.name for f in dataclasses.fields(Options)}
    assert len(CONFIGS) == len(SWITCHES) + 1 + len(CHOICES)


# Random programs (tests/programs.py) under random switch settings.
from programs import programs  # noqa: E402
from test_properties import check_program  # noqa: E402


@settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
@given(
    programs("numpy"), st.fixed_dictionaries({name: st.booleans() for name in SWITCHES})
)
def test_random_programs_random_switches(program, switches):
    check_program(program, 0, Options(**switches))


@settings(
    max_examples=20,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
@given(
    programs("math"), st.fixed_dictionaries({name: st.booleans() for name in SWITCHES})
)
def test_random_math_programs_random_switches(program, switches):
    check_program(program, 0, Options(**switches))


def test_every_switch_says_what_turning_it_off_does() -> None:
    for switch in Options.switches() + Options.choices():
        assert Options.help(switch), switch
