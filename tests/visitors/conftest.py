"""The visitor tests: the services on SQLite and on PostgreSQL (a school made by init_site
with a second zone, the workshops, behind its own entry lane), the same site served for
the API and console, and a real SMTP server on localhost."""

from __future__ import annotations

from visitors_support import inbox, served_template, server, visits

from school_support import face_engine, school
from store_support import database_url, postgres_url

__all__ = [
    "database_url",
    "face_engine",
    "inbox",
    "postgres_url",
    "school",
    "served_template",
    "server",
    "visits",
]
