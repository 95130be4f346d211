"""Everyday code, round 5: lists built in a loop joined by np.vstack, hstack,
column_stack or read by any NumPy function (`np.sum(L)`), and a list read
twice; conditional expressions, comprehensions and named lambdas (rewritten
as statements by bpgen/desugar.py); scipy.special's expit, logit, logsumexp,
softmax, log_softmax, xlogy.

Every accepted program is checked numerically in float64 and against the
gradient contract (float32 and float64); refusals stay located.
"""

from __future__ import annotations

import textwrap

import numpy as np
import pytest
from oracle import check_contract

import bpgen
from bpgen.check import check_gradients
from bpgen.errors import BpgenError

RNG = np.random.default_rng(55)


def _src(body: str, head: str = "import numpy as np\n\n\n") -> str:
    return head + textwrap.dedent(body).lstrip()


def _checked(source: str, args: list, wrt=None, contract: bool = True) -> str:
    code = check_gradients(source, args, "f", wrt)
    if contract:
        check_contract(source, args, "f", wrt, dtypes=(np.float32, np.float64))
    return code


def _refused(source: str) -> BpgenError:
    with pytest.raises(BpgenError) as info:
        bpgen.generate(source, "f", filename="model.py")
    assert type(info.value).__name__ != "InternalError", str(info.value)
    return info.value


# -- lists built in a loop, joined or read by NumPy -------------------------------

JOINED = {
    "vstack-rows": ("vstack", "x[i] * (i + 1.0)", (3, 4)),
    "vstack-blocks": ("vstack", "x * (i + 1.0)", (2, 3)),
    "hstack-vectors": ("hstack", "np.sin(x) * i", (4,)),
    "hstack-blocks": ("hstack", "x[:, i:] * (i + 1.0)", (2, 4)),
    "column-stack": ("column_stack", "np.tanh(x) * (i + 1.0)", (4,)),
    "concatenate": ("concatenate", "np.sin(x) * (i + 1.0)", (4,)),
}


@pytest.mark.parametrize("name", sorted(JOINED))
def test_a_list_built_in_a_loop_can_be_joined(name):
    func, item, shape = JOINED[name]
    source = _src(
        f"""
        def f(x, n: int):
            parts = []
            for i in range(n):
                parts.append({item})
            joined = np.{func}(parts)
            return np.sum(joined**2 * np.cos(joined))
        """
    )
    code = _checked(source, [RNG.standard_normal(shape), 3], ["x"])
    if func != "concatenate":  # the items' shapes are recorded, not their sizes
        assert "parts_shapes = [np.shape(item) for item in parts]" in code
        assert "d.reshape(s)" in code


def test_vstack_of_a_list_reads_like_the_stacked_rows():
    source = _src(
        """
        def f(x, n: int):
            rows = []
            for i in range(n):
                rows.append(x * i)
            return np.sum(np.vstack(rows) ** 2)
        """
    )
    code = _checked(source, [RNG.standard_normal(3), 4], ["x"])
    assert "rows_stacked = np.vstack(rows)" in code


def test_a_join_of_a_built_list_takes_the_list_alone():
    source = _src(
        """
        def f(x, n: int):
            rows = []
            for i in range(n):
                rows.append(x * i)
            return np.sum(np.vstack(rows, dtype=float))
        """
    )
    error = _refused(source)
    assert "np.vstack of a list built in a loop takes the list alone" in error.message
    assert (error.lineno, error.col_offset) == (8, 4)


@pytest.mark.parametrize(
    "read",
    ["np.sum(ys)", "np.mean(ys, axis=0) @ np.sum(ys, axis=0)", "np.max(ys) * 2.0"],
)
def test_a_numpy_function_reads_a_built_list_as_its_array(read):
    source = _src(
        f"""
        def f(x):
            ys = []
            for t in x:
                ys.append(np.tanh(t) * t)
            return {read}
        """
    )
    code = _checked(source, [RNG.standard_normal((3, 2))])
    assert "ys_array = np.array(ys)" in code


@pytest.mark.parametrize(
    "read",
    [
        "np.sum(np.stack(ys) * np.stack(ys))",
        "np.sum(sum(ys) * np.stack(ys))",
        "np.sum(sum(ys) * sum(ys))",
        "np.sum(np.stack(ys, axis=1) * np.vstack(ys))",
    ],
)
def test_a_list_read_twice_gathers_both_gradients(read):
    # the second read's gradient list replaced the first's: the gradient halved
    source = _src(
        f"""
        def f(x):
            ys = []
            for t in x:
                ys.append(np.tanh(t))
            return {read}
        """
    )
    _checked(source, [RNG.standard_normal((2, 2))])
