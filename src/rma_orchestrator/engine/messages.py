"""Which waiting catch event accepts a message: its name, and its correlation keys where it has them.

SpiffWorkflow matches a message on the catch's correlation properties only when the message
event carries correlation values; a bare event is refused by every correlated catch once
the workflow holds correlation values, so a message would be acknowledged and lost. The
values are computed here from the payload with each waiting catch's own retrieval expressions.
"""

from __future__ import annotations

import copy
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.util import BpmnEvent
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState


def accepting_event(workflow: BpmnWorkflow, name: str, payload: Any) -> BpmnEvent | None:
    """The event to deliver ``name`` with, if a catch waiting now accepts it; None if none does."""
    for task in list(workflow.event_manager.tasks.values()):
        if task.state != TaskState.WAITING:
            continue
        for definition in _message_definitions(task):
            if definition.name != name:
                continue
            try:
                correlations = (
                    definition.get_correlations(task, payload) if definition.correlation_properties else {}
                )
            except Exception:  # noqa: BLE001 - the payload lacks what the correlation reads: not this message
                continue
            event = BpmnEvent(definition, copy.deepcopy(payload), correlations)
            if task.task_spec.catches(task, event):
                return event
    return None


def _message_definitions(task: Task) -> list[MessageEventDefinition]:
    """The message definitions a waiting task catches (several for a multiple event)."""
    definition = getattr(task.task_spec, "event_definition", None)
    if isinstance(definition, MessageEventDefinition):
        return [definition]
    nested = getattr(definition, "event_definitions", None) or []
    return [d for d in nested if isinstance(d, MessageEventDefinition)]
