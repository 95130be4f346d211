"""Refusals the control-flow hunt judged dishonest, now saying what is wrong.

CS231n's dropout_forward assigns `out` under `if mode == 'train'` and
`elif mode == 'test'` with no `else`: bpgen said "name `out` is not defined",
which is false (it is defined on some paths)."""

from __future__ import annotations

import pytest

import bpgen

DROPOUT = """import numpy as np


def dropout_forward(x, dropout_param, mask):
    p, mode = dropout_param['p'], dropout_param['mode']
    if mode == 'train':
        out = x * mask / p
    elif mode == 'test':
        out = x
    return out
"""


def test_name_bound_on_some_paths_says_so():
    with pytest.raises(bpgen.BpgenError) as info:
        bpgen.generate(DROPOUT, wrt=["x"], filename="model.py")
    message = str(info.value)
    assert message.startswith("model.py:10:12: error: `out` may be unbound here")
    assert "not defined" not in message
    assert "an `else:` that assigns it" in message


def test_name_bound_only_below_is_still_not_defined():
    source = "def f(x):\n    y = z + x\n    z = 2.0\n    return y\n"
    with pytest.raises(bpgen.BpgenError, match="name `z` is not defined"):
        bpgen.generate(source, filename="model.py")


def test_dropout_with_else_is_accepted():
    fixed = DROPOUT.replace("elif mode == 'test':", "else:")
    assert "def dropout_forward_backward" in bpgen.generate(fixed, wrt=["x"])


def test_append_outside_a_loop_does_not_say_remove_it():
    """`parts.append(x)` in straight-line code was refused with "a call whose
    result is not used ... remove the statement": removing it changes the
    result."""
    source = (
        "import numpy as np\n\n\ndef f(x):\n    parts = []\n"
        "    parts.append(x)\n    parts.append(x ** 2)\n"
        "    return np.concatenate(parts)\n"
    )
    with pytest.raises(bpgen.BpgenError) as info:
        bpgen.generate(source, filename="model.py")
    message = str(info.value)
    assert message.startswith("model.py:6:5: error: `.append()` here is not supported")
    assert "remove the statement" not in message
    assert "parts = [a, b, c]" in message
    written_out = source.replace("parts = []", "parts = [x, x ** 2]")
    written_out = written_out.replace(
        "    parts.append(x)\n    parts.append(x ** 2)\n", ""
    )
    assert "def f_backward" in bpgen.generate(written_out)
