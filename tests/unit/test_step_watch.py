"""The step watch, on the engine alone: what counts as a loop turn, what data is too big to keep."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from rma_orchestrator.engine.bundle import load_bundle
from rma_orchestrator.engine.limits import StepLimits, data_problem
from rma_orchestrator.engine.sandbox import make_script_engine
from rma_orchestrator.engine.step import Start, StepResult, step
from rma_orchestrator.engine.step_watch import StepWatch, limit_multi_instances

sys.path.insert(0, str(Path(__file__).parents[1] / "hostile"))
import hostile_processes as hp  # noqa: E402


def _run(files: dict[str, bytes], key: str, data: dict[str, object], limits: StepLimits) -> StepResult:
    limit_multi_instances()
    engine = make_script_engine()
    engine.watch = StepWatch(limits, datetime.now(UTC))
    return step(load_bundle(files).processes[key], engine, Start(data))


def test_instances_of_one_multi_instance_are_siblings_not_loop_turns() -> None:
    result = _run(
        hp.multi_instance("many", "items"), "many", {"items": list(range(50))}, StepLimits(loop_turns=10)
    )
    assert result.error is None and result.snapshot.completed


def test_a_loop_past_its_turns_fails_where_it_turned_once_too_often() -> None:
    result = _run(hp.endless_loop("spin"), "spin", {"i": 0, "n": 20}, StepLimits(loop_turns=10))
    assert result.error is not None and "limit of 10 loop turns" in result.error.message
    assert result.error.element_id in {"join", "count", "again"}
    within = _run(hp.endless_loop("spin"), "spin", {"i": 0, "n": 9}, StepLimits(loop_turns=10))
    assert within.error is None and within.snapshot.completed


def test_without_a_watch_the_engine_runs_unlimited() -> None:
    engine = make_script_engine()
    definition = load_bundle(hp.endless_loop("spin")).processes["spin"]
    assert step(definition, engine, Start({"i": 0, "n": 150})).snapshot.completed


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ({"order": "SO-1", "lines": [{"sku": "A", "qty": 2}] * 100}, None),
        ("x" * 999_990, None),
        ("x" * 1_000_001, "larger than the limit of 1 MB"),
        ([[1] * 100] * 100, None),  # 10,000 items, about 30 KB once stored
        ([[[[1] * 100] * 100] * 100] * 10, "larger than the limit of 1 MB"),  # shared, yet stored 10x
        ({"total": float("nan")}, "JSON cannot store"),
        ([1.0, float("-inf")], "JSON cannot store"),
    ],
)
def test_data_size_counts_every_reference_as_stored(value: object, problem: str | None) -> None:
    found = data_problem(value, 1_000_000)
    assert (found is None) if problem is None else (found is not None and problem in found)
