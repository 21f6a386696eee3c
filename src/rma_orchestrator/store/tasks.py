"""Human task rows as commands change them: claim, unclaim, assign, complete."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, bindparam, select, update

from .db import AnyRow
from .models import TABLES

_task = TABLES["human_task"]
_instance = TABLES["process_instance"]

TASK_COLUMNS = (
    _task.c.id,
    _task.c.instance_id,
    _instance.c.business_key,
    _task.c.process_key,
    _task.c.element_id,
    _task.c.name,
    _task.c.group_name.label("group"),
    _task.c.assignee,
    _task.c.status,
    _task.c.created_at,
    _task.c.due_at,
    _task.c.completed_at,
    _task.c.completed_by,
)
_FROM = _task.join(_instance, _instance.c.id == _task.c.instance_id)
_TASK = select(*TASK_COLUMNS, _task.c.form).select_from(_FROM).where(_task.c.id == bindparam("id"))
_SET_ASSIGNEE = update(_task).where(_task.c.id == bindparam("b_id")).values(assignee=bindparam("assignee"))
_COMPLETE = (
    update(_task)
    .where(_task.c.id == bindparam("b_id"))
    .values(
        status="completed",
        completed_at=bindparam("completed_at"),
        completed_by=bindparam("completed_by"),
        assignee=bindparam("assignee"),
    )
)


class TaskRepository:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def get(self, task_id: str) -> AnyRow | None:
        """The task's columns (those of ``TASK_COLUMNS`` plus ``form``), as of now."""
        return self._connection.execute(_TASK, {"id": task_id}).one_or_none()

    def set_assignee(self, task_id: str, assignee: str | None) -> None:
        self._connection.execute(_SET_ASSIGNEE, {"b_id": task_id, "assignee": assignee})

    def complete(self, task_id: str, at: datetime, by: str, assignee: str) -> None:
        self._connection.execute(
            _COMPLETE, {"b_id": task_id, "completed_at": at, "completed_by": by, "assignee": assignee}
        )
