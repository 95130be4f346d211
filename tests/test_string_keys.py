"""Dict keys built at run time (CS231n's `self.params['W' + str(i)]`,
`'W%d' % i`, f-strings, `.format`): a lookup, never a differentiated array.

Before the fix `params['W%d' % i]` made `params` a default `wrt` array (its
backward crashed with np.zeros_like(dict)) and `str(i)` / `.format` in a key
were refused as unsupported calls."""

from __future__ import annotations

import numpy as np
import pytest

import bpgen
from bpgen.check import check_gradients

KEYS = ["'W%d' % i", "'W' + str(i)", 'f"W{i}"', "'W{}'.format(i)"]


def _params(rng):
    return {f"W{i}": 0.5 * rng.standard_normal((3, 3)) for i in (1, 2)} | {
        f"b{i}": rng.standard_normal(3) for i in (1, 2)
    }


@pytest.mark.parametrize("key", KEYS)
def test_straight_line_key(key):
    source = (
        "import numpy as np\n\n\ndef f(X, params, i):\n"
        f"    return np.sum(np.tanh(X @ params[{key}]) * params['b%d' % i])\n"
    )
    code = bpgen.generate(source)
    assert "with respect to X." in code
    rng = np.random.default_rng(0)
    check_gradients(source, [rng.standard_normal((2, 3)), _params(rng), 2])


@pytest.mark.parametrize("key", KEYS)
def test_run_time_loop_key(key):
    source = (
        "import numpy as np\n\n\ndef f(X, params, n):\n    h = X\n"
        "    for i in range(1, n + 1):\n"
        f"        h = h @ params[{key}] + params['b' + str(i)]\n"
        "        if i != n:\n            h = np.maximum(h, 0)\n"
        "    return np.mean(h ** 2)\n"
    )
    code = bpgen.generate(source)
    assert "Gradients of f with respect to X." in code
    rng = np.random.default_rng(1)
    check_gradients(source, [rng.standard_normal((2, 3)), _params(rng), 2])


def test_renamed_counter_in_key():
    source = (
        "import numpy as np\n\n\ndef f(X, params):\n    i = 1\n"
        "    h = X @ params['W%d' % i]\n    i = i + 1\n"
        "    return np.sum(h @ params['W%d' % i])\n"
    )
    rng = np.random.default_rng(2)
    check_gradients(source, [rng.standard_normal((2, 3)), _params(rng)])
