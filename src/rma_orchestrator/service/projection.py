"""Keeps the projection tables (open human tasks, pending timers, message subscriptions, running
called processes) in step.

The instance row remembers what it last projected, so a step compares in memory and
writes only what changed, one statement per kind of change, instead of reading the tables.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from ..engine.snapshot import LEGAL_BREACH, Snapshot, TimerView
from ..store.events import EventLog
from ..store.instances import InstanceRecord
from ..store.projection import ProjectionRepository


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
    records: dict[str, Any] = field(default_factory=dict)  # case_records taken (``case_records``)
    # call activity task id -> called process; None: projected before the runs were kept (0016)
    calls: dict[str, str] | None = field(default_factory=dict)

    @classmethod
    def load(cls, value: dict[str, Any] | None) -> Projection:
        value = value or {}
        calls: dict[str, str] | None = value.get("calls")
        return cls(
            dict(value.get("tasks", {})),
            dict(value.get("timers", {})),
            dict(value.get("waits", {})),
            int(value.get("kept", 0)),
            dict(value.get("records", {})),
            dict(calls or {}) if calls is not None or not value else None,
        )

    def dump(self) -> dict[str, Any]:
        return {
            "tasks": self.tasks,
            "timers": self.timers,
            "waits": self.waits,
            "kept": self.kept,
            "records": self.records,
            "calls": self.calls or {},
        }

    def waits_for(self, name: str) -> bool:
        return name in self.waits.values()

    def next_due_at(self) -> datetime | None:
        """The earliest due time of the open tasks (the instance row's ``next_due_at``); None without one."""
        return min((datetime.fromisoformat(due) for due in self.tasks.values() if due), default=None)


@dataclass(frozen=True)
class TimerChanges:
    created: list[tuple[int, datetime]]
    cancelled: list[int]
    fired: list[int]

    @property
    def closed(self) -> set[int]:
        """Rows of timers that stopped waiting in this step."""
        return {*self.cancelled, *self.fired}


def sync_projection(
    rows: ProjectionRepository,
    events: EventLog,
    instance: InstanceRecord,
    previous: Projection,
    snap: Snapshot,
    now: datetime,
    completed_task: str | None = None,
) -> tuple[Projection, TimerChanges]:
    """Write what changed between ``previous`` and ``snap``; returns the new projection and timer changes.

    ``completed_task`` is the task this command completed (its row is already written).
    """
    current = Projection(kept=previous.kept, records=previous.records)
    step = _ProjectionStep(rows, events, instance, previous, current, snap, now, completed_task)
    step.sync_tasks()
    changes = step.sync_timers()
    step.sync_waits()
    step.sync_calls()
    return step.current, changes


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _timer_key(task_id: str, due_at: datetime) -> str:
    return f"{task_id}|{due_at.isoformat()}"


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

    rows: ProjectionRepository
    events: EventLog
    instance: InstanceRecord
    previous: Projection
    current: Projection
    snap: Snapshot
    now: datetime
    completed_task: str | None

    def sync_tasks(self) -> None:
        due = _task_due_times([*self.snap.timers, *self.snap.fired_timers])
        new_tasks: list[dict[str, Any]] = []
        changed_due: list[tuple[str, datetime | None]] = []
        for view in self.snap.user_tasks:
            due_at = due.get(view.task_id)
            earlier = self.previous.tasks.get(view.task_id)
            if earlier is not None:  # a deadline that passed (its timer fired) stays: the task is overdue
                earlier_at = datetime.fromisoformat(earlier)
                due_at = min(earlier_at, due_at) if due_at else earlier_at
            self.current.tasks[view.task_id] = _iso(due_at)
            if view.task_id not in self.previous.tasks:
                new_tasks.append(
                    {
                        "id": view.task_id,
                        "instance_id": self.instance.id,
                        "process_key": view.process_key,
                        "element_id": view.element_id,
                        "name": view.name,
                        "group_name": view.lane,
                        "form": view.form,
                        "status": "open",
                        "created_at": self.now,
                        "due_at": due_at,
                        "data": view.data,
                    }
                )
                self.events.record(
                    self.instance.id,
                    "task_created",
                    self.now,
                    None,
                    view.element_id,
                    task_id=view.task_id,
                    group=view.lane,
                )
            elif self.previous.tasks[view.task_id] != self.current.tasks[view.task_id]:
                changed_due.append((view.task_id, due_at))
        self.rows.insert_tasks(new_tasks)
        self.rows.set_task_due(changed_due)
        # Tasks that left the workflow without being completed were cancelled (a boundary event, say).
        gone = [
            task_id
            for task_id in self.previous.tasks
            if task_id not in self.current.tasks and task_id != self.completed_task
        ]
        for task_id, element_id in self.rows.cancel_open_tasks(gone, self.now):
            self.events.record(
                self.instance.id, "task_cancelled", self.now, None, element_id, task_id=task_id
            )

    def sync_timers(self) -> TimerChanges:
        created: list[tuple[str, dict[str, Any]]] = []
        for view in self.snap.timers:
            key = _timer_key(view.task_id, view.due_at)
            if key in self.previous.timers:
                self.current.timers[key] = self.previous.timers[key]
                continue
            created.append((key, self._timer_row(view, "pending")))
        fired: list[int] = []
        cancelled: list[int] = []
        for key, row_id in self.previous.timers.items():
            if key not in self.current.timers:
                (fired if self.snap.timer_fired(key.split("|", 1)[0]) else cancelled).append(row_id)
        self.rows.cancel_timers(cancelled)
        self._close_fired(fired)
        self._record_timers_fired_unseen()
        ids = self.rows.insert_timers([row for _, row in created])
        new_timers: list[tuple[int, datetime]] = []
        for (key, row), timer_id in zip(created, ids, strict=True):
            self.current.timers[key] = timer_id
            new_timers.append((timer_id, row["due_at"]))
        return TimerChanges(new_timers, cancelled, fired)

    def _timer_row(self, view: TimerView, status: str) -> dict[str, Any]:
        return {
            "instance_id": self.instance.id,
            "task_id": view.task_id,
            "element_id": view.element_id,
            "process_key": view.process_key,
            "attached_to": view.attached_to,
            "due_at": view.due_at,
            "status": status,
            "sla": view.sla,
            "created_at": self.now,
            "case_started_at": self.instance.started_at if self.instance.kind is not None else None,
        }

    def _close_fired(self, timer_ids: list[int]) -> None:
        closed = []
        breaches = {view.task_id: view.breach for view in self.snap.fired_timers}
        for timer_id, element_id, due_at, sla, task_id in self.rows.open_timers(timer_ids):
            lag = self._record_fired(timer_id, element_id, due_at, sla, breaches.get(task_id))
            closed.append((timer_id, self.now, lag))
        self.rows.mark_timers_fired(closed)

    def _record_timers_fired_unseen(self) -> None:
        """Timers created and fired within this step (overdue when set): a fired row and its events."""
        projected = {key.split("|", 1)[0] for key in self.previous.timers}
        unseen = [view for view in self.snap.fired_timers if view.task_id not in projected]
        rows = []
        for view in unseen:
            row = self._timer_row(view, "fired")
            row["fired_at"] = self.now
            row["lag_seconds"] = _lag(self.now, view.due_at)
            rows.append(row)
        for view, timer_id in zip(unseen, self.rows.insert_timers(rows), strict=True):
            self._record_fired(timer_id, view.element_id, view.due_at, view.sla, view.breach)

    def _record_fired(
        self, timer_id: int, element_id: str, due_at: datetime, sla: str | None, breach: str | None
    ) -> float:
        """timer_fired; sla_breached for an SLA timer; legal_breach too when its breach is ``legal``."""
        lag = _lag(self.now, due_at)
        self.events.record(
            self.instance.id,
            "timer_fired",
            self.now,
            "scheduler",
            element_id,
            timer_id=timer_id,
            due_at=due_at.isoformat(),
            lag_seconds=round(lag, 3),
        )
        if sla:
            self.events.record(
                self.instance.id,
                "sla_breached",
                self.now,
                "scheduler",
                element_id,
                sla=sla,
                timer_id=timer_id,
            )
        if breach == LEGAL_BREACH:
            self.events.record(
                self.instance.id,
                "legal_breach",
                self.now,
                "scheduler",
                element_id,
                sla=sla,
                timer_id=timer_id,
            )
        return lag

    def sync_waits(self) -> None:
        new: list[dict[str, Any]] = []
        for wait in self.snap.message_waits:
            key = f"{wait.task_id}|{wait.name}"
            self.current.waits[key] = wait.name
            if key not in self.previous.waits:
                new.append(
                    {
                        "instance_id": self.instance.id,
                        "business_key": self.instance.business_key,
                        "message_name": wait.name,
                        "task_id": wait.task_id,
                        "element_id": wait.element_id,
                        "process_key": wait.process_key,
                        "created_at": self.now,
                        "status": "waiting",
                    }
                )
        self.rows.insert_subscriptions(new)
        caught = self.snap.caught_messages
        gone = [
            (key.split("|", 1)[0], name, "delivered" if key in caught else "withdrawn")
            for key, name in self.previous.waits.items()
            if key not in self.current.waits
        ]
        self.rows.end_subscriptions(self.instance.id, gone, self.now)

    def sync_calls(self) -> None:
        """A row per run of a call activity: started when its called process starts, ended with it."""
        running = {call.task_id: call for call in self.snap.calls}
        self.current.calls = {task_id: call.called_key for task_id, call in running.items()}
        previous = self.previous.calls
        if previous is None:  # projected before 0016: the migration's rows know no task ids yet
            states = self.snap.element_states
            previous = self.rows.adopt_calls(
                self.instance.id,
                [(c.task_id, c.process_key, c.element_id, c.called_key) for c in running.values()],
                lambda key, element: states.get(key, {}).get(element, {}).get("state") == "completed",
                self.now,
            )
        self.rows.insert_calls(
            [
                {
                    "instance_id": self.instance.id,
                    "task_id": call.task_id,
                    "process_key": call.process_key,
                    "element_id": call.element_id,
                    "called_key": call.called_key,
                    "status": "running",
                    "started_at": self.now,
                }
                for task_id, call in running.items()
                if task_id not in previous
            ]
        )
        ended = [
            (task_id, "completed" if task_id in self.snap.completed_calls else "cancelled")
            for task_id in previous
            if task_id not in running
        ]
        self.rows.end_calls(self.instance.id, ended, self.now)


def _lag(now: datetime, due_at: datetime) -> float:
    return max((now - due_at) / timedelta(seconds=1), 0.0)
