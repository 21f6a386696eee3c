"""A user task's spiffworkflow:variableName puts the submitted form data under that name."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState

from rma_orchestrator.engine import runtime, serializer
from rma_orchestrator.engine.bundle import ProcessDefinition, load_bundle
from rma_orchestrator.engine.sandbox import make_script_engine
from rma_orchestrator.engine.user_task_data import form_result

DIAGRAM = Path(__file__).parent / "data" / "variable_name.bpmn"


def definition() -> ProcessDefinition:
    return load_bundle({DIAGRAM.name: DIAGRAM.read_bytes()}).processes["variable_name"]


def complete(workflow: BpmnWorkflow, element: str, data: dict[str, Any]) -> None:
    """Complete the ready user task ``element`` as a command does."""
    (task,) = [t for t in workflow.get_tasks(state=TaskState.READY) if t.task_spec.bpmn_id == element]
    assert runtime.complete_user_task(workflow, str(task.id), data) is None


def test_form_result_nests_the_data_only_for_tasks_with_a_variable_name() -> None:
    specs = definition().spec.task_specs
    data = {"condition": "scratched", "photos": ["a.jpg"]}
    assert form_result(specs["inspect"], data) == {"inspection": data}
    assert form_result(specs["confirm"], data) is data


def test_form_data_lands_under_the_variable_name_and_survives_restore() -> None:
    parsed = definition()
    engine = make_script_engine()
    workflow = runtime.new_workflow(parsed, {"inspection": {"photos": ["old.jpg"]}}, engine)
    assert runtime.run(workflow) is None
    complete(workflow, "inspect", {"condition": "scratched", "photos": ["new.jpg"]})
    workflow = serializer.loads(serializer.dumps(workflow), parsed.spec, parsed.subprocess_specs, engine)
    complete(workflow, "confirm", {"confirmed_by": "wh1"})
    assert workflow.is_completed()
    assert workflow.data["inspection"] == {"condition": "scratched", "photos": ["new.jpg"]}  # replaced
    assert "condition" not in workflow.data
    assert workflow.data["confirmed_by"] == "wh1"
    assert workflow.data["summary"] == "scratched / wh1"
