"""bpgen writes the backward pass of a plain Python/NumPy forward function."""

from typing import TYPE_CHECKING, Any

from .decorator import differentiable
from .errors import BpgenError
from .generate import generate
from .options import Options

if TYPE_CHECKING:
    from .diagram import Circuit

__version__ = "0.1.0"


def circuit(function: Any, /, **values: Any) -> "Circuit":
    """The staged circuit of `function` at `values` (e.g. x=3, y=-4): forward
    values and gradients on each gate; displays inline in Jupyter (SVG)."""
    from .diagram import circuit as draw

    return draw(function, **values)


def gradient_of(target: Any, /) -> Any:
    """Marks a user-declared gradient of `target` in the user's source; bpgen
    reads such declarations statically, so at run time this returns the
    decorated function unchanged (and imports nothing)."""

    def mark(function: Any) -> Any:
        return function

    return mark


__all__ = [
    "BpgenError",
    "Options",
    "__version__",
    "circuit",
    "differentiable",
    "generate",
    "gradient_of",
]
