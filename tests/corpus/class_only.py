class Model:
    def f(self, x):
        return x * 2.0
