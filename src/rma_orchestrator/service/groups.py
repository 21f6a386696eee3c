"""The groups (lanes) people work in, with the names the pages show."""

from __future__ import annotations

from ..store import users as stored
from .context import Services


def group_labels(services: Services) -> dict[str, tuple[str | None, str | None]]:
    """``{group: (Chinese label, English label)}``; a label may be missing (None)."""
    with services.database.reading() as connection:
        return stored.group_labels(connection)
