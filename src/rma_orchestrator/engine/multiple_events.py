"""Events with several definitions (a start or catch event with a message and a timer, say).

SpiffWorkflow parses them as one ``MultipleEventDefinition`` on one waiting task. It records
the events that happened, but never lets their own definitions catch them (its ``catch``
only notes the event and its ``update_task_data`` is the base class's no-op), so a message
that starts or continues the process would arrive without its ``messageVariable``. An event-based gateway
uses the same definition class but moves the payload itself, so it is left as it is.

Also here: which definitions such a task waits for, and which element each belongs to.
"""

from __future__ import annotations

from typing import Any

from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec
from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import EventBasedGateway
from SpiffWorkflow.task import Task


class MultipleEvents(MultipleEventDefinition):  # type: ignore[misc]  # SpiffWorkflow is untyped
    """A multiple event definition that passes on what its caught events carry."""

    def update_task(self, my_task: Task) -> None:
        for definition in self.event_definitions:
            if not isinstance(definition, TimerEventDefinition):
                definition.update_task(my_task)  # e.g. a message's process correlations

    def update_task_data(self, my_task: Task) -> None:
        # What an event-based gateway does when it runs: catch each seen event on its own definition.
        for event in my_task.internal_data.get("seen_events", []):
            definition = next((d for d in self.event_definitions if d == event.event_definition), None)
            if definition is not None:
                definition.catch(my_task, event)
                definition.update_task_data(my_task)


def harden_multiple_events(*specs: BpmnProcessSpec) -> None:
    """Make every catching event with several definitions (not a gateway's) pass on message payloads."""
    for spec in specs:
        for task_spec in spec.task_specs.values():
            definition = getattr(task_spec, "event_definition", None)
            if (
                isinstance(task_spec, CatchingEvent)
                and not isinstance(task_spec, EventBasedGateway)
                and type(definition) is MultipleEventDefinition
            ):
                definition.__class__ = MultipleEvents


def seen_definitions(task: Task, multiple: MultipleEventDefinition) -> list[Any]:
    """The definitions of ``multiple`` that already happened on ``task``, in the diagram's order."""
    seen = [event.event_definition for event in task.internal_data.get("seen_events", [])]
    return [definition for definition in multiple.event_definitions if definition in seen]


def awaited(task: Task) -> list[tuple[Any, Any]]:
    """(event definition, element spec) for each event ``task`` waits for, in the diagram's order.

    A plain catching event waits for its one definition. An event with several waits for those
    not yet seen (all of them unless it is ``parallelMultiple``). An event-based gateway holds
    the definitions of the events after it, in the order of its outgoing flows; the element of
    each is that catch event, not the gateway.
    """
    spec = task.task_spec
    definition = getattr(spec, "event_definition", None)
    if not isinstance(definition, MultipleEventDefinition):
        return [(definition, spec)] if definition is not None else []
    seen = seen_definitions(task, definition)
    gateway = isinstance(spec, EventBasedGateway)
    return [
        (item, spec.outputs[index] if gateway else spec)
        for index, item in enumerate(definition.event_definitions)
        if item not in seen
    ]


def fired_timer(task: Task) -> tuple[TimerEventDefinition, Any] | None:
    """The timer definition (and its element) that made a multiple event ``task`` happen, if one did."""
    definition = getattr(task.task_spec, "event_definition", None)
    if not isinstance(definition, MultipleEventDefinition):
        return None
    for item in seen_definitions(task, definition):
        if isinstance(item, TimerEventDefinition):
            index = definition.event_definitions.index(item)
            gateway = isinstance(task.task_spec, EventBasedGateway)
            return item, task.task_spec.outputs[index] if gateway else task.task_spec
    return None
