"""Softmax and cross-entropy as one gate (Options.xent) where each row is picked once.

Each program is checked numerically (float64) with the switch on and off;
the fused backward has no `np.add.at` and adds the picked gradient with `+=`.
"""

from __future__ import annotations

import textwrap

import numpy as np
import pytest

import bpgen
from bpgen.check import check_gradients

HEAD = "import numpy as np\n\n\ndef f(s, y, w):\n    N = s.shape[0]\n"
SOFTMAX = [
    "e = np.exp(s - np.max(s, axis=1, keepdims=True))",
    "p = e / np.sum(e, axis=1, keepdims=True)",
]
LOG_SOFTMAX = [
    "z = s - s.max(axis=-1, keepdims=True)",
    "lp = z - np.log(np.sum(np.exp(z), axis=-1, keepdims=True))",
]
SHAPES = {"s": "N C", "y": "N", "w": "N"}

CASES = {
    "sum-over-n": (SOFTMAX + ["return -np.sum(np.log(p[np.arange(N), y])) / N"], True),
    "mean": (SOFTMAX + ["return -np.mean(np.log(p[np.arange(N), y]))"], True),
    "weighted": (SOFTMAX + ["return -np.sum(w * np.log(p[np.arange(N), y]))"], True),
    "log-softmax": (LOG_SOFTMAX + ["return -np.mean(lp[np.arange(N), y])"], True),
    "log-softmax-sum": (
        LOG_SOFTMAX + ["return -np.sum(lp[np.arange(N), y]) / N"],
        True,
    ),
    # probabilities read again: the chain is not closed
    "probs-read": (
        SOFTMAX + ["return -np.sum(np.log(p[np.arange(N), y])) + np.sum(p * p)"],
        False,
    ),
    # rows picked by labels, not by arange: rows may repeat
    "rows-repeat": (SOFTMAX + ["return -np.sum(np.log(p[y, y]))"], False),
    # the columns of a softmax along axis 0
    "axis-0": (
        [
            "e = np.exp(s)",
            "p = e / np.sum(e, axis=0, keepdims=True)",
            "return -np.sum(np.log(p[np.arange(N), y]))",
        ],
        False,
    ),
}


def _source(lines):
    return HEAD + "".join(f"    {line}\n" for line in lines)


def _args():
    rng = np.random.default_rng(11)
    s = rng.standard_normal((5, 4))
    return [s, rng.integers(0, 4, 5), rng.uniform(0.5, 1.5, 5)]


@pytest.mark.parametrize("name", sorted(CASES))
def test_fused_only_when_each_row_is_picked_once(name):
    lines, fused = CASES[name]
    source = _source(lines)
    off = bpgen.Options(xent=False)
    on = check_gradients(source, _args(), "f", ["s", "w"], shapes=SHAPES)
    plain = check_gradients(
        source, _args(), "f", ["s", "w"], shapes=SHAPES, options=off
    )
    backward = on.split("_backward(")[1]
    assert ("np.add.at" not in backward) is fused, on
    if not fused:
        assert on == plain


def test_without_declared_shapes_the_pick_is_checked_at_run_time():
    source = _source(CASES["sum-over-n"][0])
    code = check_gradients(source, _args(), "f", ["s"])
    body = code.split("def f_backward(dout, cache):")[1].split('"""')[2]
    assert textwrap.dedent(body).strip() == textwrap.dedent("""
        y, N, p = cache
        # out = -np.sum(np.log(p[np.arange(N), y])) / N
        dt7 = dout / N
        dt6 = -dt7
        dt2 = _softmax_pick(p, np.arange(N), y, dt6, 1)
        # e = np.exp(s - np.max(s, axis=1, keepdims=True))
        ds = dt2
        return (ds,)
        """).strip()
    assert "def _softmax_pick(" in code


@pytest.mark.parametrize("name", sorted(n for n, (_, fused) in CASES.items() if fused))
def test_every_fused_case_without_shapes_checks_numerically(name):
    code = check_gradients(_source(CASES[name][0]), _args(), "f", ["s", "w"])
    assert "_softmax_pick(" in code.split("_backward(")[1]


# picks that are not one per row at run time: the helper's exact fallback
PICKS = {
    # fewer rows than the softmax has
    "some-rows": ("def f(s, y, n):\n", "p[np.arange(n), y]", (6, 4), [3, 2, 1, 0]),
    # labels of shape (2, N): each row picked twice
    "rows-twice": (
        "def f(s, y):\n    n = s.shape[0]\n",
        "p[np.arange(n), y]",
        (5, 4),
        [[0, 1, 2, 3, 0], [3, 3, 1, 0, 2]],
    ),
    # a softmax along the last axis of a 3-D array: a row of groups per pick
    "three-d": (
        "def f(s, y):\n    n = s.shape[0]\n",
        "p[np.arange(n), y]",
        (3, 2, 4),
        [1, 0, 1],
    ),
}


@pytest.mark.parametrize("name", sorted(PICKS))
def test_picks_not_one_per_row_fall_back_to_the_exact_form(name):
    head, pick, shape, labels = PICKS[name]
    source = (
        "import numpy as np\n\n\n" + head
        + "    e = np.exp(s - np.max(s, axis=-1, keepdims=True))\n"
        + "    p = e / np.sum(e, axis=-1, keepdims=True)\n"
        + f"    return -np.sum(np.log({pick}))\n"
    )  # fmt: skip
    rng = np.random.default_rng(5)
    args = [rng.standard_normal(shape), np.array(labels)]
    if "n" in head.split("(")[1].split(")")[0].split(", "):
        args.append(len(labels))
    code = check_gradients(source, args, "f", ["s"])
    assert "_softmax_pick(" in code.split("_backward(")[1]


def test_the_check_takes_the_fast_form_only_for_one_pick_per_row():
    namespace: dict = {}
    code = bpgen.generate(_source(CASES["sum-over-n"][0]), "f", ["s"])
    exec(code, namespace)  # noqa: S102
    pick = namespace["_softmax_pick"]
    rng = np.random.default_rng(3)
    e = np.exp(rng.standard_normal((4, 3)))
    probs = e / e.sum(axis=1, keepdims=True)

    def exact(rows, cols, grad):
        picked = np.zeros_like(probs)
        np.add.at(picked, (rows, cols), grad)
        return picked - probs * picked.sum(axis=1, keepdims=True)

    for rows, cols, grad in [
        (np.arange(4), np.array([0, 2, 1, 1]), 0.5),
        (np.arange(4), np.array([0, 2, 1, 1]), np.arange(4.0)),
        (np.arange(4), 2, -1.0),
        (np.arange(2), np.array([0, 2]), 1.0),  # rows 2 and 3 not picked
        (np.arange(1), np.array([0, 2, 1]), 1.0),  # row 0 picked three times
    ]:
        got = pick(probs, rows, cols, grad, 1)
        np.testing.assert_allclose(got, exact(rows, cols, grad), rtol=1e-12)
