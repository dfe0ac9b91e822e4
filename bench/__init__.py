"""Benchmarks: seeded; each compares with a baseline in the same run and ends with one
RESULT line."""
