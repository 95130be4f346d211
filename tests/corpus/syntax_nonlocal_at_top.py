def f(x):
    nonlocal x
    return x
