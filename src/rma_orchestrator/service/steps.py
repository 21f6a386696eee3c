"""The shared shape of every instance command: restore, apply, run, write back (DESIGN §2).

``write_back`` projects the workflow into the tables (open human tasks, pending timers,
message subscriptions), records audit events and incidents, and hands kept messages to
waits that just opened, all inside the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..engine import runtime, serializer
from ..engine.runtime import ProcessError
from ..store.models import Incident, MessageInbox, ProcessInstance
from ..store.uow import UnitOfWork
from . import audit
from .context import Services
from .projection import Projection, sync_projection

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
    previous = Projection.load(instance.projection)
    snap = runtime.snapshot(workflow)
    kept_count = previous.kept
    for _ in range(100):  # kept messages may open new waits; bounded against ping-pong
        if error is not None or snap.completed or kept_count <= 0:
            break
        kept = _kept_message_for(session, instance.business_key, {wait.name for wait in snap.message_waits})
        if kept is None:
            break
        kept_count -= 1
        kept.status, kept.delivered_at, kept.instance_id = "delivered", now, instance.id
        audit.record(
            session, instance.id, "message_received", now, kept.actor, None, name=kept.name, kept=True
        )
        error = runtime.deliver_message(workflow, kept.name, kept.payload)
        snap = runtime.snapshot(workflow)
    current, timer_changes = sync_projection(session, instance, previous, snap, now)
    current.kept = max(kept_count, 0)
    instance.projection = current.dump()
    instance.state = serializer.dumps(workflow)
    instance.data = snap.data
    instance.element_states = snap.element_states
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
    if timer_changes.created or timer_changes.cancelled:
        uow.after_commit(lambda: services.announce_timers(timer_changes.created, timer_changes.cancelled))


def _kept_message_for(session: Session, business_key: str, names: set[str]) -> MessageInbox | None:
    """The oldest kept message for one of the waits open now."""
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
