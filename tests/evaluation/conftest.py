"""The field and report tests run on SQLite and on PostgreSQL, with a school made by init_site."""

from school_support import face_engine, school
from store_support import database_url, postgres_url

__all__ = ["database_url", "face_engine", "postgres_url", "school"]
