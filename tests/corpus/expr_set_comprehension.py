import numpy as np


def f(x):
    s = {t for t in (1, 2)}
    return x
