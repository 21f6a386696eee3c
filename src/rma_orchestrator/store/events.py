"""The audit trail: events a unit of work records, written in one executemany at commit."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert

from .models import TABLES

_INSERT = insert(TABLES["event"])


class EventLog:
    """Buffers the events of one unit of work; ``flush`` writes them all in one statement."""

    def __init__(self) -> None:
        self._pending: list[dict[str, Any]] = []

    def record(
        self,
        instance_id: int | None,
        kind: str,
        at: datetime,
        actor: str | None = None,
        element_id: str | None = None,
        position: int | None = None,
        **details: Any,
    ) -> None:
        """Buffer one event, at the end or before the events recorded since ``position()`` said so."""
        self._pending.insert(
            len(self._pending) if position is None else position,
            {
                "instance_id": instance_id,
                "at": at,
                "kind": kind,
                "actor": actor,
                "element_id": element_id,
                "details": details,
            },
        )

    def position(self) -> int:
        """Where the next event goes: pass it to ``record`` to put an event before later ones."""
        return len(self._pending)

    def flush(self, connection: Connection) -> None:
        if self._pending:
            connection.execute(_INSERT, self._pending)
            self._pending = []

    def discard(self) -> None:
        self._pending = []
