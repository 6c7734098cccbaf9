"""Alembic migrations of the Portique schema, run through ``portique.store.Database``."""
