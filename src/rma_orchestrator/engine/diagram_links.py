"""Where each process of a deployed version is drawn, and how its diagrams link to one another.

A version's closure holds its own process and every process it calls (each in its own file, or
sharing one). An embedded subprocess is drawn inside its parent's diagram, but the engine keys its
element states under the subprocess's id, so a diagram shows the states of those keys too.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec
from SpiffWorkflow.bpmn.specs.control import BoundaryEventSplit
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import CallActivity, SubWorkflowTask

from .bundle import ProcessDefinition


@dataclass(frozen=True)
class DiagramLinks:
    """One process's diagram: its file, the embedded subprocesses drawn in it, what its calls call."""

    process_key: str
    file: str
    embedded: frozenset[str]
    calls: dict[str, str]  # call activity element id -> called process key
    names: dict[str, str] = field(default_factory=dict)  # element id -> its name (or id) on the diagram
    attached: dict[str, str] = field(default_factory=dict)  # boundary event id -> its activity's id


def diagram_links(definition: ProcessDefinition, process_key: str) -> DiagramLinks | None:
    """The diagram of ``process_key`` within ``definition``'s closure; None when it is not part of it."""
    specs = {definition.key: definition.spec, **definition.subprocess_specs}
    spec = specs.get(process_key)
    if spec is None or _is_embedded(specs, process_key):
        return None
    embedded: set[str] = set()
    calls: dict[str, str] = {}
    names: dict[str, str] = {}
    attached: dict[str, str] = {}
    pending = [spec]
    while pending:
        for task_spec in pending.pop().task_specs.values():
            if task_spec.bpmn_id is not None:
                names.setdefault(task_spec.bpmn_id, task_spec.bpmn_name or task_spec.bpmn_id)
            if isinstance(task_spec, BoundaryEventSplit):
                activity = [o.bpmn_id for o in task_spec.outputs if not hasattr(o, "cancel_activity")]
                for event in task_spec.outputs:
                    if hasattr(event, "cancel_activity") and activity:
                        attached[event.bpmn_id] = activity[0]
            elif isinstance(task_spec, CallActivity):
                calls[task_spec.bpmn_id] = task_spec.spec
            elif isinstance(task_spec, SubWorkflowTask) and task_spec.spec not in embedded:
                embedded.add(task_spec.spec)
                if task_spec.spec in specs:
                    pending.append(specs[task_spec.spec])
    file = definition.file if process_key == definition.key else spec.file
    return DiagramLinks(process_key, str(file), frozenset(embedded), calls, names, attached)


def _is_embedded(specs: dict[str, BpmnProcessSpec], process_key: str) -> bool:
    """Whether some spec of the closure runs ``process_key`` as an embedded subprocess."""
    return any(
        isinstance(task_spec, SubWorkflowTask)
        and not isinstance(task_spec, CallActivity)
        and task_spec.spec == process_key
        for spec in specs.values()
        for task_spec in spec.task_specs.values()
    )
