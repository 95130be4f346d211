import numpy as np


def f(x):
    match x.ndim:
        case 1:
            return x
        case _:
            return -x
