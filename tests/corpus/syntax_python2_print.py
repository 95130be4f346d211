def f(x):
    print "x"
    return x
