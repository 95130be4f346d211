x = 1.0
return x
