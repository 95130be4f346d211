"""A piecewise scalar function (Huber's loss): `if`/`elif`/`else` on the value."""


def huber(r, delta: float):
    if r > delta:
        loss = delta * (r - 0.5 * delta)
    elif r < -delta:
        loss = -delta * (r + 0.5 * delta)
    else:
        loss = 0.5 * r * r
    return loss
