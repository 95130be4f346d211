"""The generator's switches: every optimisation can be turned off.

The reliability tests run the gradient checks with each one off, so an
optimisation can neither hide nor cause a wrong gradient.
"""

from __future__ import annotations

from dataclasses import dataclass, fields


@dataclass(frozen=True)
class Options:
    fusion: bool = True  # collapse 1 / (1 + exp(-z)) into one sigmoid gate
    activity: bool = True  # no gradient work for inputs outside `wrt`
    dce: bool = True  # drop forward stages the output does not need
    simplify: bool = True  # peepholes, gradient copy propagation, dead gradients
    reuse: bool = True  # rules read the cached output (exp, tanh, sigmoid, ...)
    broadcast: bool = True  # sum gradients back only where shapes can differ
    inplace: bool = True  # accumulate with += into arrays the backward owns
    guards: bool = True  # the forward checks arguments against declared shapes

    @classmethod
    def switches(cls) -> list[str]:
        return [f.name for f in fields(cls)]
