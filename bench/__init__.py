"""Benchmarks: each module prints tables (run as `python -m bench.<name>`); figures go to
docs/BENCHMARKS.md with the command that produced them."""
