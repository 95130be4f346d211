"""Benchmarks of bpgen's generated code against hand-written code and peers."""
