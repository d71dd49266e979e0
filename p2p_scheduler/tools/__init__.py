"""Tooling outside the service: demo data and benchmarks (imported by the CLI only)."""
