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
from SpiffWorkflow.util.task import TaskState

from .multiple_events import awaited


def accepting_event(workflow: BpmnWorkflow, name: str, payload: Any) -> BpmnEvent | None:
    """The event to deliver ``name`` with, if a catch waiting now accepts it; None if none does."""
    for task in list(workflow.event_manager.tasks.values()):
        if task.state != TaskState.WAITING:
            continue
        for definition, _ in awaited(task):
            if not isinstance(definition, MessageEventDefinition) or definition.name != name:
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
