import numpy as np


def f(x):
    yield x * 2.0
