import math


def f(α, β):
    γ = α * math.exp(β)
    return γ * α
