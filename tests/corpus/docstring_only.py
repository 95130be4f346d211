"""A module with a docstring and nothing else."""
