"""Recording a scenario by driving a draft: the steps so far, replayed from the start on each request.

A recording is what a scenario file holds, as JSON: an optional start ``clock`` and the ``steps``
(``{start: DATA}``, ``{complete: ELEMENT, data}``, ``{clock: PT25H}``, ``{message: NAME, payload}``,
``{expect: {...}}``, ...). Each request writes it as the scenario YAML, reads that back with
``files`` (so what is replayed is exactly what would be saved) and drives it on a throwaway
database with the draft deployed (``draft_runs``); the answer is the state the last step reached:
the tasks now open, the timers, the clock. Nothing is kept between requests. ``save_recording``
writes the YAML to the scenario folder, where ``rma test-processes`` runs it like any other file.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from ..errors import Conflict, InvalidData
from ..service.context import Actor, Services
from ..service.diagram_drafts import get_draft
from ..service.inputs import check_text
from ..service.instances import get_instance
from .draft_runs import draft_workspace, throwaway_deployed
from .driver import READER, ScenarioDriver
from .files import InvalidScenario, Scenario, load_scenario_file
from .folder import folder_files, new_file_name, scenario_folder, write_file
from .runner import drive_scenario
from .yaml_lines import LineLoader

RECORDING_NAME = "recording"  # the scenario's name while it is not saved
NAME_LIMIT = 200
MAX_STEPS = 200


@dataclass(frozen=True)
class OpenTask:
    element_id: str
    name: str
    group: str | None


@dataclass(frozen=True)
class PendingTimer:
    element_id: str
    due_at: datetime


@dataclass(frozen=True)
class OpenIncident:
    element_id: str | None
    message: str


@dataclass(frozen=True)
class ReachedState:
    """Where the recording's instance is now: its open tasks and timers, and the controlled clock."""

    business_key: str
    status: str
    outcome: str | None
    now: datetime
    tasks: list[OpenTask]
    timers: list[PendingTimer]
    incidents: list[OpenIncident]
    data: dict[str, Any]


@dataclass(frozen=True)
class RecordingReplay:
    """The replay of a recording: on failure ``message`` says how the step at ``step`` failed.

    ``state`` is null until a start step ran; ``expect`` is an expectation of that state, to append
    as an ``expect`` step; ``yaml`` is the scenario file the recording makes.
    """

    passed: bool
    message: str | None
    step: str | None
    steps_run: int
    state: ReachedState | None
    expect: dict[str, Any] | None
    yaml: str


@dataclass(frozen=True)
class SavedScenario:
    file: str
    name: str
    replaced: bool  # an existing file was overwritten
    yaml: str


def replay_recording(
    services: Services, draft_id: int, clock: str | None, steps: list[dict[str, Any]], actor: Actor
) -> RecordingReplay:
    """Drive the recording's steps on a throwaway database with the draft, and answer the state reached."""
    process_key = get_draft(services, draft_id, actor).process_key
    return _replay(services, draft_id, process_key, RECORDING_NAME, clock, steps, actor)


def save_recording(
    services: Services,
    draft_id: int,
    file: str,
    name: str,
    clock: str | None,
    steps: list[dict[str, Any]],
    actor: Actor,
    overwrite: bool = False,
) -> SavedScenario:
    """Write the recording as ``<file>.yaml`` in the scenario folder, once it replays without a failure.

    Refused: a bad file name or scenario name (400), a file that exists unless ``overwrite`` and a
    scenario name another file uses (409), a recording that fails on the draft (400).
    """
    process_key = get_draft(services, draft_id, actor).process_key
    name = name.strip()
    check_text("name", name, NAME_LIMIT)
    file_name = new_file_name(file)
    folder = scenario_folder(services.settings)
    for found in folder_files(folder):
        if found.file != file_name and any(s.name == name for s in found.scenarios):
            raise Conflict(f"scenario name {name!r} is used in {found.file} already; names must be unique")
    result = _replay(services, draft_id, process_key, name, clock, steps, actor)
    if not result.passed:
        raise InvalidData(
            "the recording fails on the draft",
            [{"field": "steps", "message": f"{result.message}; change or remove that step before saving"}],
        )
    replaced = write_file(folder, file_name, result.yaml, overwrite)
    return SavedScenario(file_name, name, replaced, result.yaml)


def recording_yaml(name: str, process_key: str, clock: str | None, steps: list[dict[str, Any]]) -> str:
    """The scenario file of a recording; a first plain ``start`` step becomes the top-level ``start``."""
    document: dict[str, Any] = {"name": name, "process": process_key}
    if clock is not None:
        document["clock"] = clock
    rest: list[dict[str, Any]] = json.loads(json.dumps(steps))  # plain JSON values, deep-copied
    if rest and set(rest[0]) == {"start"} and isinstance(rest[0]["start"], dict):
        document["start"] = rest.pop(0)["start"]
    document["steps"] = rest
    return yaml.dump(
        document, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=100, default_flow_style=None
    )


def _replay(
    services: Services,
    draft_id: int,
    process_key: str,
    name: str,
    clock: str | None,
    steps: list[dict[str, Any]],
    actor: Actor,
) -> RecordingReplay:
    if len(steps) > MAX_STEPS:
        raise InvalidData("too many steps", [{"field": "steps", "message": f"at most {MAX_STEPS} steps"}])
    text = recording_yaml(name, process_key, clock, steps)
    scenario = _read_back(text)
    files, _ = draft_workspace(services, draft_id, actor)
    with throwaway_deployed(services, files) as build:
        throwaway = build()
        try:
            run = ScenarioDriver(throwaway, scenario)
            result = drive_scenario(run)
            state = _state(throwaway, run) if run.instance_id is not None else None
        finally:
            throwaway.database.dispose()
    expect = _expectation(state) if state is not None else None
    return RecordingReplay(result.passed, result.message, result.step, result.steps_run, state, expect, text)


def _read_back(text: str) -> Scenario:
    """The scenario of ``text`` as ``rma test-processes`` reads it; its problems as 400 field errors."""
    with tempfile.TemporaryDirectory(prefix="rma-recording-") as folder:
        path = Path(folder) / "recording.yaml"
        path.write_text(text, encoding="utf-8")
        try:
            (scenario,) = load_scenario_file(path)
        except InvalidScenario as error:
            items = [{"field": "steps", "message": item["message"]} for item in error.items]
            raise InvalidData(f"not a scenario: {items[0]['message']}", items) from None
    return scenario


def _state(services: Services, run: ScenarioDriver) -> ReachedState:
    assert run.instance_id is not None
    instance = get_instance(services, run.instance_id, READER)
    return ReachedState(
        business_key=instance.business_key,
        status=instance.status,
        outcome=instance.outcome,
        now=services.clock.now(),
        tasks=[OpenTask(t.element_id, t.name, t.group) for t in instance.tasks],
        timers=[PendingTimer(t.element_id, t.due_at) for t in instance.timers],
        incidents=[
            OpenIncident(i.element_id, i.message) for i in instance.incidents if i.resolved_at is None
        ],
        data=instance.data,
    )


def _expectation(state: ReachedState) -> dict[str, Any]:
    """An ``expect`` step that holds for ``state``: status, outcome, open tasks, timers and incidents."""
    expect: dict[str, Any] = {
        "status": state.status,
        "tasks": sorted(t.element_id for t in state.tasks),
        "timers": sorted(t.element_id for t in state.timers),
    }
    if state.outcome is not None:
        expect["outcome"] = state.outcome
    incidents = sorted(i.element_id for i in state.incidents if i.element_id is not None)
    if incidents:
        expect["incidents"] = incidents
    return expect


class _Dumper(yaml.SafeDumper):
    """Writes strings the scenario loader would read as something else (``1e5``, ``True``) quoted."""


def _represent_text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    try:
        read_back = yaml.load(value, Loader=LineLoader) if value else value
    except yaml.YAMLError:
        read_back = None
    style = None if read_back == value and isinstance(read_back, str) else '"'
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_text)
