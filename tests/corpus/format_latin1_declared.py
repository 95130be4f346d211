# -*- coding: latin-1 -*-
import math


def f(x):
    return math.exp(x) * x  # café
