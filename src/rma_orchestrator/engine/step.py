"""One engine step per command: restore (or reuse), apply, run, hand over kept messages, snapshot once.

The service calls ``step`` exactly once per command and persists the ``StepResult``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow

from . import case_migration, runtime, serializer, snapshot
from .bundle import ProcessDefinition
from .case_migration import TimerMove
from .limits import LimitExceeded
from .runtime import ProcessError
from .snapshot import Snapshot, TimerView
from .step_watch import StepWatch

KEPT_DELIVERIES_PER_STEP = 100  # kept messages may open new waits: bounded against ping-pong


@dataclass(frozen=True)
class Start:
    """Run a new instance's first steps with its start data."""

    data: dict[str, Any]


@dataclass(frozen=True)
class CompleteTask:
    task_id: str
    data: dict[str, Any]


@dataclass(frozen=True)
class DeliverMessage:
    name: str
    payload: Any


@dataclass(frozen=True)
class Run:
    """Run whatever is due: timers that fell due, work left by a resume."""


@dataclass(frozen=True)
class Retry:
    """Run a failed task again with corrected data (``task_id`` None: just run on)."""

    task_id: str | None
    data: dict[str, Any] | None = None


@dataclass(frozen=True)
class Cancel:
    pass


@dataclass(frozen=True)
class Migrate:
    """Move the workflow to the step's target definition (``version``); runs nothing else.

    ``data`` is the case data the data contract is checked on; ``waits_since`` the moment each
    waiting timer's wait began (task id -> time), from which a changed timer is computed again.
    """

    version: int
    data: dict[str, Any]
    waits_since: tuple[tuple[str, datetime], ...] = ()


Command = Start | CompleteTask | DeliverMessage | Run | Retry | Cancel | Migrate


class KeptMessage(Protocol):
    """A message that arrived before anything waited for it."""

    @property
    def id(self) -> int: ...
    @property
    def name(self) -> str: ...
    @property
    def payload(self) -> Any: ...


@dataclass(frozen=True)
class StepResult:
    workflow: BpmnWorkflow | None  # None once the result has left the process that ran the step
    state: str  # the serialised workflow to store
    snapshot: Snapshot
    error: ProcessError | None
    delivered_kept: list[int] = field(default_factory=list)  # ids of kept messages handed over, in order
    accepted: bool = True  # for a DeliverMessage: whether a waiting catch took the message
    moved_timers: list[TimerMove] = field(default_factory=list)  # for a Migrate: its timers before and after


def step(
    definition: ProcessDefinition,
    script_engine: Any,
    command: Command,
    workflow: BpmnWorkflow | None = None,
    load_state: Callable[[], str] | None = None,
    kept: Sequence[KeptMessage] = (),
    target: ProcessDefinition | None = None,
) -> StepResult:
    """Apply ``command`` to the live ``workflow`` (or one restored from ``load_state()``, or a new one).

    Raises KeyError when the command names a task that is not open (or not in error, for a
    retry): nothing ran. Raises LimitExceeded when analyst code left data past the watch's limits
    (the run is discarded). Process failures are returned in ``StepResult.error``.
    """
    if isinstance(command, Start):
        workflow = runtime.new_workflow(definition, command.data, script_engine)
    elif workflow is None:
        if load_state is None:
            raise ValueError("a step on an existing instance needs its workflow or its state")
        workflow = serializer.loads(load_state(), definition.spec, definition.subprocess_specs, script_engine)
    if isinstance(command, Migrate):
        return _migrate(workflow, command, target)
    fired: list[TimerView] = []
    accepted, error = _apply(workflow, command, fired)
    delivered = _hand_over_kept(workflow, list(kept), fired) if error is None else []
    if delivered and error is None:
        error = delivered[-1][1]  # a kept message's delivery failed: it was the last one tried
    watch = getattr(script_engine, "watch", None)
    if watch is not None and watch.exceeded is not None:
        # This run is thrown away and the step run again to fail where the limit was passed:
        # writing its state could take longer than any limit (a billion shared references).
        raise LimitExceeded(watch.exceeded[1])
    if error is None and watch is not None:
        error = _refuse_far_timer(workflow, watch)
    return StepResult(
        workflow,
        serializer.dumps(workflow),
        snapshot.take(workflow, fired),
        error,
        [message_id for message_id, _ in delivered],
        accepted,
    )


def _migrate(workflow: BpmnWorkflow, command: Migrate, target: ProcessDefinition | None) -> StepResult:
    """Move the workflow to ``target``; raises CaseNotMovable (nothing kept) when it cannot move.

    Nothing fires in a move: a waiting timer whose due time changed was replaced, not fired.
    """
    if target is None:
        raise ValueError("a migration step needs its target definition")
    moves = case_migration.migrate(workflow, target, command.version, command.data, dict(command.waits_since))
    taken = dataclasses.replace(snapshot.take(workflow, []), fired_timer_task_ids=frozenset())
    return StepResult(workflow, serializer.dumps(workflow), taken, None, moved_timers=moves)


def _refuse_far_timer(workflow: BpmnWorkflow, watch: StepWatch) -> ProcessError | None:
    """A timer set beyond the watch's horizon fails (and stops waiting) instead of waiting for years."""
    problem = watch.timer_problem(workflow)
    if problem is None:
        return None
    task, message = problem
    task.error()
    workflow.event_manager.remove_task(task)
    return ProcessError(message, task.task_spec.bpmn_id, str(task.id), message)


def _hand_over_kept(
    workflow: BpmnWorkflow, pending: list[KeptMessage], fired: list[TimerView]
) -> list[tuple[int, ProcessError | None]]:
    """Deliver kept messages, oldest first, as long as a waiting catch accepts one; stop at an error."""
    delivered: list[tuple[int, ProcessError | None]] = []
    while pending and not workflow.completed and len(delivered) < KEPT_DELIVERIES_PER_STEP:
        taken = _deliver_first_accepted(workflow, pending, fired)
        if taken is None:
            break
        message, error = taken
        pending.remove(message)
        delivered.append((message.id, error))
        if error is not None:
            break
    return delivered


def _deliver_first_accepted(
    workflow: BpmnWorkflow, pending: list[KeptMessage], fired: list[TimerView]
) -> tuple[KeptMessage, ProcessError | None] | None:
    """The oldest kept message a waiting catch accepts, delivered; None if no catch takes any."""
    for message in pending:
        accepted, error = runtime.deliver_message(workflow, message.name, message.payload, fired)
        if accepted:
            return message, error
    return None


def _apply(
    workflow: BpmnWorkflow, command: Command, fired: list[TimerView]
) -> tuple[bool, ProcessError | None]:
    """(accepted, error): ``accepted`` is False only for a message no waiting catch takes."""
    match command:
        case Start() | Run():
            return True, runtime.run(workflow, fired=fired)
        case CompleteTask(task_id, data):
            return True, runtime.complete_user_task(workflow, task_id, data, fired)
        case DeliverMessage(name, payload):
            return runtime.deliver_message(workflow, name, payload, fired)
        case Retry(None, _):
            return True, runtime.run(workflow, fired=fired)
        case Retry(str() as task_id, data):
            return True, runtime.retry_task(workflow, task_id, data, fired)
        case Cancel():
            runtime.cancel(workflow)
            return True, None
        case Migrate():
            raise TypeError("a migration is not applied as a command step")
    raise TypeError(f"unknown command {command!r}")
