"""Human task rows as commands change them: claim, unclaim, assign, complete."""

from __future__ import annotations

from dataclasses import dataclass
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
# Writes name the state the command decided on: still open, still held by whom it was read with.
_AS_READ = (
    _task.c.id == bindparam("b_id"),
    _task.c.status == "open",
    _task.c.assignee.is_not_distinct_from(bindparam("b_assignee")),
)
_SET_ASSIGNEE = update(_task).where(*_AS_READ).values(assignee=bindparam("assignee"))
_COMPLETE = (
    update(_task)
    .where(*_AS_READ)
    .values(
        status="completed",
        completed_at=bindparam("completed_at"),
        completed_by=bindparam("completed_by"),
        assignee=bindparam("assignee"),
    )
)


@dataclass(frozen=True, slots=True)
class TaskRecord:
    """A human task row as a command reads it (the columns of ``TASK_COLUMNS`` plus ``form``)."""

    id: str
    instance_id: int
    business_key: str | None
    process_key: str
    element_id: str
    name: str
    group: str | None
    assignee: str | None
    status: str
    created_at: datetime
    due_at: datetime | None
    completed_at: datetime | None
    completed_by: str | None
    form: str | None


class TaskRepository:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def get(self, task_id: str) -> AnyRow | None:
        """The task's columns (those of ``TASK_COLUMNS`` plus ``form``), as of now."""
        return self._connection.execute(_TASK, {"id": task_id}).one_or_none()

    def set_assignee(self, task: TaskRecord, assignee: str | None) -> bool:
        """Claim, unclaim or assign; False (nothing written) if the task changed since it was read."""
        result = self._connection.execute(
            _SET_ASSIGNEE, {"b_id": task.id, "b_assignee": task.assignee, "assignee": assignee}
        )
        return result.rowcount == 1

    def complete(self, task: TaskRecord, at: datetime, by: str, assignee: str) -> bool:
        """Mark completed; False (nothing written) if the task changed since it was read."""
        values = {"b_id": task.id, "b_assignee": task.assignee, "completed_at": at, "completed_by": by}
        return self._connection.execute(_COMPLETE, {**values, "assignee": assignee}).rowcount == 1
