"""Scenarios on a draft: the process's scenario files run against the draft's files, and a recording
driven on the draft is saved as a scenario file that `rma test-processes` passes."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from draft_scenario_support import (
    REMINDER,
    ROOT,
    TESTS,
    received_and_inspected,
    scenario_document,
    with_folder,
)
from support import AGENT, ANALYST

from rma_orchestrator.cli import main
from rma_orchestrator.errors import Conflict, Forbidden, InvalidData, NotFound
from rma_orchestrator.scenarios.draft_runs import list_draft_scenarios, run_draft_scenario_file
from rma_orchestrator.scenarios.files import load_scenario_file
from rma_orchestrator.scenarios.recorder import replay_recording, save_recording
from rma_orchestrator.service.context import Services
from rma_orchestrator.service.diagram_drafts import create_draft, get_draft, read_draft_file, save_draft_file

RETURN_FILES = sorted(p.name for p in TESTS.glob("return_*.yaml"))
CLOCK = "2026-05-11T09:00:00+08:00"


@pytest.fixture
def folder_services(services: Services, tmp_path: Path) -> Services:
    return with_folder(services, tmp_path, "return_abandoned.yaml", "rma_case_no_reason.yaml")


def test_the_list_holds_the_files_of_the_drafts_process(folder_services: Services) -> None:
    draft = create_draft(folder_services, "return", ANALYST)
    listed = list_draft_scenarios(folder_services, draft.id, ANALYST)
    assert [item.file for item in listed.items] == ["return_abandoned.yaml"]
    assert listed.items[0].scenarios[0].name == "return abandoned, goods never sent"
    assert listed.items[0].problem is None


def test_an_unchanged_draft_of_return_passes_its_scenarios(services: Services, tmp_path: Path) -> None:
    # every return file on SQLite; on PostgreSQL (the draft read from it) one, to keep the run short
    files = RETURN_FILES if services.settings.resolved_database_url.startswith("sqlite") else RETURN_FILES[:1]
    folder_services = with_folder(services, tmp_path, *files)
    draft = create_draft(folder_services, "return", ANALYST)
    listed = [item.file for item in list_draft_scenarios(folder_services, draft.id, ANALYST).items]
    assert listed == files
    for file in files:
        run = run_draft_scenario_file(folder_services, draft.id, file, ANALYST)
        assert run.failed == 0 and run.passed >= 1, [r.message for r in run.results]
        assert run.revision == draft.revision


def test_a_changed_reminder_fails_the_scenario_that_counts_on_it(folder_services: Services) -> None:
    draft = create_draft(folder_services, "return", ANALYST)
    bpmn = read_draft_file(folder_services, draft.id, "return.bpmn", ANALYST)
    assert REMINDER in bpmn
    changed = bpmn.replace(REMINDER, REMINDER.replace(b"P7D", b"P5D"))
    save_draft_file(folder_services, draft.id, "return.bpmn", changed, draft.revision, ANALYST)
    run = run_draft_scenario_file(folder_services, draft.id, "return_abandoned.yaml", ANALYST)
    (result,) = run.results
    assert (run.passed, run.failed, result.passed) == (0, 1, False)
    assert result.step == "step 3 (expect)"  # the expectation after 6 days 23 hours
    assert result.message is not None
    assert result.message.startswith("step 3 (expect): timers are [goods_deadline], expected")
    assert "remind_customer is completed, expected unreached" in result.message
    assert run.revision == draft.revision + 1


def test_bad_files_and_drafts_are_refused(folder_services: Services) -> None:
    draft = create_draft(folder_services, "return", ANALYST)
    for file in ("../return.bpmn", "../tests/return_abandoned.yaml", "/etc/passwd", ".hidden.yaml", "x.txt"):
        with pytest.raises(InvalidData):
            run_draft_scenario_file(folder_services, draft.id, file, ANALYST)
    with pytest.raises(NotFound):
        run_draft_scenario_file(folder_services, draft.id, "no_such.yaml", ANALYST)
    with pytest.raises(NotFound, match="no scenario of process 'return'"):
        run_draft_scenario_file(folder_services, draft.id, "rma_case_no_reason.yaml", ANALYST)
    with pytest.raises(NotFound):
        list_draft_scenarios(folder_services, draft.id + 99, ANALYST)
    with pytest.raises(Forbidden):
        list_draft_scenarios(folder_services, draft.id, AGENT)
    with pytest.raises(Forbidden):
        replay_recording(folder_services, draft.id, CLOCK, [], AGENT)


def test_a_recording_replays_to_the_open_tasks_and_saves_a_passing_file(
    folder_services: Services, tmp_path: Path
) -> None:
    draft = create_draft(folder_services, "return", ANALYST)
    started = replay_recording(folder_services, draft.id, CLOCK, received_and_inspected()[:1], ANALYST)
    assert started.passed and started.state is not None
    assert started.state.status == "running" and started.state.tasks == []
    assert sorted(t.element_id for t in started.state.timers) == ["goods_deadline", "goods_reminder_due"]
    steps = [*received_and_inspected(), {"clock": "PT5H"}]
    replay = replay_recording(folder_services, draft.id, CLOCK, steps, ANALYST)
    assert replay.passed, replay.message
    assert replay.state is not None and [t.element_id for t in replay.state.tasks] == ["quality_check"]
    assert replay.state.now.isoformat() == "2026-05-14T06:00:00+00:00"  # 11 May 09:00 + 3 days + 5 hours
    assert replay.expect == {
        "status": "running",
        "tasks": ["quality_check"],
        "timers": ["processing_deadline"],
    }
    steps.append({"expect": replay.expect})
    saved = save_recording(
        folder_services, draft.id, "return_recorded", "recorded return", CLOCK, steps, ANALYST
    )
    written = folder_services.settings.scenario_dir / "return_recorded.yaml"  # type: ignore[operator]
    assert saved.file == "return_recorded.yaml" and written.read_text(encoding="utf-8") == saved.yaml
    (scenario,) = load_scenario_file(written)
    assert (scenario.name, scenario.process, len(scenario.steps)) == ("recorded return", "return", 6)
    result = CliRunner().invoke(
        main,
        [
            "test-processes",
            str(written.parent),
            "--deploy",
            str(ROOT / "processes"),
            "--deploy",
            str(ROOT / "forms"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "PASS recorded return" in result.output and "0 failed" in result.output


def test_saving_refuses_overwrites_bad_names_and_failing_recordings(folder_services: Services) -> None:
    draft = create_draft(folder_services, "return", ANALYST)
    start = [{"start": scenario_document("return_abandoned.yaml")["start"]}]
    folder = folder_services.settings.scenario_dir
    assert folder is not None
    before = sorted(p.name for p in folder.iterdir())
    with pytest.raises(Conflict, match="exists already"):
        save_recording(folder_services, draft.id, "return_abandoned", "another", CLOCK, start, ANALYST)
    with pytest.raises(Conflict, match="used in return_abandoned.yaml"):
        save_recording(
            folder_services, draft.id, "fresh", "return abandoned, goods never sent", CLOCK, start, ANALYST
        )
    for bad in ("../evil", "Evil", "a/b", "", "x.yaml", "-x"):
        with pytest.raises(InvalidData):
            save_recording(folder_services, draft.id, bad, "named", CLOCK, start, ANALYST)
    with pytest.raises(InvalidData, match="fails on the draft"):
        failing = [*start, {"complete": "no_such_task"}]
        save_recording(folder_services, draft.id, "fresh", "named", CLOCK, failing, ANALYST)
    with pytest.raises(InvalidData, match="not a scenario"):
        save_recording(folder_services, draft.id, "fresh", "named", CLOCK, [{"jump": 1}], ANALYST)
    assert sorted(p.name for p in folder.iterdir()) == before
    assert (folder / "return_abandoned.yaml").read_bytes() == (TESTS / "return_abandoned.yaml").read_bytes()
    again = save_recording(
        folder_services, draft.id, "return_abandoned", "replaced", CLOCK, start, ANALYST, overwrite=True
    )
    assert again.replaced and "name: replaced" in (folder / "return_abandoned.yaml").read_text(
        encoding="utf-8"
    )
    assert get_draft(folder_services, draft.id, ANALYST).revision == draft.revision
