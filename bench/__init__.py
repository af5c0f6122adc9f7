"""Benchmarks: each compares orderdesk with a baseline measured in the same run (see run.py)."""
