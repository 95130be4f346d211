"""The README's gate table is generated from the rule table and must match it."""

from pathlib import Path

from bpgen import docs

README = Path(__file__).resolve().parent.parent / "README.md"


def test_readme_gate_table_is_current():
    text = README.read_text()
    assert docs.render(text) == text, "README is stale: run `python -m bpgen.docs`"
