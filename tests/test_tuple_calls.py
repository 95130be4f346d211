"""Tuple-valued NumPy calls unpacked (issue 12 item 1): `a, b = np.split(x, 2)`
gives slices of x, each a getitem gate; `sign, logdet = np.linalg.slogdet(a)`
a sign without gradient and a log|det| gate."""

from __future__ import annotations

import numpy as np
import pytest

import bpgen
from bpgen.check import check_gradients

SPLITS = [
    ("a, b = np.split(x, 2)\n    return np.sum(a * b)", (4, 3)),
    (
        "a, b, c = np.array_split(x, 3, axis=1)\n"
        "    return np.sum(a) + np.sum(b * b) + np.sum(np.exp(c))",
        (2, 7),
    ),
    (
        "a, b, c = np.split(x, [1, 3], axis=-1)\n"
        "    return np.sum(a) * 2 + np.sum(b * c[..., :2])",
        (2, 3, 5),
    ),
    (
        "a, b, c, d = np.array_split(x, 4)\n"
        "    return np.sum(a) + np.sum(b * b) + np.sum(c * 3) + np.sum(d**3)",
        (10,),
    ),
]


@pytest.mark.parametrize("body, shape", SPLITS)
def test_split_unpacking_gradients(body: str, shape: tuple) -> None:
    source = f"import numpy as np\n\n\ndef f(x):\n    {body}\n"
    x = np.random.default_rng(0).normal(size=shape)
    original: dict = {}
    exec(source, original)
    code = check_gradients(source, [x], "f")
    generated: dict = {}
    exec(code, generated)
    out, _ = generated["f_forward"](x)
    assert np.allclose(out, original["f"](x))  # the same pieces as NumPy's


def test_split_needs_literal_sections() -> None:
    source = (
        "import numpy as np\n\n\ndef f(x, k):\n"
        "    a, b = np.split(x, k)\n    return np.sum(a)\n"
    )
    with pytest.raises(bpgen.BpgenError, match="literals"):
        bpgen.generate(source, "f", ["x"])


@pytest.mark.parametrize("shape", [(3, 3), (2, 4, 4)])
def test_slogdet_unpacking_gradients(shape: tuple) -> None:
    source = (
        "import numpy as np\n\n\ndef f(a, b):\n"
        "    sign, logdet = np.linalg.slogdet(a @ b)\n"
        "    return np.sum(sign * logdet) + np.sum(a)\n"
    )
    r = np.random.default_rng(1)
    n = shape[-1]
    args = [r.normal(size=shape) + 3 * np.eye(n) for _ in range(2)]
    check_gradients(source, args, "f")


def test_slogdet_kept_whole_reads_its_items() -> None:
    source = (
        "import numpy as np\n\n\ndef f(a):\n"
        "    pair = np.linalg.slogdet(a)\n    return pair[1] * pair[0]\n"
    )
    r = np.random.default_rng(2)
    check_gradients(source, [r.normal(size=(3, 3)) + 3 * np.eye(3)], "f")


@pytest.mark.parametrize(
    "body, shapes",
    [
        ("w = np.linalg.eigvalsh(a)\n    return np.sum(w * w * x)", [(4, 4), (4,)]),
        ("w = np.linalg.eigvalsh(a)\n    return np.sum(w * w * x)", [(2, 3, 3), (3,)]),
        (
            "w = np.linalg.eigvalsh(a @ a.T)\n    return np.sum(np.sqrt(w + 1.0) * x)",
            [(3, 5), (3,)],
        ),
    ],
)
def test_eigvalsh_gradients(body: str, shapes: list) -> None:
    source = f"import numpy as np\n\n\ndef f(a, x):\n    {body}\n"
    r = np.random.default_rng(2)
    check_gradients(source, [r.normal(size=s) for s in shapes], "f")


def test_eigh_unpacks_values_and_vectors() -> None:
    source = (
        "import numpy as np\n\n\ndef f(a):\n"
        "    w, v = np.linalg.eigh(a)\n"
        "    return np.sum(w) + np.sum(v[:, 0] ** 2 * w)\n"
    )
    code = check_gradients(source, [np.random.default_rng(3).normal(size=(3, 3))], "f")
    assert "np.linalg.eigh(a)[1]" in code


def test_eigh_with_uplo_is_refused_where_called() -> None:
    source = (
        "import numpy as np\n\n\ndef f(a):\n"
        "    w, v = np.linalg.eigh(a, 'U')\n    return np.sum(w)\n"
    )
    with pytest.raises(bpgen.BpgenError) as info:
        bpgen.generate(source, "f")
    assert (info.value.lineno, info.value.col_offset) == (5, 11)
    assert "UPLO='L'" in info.value.hint


@pytest.mark.parametrize(
    "body",
    [
        "w = np.linalg.eigvalsh(a)\n    return np.sum(w * w)",
        "sign, logdet = np.linalg.slogdet(a)\n    return sign * logdet",
        "p, q = np.split(a, 2)\n    return np.sum(p * q)",
    ],
)
def test_float32_stays_float32(body: str) -> None:
    from bpgen.check import load

    source = f"import numpy as np\n\n\ndef f(a):\n    {body}\n"
    a = (np.random.default_rng(3).normal(size=(4, 4)) + 4 * np.eye(4)).astype(
        np.float32
    )
    forward, backward = load(bpgen.generate(source, "f"), "f")
    out, cache = forward(a)
    (da,) = backward(np.ones_like(out), cache)
    assert da.dtype == np.float32
