"""The seed's first circuit, f(x, y, z) = (x + y) * z; at (-2, 5, -4) it is -12."""


def f(x, y, z):
    q = x + y
    f = q * z
    return f
