"""The red-team suite: each test attacks one defence (issue 16), on SQLite and, where the
store matters, on PostgreSQL."""

from school_support import face_engine, school
from store_support import database_url, postgres_url

__all__ = ["database_url", "face_engine", "postgres_url", "school"]
