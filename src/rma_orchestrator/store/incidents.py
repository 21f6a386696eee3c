"""Incident rows: a failed step's element, error and command; resolved when retried."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, bindparam, func, insert, select, update

from .db import AnyRow
from .models import TABLES

_incident = TABLES["incident"]

INCIDENT_COLUMNS = (
    _incident.c.id,
    _incident.c.instance_id,
    _incident.c.element_id,
    _incident.c.message,
    _incident.c.details,
    _incident.c.created_at,
    _incident.c.resolved_at,
)
_INSERT = insert(_incident).returning(_incident.c.id)
_GET = select(*INCIDENT_COLUMNS, _incident.c.task_id).where(_incident.c.id == bindparam("id"))
_RESOLVE = (
    update(_incident)
    .where(_incident.c.id == bindparam("b_id"))
    .values(resolved_at=bindparam("at"), resolved_by=bindparam("by"))
)
_OPEN_COUNT = (
    select(func.count())
    .select_from(_incident)
    .where(_incident.c.instance_id == bindparam("instance_id"), _incident.c.resolved_at.is_(None))
)


class IncidentRepository:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def insert(
        self,
        instance_id: int,
        task_id: str | None,
        element_id: str | None,
        message: str,
        details: str,
        command: str,
        at: datetime,
    ) -> int:
        values = {
            "instance_id": instance_id,
            "task_id": task_id,
            "element_id": element_id,
            "message": message,
            "details": details,
            "command": command,
            "created_at": at,
        }
        return int(self._connection.execute(_INSERT, values).scalar_one())

    def get(self, incident_id: int) -> AnyRow | None:
        """The columns of ``INCIDENT_COLUMNS`` plus ``task_id``, as of now."""
        return self._connection.execute(_GET, {"id": incident_id}).one_or_none()

    def resolve(self, incident_id: int, at: datetime, by: str) -> None:
        self._connection.execute(_RESOLVE, {"b_id": incident_id, "at": at, "by": by})

    def open_count(self, instance_id: int) -> int:
        return int(self._connection.execute(_OPEN_COUNT, {"instance_id": instance_id}).scalar_one())
