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

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimeDateEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.exceptions import WorkflowException
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

from .bundle import ProcessDefinition
from .messages import accepting_event
from .multiple_events import awaited
from .snapshot import TimerView, timers_of
from .user_task_data import form_result

MAX_MESSAGE = 2_000  # characters of an incident's message kept (a script may raise any text)
MAX_DETAILS = 50_000  # characters of its traceback kept


@dataclass(frozen=True)
class ProcessError:
    """A failure raised by the process itself, at ``element_id`` (task ``task_id``)."""

    message: str
    element_id: str | None
    task_id: str | None
    details: str


def new_workflow(definition: ProcessDefinition, data: dict[str, Any], script_engine: Any) -> BpmnWorkflow:
    """A fresh workflow for ``definition`` whose start data is ``data`` (not yet run)."""
    workflow = BpmnWorkflow(definition.spec, definition.subprocess_specs, script_engine=script_engine)
    start = workflow.task_tree
    start.data.update(copy.deepcopy(data))
    for task in workflow.get_tasks(state=TaskState.READY):
        task.data.update(copy.deepcopy(data))
    return workflow


def run(
    workflow: BpmnWorkflow, action: Callable[[], None] | None = None, fired: list[TimerView] | None = None
) -> ProcessError | None:
    """Apply ``action`` (if any) and run the engine until it waits; a process failure is returned.

    Timers the engine fires are appended to ``fired`` with their due times, noted before
    SpiffWorkflow clears them (a timer overdue when created fires within the same run).
    """

    watch = getattr(workflow.script_engine, "watch", None)

    def before_running(task: Task) -> None:
        if watch is not None:
            watch.running(task)
        if fired is not None and task.state == TaskState.READY:
            fired.extend(timers_of([task], TaskState.READY))

    try:
        workflow.refresh_timers()
        if action is not None:
            action()
        workflow.do_engine_steps(will_complete_task=before_running)
    except Exception as error:  # noqa: BLE001 - whatever the process or the engine raised is an incident
        return _process_error(workflow, error)
    return _naive_time_date(workflow)


def _naive_time_date(workflow: BpmnWorkflow) -> ProcessError | None:
    """A timeDate that evaluated to a time without a UTC offset is an error, not a guess.

    SpiffWorkflow would read it with the server's fixed local offset and get daylight saving
    (and any other zone than the server's) wrong.
    """
    for task in workflow.event_manager.tasks.values():
        definition = next((d for d, _ in awaited(task) if isinstance(d, TimeDateEventDefinition)), None)
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
    return ProcessError(
        _storable(message, MAX_MESSAGE),
        element_id,
        str(task.id) if task is not None else None,
        _storable(details, MAX_DETAILS),
    )


def _storable(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, NUL and lone surrogates escaped: analyst code chose it,
    and the incident table (a text column; PostgreSQL refuses NUL, UTF-8 has no surrogates) must take it."""
    if len(text) > limit:
        text = f"{text[:limit]}... ({len(text) - limit:,} more characters)"
    return text.replace("\x00", "\\x00").encode("utf-8", "backslashreplace").decode("utf-8")


def open_user_task(workflow: BpmnWorkflow, task_id: str) -> Task:
    """The READY user task ``task_id``; KeyError if there is none."""
    task = _find_task(workflow, task_id)
    if task is None or task.state != TaskState.READY or not task.task_spec.manual:
        raise KeyError(task_id)
    return task


def complete_user_task(
    workflow: BpmnWorkflow, task_id: str, data: dict[str, Any], fired: list[TimerView] | None = None
) -> ProcessError | None:
    """Merge ``data`` (under the task's ``variableName``, if it names one) into the task and complete it.

    Lists are replaced, never merged.
    """
    task = open_user_task(workflow, task_id)

    def action() -> None:
        task.data.update(copy.deepcopy(form_result(task.task_spec, data)))
        task.run()

    return run(workflow, action, fired)


def deliver_message(
    workflow: BpmnWorkflow, name: str, payload: Any, fired: list[TimerView] | None = None
) -> tuple[bool, ProcessError | None]:
    """Hand a message to the catch event that accepts it; (accepted, error). Nothing runs if none does."""
    event = accepting_event(workflow, name, payload)
    if event is None:
        return False, None
    return True, run(workflow, lambda: workflow.event_manager.catch(event, internal=False), fired)


def retry_task(
    workflow: BpmnWorkflow, task_id: str, data: dict[str, Any] | None, fired: list[TimerView] | None = None
) -> ProcessError | None:
    """Merge corrected ``data`` into a failed task and run it again; KeyError if it is not in error."""
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

    return run(workflow, action, fired)


def cancel(workflow: BpmnWorkflow) -> None:
    workflow.cancel()


def _find_task(workflow: BpmnWorkflow, task_id: str) -> Task | None:
    try:
        return workflow.get_task_from_id(UUID(task_id))
    except (ValueError, WorkflowException, KeyError):
        return None
