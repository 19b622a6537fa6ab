"""Storage: SQLAlchemy models, the database and its migrations."""

from storage.database import Database

__all__ = ["Database"]
