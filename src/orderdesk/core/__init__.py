"""Shared building blocks every family stands on: database, clock, ids, errors."""
