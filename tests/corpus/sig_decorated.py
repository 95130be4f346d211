import numpy as np


import functools


@functools.lru_cache
def f(x):
    return x * 2.0
