"""A discovery run of the wide grammar: count what breaks, do not stop at it.

    BPGEN_WIDE_ALL=1 PYTHONPATH=. python tests/wide_discovery.py 1500

draws N fresh programs (the constructs of open bugs included when
BPGEN_WIDE_ALL=1), runs test_properties.check_wide on each, and prints how
many were tried, checked and refused, and the failures grouped by their first
line (numbers masked), with the smallest program of each group. pytest's
long run (`BPGEN_LONG=1 pytest tests/test_properties.py -k wide`) stops at
the first failure; this counts them all.
"""

from __future__ import annotations

import re
import sys
import warnings
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from hypothesis import HealthCheck, given, settings  # noqa: E402
from programs_wide import wide_programs  # noqa: E402
from test_properties import WIDE, check_wide  # noqa: E402


def main(n: int) -> None:
    failures: Counter = Counter()
    smallest: dict[str, str] = {}

    @settings(
        max_examples=n,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(wide_programs())
    def run(program):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                check_wide(program)
        except Exception as exc:  # count it, keep drawing
            text = str(exc).split("\n#")[0].strip().splitlines() or [repr(exc)]
            key = f"{type(exc).__name__}: {re.sub(r'[0-9]+', 'N', text[0])[:100]}"
            failures[key] += 1
            if key not in smallest or len(program.source) < len(smallest[key]):
                smallest[key] = program.source

    run()
    print(
        f"{WIDE['tried']} tried, {WIDE['checked']} checked, "
        f"{WIDE['refused']} refused, {sum(failures.values())} failed"
    )
    for key, count in failures.most_common():
        print(f"\n{count} x {key}")
        print("    " + smallest[key].split("\n\n\n", 1)[-1].replace("\n", "\n    "))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 500)
