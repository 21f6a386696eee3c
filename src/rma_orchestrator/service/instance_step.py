"""The template every instance command follows (DESIGN §2): one engine step, written back in the unit of work.

``run_step`` makes the one engine call in a step worker (reusing the live workflow the last
step of the case left there, or having it restored), projects the result into the tables,
records audit events and incidents, and notes where the live workflow is kept only once the
transaction has committed.
"""

from __future__ import annotations

import functools
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ParamSpec, TypeVar

from ..engine.runtime import ProcessError
from ..engine.step import Command, CompleteTask, Start, StepResult
from ..engine.step_worker import Kept
from ..errors import StaleRevision
from ..store.calendar import CalendarRepository
from ..store.instances import InstanceRecord, InstanceWrite
from ..store.messages import KeptMessage
from ..store.uow import UnitOfWork
from .case_records import store_case_records
from .context import Services
from .projection import Projection, TimerChanges, sync_projection
from .step_workers import StepRequest, Ticket


@dataclass(frozen=True)
class StepOutcome:
    error: ProcessError | None
    result: StepResult
    timers: TimerChanges


@dataclass(frozen=True)
class PreparedStep:
    """An engine step taken and not yet written: what ``write_step`` needs."""

    command: Command
    result: StepResult
    previous: Projection
    kept: list[KeptMessage]
    now: datetime
    live: Ticket  # where the step's live workflow waits for the next command


CONFLICT_ATTEMPTS = 8
P = ParamSpec("P")
R = TypeVar("R")


def retried_on_conflict(command: Callable[P, R]) -> Callable[P, R]:
    """Run an instance command again when its write finds the case changed since it read it.

    On SQLite a command reads and runs the engine without the write lock (DESIGN §2), so two
    commands on one case can both get that far; the later write is refused and the command
    runs once more on what is there now. Nothing of a refused attempt was kept.
    """

    @functools.wraps(command)
    def attempt(*args: P.args, **kwargs: P.kwargs) -> R:
        for tries in range(1, CONFLICT_ATTEMPTS + 1):
            try:
                return command(*args, **kwargs)
            except StaleRevision:
                if tries == CONFLICT_ATTEMPTS:
                    raise
                time.sleep(random.uniform(0, 0.002 * tries))  # let the other writer finish
        raise AssertionError("unreachable")

    return attempt


def take_step(
    services: Services,
    uow: UnitOfWork,
    instance: InstanceRecord,
    command: Command,
    engine_time: datetime | None = None,
    target_id: int | None = None,
) -> PreparedStep:
    """Run the engine for ``command`` on ``instance``; reads only, so no write lock is held meanwhile.

    ``engine_time`` is the "now" the engine sees (a timer's due time, so a late firing
    behaves as if on time and chained timers count from there); the audit trail keeps the
    real time. Raises KeyError, with nothing changed, when the command names a task that is
    not open. ``target_id``: the definition a migration moves the case to.
    """
    now = services.clock.now()
    previous = Projection.load(instance.projection)
    kept = uow.inbox.kept_for(instance.business_key, now) if previous.kept > 0 else []
    result, live = services.steps.run(
        _request(
            services, instance.definition_id, command, engine_time or now, kept, uow.calendar, target_id
        ),
        services.workflows.take(instance.id, instance.revision),
        lambda: uow.instances.state(instance.id),
    )
    uow.begin_writing()
    return PreparedStep(command, result, previous, kept, now, live)


def take_first_step(services: Services, definition_id: int, data: dict[str, Any]) -> PreparedStep:
    """Run a new instance's first steps (before its row exists)."""
    now = services.clock.now()
    command = Start(data)
    result, live = services.steps.run(_request(services, definition_id, command, now), None, None)
    return PreparedStep(command, result, Projection(), [], now, live)


def _request(
    services: Services,
    definition_id: int,
    command: Command,
    now: datetime,
    kept: list[KeptMessage] | None = None,
    calendar: CalendarRepository | None = None,
    target_id: int | None = None,
) -> StepRequest:
    """What the step worker needs; ``calendar``: the command's own reader of the calendar's version."""
    return StepRequest(
        services.definitions.source(definition_id),
        command,
        now,
        services.settings.step_limits,
        services.calendar.get(calendar),
        tuple(Kept(message.id, message.name, message.payload) for message in kept or ()),
        services.definitions.source(target_id) if target_id is not None else None,
    )


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
    """``take_step`` and ``write_step`` for a command that writes nothing before its step."""
    prepared = take_step(services, uow, instance, command, engine_time)
    return write_step(services, uow, instance, prepared, actor, command_name, status)


def write_step(
    services: Services,
    uow: UnitOfWork,
    instance: InstanceRecord,
    prepared: PreparedStep,
    actor: str,
    command_name: str,
    status: str | None = None,
) -> StepOutcome:
    """Write a taken step back in ``uow``: projection, incident, events, the instance row.

    ``status`` overrides the status the step leaves (a cancel). The workflow goes back into
    the cache once the transaction has committed.
    """
    result, previous, kept, now = prepared.result, prepared.previous, prepared.kept, prepared.now
    _record_kept_deliveries(uow, instance, result, {m.id: m for m in kept}, now)
    snap = result.snapshot
    command = prepared.command
    completed = command.task_id if isinstance(command, CompleteTask) else None
    current, timer_changes = sync_projection(
        uow.projection, uow.events, instance, previous, snap, now, completed
    )
    current.kept = len(kept) - len(result.delivered_kept) if previous.kept > 0 else 0
    current.records = store_case_records(uow, instance, snap.data, previous.records, now)
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
            next_due_at=current.next_due_at(),
        ),
    )
    revision = instance.revision
    live = prepared.live
    uow.after_commit(lambda: services.workflows.put(instance.id, revision, live))
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
    live = services.workflows.take(instance.id, instance.revision)
    if live is not None:
        revision = instance.revision + 1
        uow.after_commit(lambda: services.workflows.put(instance.id, revision, live))
