"""Bringing the database schema up to date (the one command that runs before any service exists)."""

from __future__ import annotations

from ..config import Settings
from ..store.db import Database
from ..store.migrate import current_revision, downgrade, upgrade


def upgrade_database(settings: Settings, reset: bool = False) -> str | None:
    """Apply every pending migration (after dropping everything when ``reset``); returns the revision."""
    database = Database(settings.resolved_database_url)
    try:
        if reset:
            downgrade(database, "base")
        upgrade(database)
        return current_revision(database)
    finally:
        database.dispose()
