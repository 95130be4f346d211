"""`from numpy import *` and `from math import *`, as old tutorials and
scientific scripts write them: the names they bind are read as Python binds
them (numpy's `sum` and `max` shadow the builtins; a later import shadows an
earlier one)."""

from __future__ import annotations

import numpy as np
import pytest

import bpgen
from bpgen.check import check_gradients


def _source(head: str, body: str) -> str:
    return f"{head}\n\n\ndef f(x):\n    return {body}\n"


def test_numpy_star_sum_and_max_are_numpy_s():
    source = _source("from numpy import *", "sum(exp(x) * tanh(x)) + max(x)")
    code = check_gradients(source, [np.array([0.3, -0.5, 1.2])])
    assert "np.sum(" in code and "np.max(" in code


def test_math_star():
    check_gradients(
        _source("from math import *", "exp(x) * sin(x) + sqrt(x) + pi"), [0.7]
    )


@pytest.mark.parametrize(
    "head, spelled",
    [
        ("from numpy import *\nfrom math import *", "math.exp("),
        ("from math import *\nfrom numpy import *", "np.exp("),
    ],
)
def test_a_later_star_import_shadows_an_earlier_one(head, spelled):
    code = bpgen.generate(_source(head, "exp(x)"))
    assert spelled in code.split("def f_forward")[1]


def test_a_star_import_of_another_module_binds_nothing_bpgen_knows():
    with pytest.raises(bpgen.BpgenError, match="`exp\\(\\)` is not defined") as info:
        bpgen.generate(_source("from os import *", "exp(x)"), filename="m.py")
    assert (info.value.lineno, info.value.col_offset) == (5, 11)
