"""Metadata store: SQLAlchemy tables and one repository per aggregate, over SQLite or PostgreSQL."""
