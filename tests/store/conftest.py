"""The store tests run on SQLite and on PostgreSQL (see store_support)."""

from store_support import database, database_url, postgres_url

__all__ = ["database", "database_url", "postgres_url"]
