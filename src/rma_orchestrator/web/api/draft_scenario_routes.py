"""The JSON API: the scenarios of a draft's process, run against the draft; recording new ones.

The scenario files are those of the server's scenario folder (``RMA_PROCESSES_DIR``/tests); each
run is one file on throwaway databases (``scenarios/draft_runs.py``), a recording is replayed from
its start on every request (``scenarios/recorder.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import StrictBool

from ...scenarios import draft_runs, recorder
from ...scenarios.draft_runs import DraftScenarioList, ScenarioFileRun
from ...scenarios.recorder import RecordingReplay, SavedScenario
from ..auth import current_actor, services
from . import bp
from .operations import operation, parse_body


@dataclass(frozen=True)
class ScenarioRunBody:
    """Run the scenarios of the draft's process in ``file`` (a file name of the scenario folder)."""

    file: str


@dataclass(frozen=True)
class RecordingBody:
    """A scenario in the making: the start ``clock`` (ISO 8601 with offset) and the steps so far,
    as a scenario file writes them (``{start: {...}}``, ``{complete: ELEMENT, data: {...}}``,
    ``{clock: PT25H}``, ``{expect: {...}}``)."""

    steps: list[dict[str, Any]]
    clock: str | None = None


@dataclass(frozen=True)
class SaveScenarioBody:
    """Save a recording as ``<file>.yaml`` (``file`` without the suffix) with the scenario ``name``."""

    file: str
    name: str
    steps: list[dict[str, Any]]
    clock: str | None = None
    overwrite: StrictBool = False


@operation(
    bp,
    "get",
    "/drafts/<int:draft_id>/scenarios",
    summary="The scenario files with scenarios of the draft's process (from the scenario folder)",
    returns=DraftScenarioList,
    errors=(403, 404),
)
def draft_list_scenarios(draft_id: int) -> DraftScenarioList:
    return draft_runs.list_draft_scenarios(services(), draft_id, current_actor())


@operation(
    bp,
    "post",
    "/drafts/<int:draft_id>/scenario-runs",
    summary="Run one scenario file's scenarios of the process against the draft: pass or fail each,"
    " with the first difference",
    returns=ScenarioFileRun,
    errors=(400, 403, 404, 422),
    body=ScenarioRunBody,
)
def draft_run_scenarios(draft_id: int) -> ScenarioFileRun:
    body = parse_body(ScenarioRunBody)
    return draft_runs.run_draft_scenario_file(services(), draft_id, body.file, current_actor())


@operation(
    bp,
    "post",
    "/drafts/<int:draft_id>/recording-replays",
    summary="Replay a recording's steps against the draft from the start: the state reached, its open"
    " tasks and timers",
    returns=RecordingReplay,
    errors=(400, 403, 404, 422),
    body=RecordingBody,
)
def draft_replay_recording(draft_id: int) -> RecordingReplay:
    body = parse_body(RecordingBody)
    return recorder.replay_recording(services(), draft_id, body.clock, body.steps, current_actor())


@operation(
    bp,
    "post",
    "/drafts/<int:draft_id>/scenario-files",
    summary="Save a recording that passes on the draft as a scenario file of the scenario folder"
    " (409 when the file exists, unless overwrite)",
    returns=SavedScenario,
    status=201,
    also=(200,),
    errors=(400, 403, 404, 409, 422),
    body=SaveScenarioBody,
)
def draft_save_scenario(draft_id: int) -> Any:
    body = parse_body(SaveScenarioBody)
    saved = recorder.save_recording(
        services(),
        draft_id,
        body.file,
        body.name,
        body.clock,
        body.steps,
        current_actor(),
        overwrite=body.overwrite,
    )
    return saved, 200 if saved.replaced else 201
