"""`python -m bpgen ...`: the same as the `bpgen` command."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main(prog="python -m bpgen"))
