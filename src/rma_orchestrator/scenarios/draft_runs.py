"""The scenarios of a draft's process, run against the draft before it is deployed (the modeler's).

A run deploys, into a throwaway SQLite database with a controlled clock, the latest deployed files
of every process with the draft's files laid over them (as a deploy of the draft would resolve its
DMN, forms and called processes), then drives each scenario of one file on a fresh copy of it, as
``rma test-processes`` does. The server's own database is only read. One file per request: a page
shows progress scenario file by scenario file, and no request runs long.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ..errors import NotFound
from ..service import permissions
from ..service.context import Actor, Services
from ..service.definitions import deploy
from ..service.diagram_drafts import draft_files, get_draft
from ..service.pull import deployed_files
from .driver import USER
from .files import Scenario, load_scenario_file
from .folder import existing_file, folder_files, scenario_folder
from .runner import run_scenario, throwaway_services

THROWAWAY_DEPLOYER = Actor(USER, "analyst")


@dataclass(frozen=True)
class ScenarioEntry:
    name: str
    process: str
    steps: int  # the top-level start counts as one


@dataclass(frozen=True)
class ScenarioFileEntry:
    """A scenario file that concerns the process; ``problem`` when it cannot be read (nothing runs)."""

    file: str
    scenarios: list[ScenarioEntry]
    problem: str | None


@dataclass(frozen=True)
class DraftScenarioList:
    draft_id: int
    process_key: str
    items: list[ScenarioFileEntry]
    total: int  # files


@dataclass(frozen=True)
class ScenarioOutcome:
    """One scenario's result: on failure ``message`` is the first difference, ``step`` the step it was at."""

    name: str
    passed: bool
    message: str | None
    step: str | None
    steps_run: int


@dataclass(frozen=True)
class ScenarioFileRun:
    draft_id: int
    revision: int  # the draft's revision that ran
    file: str
    results: list[ScenarioOutcome]
    passed: int
    failed: int


def list_draft_scenarios(services: Services, draft_id: int, actor: Actor) -> DraftScenarioList:
    """The scenario files with a scenario of the draft's process (and unreadable ones that name it)."""
    draft = get_draft(services, draft_id, actor)
    folder = scenario_folder(services.settings)
    items = []
    for found in folder_files(folder):
        mine = [s for s in found.scenarios if s.process == draft.process_key]
        if mine or (found.problem is not None and _names_process(folder / found.file, draft.process_key)):
            entries = [ScenarioEntry(s.name, s.process, len(s.steps)) for s in mine]
            items.append(ScenarioFileEntry(found.file, entries, found.problem))
    return DraftScenarioList(draft.id, draft.process_key, items, len(items))


def run_draft_scenario_file(services: Services, draft_id: int, file: str, actor: Actor) -> ScenarioFileRun:
    """Run the scenarios of the draft's process in ``file`` against the draft, each on a fresh database.

    An unreadable file is InvalidScenario (422, naming its line); a draft that does not deploy is
    InvalidDefinition (422, its findings); a file without a scenario of the process is not found.
    """
    draft = get_draft(services, draft_id, actor)
    path = existing_file(scenario_folder(services.settings), file)
    scenarios = [s for s in load_scenario_file(path) if s.process == draft.process_key]
    if not scenarios:
        raise NotFound(f"{file} has no scenario of process {draft.process_key!r}")
    files, revision = draft_workspace(services, draft_id, actor)
    outcomes = []
    with throwaway_deployed(services, files) as build:
        for scenario in scenarios:
            outcomes.append(run_one(build, scenario))
    passed = sum(o.passed for o in outcomes)
    return ScenarioFileRun(draft.id, revision, file, outcomes, passed, len(outcomes) - passed)


def draft_workspace(services: Services, draft_id: int, actor: Actor) -> tuple[dict[str, bytes], int]:
    """The deployed latest files with the draft's laid over them, and the draft's revision read."""
    permissions.require_may_deploy(actor)
    revision = get_draft(services, draft_id, actor).revision
    return {**deployed_files(services, actor), **draft_files(services, draft_id, actor)}, revision


@contextmanager
def throwaway_deployed(services: Services, files: dict[str, bytes]) -> Iterator[Callable[[], Services]]:
    """A factory of throwaway services with ``files`` deployed, under a folder removed afterwards.

    The draft is deployed once, into the template every scenario's database is copied from; a
    draft that does not deploy raises InvalidDefinition before any scenario runs.
    """
    with tempfile.TemporaryDirectory(prefix="rma-draft-scenarios-") as workdir:
        yield throwaway_services(
            Path(workdir),
            base=services.settings,
            prepare=lambda prepared: _deploy(prepared, files),
        )


def run_one(build: Callable[[], Services], scenario: Scenario) -> ScenarioOutcome:
    services = build()
    try:
        result = run_scenario(services, scenario)
    finally:
        services.database.dispose()
    return ScenarioOutcome(result.name, result.passed, result.message, result.step, result.steps_run)


def _deploy(services: Services, files: dict[str, bytes]) -> None:
    deploy(services, files, THROWAWAY_DEPLOYER)


def _names_process(path: Path, process_key: str) -> bool:
    """Whether an unreadable file's text says ``process: <key>`` (so its problem is shown with the draft)."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    return (
        re.search(rf"^\s*process:\s*['\"]?{re.escape(process_key)}['\"]?\s*(#.*)?$", text, re.M) is not None
    )
