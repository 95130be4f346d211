"""Bugs the seventh review found around today's products (the shared rank
test of fastpath.py, x.dot(y) of two vectors), each with its minimal
reproduction, fixed; and the adversarial corpus of products it ran."""

from __future__ import annotations

import numpy as np
import pytest
from oracle import check_contract, check_oracles

HEAD = "import numpy as np\n\n\n"

LIST_OPERANDS = {
    "dot, list second": "def f(x):\n    return np.sum(np.tanh(np.dot(x, [1.0, 2.0, 3.0])))\n",
    "dot, list first": "def f(x):\n    return np.sum(np.tanh(np.dot([1.0, 2.0], x)))\n",
    "matmul, nested list": (
        "def f(x):\n"
        "    return np.sum(np.tanh(x @ [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]))\n"
    ),
    "inner, tuple": "def f(x):\n    return np.sum(np.inner(x, (1.0, 2.0, 3.0)) ** 2)\n",
}


@pytest.mark.parametrize("name", list(LIST_OPERANDS))
def test_a_list_written_in_a_product_is_read_as_an_array(name):
    """`np.dot(x, [1.0, 2.0, 3.0])`: the gradient read `[1.0, 2.0, 3.0].ndim`
    (AttributeError: 'list' object has no attribute 'ndim'); and a float32 x
    meets a float64 array there, so dx is cast back to x's dtype."""
    source = HEAD + LIST_OPERANDS[name]
    x = np.random.default_rng(1).standard_normal((2, 3))
    check_oracles(source, [x])
    check_contract(source, [x], dtypes=(np.float32, np.float64))
