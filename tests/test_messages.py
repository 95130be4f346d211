"""Messages issue 15 found unhelpful, whose text lives in the generator.

The command line already names a repeated `--wrt` parameter (tests/test_cli.py);
these are the same problems reached through the API and the gate binder
(`bpgen/stage.py`, `bpgen/lower.py`).
"""

from __future__ import annotations

import pytest

import bpgen


def message(source: str, function: str, wrt: list[str] | None = None) -> str:
    with pytest.raises(bpgen.BpgenError) as info:
        bpgen.generate(source, function, wrt)
    return str(info.value)


def test_wrt_twice_names_the_parameter() -> None:
    assert "`w`" in message("def h(w):\n    return w * w\n", "h", ["w", "w"])


def test_flatten_with_an_order_gets_a_hint() -> None:
    text = message("def f(x):\n    return x.flatten('F')\n", "f")
    assert "order" in text and "help:" in text


def test_order_keyword_hint_says_what_is_accepted() -> None:
    source = "import numpy as np\n\n\ndef g(x):\n    return np.ravel(x, order='F')\n"
    text = message(source, "g")
    assert "help: accepted: a" not in text
    assert "order" in text.split("help:", 1)[1]
