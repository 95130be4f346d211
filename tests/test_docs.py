"""The README's gate table is generated from the rule table and must match it."""

from pathlib import Path

from bpgen import docs

README = Path(__file__).resolve().parent.parent / "README.md"


def test_readme_gate_table_is_current():
    text = README.read_text()
    assert docs.render(text) == text, "README is stale: run `python -m bpgen.docs`"


def _block_after(text: str, marker: str) -> str:
    start = text.index("```python\n", text.index(marker)) + len("```python\n")
    return text[start : text.index("```", start)]


def test_readme_examples_are_what_bpgen_writes():
    import bpgen

    text = README.read_text()
    root = README.parent / "samples"
    staged = bpgen.generate((root / "staged.py").read_text())
    assert _block_after(text, "`bpgen samples/staged.py` prints") in staged
    affine = bpgen.generate((root / "affine.py").read_text())
    assert _block_after(text, "\nbpgen writes\n") in affine
    gelu = bpgen.generate((root / "gelu.py").read_text(), "gelu")
    assert _block_after(text, "not bpgen:\n") in gelu
    declared = _block_after(text, "(`samples/gelu.py`):")
    assert _in_order(declared, (root / "gelu.py").read_text())


def _in_order(block: str, text: str) -> bool:
    """Every line of `block` appears in `text`, in order."""
    at = 0
    for line in block.splitlines():
        at = text.find(line, at)
        if at < 0:
            return False
    return True
