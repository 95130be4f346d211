"""Every sample's generated module, pinned byte for byte in tests/snapshots/.

New samples are picked up automatically. After an intended change to the
generated code, refresh the snapshots and review the diff before committing:

    pytest tests/test_snapshots.py --bpgen-update      (or BPGEN_UPDATE=1 pytest ...)
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bpgen.testing import assert_snapshot

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = sorted((ROOT / "samples").glob("*.py"))
SNAPSHOTS = ROOT / "tests" / "snapshots"


@pytest.mark.parametrize("sample", SAMPLES, ids=[p.stem for p in SAMPLES])
def test_sample_snapshot(sample: Path) -> None:
    assert_snapshot(
        sample,
        SNAPSHOTS / f"{sample.stem}.py",
        filename=f"samples/{sample.name}",  # the header names it the same everywhere
    )


def test_every_snapshot_has_a_sample() -> None:
    samples = {p.stem for p in SAMPLES}
    orphans = sorted(p.name for p in SNAPSHOTS.glob("*.py") if p.stem not in samples)
    assert not orphans, f"snapshots without a sample (delete them): {orphans}"
