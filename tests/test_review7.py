"""Bugs the seventh review found around today's products (the shared rank
test of fastpath.py, x.dot(y) of two vectors), each with its minimal
reproduction, fixed; and the adversarial corpus of products it ran."""

from __future__ import annotations

import numpy as np
import pytest
from oracle import check_contract, check_oracles

HEAD = "import numpy as np\n\n\n"

LIST_OPERANDS = {
    "dot, list second": (
        "def f(x):\n    return np.sum(np.tanh(np.dot(x, [1.0, 2.0, 3.0])))\n"
    ),
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


def test_siblings_of_a_relative_filename_follow_the_working_folder(
    tmp_path, monkeypatch
):
    """`_siblings._folder` was memoised on the filename as given: a relative
    one kept the folder of the first working directory, so after a chdir the
    decorator's cache key missed the sibling module that is really there."""
    from bpgen._siblings import sibling_texts

    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "layers.py").write_text(f"WHO = {name!r}\n")
        (tmp_path / name / "model.py").write_text("import layers\n")
    for name in ("a", "b"):
        monkeypatch.chdir(tmp_path / name)
        assert sibling_texts("import layers\n", "model.py") == [f"WHO = {name!r}\n"]
