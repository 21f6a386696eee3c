"""Workflow state survives dump and load without its spec, with non-JSON values in task data."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from support import DIVIDE_FILE

from rma_orchestrator.engine import runtime, serializer
from rma_orchestrator.engine.bundle import ProcessDefinition, load_bundle
from rma_orchestrator.engine.sandbox import make_script_engine


def _divide(script: str) -> ProcessDefinition:
    source = DIVIDE_FILE.read_bytes().replace(b"share = total / parts", script.encode())
    return load_bundle({"divide.bpmn": source}).processes["divide"]


def test_decimal_date_and_datetime_in_task_data_round_trip() -> None:
    definition = _divide(
        "price = Decimal(total) / 4\nday = date(2026, 1, 2)\nat = datetime(2026, 1, 2, tzinfo=timezone.utc)"
    )
    engine = make_script_engine()
    workflow = runtime.new_workflow(definition, {"total": "10"}, engine)
    assert runtime.run(workflow) is None
    state = serializer.dumps(workflow)
    assert "spec" not in state[:200]
    restored = serializer.loads(state, definition.spec, definition.subprocess_specs, engine)
    assert restored.data["price"] == Decimal("2.5")
    assert restored.data["day"] == date(2026, 1, 2)
    assert restored.data["at"] == datetime(2026, 1, 2, tzinfo=UTC)


def test_a_script_failing_after_storing_a_decimal_is_still_a_process_error() -> None:
    definition = _divide("price = Decimal('1.50')\nshare = total / parts")
    engine = make_script_engine()
    workflow = runtime.new_workflow(definition, {"total": 1, "parts": 0}, engine)
    error = runtime.run(workflow)
    assert error is not None and error.element_id == "compute"
    restored = serializer.loads(
        serializer.dumps(workflow), definition.spec, definition.subprocess_specs, engine
    )
    (failed,) = [t for t in restored.get_tasks() if t.task_spec.bpmn_id == "compute"]
    assert failed.data["price"] == Decimal("1.50")
