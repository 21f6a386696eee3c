"""Keeps the projection tables (open human tasks, pending timers, message subscriptions) in step.

The instance row remembers what it last projected, so a step compares in memory and
touches only the rows that changed instead of reading all three tables every time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from ..engine.runtime import Snapshot, TimerView
from ..store.models import HumanTask, MessageSubscription, ProcessInstance, Timer
from . import audit


@dataclass
class Projection:
    """What an instance last projected: tasks (id → due), timers (key → row id), waits.

    ``kept`` counts messages kept for the instance and not yet delivered, so a step looks
    in the inbox only when there can be something there.
    """

    tasks: dict[str, str | None] = field(default_factory=dict)
    timers: dict[str, int] = field(default_factory=dict)
    waits: dict[str, str] = field(default_factory=dict)  # "task_id|name" -> message name
    kept: int = 0

    @classmethod
    def load(cls, value: dict[str, Any] | None) -> Projection:
        value = value or {}
        return cls(
            dict(value.get("tasks", {})),
            dict(value.get("timers", {})),
            dict(value.get("waits", {})),
            int(value.get("kept", 0)),
        )

    def dump(self) -> dict[str, Any]:
        return {"tasks": self.tasks, "timers": self.timers, "waits": self.waits, "kept": self.kept}


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _timer_key(task_id: str, due_at: datetime) -> str:
    return f"{task_id}|{due_at.isoformat()}"


def _wait_key(task_id: str, name: str) -> str:
    return f"{task_id}|{name}"


@dataclass(frozen=True)
class TimerChanges:
    created: list[tuple[int, datetime]]
    cancelled: list[int]


def sync_projection(
    session: Session, instance: ProcessInstance, previous: Projection, snap: Snapshot, now: datetime
) -> tuple[Projection, TimerChanges]:
    """Write what changed between ``previous`` and ``snap``; returns the new projection and timer changes."""
    step = _ProjectionStep(session, instance, previous, Projection(), snap, now)
    step.sync_tasks()
    changes = step.sync_timers()
    step.sync_waits()
    return step.current, changes


def _task_due_times(timers: list[TimerView]) -> dict[str, datetime]:
    due: dict[str, datetime] = {}
    for timer in timers:
        if timer.attached_to is not None:
            current = due.get(timer.attached_to)
            due[timer.attached_to] = timer.due_at if current is None else min(current, timer.due_at)
    return due


@dataclass
class _ProjectionStep:
    """One step's projection work: compares ``previous`` with ``snap`` and fills ``current``."""

    session: Session
    instance: ProcessInstance
    previous: Projection
    current: Projection
    snap: Snapshot
    now: datetime

    def sync_tasks(self) -> None:
        due = _task_due_times([*self.snap.timers, *self.snap.fired_timers])
        new_tasks: list[dict[str, Any]] = []
        for view in self.snap.user_tasks:
            due_at = due.get(view.task_id)
            earlier = self.previous.tasks.get(view.task_id)
            if earlier is not None:  # a deadline that passed (its timer fired) stays: the task is overdue
                due_at = (
                    min(datetime.fromisoformat(earlier), due_at)
                    if due_at
                    else datetime.fromisoformat(earlier)
                )
            self.current.tasks[view.task_id] = _iso(due_at)
            if view.task_id not in self.previous.tasks:
                new_tasks.append(
                    {
                        "id": view.task_id,
                        "instance_id": self.instance.id,
                        "process_key": view.process_key,
                        "element_id": view.element_id,
                        "name": view.name,
                        "group": view.lane,
                        "form": view.form,
                        "status": "open",
                        "created_at": self.now,
                        "due_at": due_at,
                    }
                )
                audit.record(
                    self.session,
                    self.instance.id,
                    "task_created",
                    self.now,
                    None,
                    view.element_id,
                    task_id=view.task_id,
                    group=view.lane,
                )
            elif self.previous.tasks[view.task_id] != self.current.tasks[view.task_id]:
                self.session.execute(
                    update(HumanTask).where(HumanTask.id == view.task_id).values(due_at=due_at)
                )
        if new_tasks:  # Core inserts: the ORM's unit of work costs more than the rows themselves
            self.session.execute(insert(HumanTask), new_tasks)
        for task_id in self.previous.tasks:
            if task_id in self.current.tasks:
                continue
            row = self.session.get(HumanTask, task_id)  # the task this command completed is already loaded
            if row is not None and row.status == "open":  # gone without being completed: cancelled
                row.status, row.completed_at = "cancelled", self.now
                audit.record(
                    self.session,
                    self.instance.id,
                    "task_cancelled",
                    self.now,
                    None,
                    row.element_id,
                    task_id=row.id,
                )

    def sync_timers(self) -> TimerChanges:
        created: list[tuple[str, dict[str, Any]]] = []
        cancelled: list[int] = []
        for view in self.snap.timers:
            key = _timer_key(view.task_id, view.due_at)
            if key in self.previous.timers:
                self.current.timers[key] = self.previous.timers[key]
                continue
            created.append(
                (
                    key,
                    {
                        "instance_id": self.instance.id,
                        "task_id": view.task_id,
                        "element_id": view.element_id,
                        "process_key": view.process_key,
                        "attached_to": view.attached_to,
                        "due_at": view.due_at,
                        "status": "pending",
                        "sla": view.sla,
                    },
                )
            )
        gone = {key: row_id for key, row_id in self.previous.timers.items() if key not in self.current.timers}
        if gone:
            fired = []
            for key, row_id in gone.items():
                (fired if self.snap.timer_fired(key.split("|", 1)[0]) else cancelled).append(row_id)
            if cancelled:
                self.session.execute(
                    update(Timer)
                    .where(Timer.id.in_(cancelled), Timer.status.in_(("pending", "claimed")))
                    .values(status="cancelled")
                    .execution_options(synchronize_session=False)
                )
            if fired:
                query = select(Timer).where(Timer.id.in_(fired), Timer.status.in_(("pending", "claimed")))
                for row in self.session.scalars(query):
                    self._close_timer(row, "fired")
        self._record_timers_fired_unseen()
        new_timers: list[tuple[int, datetime]] = []
        for key, row in created:  # one INSERT … RETURNING each: ids are needed for the projection
            timer_id = self.session.execute(insert(Timer).values(row).returning(Timer.id)).scalar_one()
            self.current.timers[key] = timer_id
            new_timers.append((timer_id, row["due_at"]))
        return TimerChanges(new_timers, cancelled)

    def _record_timers_fired_unseen(self) -> None:
        """Timers created and fired within this step (overdue when set): a fired row and its events."""
        projected = {key.split("|", 1)[0] for key in self.previous.timers}
        for view in self.snap.fired_timers:
            if view.task_id in projected:
                continue
            row = Timer(
                instance_id=self.instance.id,
                task_id=view.task_id,
                element_id=view.element_id,
                process_key=view.process_key,
                attached_to=view.attached_to,
                due_at=view.due_at,
                status="pending",
                sla=view.sla,
            )
            self.session.add(row)
            self.session.flush()
            self._close_timer(row, "fired")

    def _close_timer(self, row: Timer, status: str) -> None:
        row.status = status
        if status != "fired":
            return
        row.fired_at = self.now
        lag = max((self.now - row.due_at) / timedelta(seconds=1), 0.0)
        row.lag_seconds = lag
        audit.record(
            self.session,
            self.instance.id,
            "timer_fired",
            self.now,
            "scheduler",
            row.element_id,
            timer_id=row.id,
            due_at=row.due_at.isoformat(),
            lag_seconds=round(lag, 3),
        )
        if row.sla:
            audit.record(
                self.session,
                self.instance.id,
                "sla_breached",
                self.now,
                "scheduler",
                row.element_id,
                sla=row.sla,
                timer_id=row.id,
            )

    def sync_waits(self) -> None:
        for wait in self.snap.message_waits:
            key = _wait_key(wait.task_id, wait.name)
            self.current.waits[key] = wait.name
            if key not in self.previous.waits:
                self.session.execute(
                    insert(MessageSubscription).values(
                        instance_id=self.instance.id,
                        business_key=self.instance.business_key,
                        message_name=wait.name,
                        task_id=wait.task_id,
                        element_id=wait.element_id,
                        created_at=self.now,
                    )
                )
        for key, name in self.previous.waits.items():
            if key not in self.current.waits:
                task_id = key.split("|", 1)[0]
                self.session.execute(
                    delete(MessageSubscription).where(
                        MessageSubscription.instance_id == self.instance.id,
                        MessageSubscription.task_id == task_id,
                        MessageSubscription.message_name == name,
                    )
                )
