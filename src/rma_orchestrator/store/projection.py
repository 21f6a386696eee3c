"""Writes to the projection tables: open human tasks, pending timers, message subscriptions, the
runs of call activities.

Each method is one prebuilt statement, run once per step with every row it concerns
(an executemany, or one ``IN`` list), never one statement per row.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, insert, select, update

from .drafts import delete_drafts_of
from .models import TABLES

_task = TABLES["human_task"]
_timer = TABLES["timer"]
_subscription = TABLES["message_subscription"]
_call = TABLES["called_process"]

_INSERT_TASKS = insert(_task)
_SET_TASK_DUE = update(_task).where(_task.c.id == bindparam("b_id")).values(due_at=bindparam("due_at"))
_RELABEL_TASK = (
    update(_task)
    .where(_task.c.id == bindparam("b_id"), _task.c.status == "open")
    .values(name=bindparam("name"), group_name=bindparam("group_name"), form=bindparam("form"))
)
_CANCEL_TASKS = (
    update(_task)
    .where(_task.c.id.in_(bindparam("ids", expanding=True)), _task.c.status == "open")
    .values(status="cancelled", completed_at=bindparam("now"))
    .returning(_task.c.id, _task.c.element_id)
)
_INSERT_TIMERS = insert(_timer).returning(_timer.c.id, sort_by_parameter_order=True)
_CANCEL_TIMERS = (
    update(_timer)
    .where(_timer.c.id.in_(bindparam("ids", expanding=True)), _timer.c.status.in_(("pending", "claimed")))
    .values(status="cancelled")
)
_OPEN_TIMERS = select(
    _timer.c.id, _timer.c.element_id, _timer.c.due_at, _timer.c.sla, _timer.c.task_id
).where(_timer.c.id.in_(bindparam("ids", expanding=True)), _timer.c.status.in_(("pending", "claimed")))
_MARK_FIRED = (
    update(_timer)
    .where(_timer.c.id == bindparam("b_id"))
    .values(status="fired", fired_at=bindparam("fired_at"), lag_seconds=bindparam("lag_seconds"))
)
_INSERT_SUBSCRIPTIONS = insert(_subscription)
_END_SUBSCRIPTION = (
    update(_subscription)
    .where(
        _subscription.c.instance_id == bindparam("b_instance_id"),
        _subscription.c.task_id == bindparam("b_task_id"),
        _subscription.c.message_name == bindparam("b_message_name"),
        _subscription.c.status == "waiting",
    )
    .values(status=bindparam("status"), ended_at=bindparam("ended_at"))
)
_INSERT_CALLS = insert(_call)
_END_CALL = (
    update(_call)
    .where(
        _call.c.instance_id == bindparam("b_instance_id"),
        _call.c.task_id == bindparam("b_task_id"),
        _call.c.status == "running",
    )
    .values(status=bindparam("status"), ended_at=bindparam("ended_at"))
)


class ProjectionRepository:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def insert_tasks(self, rows: list[dict[str, Any]]) -> None:
        if rows:
            self._connection.execute(_INSERT_TASKS, rows)

    def set_task_due(self, due: list[tuple[str, datetime | None]]) -> None:
        if due:
            self._connection.execute(_SET_TASK_DUE, [{"b_id": i, "due_at": d} for i, d in due])

    def relabel_open_tasks(self, labels: list[tuple[str, str, str | None, str | None]]) -> None:
        """(task id, name, group, form) of open tasks whose element reads so now (a migration)."""
        if labels:
            rows = [{"b_id": i, "name": n, "group_name": g, "form": f} for i, n, g, f in labels]
            self._connection.execute(_RELABEL_TASK, rows)

    def cancel_open_tasks(self, task_ids: Sequence[str], now: datetime) -> list[tuple[str, str]]:
        """Mark tasks that left the workflow without being completed; (id, element id) of each."""
        if not task_ids:
            return []
        rows = self._connection.execute(_CANCEL_TASKS, {"ids": list(task_ids), "now": now}).all()
        delete_drafts_of(self._connection, [row.id for row in rows])  # a draft goes with its task
        return [(row.id, row.element_id) for row in rows]

    def insert_timers(self, rows: list[dict[str, Any]]) -> list[int]:
        if not rows:
            return []
        return list(self._connection.execute(_INSERT_TIMERS, rows).scalars())

    def cancel_timers(self, timer_ids: Sequence[int]) -> None:
        if timer_ids:
            self._connection.execute(_CANCEL_TIMERS, {"ids": list(timer_ids)})

    def open_timers(self, timer_ids: Sequence[int]) -> list[tuple[int, str, datetime, str | None, str]]:
        """(id, element id, due, sla, task id) of those of ``timer_ids`` still pending or claimed."""
        if not timer_ids:
            return []
        rows = self._connection.execute(_OPEN_TIMERS, {"ids": list(timer_ids)}).all()
        return [(row.id, row.element_id, row.due_at, row.sla, row.task_id) for row in rows]

    def mark_timers_fired(self, fired: list[tuple[int, datetime, float]]) -> None:
        """(id, fired at, lag in seconds) of each timer that fired."""
        if fired:
            self._connection.execute(
                _MARK_FIRED, [{"b_id": i, "fired_at": at, "lag_seconds": lag} for i, at, lag in fired]
            )

    def insert_subscriptions(self, rows: list[dict[str, Any]]) -> None:
        if rows:
            self._connection.execute(_INSERT_SUBSCRIPTIONS, rows)

    def end_subscriptions(self, instance_id: int, waits: list[tuple[str, str, str]], now: datetime) -> None:
        """(task id, message name, delivered or withdrawn) of the subscriptions that no longer wait."""
        if waits:
            self._connection.execute(
                _END_SUBSCRIPTION,
                [
                    {
                        "b_instance_id": instance_id,
                        "b_task_id": t,
                        "b_message_name": n,
                        "status": s,
                        "ended_at": now,
                    }
                    for t, n, s in waits
                ],
            )

    def insert_calls(self, rows: list[dict[str, Any]]) -> None:
        if rows:
            self._connection.execute(_INSERT_CALLS, rows)

    def adopt_calls(
        self,
        instance_id: int,
        running: list[tuple[str, str, str, str]],
        completed: Callable[[str, str], bool],
        now: datetime,
    ) -> dict[str, str]:
        """An instance's first step since migration 0016: its running rows (written by the migration,
        no task id) take the task id of the call running at their element, the others end (completed
        when ``completed(process key, element)``); returns call task id -> called key of those taken.
        ``running``: (task id, process key, element id, called key) of the calls running now."""
        legacy = self._connection.execute(
            select(_call.c.id, _call.c.process_key, _call.c.element_id).where(
                _call.c.instance_id == instance_id, _call.c.task_id == "", _call.c.status == "running"
            )
        ).all()
        free = list(running)
        adopted: dict[str, str] = {}
        for row in legacy:
            match = next((c for c in free if (c[1], c[2]) == (row.process_key, row.element_id)), None)
            if match is not None:
                free.remove(match)
                adopted[match[0]] = match[3]
                values: dict[str, Any] = {"task_id": match[0]}
            else:
                status = "completed" if completed(row.process_key, row.element_id) else "cancelled"
                values = {"status": status, "ended_at": now}
            self._connection.execute(update(_call).where(_call.c.id == row.id).values(**values))
        return adopted

    def end_calls(self, instance_id: int, calls: list[tuple[str, str]], now: datetime) -> None:
        """(call activity task id, completed or cancelled) of the called processes that ended."""
        if calls:
            self._connection.execute(
                _END_CALL,
                [
                    {"b_instance_id": instance_id, "b_task_id": t, "status": s, "ended_at": now}
                    for t, s in calls
                ],
            )
