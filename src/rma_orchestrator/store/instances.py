"""The process_instance rows: lock one, read its state, insert, write back with a revision check."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ..errors import NotFound, StaleRevision
from .models import TABLES
from .tasks import TASK_COLUMNS, TaskRecord

_instance = TABLES["process_instance"]
_counter = TABLES["business_key_counter"]

_HEAD_COLUMNS: tuple[Any, ...] = (
    _instance.c.id,
    _instance.c.definition_id,
    _instance.c.process_key,
    _instance.c.version,
    _instance.c.business_key,
    _instance.c.status,
    _instance.c.outcome,
    _instance.c.started_at,
    _instance.c.ended_at,
    _instance.c.revision,
    _instance.c.projection,
    _instance.c.kind,
)
_HEAD_BY_ID = select(*_HEAD_COLUMNS).where(_instance.c.id == bindparam("id"))
_HEAD_BY_KEY = select(*_HEAD_COLUMNS).where(_instance.c.business_key == bindparam("key"))
_task = TABLES["human_task"]
_timer = TABLES["timer"]
_TASK_FIELDS = [column.label(f"task_{column.name}") for column in (*TASK_COLUMNS, _task.c.form)]
_HEAD_WITH_TASK = (
    select(*_HEAD_COLUMNS, *_TASK_FIELDS)
    .select_from(_instance.join(_task, _task.c.instance_id == _instance.c.id))
    .where(_task.c.id == bindparam("task"))
)
_HEAD_BY_TIMER = select(*_HEAD_COLUMNS).where(
    _instance.c.id == select(_timer.c.instance_id).where(_timer.c.id == bindparam("timer")).scalar_subquery()
)
_STATE = select(_instance.c.state).where(_instance.c.id == bindparam("id"))
_WRITE_BACK = (
    update(_instance)
    .where(_instance.c.id == bindparam("b_id"), _instance.c.revision == bindparam("b_revision"))
    .values(
        revision=_instance.c.revision + 1,
        state=bindparam("state"),
        data=bindparam("data"),
        element_states=bindparam("element_states"),
        projection=bindparam("projection"),
        status=bindparam("status"),
        outcome=bindparam("outcome"),
        ended_at=bindparam("ended_at"),
        next_due_at=bindparam("next_due_at"),
        resolution_seconds=bindparam("resolution_seconds"),
    )
)
_SET_STATUS = (
    update(_instance)
    .where(_instance.c.id == bindparam("b_id"), _instance.c.revision == bindparam("b_revision"))
    .values(
        revision=_instance.c.revision + 1,
        status=bindparam("status"),
        ended_at=bindparam("ended_at"),
        resolution_seconds=bindparam("resolution_seconds"),
    )
)
# The earliest first response wins (the clocks of several service hosts may disagree a little).
_NOTE_FIRST_RESPONSE = (
    update(_instance)
    .where(
        _instance.c.id == bindparam("b_id"),
        or_(
            _instance.c.first_response_seconds.is_(None),
            _instance.c.first_response_seconds > bindparam("seconds"),
        ),
    )
    .values(first_response_seconds=bindparam("seconds"))
)
_SET_PROJECTION = (
    update(_instance)
    .where(_instance.c.id == bindparam("b_id"), _instance.c.revision == bindparam("b_revision"))
    .values(revision=_instance.c.revision + 1, projection=bindparam("projection"))
)

_MOVE = (
    update(_instance)
    .where(_instance.c.id == bindparam("b_id"), _instance.c.revision == bindparam("b_revision"))
    .values(
        revision=_instance.c.revision + 1,
        definition_id=bindparam("definition_id"),
        version=bindparam("version"),
    )
)


@functools.cache
def _upserts(dialect: str) -> tuple[Any, Any]:
    """The dialect's (take the day's next key number, insert unless the business key is taken)."""
    make = sqlite_insert if dialect == "sqlite" else pg_insert
    take_next = (
        make(_counter)
        .values(day=bindparam("day"), last=1)
        .on_conflict_do_update(index_elements=["day"], set_={"last": _counter.c.last + 1})
        .returning(_counter.c.last)
    )
    insert_new = (
        make(_instance).on_conflict_do_nothing(index_elements=["business_key"]).returning(_instance.c.id)
    )
    return take_next, insert_new


@dataclass(slots=True)
class InstanceRecord:
    """An instance row without its state, as a command holds it while it works."""

    id: int
    definition_id: int
    process_key: str
    version: int
    business_key: str
    status: str
    outcome: str | None
    started_at: datetime
    ended_at: datetime | None
    revision: int
    projection: dict[str, Any]
    kind: str | None  # a case has one (the dashboard counts cases only)

    @property
    def ended(self) -> bool:
        return self.status in ("completed", "cancelled")


@dataclass(frozen=True, slots=True)
class NewInstance:
    definition_id: int
    process_key: str
    version: int
    business_key: str
    started_at: datetime
    started_by: str
    fields: dict[str, str | None]  # order_no, customer_name/_phone, kind, product_category/_name


@dataclass(frozen=True, slots=True)
class InstanceWrite:
    """Everything a step writes back to the instance row (``next_due_at``: its open tasks' first due time)."""

    state: str
    data: dict[str, Any]
    element_states: dict[str, Any]
    projection: dict[str, Any]
    status: str
    outcome: str | None
    ended_at: datetime | None
    next_due_at: datetime | None


class InstanceRepository:
    def __init__(self, connection: Connection, lock_rows: bool) -> None:
        self._connection = connection
        self._lock_rows = lock_rows  # PostgreSQL: SELECT … FOR UPDATE; SQLite holds the write lock

    def lock(self, instance_id: int) -> InstanceRecord:
        """The instance, locked for this unit of work."""
        query = _HEAD_BY_ID.with_for_update() if self._lock_rows else _HEAD_BY_ID
        row = self._connection.execute(query, {"id": instance_id}).one_or_none()
        if row is None:
            raise NotFound.of("instance_not_found", instance=instance_id)
        return InstanceRecord(*row)

    def lock_by_business_key(self, business_key: str) -> InstanceRecord:
        query = _HEAD_BY_KEY.with_for_update() if self._lock_rows else _HEAD_BY_KEY
        row = self._connection.execute(query, {"key": business_key}).one_or_none()
        if row is None:
            raise NotFound(f"no case with business key {business_key}")
        return InstanceRecord(*row)

    def lock_with_task(self, task_id: str) -> tuple[InstanceRecord, TaskRecord] | None:
        """The instance of human task ``task_id``, locked, and the task; None if there is no such task.

        On PostgreSQL the task's columns may predate the lock; task writes check them (TaskRepository).
        """
        query = _HEAD_WITH_TASK.with_for_update(of=_instance) if self._lock_rows else _HEAD_WITH_TASK
        row = self._connection.execute(query, {"task": task_id}).one_or_none()
        if row is None:
            return None
        head = len(_HEAD_COLUMNS)
        return InstanceRecord(*row[:head]), TaskRecord(*row[head:])

    def lock_for_timer(self, timer_id: int) -> InstanceRecord | None:
        """The instance of timer ``timer_id``, locked; None if there is no such timer."""
        return self._lock_one(_HEAD_BY_TIMER, {"timer": timer_id})

    def _lock_one(self, query: Any, params: dict[str, Any]) -> InstanceRecord | None:
        statement = query.with_for_update(of=_instance) if self._lock_rows else query
        row = self._connection.execute(statement, params).one_or_none()
        return InstanceRecord(*row) if row is not None else None

    def state(self, instance_id: int) -> str:
        """The serialised workflow (read only when no live copy is cached)."""
        return str(self._connection.execute(_STATE, {"id": instance_id}).scalar_one())

    def next_business_key(self, day: str) -> str:
        """RMA-YYYYMMDD-NNNN with the day's next number: one upsert creates the counter or counts on."""
        take_next, _ = _upserts(self._connection.dialect.name)
        number = self._connection.execute(take_next, {"day": day}).scalar_one()
        return f"RMA-{day}-{number:04d}"

    def insert(self, new: NewInstance, write: InstanceWrite) -> InstanceRecord | None:
        """Insert a started instance (revision 1); None, and nothing written, if its business key is taken."""
        values = {
            "definition_id": new.definition_id,
            "process_key": new.process_key,
            "version": new.version,
            "business_key": new.business_key,
            "started_at": new.started_at,
            "started_by": new.started_by,
            "revision": 1,
            **new.fields,
            **_write_values(write, new.started_at),
        }
        _, insert_new = _upserts(self._connection.dialect.name)
        instance_id = self._connection.execute(insert_new, values).scalar_one_or_none()
        if instance_id is None:
            return None
        return InstanceRecord(
            instance_id,
            new.definition_id,
            new.process_key,
            new.version,
            new.business_key,
            write.status,
            write.outcome,
            new.started_at,
            write.ended_at,
            1,
            write.projection,
            new.fields.get("kind"),
        )

    def write_back(self, record: InstanceRecord, write: InstanceWrite) -> None:
        """Write a step's result; fails with StaleRevision if the row changed since it was read."""
        self._checked(_WRITE_BACK, record, _write_values(write, record.started_at))
        record.status, record.outcome, record.ended_at = write.status, write.outcome, write.ended_at
        record.projection = write.projection

    def set_status(self, record: InstanceRecord, status: str, ended_at: datetime | None = None) -> None:
        ended_at = ended_at or record.ended_at
        resolution = resolution_seconds(status, record.started_at, ended_at)
        values = {"status": status, "ended_at": ended_at, "resolution_seconds": resolution}
        self._checked(_SET_STATUS, record, values)
        record.status, record.ended_at = status, ended_at

    def note_first_response(self, record: InstanceRecord, at: datetime) -> None:
        """The case was answered at ``at`` (a first-response task completed), unless it was earlier.

        Part of the step's unit of work, after its write lock; the revision stays (no state changed).
        """
        seconds = (at - record.started_at).total_seconds()
        self._connection.execute(_NOTE_FIRST_RESPONSE, {"b_id": record.id, "seconds": seconds})

    def move_to(self, record: InstanceRecord, definition_id: int, version: int) -> None:
        """The case now runs on another version of its process (a migration)."""
        self._checked(_MOVE, record, {"definition_id": definition_id, "version": version})
        record.definition_id, record.version = definition_id, version

    def set_projection(self, record: InstanceRecord, projection: dict[str, Any]) -> None:
        self._checked(_SET_PROJECTION, record, {"projection": projection})
        record.projection = projection

    def _checked(self, statement: Any, record: InstanceRecord, values: dict[str, Any]) -> None:
        result = self._connection.execute(
            statement, {"b_id": record.id, "b_revision": record.revision, **values}
        )
        if result.rowcount != 1:
            raise StaleRevision(
                f"case {record.business_key} changed while this command ran (revision {record.revision}); "
                "try again"
            )
        record.revision += 1


def resolution_seconds(status: str, started_at: datetime, ended_at: datetime | None) -> float | None:
    """Registration to the end of a completed case, in seconds (the dashboard's time to resolution)."""
    if status != "completed" or ended_at is None:
        return None
    return (ended_at - started_at).total_seconds()


def _write_values(write: InstanceWrite, started_at: datetime) -> dict[str, Any]:
    return {
        "state": write.state,
        "data": write.data,
        "element_states": write.element_states,
        "projection": write.projection,
        "status": write.status,
        "outcome": write.outcome,
        "ended_at": write.ended_at,
        "next_due_at": write.next_due_at,
        "resolution_seconds": resolution_seconds(write.status, started_at, write.ended_at),
    }
