"""Workflow state as JSON without the spec: the spec is cached per definition version.

The stock serializer writes the whole parsed spec into every state and parses it back on
every restore; leaving it out halves the state and saves most of the restore time.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter
from SpiffWorkflow.bpmn.serializer.helpers.encoder import create_encoder
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG

STATE_FORMAT = "rma-1"


class _SpecFreeWorkflowConverter(BpmnWorkflowConverter):  # type: ignore[misc]  # untyped base
    """Writes a workflow without its specs; reads one back given the spec objects."""

    def to_dict(self, workflow: BpmnWorkflow) -> dict[str, Any]:
        dct: dict[str, Any] = super(BpmnWorkflowConverter, self).to_dict(workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct: dict[str, Any]) -> BpmnWorkflow:
        workflow = self.target_class(dct.pop("spec"), dct.pop("subprocess_specs"), deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


def _registry() -> Any:
    config = dict(SPIFF_CONFIG)
    config[BpmnWorkflow] = _SpecFreeWorkflowConverter
    registry = BpmnWorkflowSerializer.configure(config)
    # Scripts may leave these in task data; keep them exact rather than failing at json.dumps.
    registry.register(Decimal, lambda v: {"value": str(v)}, lambda v: Decimal(v["value"]))
    registry.register(date, lambda v: {"value": v.isoformat()}, lambda v: date.fromisoformat(v["value"]))
    return registry


_REGISTRY = _registry()
# SpiffWorkflow 3.2 converts internal data through the registry but leaves task data as it is,
# so a Decimal or datetime a script left in task data reaches json.dumps: the encoder converts it.
_ENCODER = create_encoder(_REGISTRY)


def dumps(workflow: BpmnWorkflow) -> str:
    """The workflow's state (tasks, data, subprocesses, events) as compact JSON."""
    dct = _REGISTRY.convert(workflow)
    dct["format"] = STATE_FORMAT
    return json.dumps(dct, separators=(",", ":"), cls=_ENCODER)


def loads(
    state: str, spec: BpmnProcessSpec, subprocess_specs: dict[str, BpmnProcessSpec], script_engine: Any
) -> BpmnWorkflow:
    """Rebuild a workflow from ``dumps`` output and the definition's parsed specs."""
    dct = json.loads(state)
    if dct.pop("format", None) != STATE_FORMAT:
        raise ValueError("unknown workflow state format")
    dct["spec"] = spec
    dct["subprocess_specs"] = subprocess_specs
    workflow = _REGISTRY.restore(dct)
    workflow.script_engine = script_engine
    return workflow
