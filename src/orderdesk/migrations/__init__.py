"""Alembic migrations of the orderdesk schema, run by `orderdesk migrate` and `orderdesk serve`."""
