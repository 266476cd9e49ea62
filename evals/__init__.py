"""Benchmarks: question sets, the scoring rules evaluators expect, and the runs that measure the product."""
