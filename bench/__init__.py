"""Benchmarks that print figures; run with `make bench` (nothing here asserts times)."""
