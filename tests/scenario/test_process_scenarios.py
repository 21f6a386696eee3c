"""The analysts' scenarios in processes/tests/ run in `make test`, each on a throwaway database."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from rma_orchestrator.scenarios.runner import run_directory, throwaway_services

ROOT = Path(__file__).parents[2]
SCENARIO_FILES = sorted((ROOT / "processes" / "tests").glob("*.y*ml"))


@pytest.mark.parametrize("scenario_file", SCENARIO_FILES, ids=[p.stem for p in SCENARIO_FILES])
def test_process_scenario(scenario_file: Path, tmp_path: Path, workflow_cache: int) -> None:
    single = tmp_path / "scenario"
    single.mkdir()
    shutil.copy(scenario_file, single / scenario_file.name)
    factory = throwaway_services(tmp_path, environ={"RMA_WORKFLOW_CACHE": str(workflow_cache)})
    results = run_directory(factory, single, [ROOT / "processes", ROOT / "forms"])
    assert results, f"{scenario_file.name} holds no scenario"
    failures = [f"{r.name}: {r.message}" for r in results if not r.passed]
    assert not failures, "\n".join(failures)
