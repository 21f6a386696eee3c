"""The template every instance command follows (DESIGN §2): one engine step, written back in the unit of work.

``run_step`` takes the live workflow from the cache (or lets the engine restore it), makes the
one engine call, projects the result into the tables, records audit events and incidents, and
puts the workflow back into the cache only once the transaction has committed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ..engine.runtime import ProcessError
from ..engine.step import Command, CompleteTask, StepResult, step
from ..store.instances import InstanceRecord, InstanceWrite
from ..store.messages import KeptMessage
from ..store.uow import UnitOfWork
from .context import Services
from .projection import Projection, TimerChanges, sync_projection


@dataclass(frozen=True)
class StepOutcome:
    error: ProcessError | None
    result: StepResult
    timers: TimerChanges


def run_step(
    services: Services,
    uow: UnitOfWork,
    instance: InstanceRecord,
    command: Command,
    actor: str,
    command_name: str,
    engine_time: datetime | None = None,
    status: str | None = None,
) -> StepOutcome:
    """Apply ``command`` to ``instance`` (locked in ``uow``) and write everything back.

    ``engine_time`` is the "now" the engine sees (a timer's due time, so a late firing
    behaves as if on time and chained timers count from there); the audit trail keeps the
    real time. ``status`` overrides the status the step leaves (a cancel). Raises KeyError,
    with nothing changed, when the command names a task that is not open.
    """
    now = services.clock.now()
    definition = services.definitions.get(instance.definition_id)
    previous = Projection.load(instance.projection)
    kept = uow.inbox.kept_for(instance.business_key, now) if previous.kept > 0 else []
    workflow = services.workflows.take(instance.id, instance.revision)
    with services.clock.pinned(engine_time or now):
        result = step(
            definition,
            services.script_engine,
            command,
            workflow,
            lambda: uow.instances.state(instance.id),
            kept,
        )
    _record_kept_deliveries(uow, instance, result, {m.id: m for m in kept}, now)
    snap = result.snapshot
    completed = command.task_id if isinstance(command, CompleteTask) else None
    current, timer_changes = sync_projection(
        uow.projection, uow.events, instance, previous, snap, now, completed
    )
    current.kept = len(kept) - len(result.delivered_kept) if previous.kept > 0 else 0
    new_status, outcome, ended_at = _status_after(instance, result, status, now)
    error = result.error
    if error is not None:
        incident_id = uow.incidents.insert(
            instance.id, error.task_id, error.element_id, error.message, error.details, command_name, now
        )
        uow.events.record(
            instance.id,
            "incident_raised",
            now,
            actor,
            error.element_id,
            incident_id=incident_id,
            message=error.message,
        )
    elif new_status == "completed" and instance.status != "completed":
        uow.events.record(instance.id, "instance_completed", now, actor, outcome, outcome=outcome)
    uow.instances.write_back(
        instance,
        InstanceWrite(
            state=result.state,
            data=snap.data,
            element_states=snap.element_states,
            projection=current.dump(),
            status=new_status,
            outcome=outcome,
            ended_at=ended_at,
        ),
    )
    revision = instance.revision
    uow.after_commit(lambda: services.workflows.put(instance.id, revision, result.workflow))
    if timer_changes.created or timer_changes.cancelled:
        uow.after_commit(lambda: services.announce_timers(timer_changes.created, timer_changes.cancelled))
    return StepOutcome(error, result, timer_changes)


def _status_after(
    instance: InstanceRecord, result: StepResult, forced: str | None, now: datetime
) -> tuple[str, str | None, datetime | None]:
    """(status, outcome, ended at) after the step."""
    if forced is not None:
        return forced, instance.outcome, now if forced in ("completed", "cancelled") else instance.ended_at
    snap = result.snapshot
    if result.error is not None:
        return "error", instance.outcome, instance.ended_at
    if snap.completed and instance.status not in ("completed", "cancelled"):
        return "completed", snap.outcome, now
    if instance.status == "error" and not snap.error_task_ids:
        return "running", instance.outcome, instance.ended_at
    return instance.status, instance.outcome, instance.ended_at


def _record_kept_deliveries(
    uow: UnitOfWork, instance: InstanceRecord, result: StepResult, kept: dict[int, KeptMessage], now: datetime
) -> None:
    uow.inbox.mark_delivered(result.delivered_kept, now, instance.id)
    for message_id in result.delivered_kept:
        message = kept[message_id]
        uow.events.record(
            instance.id, "message_received", now, message.actor, None, name=message.name, kept=True
        )


def carry_cached_workflow(services: Services, uow: UnitOfWork, instance: InstanceRecord) -> None:
    """Before a write that leaves the workflow as it was (status, kept count): its cached copy stays valid."""
    workflow = services.workflows.take(instance.id, instance.revision)
    if workflow is not None:
        revision = instance.revision + 1
        uow.after_commit(lambda: services.workflows.put(instance.id, revision, workflow))
