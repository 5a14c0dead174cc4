"""Helpers shared by the tests (no test doubles here; those live in tests/doubles)."""
