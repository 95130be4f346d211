"""An iterative method with a fixed step count: Newton's iteration for sqrt(a)."""


def sqrt_newton(a):
    x = a
    for _ in range(6):
        x = 0.5 * (x + a / x)
    return x
