"""Process ids are scoped to their deployment: an embedded subprocess may reuse a deployed process id."""

from __future__ import annotations

from pathlib import Path

from rma_orchestrator.engine import runtime, serializer
from rma_orchestrator.engine.bundle import ProcessDefinition, load_bundle
from rma_orchestrator.engine.sandbox import make_script_engine

DATA = Path(__file__).parent / "data"


def _file(name: str) -> dict[str, bytes]:
    return {name: (DATA / name).read_bytes()}


def _run_to_end(definition: ProcessDefinition) -> dict[str, object]:
    engine = make_script_engine()
    workflow = runtime.new_workflow(definition, {}, engine)
    assert runtime.run(workflow) is None
    restored = serializer.loads(
        serializer.dumps(workflow), definition.spec, definition.subprocess_specs, engine
    )
    assert restored.is_completed()
    return dict(restored.data)


def test_embedded_subprocess_may_share_its_id_with_a_deployed_process() -> None:
    bundle = load_bundle(_file("embedded_review.bpmn"), known=_file("review_process.bpmn"))
    intake = bundle.processes["intake"]
    assert set(bundle.processes) == {"intake"}
    assert intake.files == frozenset({"embedded_review.bpmn"})
    assert _run_to_end(intake)["reviewed_by"] == "embedded subprocess"


def test_the_deployed_process_keeps_its_own_meaning() -> None:
    files = _file("embedded_review.bpmn") | _file("review_process.bpmn")
    bundle = load_bundle(files)
    assert set(bundle.processes) == {"intake", "review"}
    assert _run_to_end(bundle.processes["review"])["reviewed_by"] == "top-level review process"
    assert _run_to_end(bundle.processes["intake"])["reviewed_by"] == "embedded subprocess"
