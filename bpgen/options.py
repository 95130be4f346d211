"""The generator's switches: every optimisation can be turned off.

The reliability tests run the gradient checks with each one off, so an
optimisation can neither hide nor cause a wrong gradient.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields


def _switch(off: str) -> bool:
    """A switch, on by default; `off` says what `--no-NAME` does."""
    return field(default=True, metadata={"off": off})


@dataclass(frozen=True)
class Options:
    fusion: bool = _switch("do not fuse 1 / (1 + exp(-z)) into one sigmoid gate")
    activity: bool = _switch("do gradient work for inputs outside --wrt too")
    dce: bool = _switch("keep forward stages the output does not need")
    simplify: bool = _switch("no peepholes or gradient copy propagation")
    reuse: bool = _switch("rules do not read cached outputs (exp, tanh, sigmoid...)")
    broadcast: bool = _switch("sum gradients back for every array operand")
    inplace: bool = _switch("never accumulate with += into arrays")
    shift: bool = _switch("differentiate a softmax's max shift (its gradient is zero)")
    masks: bool = _switch("a ReLU mask makes a new gradient, never `dh *= h > 0`")
    centre: bool = _switch("np.var centres its input again instead of reading x - mu")
    xent: bool = _switch("softmax and cross-entropy stay separate gates")
    reciprocal: bool = _switch(
        "divide gradients by per-column vectors, not times 1 / v"
    )
    guards: bool = _switch("the forward does not check arguments' declared shapes")
    renest: bool = _switch("the forward keeps every temporary on its own line")
    fastpath: bool = _switch(
        "each gradient tests its operands' ranks on its own (no shared `if`)"
    )
    inline_helpers: bool = field(
        default=False,
        metadata={"on": "inline each helper of the module at its calls (fastest)"},
    )

    @classmethod
    def switches(cls) -> list[str]:
        return [f.name for f in fields(cls) if "off" in f.metadata]

    @classmethod
    def help(cls, switch: str) -> str:
        """What turning `switch` off does, for `--help`."""
        meta = {f.name: f.metadata for f in fields(cls)}[switch]
        return meta.get("off") or meta["on"]

    @classmethod
    def choices(cls) -> list[str]:
        """Settings off by default: `--NAME` turns them on."""
        return [f.name for f in fields(cls) if "on" in f.metadata]
