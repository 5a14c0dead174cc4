"""Test doubles: stand-ins for external services, used by tests and benchmarks only (never by the package)."""
