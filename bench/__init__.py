"""Benchmarks: `make bench` runs them all and prints each figure beside its DESIGN §12 target."""
