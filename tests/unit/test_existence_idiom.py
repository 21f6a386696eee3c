"""`'x' in vars()` (or globals(), locals()) tests the task data, via a copy, in scripts and conditions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from rma_orchestrator.engine import runtime, serializer
from rma_orchestrator.engine.bundle import load_bundle
from rma_orchestrator.engine.sandbox import SandboxEnvironment, make_script_engine
from rma_orchestrator.engine.sandbox_guards import SandboxError

DIAGRAM = Path(__file__).parent / "data" / "exists_idiom.bpmn"


def run_diagram(data: dict[str, Any]) -> dict[str, Any]:
    definition = load_bundle({DIAGRAM.name: DIAGRAM.read_bytes()}).processes["exists_idiom"]
    engine = make_script_engine(functions={"helper": len})
    workflow = runtime.new_workflow(definition, data, engine)
    assert runtime.run(workflow) is None
    restored = serializer.loads(
        serializer.dumps(workflow), definition.spec, definition.subprocess_specs, engine
    )
    assert restored.is_completed()
    return dict(restored.data)


def test_present_variables_are_seen_by_scripts_and_conditions() -> None:
    data = run_diagram({"note": "fragile", "coupon": "SPRING"})
    assert data["has_note"] is True and data["has_coupon"] is True
    assert data["present"] == ["coupon", "note"]
    assert data["path"] == "coupon"


def test_absent_variables_are_not_seen() -> None:
    data = run_diagram({"note": "fragile"})
    assert data["has_note"] is True and data["has_coupon"] is False
    assert data["present"] == ["note"]
    assert data["path"] == "full price"


def test_the_answer_is_a_copy_of_the_task_data() -> None:
    data = run_diagram({"note": "fragile"})
    assert data["note"] == "fragile"  # writing into the copy changed nothing
    assert data["copy"] == {
        "note": "overwritten through the copy",
        "has_note": True,
        "has_coupon": False,
        "present": ["note"],
    }


@pytest.mark.parametrize("view", ["vars", "globals", "locals"])
def test_only_task_data_names_are_listed(view: str) -> None:
    env = SandboxEnvironment(functions={"helper": len})
    names = env.evaluate(f"sorted({view}())", {"a": 1, "b": [2]}, {"outside": 3})
    assert names == ["a", "b", "outside"]  # no builtins, library, functions or sandbox guards
    context: dict[str, Any] = {"a": 1}
    env.execute(f"seen = sorted({view}())\nhas_len = 'len' in {view}()", context)
    assert context == {"a": 1, "seen": ["a"], "has_len": False}


@pytest.mark.parametrize("source", ["vars(a)", "globals(a)", "locals(a)"])
def test_arguments_are_refused(source: str) -> None:
    with pytest.raises(SandboxError, match="takes no arguments"):
        SandboxEnvironment().evaluate(source, {"a": 1})
