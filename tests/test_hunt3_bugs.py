"""Open bugs the control-flow hunt found (tests/realistic_flow2.py), each a
strict xfail with its minimal reproduction, so a fix shows up as XPASS."""

from __future__ import annotations

import numpy as np
import pytest

from bpgen.check import check_gradients


@pytest.mark.xfail(
    strict=True,
    raises=ValueError,
    reason="list-of-arrays-param: `Ws[i]` of a list of differently shaped "
    "arrays; the backward builds dWs = np.zeros_like(Ws), which numpy refuses "
    "for a ragged list (a list parameter's gradient would have to be a list)",
)
@pytest.mark.parametrize("loop", [False, True])
def test_list_of_weight_matrices(loop):
    body = (
        "    h = X\n    for i in range(len(Ws)):\n        h = np.tanh(h @ Ws[i])\n"
        "    return np.sum(h)\n"
        if loop
        else "    return np.sum(np.tanh(X @ Ws[0]) @ Ws[1])\n"
    )
    source = "import numpy as np\n\n\ndef f(X, Ws):\n" + body
    rng = np.random.default_rng(0)
    Ws = [rng.standard_normal((3, 4)), rng.standard_normal((4, 2))]
    check_gradients(source, [rng.standard_normal((2, 3)), Ws])
