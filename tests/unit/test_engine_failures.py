"""Whatever the engine raises while it runs a step becomes a process error (an incident), never a crash."""

from __future__ import annotations

import pytest
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from support import lifecycle_files

from rma_orchestrator.engine import runtime
from rma_orchestrator.engine.bundle import load_bundle
from rma_orchestrator.engine.sandbox import make_script_engine


def test_an_unexpected_engine_exception_is_a_process_error(monkeypatch: pytest.MonkeyPatch) -> None:
    definition = load_bundle(lifecycle_files()).processes["order_review"]
    start = {"order_no": "SO-1", "amount": 50, "category": "other"}
    workflow = runtime.new_workflow(definition, start, make_script_engine())

    def broken(self: BpmnWorkflow, *args: object, **kwargs: object) -> None:
        raise AttributeError("'NoneType' object has no attribute 'spec'")

    monkeypatch.setattr(BpmnWorkflow, "do_engine_steps", broken)
    error = runtime.run(workflow)
    assert error is not None
    assert "AttributeError" in error.details and "has no attribute 'spec'" in error.message
