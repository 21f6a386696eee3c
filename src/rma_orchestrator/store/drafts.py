"""Task drafts: form data a user saved on an open task, one row per task and user."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from .db import AnyRow
from .models import TABLES

_draft = TABLES["task_draft"]
_DRAFT = select(_draft.c.task_id, _draft.c.saved_at, _draft.c.data).where(
    _draft.c.task_id == bindparam("task_id"), _draft.c.user_name == bindparam("user_name")
)
_DELETE = delete(_draft).where(
    _draft.c.task_id == bindparam("task_id"), _draft.c.user_name == bindparam("user_name")
)
_DELETE_OF_TASKS = delete(_draft).where(_draft.c.task_id.in_(bindparam("ids", expanding=True)))


def draft(connection: Connection, task_id: str, user_name: str) -> AnyRow | None:
    """task_id, saved_at, data of ``user_name``'s draft of the task."""
    return connection.execute(_DRAFT, {"task_id": task_id, "user_name": user_name}).one_or_none()


def delete_drafts_of(connection: Connection, task_ids: Sequence[str]) -> None:
    """Every user's drafts of tasks that closed (completed or cancelled)."""
    if task_ids:
        connection.execute(_DELETE_OF_TASKS, {"ids": list(task_ids)})


class DraftRepository:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def save(self, task_id: str, user_name: str, data: dict[str, Any], at: datetime) -> None:
        """Insert or replace the user's draft of the task."""
        make = sqlite_insert if self._connection.dialect.name == "sqlite" else pg_insert
        statement = make(_draft).values(task_id=task_id, user_name=user_name, data=data, saved_at=at)
        statement = statement.on_conflict_do_update(
            index_elements=["task_id", "user_name"],
            set_={"data": statement.excluded.data, "saved_at": statement.excluded.saved_at},
        )
        self._connection.execute(statement)

    def delete(self, task_id: str, user_name: str) -> None:
        self._connection.execute(_DELETE, {"task_id": task_id, "user_name": user_name})

    def delete_of_tasks(self, task_ids: Sequence[str]) -> None:
        delete_drafts_of(self._connection, task_ids)
