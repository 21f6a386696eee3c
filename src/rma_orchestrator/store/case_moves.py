"""Reads of a migration (cases moved to another version of their process): the cases on a version,
a case's stored state, and when its waiting timers began to wait."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Connection, bindparam, select

from .db import AnyRow
from .models import TABLES

_instance = TABLES["process_instance"]
_timer = TABLES["timer"]

_HEAD = (
    _instance.c.id,
    _instance.c.business_key,
    _instance.c.process_key,
    _instance.c.version,
    _instance.c.status,
)
_STATE = select(*_HEAD, _instance.c.definition_id, _instance.c.state, _instance.c.data).where(
    _instance.c.id == bindparam("id")
)
_WAITS = select(_timer.c.task_id, _timer.c.created_at).where(
    _timer.c.instance_id == bindparam("id"), _timer.c.status.in_(("pending", "claimed"))
)


def cases_on_version(
    connection: Connection, process_key: str, version: int, statuses: Sequence[str], limit: int
) -> list[AnyRow]:
    """(id, business_key, process_key, version, status) of the cases of that version in ``statuses``,
    oldest first, at most ``limit``."""
    query = (
        select(*_HEAD)
        .where(
            _instance.c.process_key == process_key,
            _instance.c.version == version,
            _instance.c.status.in_(list(statuses)),
        )
        .order_by(_instance.c.id)
        .limit(limit)
    )
    return list(connection.execute(query).all())


def cases_by_id(connection: Connection, ids: Sequence[int]) -> dict[int, AnyRow]:
    """Id -> (id, business_key, process_key, version, status) of those of ``ids`` that exist."""
    query = select(*_HEAD).where(_instance.c.id.in_(bindparam("ids", expanding=True)))
    found: dict[int, AnyRow] = {}
    for start in range(0, len(ids), 500):  # bounded IN lists
        for row in connection.execute(query, {"ids": list(ids[start : start + 500])}):
            found[row.id] = row
    return found


def case_state(connection: Connection, instance_id: int) -> AnyRow | None:
    """The case's head, its definition id, its stored workflow state and its data."""
    return connection.execute(_STATE, {"id": instance_id}).one_or_none()


def wait_starts(connection: Connection, instance_id: int) -> dict[str, datetime]:
    """Task id -> when it began to wait, for each of the case's waiting timers."""
    rows = connection.execute(_WAITS, {"id": instance_id})
    return {row.task_id: row.created_at for row in rows if row.created_at is not None}
