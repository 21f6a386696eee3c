"""The shared shape of every instance command: restore, apply, run, write back (DESIGN §2).

``write_back`` projects the workflow into the tables (open human tasks, pending timers,
message subscriptions), records audit events and incidents, and hands kept messages to
waits that just opened, all inside the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from sqlalchemy import delete, select

from ..engine import runtime, serializer
from ..engine.runtime import ProcessError, Snapshot
from ..store.models import HumanTask, Incident, MessageInbox, MessageSubscription, ProcessInstance, Timer
from ..store.uow import UnitOfWork
from . import audit
from .context import Services

Action = Callable[[BpmnWorkflow], ProcessError | None]


def restore(services: Services, instance: ProcessInstance) -> BpmnWorkflow:
    definition = services.definitions.get(instance.definition_id)
    return serializer.loads(
        instance.state, definition.spec, definition.subprocess_specs, services.script_engine
    )


def apply(
    services: Services,
    uow: UnitOfWork,
    instance: ProcessInstance,
    action: Action,
    actor: str,
    command: str,
    workflow: BpmnWorkflow | None = None,
    engine_time: datetime | None = None,
) -> ProcessError | None:
    """Restore (unless given), apply ``action`` and write everything back in ``uow``.

    ``engine_time`` is the "now" the engine sees while applying (a timer's due time, so a
    late firing behaves as if on time and chained timers count from there); the audit
    trail keeps the real time.
    """
    workflow = workflow or restore(services, instance)
    if engine_time is None:
        error = action(workflow)
    else:
        with services.clock.pinned(engine_time):
            error = action(workflow)
    write_back(services, uow, instance, workflow, actor, command, error)
    return error


def write_back(
    services: Services,
    uow: UnitOfWork,
    instance: ProcessInstance,
    workflow: BpmnWorkflow,
    actor: str,
    command: str,
    error: ProcessError | None,
) -> None:
    now = services.clock.now()
    session = uow.session
    for _ in range(100):  # kept messages may open new waits; bounded against ping-pong
        snap = runtime.snapshot(workflow)
        if error is not None or snap.completed:
            break
        kept = _kept_message_for(session, instance.business_key, snap)
        if kept is None:
            break
        kept.status, kept.delivered_at, kept.instance_id = "delivered", now, instance.id
        audit.record(
            session, instance.id, "message_received", now, kept.actor, None, name=kept.name, kept=True
        )
        error = runtime.deliver_message(workflow, kept.name, kept.payload)
    snap = runtime.snapshot(workflow)
    instance.state = serializer.dumps(workflow)
    instance.data = snap.data
    instance.element_states = snap.element_states
    instance.revision += 1
    _sync_tasks(session, instance, snap, now)
    new_timers = _sync_timers(session, instance, workflow, snap, now)
    _sync_subscriptions(session, instance, snap, now)
    if error is not None:
        instance.status = "error"
        incident = Incident(
            instance_id=instance.id,
            task_id=error.task_id,
            element_id=error.element_id,
            message=error.message,
            details=error.details,
            command=command,
            created_at=now,
        )
        session.add(incident)
        session.flush()
        audit.record(
            session,
            instance.id,
            "incident_raised",
            now,
            actor,
            error.element_id,
            incident_id=incident.id,
            message=error.message,
        )
    elif snap.completed and instance.status not in ("completed", "cancelled"):
        instance.status, instance.outcome, instance.ended_at = "completed", snap.outcome, now
        audit.record(
            session, instance.id, "instance_completed", now, actor, snap.outcome, outcome=snap.outcome
        )
    elif instance.status == "error" and not snap.error_task_ids:
        instance.status = "running"
    if new_timers:
        uow.after_commit(lambda: services.announce_timers(new_timers))


def _kept_message_for(session, business_key: str, snap: Snapshot) -> MessageInbox | None:  # type: ignore[no-untyped-def]
    names = {wait.name for wait in snap.message_waits}
    if not names:
        return None
    return session.scalar(
        select(MessageInbox)
        .where(
            MessageInbox.business_key == business_key,
            MessageInbox.status == "pending",
            MessageInbox.name.in_(names),
        )
        .order_by(MessageInbox.id)
        .limit(1)
    )


def _sync_tasks(session, instance: ProcessInstance, snap: Snapshot, now: datetime) -> None:  # type: ignore[no-untyped-def]
    rows = {
        row.id: row
        for row in session.scalars(
            select(HumanTask).where(HumanTask.instance_id == instance.id, HumanTask.status == "open")
        )
    }
    due = _task_due_times(snap)
    for view in snap.user_tasks:
        row = rows.pop(view.task_id, None)
        if row is None:
            session.add(
                HumanTask(
                    id=view.task_id,
                    instance_id=instance.id,
                    process_key=view.process_key,
                    element_id=view.element_id,
                    name=view.name,
                    group=view.lane,
                    form=view.form,
                    status="open",
                    created_at=now,
                    due_at=due.get(view.task_id),
                )
            )
            audit.record(
                session,
                instance.id,
                "task_created",
                now,
                None,
                view.element_id,
                task_id=view.task_id,
                group=view.lane,
            )
        else:
            row.due_at = due.get(view.task_id)
    for row in rows.values():  # no longer ready and not completed by this command: cancelled
        row.status = "cancelled"
        row.completed_at = now
        audit.record(session, instance.id, "task_cancelled", now, None, row.element_id, task_id=row.id)


def _task_due_times(snap: Snapshot) -> dict[str, datetime]:
    due: dict[str, datetime] = {}
    for timer in snap.timers:
        if timer.attached_to is not None:
            current = due.get(timer.attached_to)
            due[timer.attached_to] = timer.due_at if current is None else min(current, timer.due_at)
    return due


def _sync_timers(
    session,
    instance: ProcessInstance,
    workflow: BpmnWorkflow,
    snap: Snapshot,
    now: datetime,  # type: ignore[no-untyped-def]
) -> list[tuple[int, datetime]]:
    rows = {
        (row.task_id, row.due_at): row
        for row in session.scalars(
            select(Timer).where(Timer.instance_id == instance.id, Timer.status.in_(("pending", "claimed")))
        )
    }
    created: list[Timer] = []
    for view in snap.timers:
        due_at = view.due_at.replace(microsecond=view.due_at.microsecond)
        row = rows.pop((view.task_id, due_at), None)
        if row is None:
            row = Timer(
                instance_id=instance.id,
                task_id=view.task_id,
                element_id=view.element_id,
                process_key=view.process_key,
                attached_to=view.attached_to,
                due_at=due_at,
                status="pending",
                sla=view.sla,
            )
            session.add(row)
            created.append(row)
    waiting = {timer.task_id for timer in snap.timers}
    for row in rows.values():
        fired = row.due_at <= now or row.task_id in waiting
        _close_timer(session, instance, row, "fired" if fired else "cancelled", now)
    session.flush()
    return [(row.id, row.due_at) for row in created]


def _close_timer(session, instance: ProcessInstance, row: Timer, status: str, now: datetime) -> None:  # type: ignore[no-untyped-def]
    row.status = status
    if status != "fired":
        return
    row.fired_at = now
    lag = max((now - row.due_at) / timedelta(seconds=1), 0.0)
    audit.record(
        session,
        instance.id,
        "timer_fired",
        now,
        "scheduler",
        row.element_id,
        timer_id=row.id,
        due_at=row.due_at.isoformat(),
        lag_seconds=round(lag, 3),
    )
    if row.sla:
        audit.record(
            session,
            instance.id,
            "sla_breached",
            now,
            "scheduler",
            row.element_id,
            sla=row.sla,
            timer_id=row.id,
        )


def _sync_subscriptions(session, instance: ProcessInstance, snap: Snapshot, now: datetime) -> None:  # type: ignore[no-untyped-def]
    current = {
        (row.task_id, row.message_name): row
        for row in session.scalars(
            select(MessageSubscription).where(MessageSubscription.instance_id == instance.id)
        )
    }
    wanted = {(wait.task_id, wait.name): wait for wait in snap.message_waits}
    stale = [row.id for key, row in current.items() if key not in wanted]
    if stale:
        session.execute(delete(MessageSubscription).where(MessageSubscription.id.in_(stale)))
    for key, wait in wanted.items():
        if key not in current:
            session.add(
                MessageSubscription(
                    instance_id=instance.id,
                    business_key=instance.business_key,
                    message_name=wait.name,
                    task_id=wait.task_id,
                    element_id=wait.element_id,
                    created_at=now,
                )
            )
