"""Helpers shared by the tests: one place for what several test files need."""
