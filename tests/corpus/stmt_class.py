import numpy as np


def f(x):
    class Box:
        pass
    return x
