"""Benchmarks: `make bench` runs them all and prints each figure beside its docs/design.md §12 target."""
