"""Benchmark: `python -m bench` makes the standard cases, measures them and prints tables."""
