"""What a workflow shows the service after a step, read in one walk over its tasks.

The service projects this into its tables (open user tasks, waiting timers, message
waits) and keeps the case data and element states for reads, so no read restores a workflow.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from SpiffWorkflow.bpmn.specs.control import BoundaryEventSplit
from SpiffWorkflow.bpmn.specs.defaults import EndEvent
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    TimeDateEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import CallActivity
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

from .multiple_events import awaited, fired_timer, seen_definitions
from .spec_extensions import spec_properties, task_form

LEGAL_BREACH = "legal"  # a timer with the property breach = legal guards a legal deadline


@dataclass(frozen=True)
class UserTaskView:
    task_id: str
    element_id: str
    name: str
    process_key: str
    lane: str | None
    form: str | None
    data: dict[str, Any]  # what the task's form starts from


@dataclass(frozen=True)
class TimerView:
    task_id: str
    element_id: str
    process_key: str
    due_at: datetime
    sla: str | None
    attached_to: str | None  # task id of the activity a boundary timer guards
    breach: str | None = None  # spiffworkflow property ``breach``: ``legal`` marks a legal deadline


@dataclass(frozen=True)
class MessageWaitView:
    task_id: str
    element_id: str
    process_key: str
    name: str


@dataclass(frozen=True)
class CallView:
    """A call activity whose called process runs now."""

    task_id: str
    element_id: str
    process_key: str  # the process the call activity belongs to
    called_key: str


@dataclass(frozen=True)
class Snapshot:
    """The workflow after a step, as the service projects it."""

    completed: bool
    outcome: str | None
    data: dict[str, Any]
    user_tasks: list[UserTaskView]
    timers: list[TimerView]
    message_waits: list[MessageWaitView]
    element_states: dict[str, dict[str, dict[str, Any]]]
    error_task_ids: list[str]
    fired_timer_task_ids: frozenset[str]  # timer tasks not cancelled: they completed or (cycles) went on
    fired_timers: list[TimerView]  # timers the engine ran in this step, with their due times
    calls: list[CallView] = field(default_factory=list)
    completed_calls: frozenset[str] = frozenset()  # call activity tasks whose called process ended
    caught_messages: frozenset[str] = frozenset()  # "task id|message name" of the messages caught

    def timer_fired(self, task_id: str) -> bool:
        """Whether a timer that no longer waits at its old due time fired (else it was cancelled)."""
        return task_id in self.fired_timer_task_ids


_STATE_NAMES = {
    TaskState.READY: "active",
    TaskState.STARTED: "active",
    TaskState.WAITING: "waiting",
    TaskState.COMPLETED: "completed",
    TaskState.CANCELLED: "cancelled",
    TaskState.ERROR: "error",
}
_NOT_CANCELLED = TaskState.COMPLETED | TaskState.WAITING | TaskState.READY
_CAUGHT = TaskState.COMPLETED | TaskState.READY  # an event that happened (not waiting, not cancelled)


def take(workflow: BpmnWorkflow, fired_timers: list[TimerView]) -> Snapshot:
    """Read everything the service projects, walking the task tree (called processes included) once."""
    user_tasks: list[UserTaskView] = []
    error_task_ids: list[str] = []
    fired_ids: set[str] = set()
    ends: list[Task] = []
    states: dict[str, dict[str, dict[str, Any]]] = {}
    latest: dict[tuple[str, str], float] = {}
    calls: list[CallView] = []
    completed_calls: set[str] = set()
    caught: set[str] = set()
    for task in workflow.get_tasks():
        spec = task.task_spec
        state = task.state
        process_key = task.workflow.spec.name
        if isinstance(spec, CallActivity):
            if state == TaskState.STARTED:
                calls.append(CallView(str(task.id), spec.bpmn_id, process_key, spec.spec))
            elif state == TaskState.COMPLETED:
                completed_calls.add(str(task.id))
        elif task.has_state(_CAUGHT) and getattr(spec, "event_definition", None) is not None:
            caught.update(f"{task.id}|{name}" for name in caught_messages(task))
        if state == TaskState.READY and spec.manual:
            user_tasks.append(
                UserTaskView(
                    task_id=str(task.id),
                    element_id=spec.bpmn_id,
                    name=spec.bpmn_name or spec.bpmn_id,
                    process_key=process_key,
                    lane=spec.lane,
                    form=task_form(spec),
                    data=plain(task.data),
                )
            )
        elif state == TaskState.ERROR:
            error_task_ids.append(str(task.id))
        if task.has_state(_NOT_CANCELLED) and (
            isinstance(getattr(spec, "event_definition", None), TimerEventDefinition)
            or fired_timer(task) is not None  # an event-based gateway keeps what it saw
        ):
            fired_ids.add(str(task.id))
        if state == TaskState.COMPLETED and isinstance(spec, EndEvent) and task.workflow is workflow:
            ends.append(task)
        name = _STATE_NAMES.get(state)
        if spec.bpmn_id is None or name is None:
            continue
        entry = states.setdefault(process_key, {}).setdefault(spec.bpmn_id, {"state": name, "visits": 0})
        entry["visits"] += 1
        key = (process_key, spec.bpmn_id)
        if task.last_state_change >= latest.get(key, float("-inf")):
            latest[key] = task.last_state_change
            entry["state"] = name
    completed = workflow.completed
    waiting = list(workflow.event_manager.tasks.values())
    return Snapshot(
        completed=completed,
        outcome=max(ends, key=lambda t: t.last_state_change).task_spec.bpmn_id
        if completed and ends
        else None,
        data=_case_data(workflow),
        user_tasks=user_tasks,
        timers=timers_of(waiting),
        message_waits=message_waits(workflow),
        element_states=states,
        error_task_ids=error_task_ids,
        # a start or catch event with several definitions forgets which one happened once it ran
        fired_timer_task_ids=frozenset(fired_ids | {timer.task_id for timer in fired_timers}),
        fired_timers=fired_timers,
        calls=calls,
        completed_calls=frozenset(completed_calls),
        caught_messages=frozenset(caught),
    )


def caught_messages(task: Task) -> list[str]:
    """The names of the messages a task that no longer waits caught (none: it was withdrawn)."""
    definition = task.task_spec.event_definition
    if isinstance(definition, MessageEventDefinition):
        return [definition.name]
    if isinstance(definition, MultipleEventDefinition):
        return [d.name for d in seen_definitions(task, definition) if isinstance(d, MessageEventDefinition)]
    return []


def message_waits(workflow: BpmnWorkflow) -> list[MessageWaitView]:
    """The messages waited for now (by catch events, receive tasks, event-based gateways, start events)."""
    waits = []
    for task in workflow.event_manager.tasks.values():
        if task.state != TaskState.WAITING:
            continue
        for definition, element in awaited(task):
            if isinstance(definition, MessageEventDefinition):
                waits.append(
                    MessageWaitView(str(task.id), element.bpmn_id, task.workflow.spec.name, definition.name)
                )
    return waits


def timers_of(tasks: list[Task], state: TaskState = TaskState.WAITING) -> list[TimerView]:
    """The timers among ``tasks`` in ``state``, with their due times.

    WAITING: the timers waited for. READY (about to run): the timers that fired. A task with
    several event definitions keeps one due time for all its timers (SpiffWorkflow 3.2 stores
    one ``event_value`` per task, set by the first timer), so only that first timer is shown:
    it is the one whose branch the engine takes.
    """
    timers = []
    for task in tasks:
        if task.state != state:
            continue
        own = getattr(task.task_spec, "event_definition", None)
        if state == TaskState.READY and isinstance(own, MultipleEventDefinition):
            # parallelMultiple: a timer seen while the task still waited was reported then
            timer = None if own.parallel else fired_timer(task)
        else:
            timer = next(((d, e) for d, e in awaited(task) if isinstance(d, TimerEventDefinition)), None)
        if timer is None:
            continue
        definition, element = timer
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
                element_id=element.bpmn_id,
                process_key=task.workflow.spec.name,
                due_at=due_at,
                sla=spec_properties(element).get("sla"),
                attached_to=attached_to,
                breach=spec_properties(element).get("breach"),
            )
        )
    return timers


def plain(value: Any) -> Any:
    """JSON-ready copy of task data: callables dropped, Decimal/datetime as strings."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items() if not callable(v)}
    if isinstance(value, list | tuple | set):
        return [plain(v) for v in value]
    if isinstance(value, bool | int | float | str) or value is None:
        return value
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def _case_data(workflow: BpmnWorkflow) -> dict[str, Any]:
    """The data of the last completed step, or the workflow's data once completed."""
    if workflow.completed:
        data = dict(workflow.data)
    else:
        last = workflow.last_task
        data = dict(last.data) if last is not None else dict(workflow.task_tree.data)
    result: dict[str, Any] = plain(data)
    return result


def _due_at(task: Task, definition: TimerEventDefinition) -> datetime | None:
    value = task._get_internal_data("event_value")
    if value is None:
        return None
    if isinstance(definition, CycleTimerEventDefinition):
        if not isinstance(value, dict) or value.get("cycles") == 0:
            return None
        value = value["next"]
    if isinstance(definition, TimeDateEventDefinition):
        due: datetime = TimerEventDefinition.parse_time_or_duration(value)
        return due
    return TimerEventDefinition.get_datetime(value)  # type: ignore[no-any-return]
