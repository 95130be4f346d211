"""Every sample's gradients against central differences, in float64."""

from __future__ import annotations

import numpy as np
import pytest
from cases import CASES, SAMPLES

from bpgen.check import check_gradients


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_sample_gradients(case, seed):
    args = case.make_args(np.random.default_rng(seed))
    check_gradients(case.source, args, case.function, case.wrt, seed=seed)


def test_every_sample_has_cases():
    covered = {c.sample for c in CASES}
    files = {p.stem for p in SAMPLES.glob("*.py")}
    assert files - covered == set(), "samples without test cases"
