"""Watches one engine step: where it is, how deep its loops go, how big its data grows.

The script engine and the engine loop report each task to the watch before analyst code or the
task itself runs. The watch names the place a task holds in the step as ``(element, n)``: the
n-th task of that element the step met. A step that runs again from the same state meets the
same places in the same order, which is how a step that had to be stopped from outside (it ran
past its time, or its process died) is run once more and failed *at* that place: the parent
hands the places to fail as ``poison``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    TimeDateEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import MultiInstanceTask
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

from . import durations
from .limits import MAX_TREE_DEPTH, StepLimits, data_problem
from .multiple_events import awaited
from .snapshot import timers_of

Place = tuple[str, int]  # (element id, n-th task of that element met in the step)


class StepLimitError(WorkflowTaskException):  # type: ignore[misc]  # untyped base
    """A limit stopped the step at a task; the runtime turns it into an incident there."""


class StepWatch:
    def __init__(
        self,
        limits: StepLimits,
        now: datetime,
        poison: dict[Place, str] | None = None,
        on_place: Callable[[Place], None] | None = None,
    ) -> None:
        self.limits = limits
        self.now = now
        self.poison = poison or {}
        self.exceeded: tuple[Place, str] | None = None  # a limit found after analyst code changed data
        self._on_place = on_place
        self._places: dict[int, Place] = {}
        self._met: dict[str, int] = {}
        self._depths: dict[int, int] = {}
        self._turns: dict[str, set[int]] = {}
        self._current: Place | None = None

    # ---- reports from the engine -----------------------------------------------------------------

    def entering(self, task: Task) -> None:
        """Before analyst code runs for ``task``, or the engine runs it: note the place, check poison."""
        place = self.place_of(task)
        if place != self._current:
            self._current = place
            if self._on_place is not None:
                self._on_place(place)
        message = self.poison.get(place)
        if message is not None:
            raise StepLimitError(message, task=task)

    def running(self, task: Task) -> None:
        """The engine is about to run ``task``: refuse loops that would not end."""
        self.entering(task)
        depth = self._depth(task)
        element = task.task_spec.bpmn_id or task.task_spec.name
        if depth > MAX_TREE_DEPTH:
            raise StepLimitError(
                f"the case has run {depth} elements in a row at {element}; past {MAX_TREE_DEPTH} "
                "the engine loses track of its tasks, so a loop this long is stopped",
                task=task,
            )
        turns = self._turns.setdefault(element, set())
        turns.add(depth)  # tasks of one element at the same depth are siblings, not loop turns
        if len(turns) > self.limits.loop_turns:
            raise StepLimitError(
                f"{element} ran {len(turns)} times in one step, more than the limit of "
                f"{self.limits.loop_turns} loop turns; a loop that does not wait for anything?",
                task=task,
            )

    def after_code(self, task: Task) -> None:
        """Analyst code ran for ``task`` (and may have grown its data): check what it left."""
        problem = data_problem(task.data, self.limits.data_bytes)
        if problem is not None:
            place = self.place_of(task)
            message = f"{problem} after {place[0]}"
            self.exceeded = (place, message)
            raise StepLimitError(message, task=task)

    def out_of_memory(self, task: Task, error: WorkflowTaskException) -> StepLimitError | None:
        """The error to raise instead of ``error`` when analyst code ran out of memory, else None."""
        if getattr(error, "error_type", None) != "MemoryError":
            return None
        return StepLimitError(
            f"{task.task_spec.bpmn_id} ran out of memory (the limit is {self.limits.memory_mb} MB per step)",
            task=task,
        )

    def check_timer_value(self, task: Task, expression: str, value: Any) -> None:
        """Refuse a timer value before the engine reads it: it would fail there without naming the
        timer (not text, not ISO 8601), count for too long, or fire again and again at one instant."""
        definition = next(
            (
                found
                for found, _ in awaited(task)
                if isinstance(found, TimerEventDefinition) and found.expression == expression
            ),
            None,
        )
        if definition is None:
            return
        problem = timer_value_problem(definition, value, self.limits.timer_horizon)
        if problem is not None:
            raise StepLimitError(f"timer {task.task_spec.bpmn_id} {problem}", task=task)

    def check_instances(self, task: Task, count: int) -> None:
        """A multi-instance activity is about to create ``count`` instances."""
        if count > self.limits.multi_instance:
            raise StepLimitError(
                f"{task.task_spec.bpmn_id} would create {count} instances, more than the limit of "
                f"{self.limits.multi_instance}",
                task=task,
            )

    def timer_problem(self, workflow: BpmnWorkflow) -> tuple[Task, str] | None:
        """A waiting timer due further ahead than the limit allows, with why, or None."""
        horizon = self.now + self.limits.timer_horizon
        waiting = list(workflow.event_manager.tasks.values())
        for timer in timers_of(waiting):
            if timer.due_at > horizon:
                task = next(task for task in waiting if str(task.id) == timer.task_id)
                return task, (
                    f"timer {timer.element_id} would be due at {timer.due_at.isoformat()}, further "
                    f"ahead than the limit of {self.limits.timer_horizon.days} days"
                )
        return None

    # ---- places ----------------------------------------------------------------------------------

    def place_of(self, task: Task) -> Place:
        key = id(task)
        place = self._places.get(key)
        if place is None:
            element = task.task_spec.bpmn_id or task.task_spec.name
            count = self._met.get(element, 0) + 1
            self._met[element] = count
            place = (element, count)
            self._places[key] = place
        return place

    def _depth(self, task: Task) -> int:
        """Levels above ``task`` in the task tree, remembered so each step walks the tree once."""
        chain: list[Task] = []
        node: Task | None = task
        depth = 0
        while node is not None:
            known = self._depths.get(id(node))
            if known is not None:
                depth = known
                break
            chain.append(node)
            node = node.parent
        else:
            depth = -1
        for node in reversed(chain):
            depth += 1
            self._depths[id(node)] = depth
        return depth


def timer_value_problem(definition: TimerEventDefinition, value: Any, horizon: timedelta) -> str | None:
    """Why the value a timer expression gave cannot be used by ``definition``'s timer, or None."""
    if not isinstance(value, str):
        return f'got a {type(value).__name__} from its expression, not ISO 8601 text such as "PT24H"'
    shown = value if len(value) <= 60 else value[:57] + "..."
    kind = (
        "cycle"
        if isinstance(definition, CycleTimerEventDefinition)
        else "date"
        if isinstance(definition, TimeDateEventDefinition)
        else "duration"
    )
    try:
        if durations.longest_days(value) > horizon.days:
            return f"would wait {shown}, longer than the limit of {horizon.days} days"
        if kind == "cycle":
            cycles, _, every = TimerEventDefinition.parse_iso_recurring_interval(value)
            if cycles != 0 and every <= timedelta(0):
                return f"would repeat {shown} with no time between its cycles, firing without end"
        elif kind == "date":
            if not isinstance(TimerEventDefinition.parse_time_or_duration(value), datetime):
                raise ValueError(value)
        else:
            TimerEventDefinition.parse_iso_duration(value)
    except Exception:  # noqa: BLE001 - the engine's parsers raise bare Exception, ValueError, OverflowError
        return f"got {shown!r} from its expression, which is not an ISO 8601 {kind}"
    return None


def _cardinality(spec: Any, task: Task) -> int | None:
    """How many instances the multi-instance ``spec`` would create for ``task``, if it can tell."""
    data_input = getattr(spec, "data_input", None)
    if data_input is not None:
        if not data_input.exists(task):
            return None
        value = data_input.get(task)
        return len(value) if hasattr(value, "__len__") else None
    expression = getattr(spec, "cardinality", None)
    if expression is None:
        return None
    value = task.workflow.script_engine.evaluate(task, expression)
    return value if isinstance(value, int) else None


_original_update_hook = MultiInstanceTask._update_hook


def _update_hook_within_limit(self: Any, my_task: Task) -> Any:
    """Runs first in each multi-instance's own hook: its data is inherited, no instance is made yet."""
    outcome = _original_update_hook(self, my_task)
    watch = getattr(my_task.workflow.script_engine, "watch", None)
    if watch is not None and not my_task.has_state(TaskState.STARTED):
        count = _cardinality(self, my_task)
        if count is not None:
            watch.check_instances(my_task, count)
    return outcome


def limit_multi_instances() -> None:
    """Make multi-instance activities ask the step's watch before they create their instances.

    SpiffWorkflow creates every instance of a parallel multi-instance at once, in engine code
    no script limit sees; there is no hook for it, so the method is wrapped, once per process.
    """
    MultiInstanceTask._update_hook = _update_hook_within_limit
