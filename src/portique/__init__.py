"""Portique: a privacy-first virtual gate for school entrances."""

__version__ = "0.1.0"
