import math


# Ünïcödé comment: ∂L/∂x
def f(x):
    """Returns eˣ · x — naïvely."""
    return math.exp(x) * x  # ← ok
