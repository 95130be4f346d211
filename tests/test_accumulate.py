"""accumulate.py: a gradient handed on by name takes its later terms in place.

Source in, source out on small backwards, then the pass inside the pipeline
(batch norm, where it comes from), with the gradients checked numerically.
"""

from __future__ import annotations

import ast
import textwrap

import numpy as np
import pytest

import bpgen
from bpgen.accumulate import accumulate_in_place
from bpgen.blocks import Block
from bpgen.check import check_gradients
from bpgen.reverse import UNBROADCAST, allocates


def run(source: str, keep: set[str] = frozenset({"dx"})) -> str:
    """The pass on `source`; `_unbroadcast` is the generated helper's call."""
    tree = ast.parse(textwrap.dedent(source))
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id == "_unbroadcast":
            node.id = UNBROADCAST
    out = accumulate_in_place([Block(statements=tree.body)], set(keep), allocates)
    text = "\n".join(ast.unparse(s) for b in out for s in b.statements)
    return text.replace(UNBROADCAST, "_unbroadcast")


HANDED_ON = """\
dt1 = dxhat * (1 / t3)
dt1 += dt5 * 2 * t1
dx = dt1
dmu = -np.sum(dt1, axis=0)
dx = dx + dmu / x.shape[0]"""


def test_a_buffer_handed_on_takes_the_next_term_in_place():
    assert run(HANDED_ON) == HANDED_ON.replace("dx = dx + ", "dx += ")


def test_a_buffer_handed_on_through_unbroadcast_is_the_same_buffer():
    source = HANDED_ON.replace("dx = dt1", "dx = _unbroadcast(dt1, np.shape(x))")
    assert run(source) == source.replace("dx = dx + ", "dx += ")


def test_a_name_bound_to_a_new_array_takes_its_terms_in_place():
    source = "dx = dout * w\ndy = dx @ v\ndx = dx + dy * 2"
    assert run(source) == "dx = dout * w\ndy = dx @ v\ndx += dy * 2"


@pytest.mark.parametrize(
    "change, why",
    [
        (("dt1 = dxhat * (1 / t3)", "dt1 = dxhat"), "dt1 is the caller's dxhat"),
        (("dt1 = dxhat * (1 / t3)", "dt1 = dxhat.T"), "dt1 is a view"),
        (("dt1 = dxhat * (1 / t3)", "dt1 = np.reshape(g, s)"), "a view call"),
        (("dx = dt1", "dx = dt1\ndv = dt1"), "a second name holds dt1"),
        (("dx = dt1", "dx = dt1\ndv = dt1.T"), "a view of dt1"),
        (("dx = dt1", "dx = dt1\ndt1 += g"), "dt1 updated after hand-over"),
        (("dx = dx + dmu / x.shape[0]", "dx = dx + dmu\ndz = dt1 * 2"), "read after"),
        (("dx = dx + dmu / x.shape[0]", "dx = dx + dmu / dx"), "the term reads dx"),
        (("dmu = -np.sum(dt1, axis=0)", "dmu = f(dt1)"), "a call may keep dt1"),
    ],
)
def test_a_buffer_someone_else_may_hold_gets_a_new_array(change, why):
    source = HANDED_ON.replace(*change)
    assert run(source) == source, why


def test_a_returned_buffer_is_not_taken():
    assert run(HANDED_ON, keep={"dx", "dt1"}) == HANDED_ON


def test_a_sum_after_a_rebinding_to_a_view_stays():
    source = "dx = dout * w\ndx = dx.reshape(s)\ndx = dx + dy"
    assert run(source) == source


BATCHNORM = """\
import numpy as np


def batchnorm(x, gamma, beta, eps):
    mu = np.mean(x, axis=0)
    var = np.var(x, axis=0)
    xhat = (x - mu) / np.sqrt(var + eps)
    return gamma * xhat + beta
"""

DECLARED = {"x": "N D", "gamma": "D", "beta": "D", "eps": ""}


@pytest.mark.parametrize("shapes", [None, DECLARED], ids=["general", "declared"])
def test_batch_norm_adds_the_mean_term_in_place_and_its_gradients_check(shapes):
    rng = np.random.default_rng(3)
    args = [rng.standard_normal((6, 4)), rng.standard_normal(4), rng.random(4), 1e-3]
    wrt = ["x", "gamma", "beta"]
    code = check_gradients(BATCHNORM, args, "batchnorm", wrt, shapes=shapes)
    assert "dx += dmu / x.shape[0]" in code
    off = bpgen.Options(inplace=False)
    code = check_gradients(
        BATCHNORM, args, "batchnorm", wrt, shapes=shapes, options=off
    )
    assert "dx = dx + dmu / x.shape[0]" in code and "+=" not in code


def test_the_returned_gradients_share_no_memory():
    rng = np.random.default_rng(4)
    args = [rng.standard_normal((6, 4)), rng.standard_normal(4), rng.random(4), 1e-3]
    code = bpgen.generate(BATCHNORM, "batchnorm", ["x", "gamma", "beta"])
    namespace: dict = {}
    exec(code, namespace)
    out, cache = namespace["batchnorm_forward"](*args)
    dout = rng.standard_normal(out.shape)
    grads = namespace["batchnorm_backward"](dout, cache)
    before = [a.copy() for a in cache if isinstance(a, np.ndarray)]
    for g in grads:
        assert not any(np.shares_memory(g, a) for a in [dout, *args[:3]])
    assert not np.shares_memory(grads[0], grads[1])
    after = [a for a in cache if isinstance(a, np.ndarray)]
    assert all(np.array_equal(a, b) for a, b in zip(before, after, strict=True))
