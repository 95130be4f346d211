"""Review 5: loops whose lists are appended parameters' rows or outer values
directly (`L.append(x)`, no computed part in the loop), checked numerically
and against the gradient contract."""

from __future__ import annotations

import numpy as np
import pytest
from oracle import check_contract

from bpgen.check import check_gradients

HEAD = "import numpy as np\n\n\ndef f"
LOOP = "(xs):\n    L = []\n    for x in xs:\n        L.append(x)\n"
ROWS = HEAD + LOOP + "    return np.stack(L)\n"
PREVIOUS = (
    HEAD + "(xs, h):\n    L = []\n    for x in xs:\n        L.append(h)\n"
    "        h = x\n    return np.stack(L), h\n"
)
OUTER = (
    HEAD + "(xs, w):\n    L = []\n    for x in xs:\n        L.append(w)\n"
    "    return np.stack(L) * xs\n"
)
SUMMED = HEAD + LOOP + "    return sum(L)\n"
BROKEN = (
    HEAD + LOOP + "        if len(L) > 1:\n            break\n    return np.stack(L)\n"
)


@pytest.mark.parametrize(
    "source, wrt",
    [
        (ROWS, ["xs"]),
        (PREVIOUS, ["xs", "h"]),
        (OUTER, ["xs", "w"]),
        (SUMMED, ["xs"]),
        (BROKEN, ["xs"]),
    ],
    ids=["rows", "previous", "outer", "summed", "broken"],
)
def test_a_loop_that_only_appends_passes_its_gradients_back(source, wrt):
    # the loop had no record, so its backward was dropped: dxs, dw were zeros
    xs = np.random.default_rng(5).standard_normal((3, 4))
    args = [xs, xs[0] + 1.0] if len(wrt) == 2 else [xs]
    code = check_gradients(source, args, "f", wrt)
    assert "range(steps" in code
    check_contract(source, args, "f", wrt, dtypes=(np.float32, np.float64))


ARMS = (
    HEAD + "(xs, w, flag):\n    L = []\n    for x in xs:\n        if flag:\n"
    "            L.append(x)\n        else:\n            L.append(w)\n"
    "    return np.stack(L)\n"
)


@pytest.mark.parametrize("flag", [True, False])
def test_a_branch_whose_arms_append_different_values_is_recorded(flag):
    # the branch was not recorded: the backward popped into neither dxs nor dw
    xs = np.random.default_rng(6).standard_normal((3, 4))
    args = [xs, xs[0] + 1.0, flag]
    check_gradients(ARMS, args, "f", ["xs", "w"])
    check_contract(ARMS, args, "f", ["xs", "w"], dtypes=(np.float32, np.float64))


# labels of shape (N,) with `np.arange(1)` pick row 0 N times: the declared
# shapes proved "one pick per row" from the pick's length alone (wrong ds)
ONE_ROW = {
    "softmax": "e = np.exp(s)\n    p = e / np.sum(e, axis=1, keepdims=True)\n"
    "    return -np.sum(np.log(p[np.arange(1), y]))\n",
    "log-softmax": "lp = s - np.log(np.sum(np.exp(s), axis=1, keepdims=True))\n"
    "    return -np.sum(lp[np.arange(1), y])\n",
}


@pytest.mark.parametrize("body", ONE_ROW.values(), ids=ONE_ROW)
def test_a_pick_by_arange_of_one_is_not_proved_one_per_row(body):
    source = HEAD + "(s, y):\n    " + body
    s = np.random.default_rng(7).standard_normal((5, 4))
    y = np.array([0, 2, 2, 1, 3])
    shapes = {"s": "N C", "y": "N"}
    check_gradients(source, [s, y], "f", ["s"], shapes=shapes)
    check_contract(source, [s, y], "f", ["s"], dtypes=(np.float32, np.float64))
