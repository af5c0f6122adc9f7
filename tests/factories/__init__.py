"""Factories of valid request bodies, overridable field by field."""
