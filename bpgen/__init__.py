"""bpgen writes the backward pass of a plain Python/NumPy forward function."""

from .decorator import differentiable
from .errors import BpgenError
from .generate import generate
from .options import Options

__version__ = "0.1.0"
__all__ = ["BpgenError", "Options", "__version__", "differentiable", "generate"]
