"""Newton's method for sqrt(a), a fixed number of steps: the loop is unrolled."""


def newton_sqrt(a: float):
    y = a
    for _ in range(4):
        y = 0.5 * (y + a / y)
    return y
