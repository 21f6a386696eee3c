"""Bringing the database schema up to date (the one command that runs before any service exists)."""

from __future__ import annotations

from ..config import Settings
from ..store.db import Database
from ..store.migrate import current_revision, upgrade


def upgrade_database(settings: Settings) -> str | None:
    """Apply every pending migration; returns the schema revision now in place."""
    database = Database(settings.resolved_database_url)
    try:
        upgrade(database)
        return current_revision(database)
    finally:
        database.dispose()
