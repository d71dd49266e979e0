"""Persistence: engine, tables, Alembic migrations and the mapping to domain values."""
