"""Drives one workflow: start, complete a user task, catch a message, fire timers, retry.

Every function works on an in-memory ``BpmnWorkflow``; persistence is the caller's job.
Errors raised by the process itself (scripts, conditions, DMN cells, timer expressions,
the sandbox) are caught and returned as a ``ProcessError``; the workflow keeps what ran
before the failing element, which is left in ERROR state.
"""

from __future__ import annotations

import copy
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID
from weakref import WeakKeyDictionary

from SpiffWorkflow.bpmn.specs.control import BoundaryEventSplit
from SpiffWorkflow.bpmn.specs.defaults import EndEvent
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    TimeDateEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.bpmn.util import BpmnEvent
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.exceptions import WorkflowException
from SpiffWorkflow.spiff.specs.event_definitions import MessageEventDefinition as SpiffMessageDefinition
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

from .bundle import ProcessDefinition
from .sandbox_guards import SandboxError
from .spec_extensions import spec_properties, task_form


@dataclass(frozen=True)
class ProcessError:
    """A failure raised by the process itself, at ``element_id`` (task ``task_id``)."""

    message: str
    element_id: str | None
    task_id: str | None
    details: str


@dataclass(frozen=True)
class UserTaskView:
    task_id: str
    element_id: str
    name: str
    process_key: str
    lane: str | None
    form: str | None


@dataclass(frozen=True)
class TimerView:
    task_id: str
    element_id: str
    process_key: str
    due_at: datetime
    sla: str | None
    attached_to: str | None  # task id of the activity a boundary timer guards


@dataclass(frozen=True)
class MessageWaitView:
    task_id: str
    element_id: str
    process_key: str
    name: str


@dataclass(frozen=True)
class Snapshot:
    """What the service projects into its tables after every step."""

    completed: bool
    outcome: str | None
    data: dict[str, Any]
    user_tasks: list[UserTaskView]
    timers: list[TimerView]
    message_waits: list[MessageWaitView]
    element_states: dict[str, dict[str, dict[str, Any]]]
    error_task_ids: list[str]
    fired_timer_task_ids: frozenset[str]  # timer tasks not cancelled: they completed or (cycles) went on
    fired_timers: list[TimerView]  # timers the engine ran since the last snapshot, with their due times

    def timer_fired(self, task_id: str) -> bool:
        """Whether a timer that no longer waits at its old due time fired (else it was cancelled)."""
        return task_id in self.fired_timer_task_ids


# Timers that fired while the engine ran, noted before SpiffWorkflow clears their due time; a
# timer already overdue when it was created fires in the same step and is known only from here.
_FIRED_IN_STEP: WeakKeyDictionary[BpmnWorkflow, list[TimerView]] = WeakKeyDictionary()

_STATE_NAMES = {
    TaskState.READY: "active",
    TaskState.STARTED: "active",
    TaskState.WAITING: "waiting",
    TaskState.COMPLETED: "completed",
    TaskState.CANCELLED: "cancelled",
    TaskState.ERROR: "error",
}


def new_workflow(definition: ProcessDefinition, data: dict[str, Any], script_engine: Any) -> BpmnWorkflow:
    """A fresh workflow for ``definition`` whose start data is ``data`` (not yet run)."""
    workflow = BpmnWorkflow(definition.spec, definition.subprocess_specs, script_engine=script_engine)
    start = workflow.task_tree
    start.data.update(copy.deepcopy(data))
    for task in workflow.get_tasks(state=TaskState.READY):
        task.data.update(copy.deepcopy(data))
    return workflow


def run(workflow: BpmnWorkflow, action: Callable[[], None] | None = None) -> ProcessError | None:
    """Apply ``action`` (if any) and run the engine until it waits; a process failure is returned."""
    fired = _FIRED_IN_STEP.setdefault(workflow, [])

    def note_fired_timer(task: Task) -> None:
        if task.state == TaskState.READY:
            fired.extend(_timers([task], TaskState.READY))

    try:
        workflow.refresh_timers()
        if action is not None:
            action()
        workflow.do_engine_steps(will_complete_task=note_fired_timer)
    except (WorkflowException, SandboxError) as error:
        return _process_error(workflow, error)
    return _naive_time_date(workflow)


def _naive_time_date(workflow: BpmnWorkflow) -> ProcessError | None:
    """A timeDate that evaluated to a time without a UTC offset is an error, not a guess.

    SpiffWorkflow would read it with the server's fixed local offset and get daylight saving
    (and any other zone than the server's) wrong.
    """
    for task in workflow.event_manager.tasks.values():
        definition = getattr(task.task_spec, "event_definition", None)
        value = task._get_internal_data("event_value")
        if not isinstance(definition, TimeDateEventDefinition) or not isinstance(value, str):
            continue
        try:
            naive = datetime.fromisoformat(value.replace("Z", "+00:00")).tzinfo is None
        except ValueError:
            naive = False  # week dates and other forms: SpiffWorkflow reports those itself
        if naive:
            task.error()
            message = (
                f"timer date {value!r} of {task.task_spec.bpmn_id} has no UTC offset; "
                "give one, e.g. '2026-12-01T09:00:00+08:00' or '...Z'"
            )
            return ProcessError(message, task.task_spec.bpmn_id, str(task.id), message)
    return None


def _process_error(workflow: BpmnWorkflow, error: Exception) -> ProcessError:
    task: Task | None = getattr(error, "task", None)
    if task is None:
        errored = workflow.get_tasks(state=TaskState.ERROR)
        task = errored[0] if errored else None
    if task is not None and not task.has_state(TaskState.ERROR | TaskState.FINISHED_MASK):
        # A waiting event whose expression failed (a timer date, say) is left WAITING by the
        # engine and would fail again on every later step: mark it failed until retried.
        task.error()
        workflow.event_manager.remove_task(task)
    element_id = task.task_spec.bpmn_id if task is not None else None
    message = str(error).strip()
    cause = error.__cause__ or error.__context__  # SpiffWorkflow keeps only the type of what it wraps
    if cause is not None and str(cause) not in message:
        message = f"{message} {type(cause).__name__}: {cause}"
    notes = getattr(error, "__notes__", None)
    if notes:
        message = f"{message} ({'; '.join(notes)})"
    details = "".join(traceback.format_exception(error))
    return ProcessError(message, element_id, str(task.id) if task is not None else None, details)


def open_user_task(workflow: BpmnWorkflow, task_id: str) -> Task:
    """The READY user task ``task_id``; KeyError if there is none."""
    task = _find_task(workflow, task_id)
    if task is None or task.state != TaskState.READY or not task.task_spec.manual:
        raise KeyError(task_id)
    return task


def complete_user_task(workflow: BpmnWorkflow, task_id: str, data: dict[str, Any]) -> ProcessError | None:
    """Merge ``data`` into the task (replacing, never merging, lists) and complete it."""
    task = open_user_task(workflow, task_id)

    def action() -> None:
        task.data.update(copy.deepcopy(data))
        task.run()

    return run(workflow, action)


def waits_for_message(workflow: BpmnWorkflow, name: str) -> bool:
    return any(wait.name == name for wait in _message_waits(workflow))


def deliver_message(workflow: BpmnWorkflow, name: str, payload: Any) -> ProcessError | None:
    """Hand a message to whichever catch event of this workflow waits for it."""
    event = BpmnEvent(SpiffMessageDefinition(name), copy.deepcopy(payload))
    return run(workflow, lambda: workflow.event_manager.catch(event, internal=False))


def retry_task(workflow: BpmnWorkflow, task_id: str, data: dict[str, Any] | None) -> ProcessError | None:
    """Merge corrected ``data`` into a failed task and run it again."""
    task = _find_task(workflow, task_id)
    if task is None or task.state != TaskState.ERROR:
        raise KeyError(task_id)

    def action() -> None:
        if data:
            task.data.update(copy.deepcopy(data))
        task._set_state(TaskState.READY)
        if isinstance(task.task_spec, CatchingEvent):
            # A waiting event re-inherits its parent's data on every update, so correct it there too.
            if data and task.parent is not None:
                task.parent.data.update(copy.deepcopy(data))
            task.internal_data.pop("event_value", None)  # evaluate the timer expression again
            task._set_state(TaskState.WAITING)
            task.task_spec._update(task)

    return run(workflow, action)


def cancel(workflow: BpmnWorkflow) -> None:
    workflow.cancel()


def snapshot(workflow: BpmnWorkflow) -> Snapshot:
    tasks = _all_tasks(workflow)
    user_tasks = [
        UserTaskView(
            task_id=str(task.id),
            element_id=task.task_spec.bpmn_id,
            name=task.task_spec.bpmn_name or task.task_spec.bpmn_id,
            process_key=task.workflow.spec.name,
            lane=task.task_spec.lane,
            form=task_form(task.task_spec),
        )
        for task in tasks
        if task.state == TaskState.READY and task.task_spec.manual
    ]
    return Snapshot(
        completed=workflow.completed,
        outcome=_outcome(workflow) if workflow.completed else None,
        data=_case_data(workflow),
        user_tasks=user_tasks,
        timers=_timers(list(workflow.event_manager.tasks.values())),
        fired_timers=_FIRED_IN_STEP.pop(workflow, []),
        message_waits=_message_waits(workflow),
        element_states=_element_states(tasks),
        error_task_ids=[str(task.id) for task in tasks if task.state == TaskState.ERROR],
        fired_timer_task_ids=frozenset(
            str(task.id)
            for task in tasks
            if task.has_state(TaskState.COMPLETED | TaskState.WAITING | TaskState.READY)
            and isinstance(getattr(task.task_spec, "event_definition", None), TimerEventDefinition)
        ),
    )


def task_data(workflow: BpmnWorkflow, task_id: str) -> dict[str, Any]:
    task = _find_task(workflow, task_id)
    return copy.deepcopy(task.data) if task is not None else {}


def _find_task(workflow: BpmnWorkflow, task_id: str) -> Task | None:
    try:
        return workflow.get_task_from_id(UUID(task_id))
    except (ValueError, WorkflowException, KeyError):
        return None


def _all_tasks(workflow: BpmnWorkflow) -> list[Task]:
    """Every task, called processes' included (SpiffWorkflow's iterator descends into them)."""
    return list(workflow.get_tasks())


def _case_data(workflow: BpmnWorkflow) -> dict[str, Any]:
    """The data of the last completed step, or the workflow's data once completed."""
    if workflow.completed:
        data = dict(workflow.data)
    else:
        last = workflow.last_task
        data = dict(last.data) if last is not None else dict(workflow.task_tree.data)
    return _plain(data)


def _plain(value: Any) -> Any:
    """JSON-ready copy of task data: callables dropped, Decimal/datetime as strings."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items() if not callable(v)}
    if isinstance(value, list | tuple | set):
        return [_plain(v) for v in value]
    if isinstance(value, bool | int | float | str) or value is None:
        return value
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def _outcome(workflow: BpmnWorkflow) -> str | None:
    ends = [
        task
        for task in workflow.get_tasks(state=TaskState.COMPLETED)
        if isinstance(task.task_spec, EndEvent) and task.workflow is workflow
    ]
    if not ends:
        return None
    return max(ends, key=lambda task: task.last_state_change).task_spec.bpmn_id


def _timers(tasks: list[Task], state: TaskState = TaskState.WAITING) -> list[TimerView]:
    timers = []
    for task in tasks:
        if task.state != state:
            continue
        definition = getattr(task.task_spec, "event_definition", None)
        if not isinstance(definition, TimerEventDefinition):
            continue
        due_at = _due_at(task, definition)
        if due_at is None:
            continue
        attached_to = None
        if task.parent is not None and isinstance(task.parent.task_spec, BoundaryEventSplit):
            main = [c for c in task.parent.children if not hasattr(c.task_spec, "cancel_activity")]
            attached_to = str(main[0].id) if main else None
        timers.append(
            TimerView(
                task_id=str(task.id),
                element_id=task.task_spec.bpmn_id,
                process_key=task.workflow.spec.name,
                due_at=due_at,
                sla=spec_properties(task.task_spec).get("sla"),
                attached_to=attached_to,
            )
        )
    return timers


def _due_at(task: Task, definition: TimerEventDefinition) -> datetime | None:
    value = task._get_internal_data("event_value")
    if value is None:
        return None
    if isinstance(definition, CycleTimerEventDefinition):
        if not isinstance(value, dict) or value.get("cycles") == 0:
            return None
        value = value["next"]
    if isinstance(definition, TimeDateEventDefinition):
        return TimerEventDefinition.parse_time_or_duration(value)
    return TimerEventDefinition.get_datetime(value)


def _message_waits(workflow: BpmnWorkflow) -> list[MessageWaitView]:
    waits = []
    for task in workflow.event_manager.tasks.values():
        definition = getattr(task.task_spec, "event_definition", None)
        if isinstance(definition, MessageEventDefinition) and task.state == TaskState.WAITING:
            waits.append(
                MessageWaitView(
                    str(task.id), task.task_spec.bpmn_id, task.workflow.spec.name, definition.name
                )
            )
    return waits


def _element_states(tasks: list[Task]) -> dict[str, dict[str, dict[str, Any]]]:
    states: dict[str, dict[str, dict[str, Any]]] = {}
    latest: dict[tuple[str, str], float] = {}
    for task in tasks:
        element_id = task.task_spec.bpmn_id
        state = _STATE_NAMES.get(task.state)
        if element_id is None or state is None:
            continue
        process_key = task.workflow.spec.name
        entry = states.setdefault(process_key, {}).setdefault(element_id, {"state": state, "visits": 0})
        entry["visits"] += 1
        key = (process_key, element_id)
        if task.last_state_change >= latest.get(key, float("-inf")):
            latest[key] = task.last_state_change
            entry["state"] = state
    return states
