import math

X = 1.0
Y = math.pi * X
