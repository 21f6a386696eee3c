"""Helpers of the draft scenario tests: the procedures deployed, and a scenario folder of a few files."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

from support import ANALYST

from rma_orchestrator.scenarios.yaml_lines import LineLoader
from rma_orchestrator.service.context import Services
from rma_orchestrator.service.definitions import deploy

ROOT = Path(__file__).parents[2]
TESTS = ROOT / "processes" / "tests"
# The reminder of the goods wait in processes/return.bpmn, as deployed.
REMINDER = b'<bpmn:timeDuration xsi:type="bpmn:tFormalExpression">"P7D"</bpmn:timeDuration>'


def procedures() -> dict[str, bytes]:
    return {
        p.name: p.read_bytes()
        for folder in ("processes", "forms")
        for p in sorted((ROOT / folder).iterdir())
        if p.suffix in (".bpmn", ".dmn", ".json")
    }


def with_folder(services: Services, tmp_path: Path, *files: str) -> Services:
    """``services`` with the procedures deployed and a scenario folder holding copies of ``files``."""
    deploy(services, procedures(), ANALYST)
    folder = tmp_path / "procedures"
    (folder / "tests").mkdir(parents=True)
    for name in files:
        shutil.copy(TESTS / name, folder / "tests" / name)
    return replace(services, settings=replace(services.settings, processes_dir=folder))


def scenario_document(name: str) -> dict[str, Any]:
    """A scenario file of processes/tests as plain data (its start data, its clock)."""
    import yaml

    loaded: dict[str, Any] = yaml.load((TESTS / name).read_text(encoding="utf-8"), Loader=LineLoader)
    return loaded


def received_and_inspected() -> list[dict[str, Any]]:
    """Steps of a return: started, goods received, inspected (from processes/tests/return_rejected.yaml)."""
    document = json.loads(json.dumps(scenario_document("return_rejected.yaml")))
    steps = document["steps"]
    return [{"start": document["start"]}, steps[0], steps[1], steps[2]]
