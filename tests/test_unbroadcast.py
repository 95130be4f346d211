"""The generated module's `_unbroadcast` helper, run on its own.

It sums a gradient back to the shape of a value NumPy broadcast; checked
against summing by hand over every shape a smaller value can broadcast from.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from bpgen.emit import UNBROADCAST_HELPER

namespace: dict = {"np": np}
exec(UNBROADCAST_HELPER.format(name="unbroadcast", np="np"), namespace)  # noqa: S102
unbroadcast = namespace["unbroadcast"]


def smaller_shapes(full: tuple[int, ...]):
    """Every shape that broadcasts to `full`: a suffix, some axes set to 1."""
    for k in range(len(full) + 1):
        tail = full[len(full) - k :]
        for ones in itertools.product([False, True], repeat=k):
            yield tuple(1 if one else n for one, n in zip(ones, tail, strict=True))


def by_hand(grad: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    lead = grad.ndim - len(shape)
    total = grad.sum(axis=tuple(range(lead)))
    for axis, n in enumerate(shape):
        if n == 1:
            total = total.sum(axis=axis, keepdims=True)
    return total


@pytest.mark.parametrize("full", [(2, 3, 4), (1, 3, 4), (2, 1, 4), (3,), (2, 3)])
def test_sums_exactly_the_broadcast_axes(full):
    grad = np.random.default_rng(0).standard_normal(full)
    for shape in smaller_shapes(full):
        got = unbroadcast(grad, shape)
        assert np.shape(got) == shape
        np.testing.assert_allclose(got, by_hand(grad, shape), rtol=1e-12)


def test_a_gradient_of_the_value_shape_is_handed_back_itself():
    grad = np.ones((2, 3))
    assert unbroadcast(grad, (2, 3)) is grad
    assert unbroadcast(2.5, ()) == 2.5 and type(unbroadcast(2.5, ())) is float


def test_float32_stays_float32():
    grad = np.ones((4, 3), dtype=np.float32)
    assert unbroadcast(grad, (3,)).dtype == np.float32
    assert unbroadcast(grad, (1, 3)).dtype == np.float32
