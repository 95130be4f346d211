"""Control flow (`if`/`elif`/`else`, `for`, `while`) by composition.

A function with control flow is cut into straight-line *parts*: maximal runs
of simple statements. Each part becomes a small function of the names it
reads, returning the names it assigns that are read later; the ordinary
pipeline writes its forward and backward (the CS231n layer shape). Around
them the forward keeps the user's `if`/`for`/`while` and records what the
backward needs: the branch taken (`c1 = x > 0`) and one cache per part per
iteration (`caches2.append(cache3)`). The backward walks the same structure
in reverse: `if c1:` takes the same branch, `for cache3 in reversed(caches2):`
runs the iterations backwards, and gradients of values read in every
iteration (shared weights) accumulate with `+=` into zero-initialised arrays.

The package, in the order the work flows: `plan` cuts the function into the
tree of `items` (asking `syntax` and `aliasing` about statements; `exits`
turns an early `return` in a loop into `break`, `lists` plans the lists built
in loops), `parts`
writes each part as a function the pipeline generates, `compose` decides
activity and writes the composite with `forward` and `backward` (sharing
`naming`), `module` assembles the generated module; `pipeline` drives it.
"""

from __future__ import annotations

from .module import merge
from .pipeline import generate_function
from .syntax import has_loop

__all__ = ["generate_function", "has_loop", "merge"]
