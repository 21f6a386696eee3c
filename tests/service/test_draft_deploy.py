"""Deploying a diagram draft with a change note: who and why in the deployment and the audit trail, a
stale revision or an empty note refused; and the modeler versions content exactly as `rma deploy` does."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select
from support import AGENT, ANALYST, database_state, lifecycle_files

from rma_orchestrator.cli import main
from rma_orchestrator.errors import DraftChanged, InvalidData, NotFound
from rma_orchestrator.service import diagram_drafts as drafts
from rma_orchestrator.service.context import Actor, Services
from rma_orchestrator.service.definitions import deploy, list_definitions, list_versions
from rma_orchestrator.store.db import Database
from rma_orchestrator.store.models import Deployment, Event, ProcessDefinition

ROOT = Path(__file__).parents[2]
BOB = Actor("bob", "analyst")
REMINDER, SOONER = b'"P7D"', b'"P6D"'  # return's goods-wait reminder


def _fix_changed(services: Services) -> tuple[int, int]:
    """A draft of order_fix with a changed script, saved by bob: (draft id, revision)."""
    draft = drafts.create_draft(services, "order_fix", ANALYST)
    changed = lifecycle_files()["order_fix.bpmn"].replace(b"fixed = True", b"fixed = 'yes'")
    return draft.id, drafts.save_draft_file(services, draft.id, "order_fix.bpmn", changed, 1, BOB).revision


def test_a_deployed_draft_records_who_and_why(deployed: Services) -> None:
    draft_id, revision = _fix_changed(deployed)
    result = drafts.deploy_draft(deployed, draft_id, "  fixed flag is text now ", revision, BOB)
    assert {(p.process_key, p.version, p.created) for p in result.processes} == {
        ("order_fix", 2, True),
        ("order_review", 2, True),
    }
    with deployed.database.read() as session:
        deployment = session.get(Deployment, result.deployment_id)
        assert deployment is not None and (deployment.note, deployment.created_by) == (
            "fixed flag is text now",
            "bob",
        )
        events = session.scalars(
            select(Event).where(Event.kind == "definition_deployed").order_by(Event.id)
        ).all()
    latest = events[-1]
    assert (latest.instance_id, latest.actor) == (None, "bob")
    assert latest.details == {
        "deployment_id": result.deployment_id,
        "note": "fixed flag is text now",
        "processes": [
            {"process_key": "order_fix", "version": 2, "created": True},
            {"process_key": "order_review", "version": 2, "created": True},
        ],
    }
    versions = list_versions(deployed, "order_fix", AGENT)
    assert [(v.version, v.deployed_by, v.note) for v in versions] == [
        (2, "bob", "fixed flag is text now"),
        (1, "ana", None),
    ]
    latest_fix = next(d for d in list_definitions(deployed, AGENT) if d.process_key == "order_fix")
    assert (latest_fix.version, latest_fix.note) == (2, "fixed flag is text now")


@pytest.mark.parametrize("note", ["", "   "])
def test_a_deploy_without_a_note_is_refused(deployed: Services, note: str) -> None:
    draft_id, revision = _fix_changed(deployed)
    before = database_state(deployed)
    with pytest.raises(InvalidData) as refused:
        drafts.deploy_draft(deployed, draft_id, note, revision, BOB)
    assert refused.value.items[0]["field"] == "note"
    assert database_state(deployed) == before


def test_a_deploy_of_a_stale_revision_is_refused(deployed: Services) -> None:
    draft_id, revision = _fix_changed(deployed)
    before = database_state(deployed)
    with pytest.raises(DraftChanged) as refused:
        drafts.deploy_draft(deployed, draft_id, "old one", revision - 1, ANALYST)
    assert (refused.value.revision, refused.value.updated_by) == (revision, "bob")
    with pytest.raises(NotFound):
        drafts.deploy_draft(deployed, draft_id + 1, "no such draft", 1, ANALYST)
    assert database_state(deployed) == before


def test_list_versions_of_an_unknown_process_is_not_found(deployed: Services) -> None:
    with pytest.raises(NotFound):
        list_versions(deployed, "no_such_process", AGENT)


def _rma_deploy(url: str, data_dir: Path, *folders: Path) -> None:
    environ = {"RMA_DATABASE_URL": url, "RMA_DATA_DIR": str(data_dir)}
    result = CliRunner().invoke(main, ["deploy", *map(str, folders)], env=environ)
    assert result.exit_code == 0, result.output


def _versions(database: Database) -> dict[str, tuple[int, str, dict[str, str]]]:
    """Process key → (latest version, its content hash, its files)."""
    with database.read() as session:
        rows = session.scalars(select(ProcessDefinition).order_by(ProcessDefinition.version)).all()
        return {row.process_key: (row.version, row.content_hash, row.files) for row in rows}


def test_the_modeler_and_rma_deploy_make_the_same_versions_of_the_same_content(
    services: Services, sqlite_template: Path, tmp_path: Path
) -> None:
    folders = (ROOT / "processes", ROOT / "forms")
    files = {
        p.name: p.read_bytes()
        for f in folders
        for p in sorted(f.iterdir())
        if p.suffix in (".bpmn", ".dmn", ".json")
    }
    deploy(services, files, ANALYST)
    draft = drafts.create_draft(services, "return", ANALYST)
    unchanged = drafts.deploy_draft(services, draft.id, "nothing changed", draft.revision, ANALYST)
    assert unchanged.processes and not unchanged.created
    changed = files["return.bpmn"].replace(REMINDER, SOONER, 1)
    assert changed != files["return.bpmn"]
    saved = drafts.save_draft_file(services, draft.id, "return.bpmn", changed, draft.revision, ANALYST)
    result = drafts.deploy_draft(services, draft.id, "remind a day sooner", saved.revision, ANALYST)
    assert ("return", 2, True) in {(p.process_key, p.version, p.created) for p in result.processes}

    shutil.copy(sqlite_template, tmp_path / "cli.sqlite3")  # `rma deploy` into a database of its own
    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    _rma_deploy(url, tmp_path, *folders)
    (tmp_path / "changed").mkdir()
    (tmp_path / "changed" / "return.bpmn").write_bytes(changed)
    _rma_deploy(url, tmp_path, tmp_path / "changed")
    by_cli = Database(url)
    try:
        assert _versions(by_cli) == _versions(services.database)
    finally:
        by_cli.dispose()
    assert _versions(services.database)["return"][0] == 2
