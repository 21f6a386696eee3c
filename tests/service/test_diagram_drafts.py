"""Diagram drafts: copies of a deployed version's files, saved revision by revision, never overwritten
by a save based on an older revision; validated like an upload; only analysts and admins touch them."""

from __future__ import annotations

import io
import threading
import zipfile
from collections.abc import Callable
from typing import Any

import pytest
from support import ADMIN, AGENT, ANALYST, MANAGER, database_state, lifecycle_files

from rma_orchestrator.errors import DraftChanged, Forbidden, InvalidData, InvalidDefinition, NotFound
from rma_orchestrator.service import diagram_drafts as drafts
from rma_orchestrator.service.context import Actor, Services
from rma_orchestrator.service.definitions import deploy, sha256

REVIEW_FILES = {
    "order_review.bpmn",
    "order_fix.bpmn",
    "review_rules.dmn",
    "review_form.json",
    "order_start.json",
}
BOB = Actor("bob", "analyst")


def test_a_draft_holds_every_file_the_latest_version_depends_on(deployed: Services) -> None:
    draft = drafts.create_draft(deployed, "order_review", ANALYST)
    files = lifecycle_files()
    assert (draft.process_key, draft.base_version, draft.revision) == ("order_review", 1, 1)
    assert (draft.created_by, draft.updated_by) == ("ana", "ana")
    assert {f.name for f in draft.files} == REVIEW_FILES
    assert all(f.sha256 == sha256(files[f.name]) and f.size == len(files[f.name]) for f in draft.files)
    assert drafts.draft_files(deployed, draft.id, ANALYST) == {n: files[n] for n in REVIEW_FILES}
    assert (
        drafts.read_draft_file(deployed, draft.id, "review_rules.dmn", ANALYST) == files["review_rules.dmn"]
    )


def test_a_draft_of_an_older_version_holds_that_version(deployed: Services) -> None:
    changed = lifecycle_files()["order_fix.bpmn"].replace(b"fixed = True", b"fixed = 'yes'")
    deploy(deployed, {"order_fix.bpmn": changed}, ANALYST)
    old = drafts.create_draft(deployed, "order_fix", ANALYST, version=1)
    new = drafts.create_draft(deployed, "order_fix", ADMIN)
    assert (old.base_version, new.base_version) == (1, 2)
    assert (
        drafts.read_draft_file(deployed, old.id, "order_fix.bpmn", ANALYST)
        == lifecycle_files()["order_fix.bpmn"]
    )
    assert drafts.read_draft_file(deployed, new.id, "order_fix.bpmn", ANALYST) == changed


def test_a_process_never_deployed_starts_an_empty_draft(services: Services) -> None:
    draft = drafts.create_draft(services, "new_process", ANALYST)
    assert (draft.base_version, draft.files) == (None, [])
    with pytest.raises(NotFound):
        drafts.create_draft(services, "new_process", ANALYST, version=1)


def test_a_save_adds_or_replaces_a_file_and_bumps_the_revision(deployed: Services) -> None:
    draft = drafts.create_draft(deployed, "order_review", ANALYST)
    saved = drafts.save_draft_file(deployed, draft.id, "order_fix.bpmn", b"<changed/>", 1, BOB)
    assert (saved.revision, saved.updated_by, saved.created_by) == (2, "bob", "ana")
    added = drafts.save_draft_file(deployed, draft.id, "extra_form.json", b"{}", 2, BOB)
    assert added.revision == 3 and {f.name for f in added.files} == REVIEW_FILES | {"extra_form.json"}
    assert drafts.read_draft_file(deployed, draft.id, "order_fix.bpmn", ANALYST) == b"<changed/>"
    assert drafts.read_draft_file(deployed, draft.id, "extra_form.json", ANALYST) == b"{}"
    assert [d.id for d in drafts.list_drafts(deployed, ANALYST)] == [draft.id]


def test_the_second_of_two_saves_based_on_one_revision_is_refused(deployed: Services) -> None:
    draft = drafts.create_draft(deployed, "order_review", ANALYST)
    drafts.save_draft_file(deployed, draft.id, "order_fix.bpmn", b"<first/>", 1, ANALYST)
    with pytest.raises(DraftChanged) as refused:
        drafts.save_draft_file(deployed, draft.id, "order_fix.bpmn", b"<second/>", 1, BOB)
    assert (refused.value.revision, refused.value.updated_by) == (2, "ana")
    assert "saved by ana" in refused.value.message
    with pytest.raises(DraftChanged):
        drafts.delete_draft_file(deployed, draft.id, "order_fix.bpmn", 1, BOB)
    assert drafts.read_draft_file(deployed, draft.id, "order_fix.bpmn", BOB) == b"<first/>"
    assert drafts.get_draft(deployed, draft.id, BOB).revision == 2


def test_a_file_is_removed_at_the_current_revision(deployed: Services) -> None:
    draft = drafts.create_draft(deployed, "order_review", ANALYST)
    removed = drafts.delete_draft_file(deployed, draft.id, "order_start.json", 1, ANALYST)
    assert removed.revision == 2 and "order_start.json" not in {f.name for f in removed.files}
    with pytest.raises(NotFound):
        drafts.read_draft_file(deployed, draft.id, "order_start.json", ANALYST)
    with pytest.raises(NotFound):
        drafts.delete_draft_file(deployed, draft.id, "order_start.json", 2, ANALYST)


@pytest.mark.parametrize(
    "name",
    [
        "forms/a.json",
        "..\\a.bpmn",
        "notes.txt",
        "order_review.bpmn.bak",
        ".bpmn",
        "x" * 300 + ".bpmn",
        "a\x00.dmn",
    ],
)
def test_a_bad_file_name_is_refused_and_changes_nothing(deployed: Services, name: str) -> None:
    draft = drafts.create_draft(deployed, "order_review", ANALYST)
    before = database_state(deployed)
    with pytest.raises(InvalidData) as refused:
        drafts.save_draft_file(deployed, draft.id, name, b"<x/>", 1, ANALYST)
    assert refused.value.items[0]["field"] == "name"
    assert database_state(deployed) == before
    assert drafts.get_draft(deployed, draft.id, ANALYST).revision == 1


def test_an_oversize_file_is_refused_and_changes_nothing(deployed: Services) -> None:
    draft = drafts.create_draft(deployed, "order_review", ANALYST)
    before = database_state(deployed)
    with pytest.raises(InvalidData, match="too large"):
        drafts.save_draft_file(deployed, draft.id, "big.bpmn", b"x" * (drafts.MAX_FILE_BYTES + 1), 1, ANALYST)
    assert database_state(deployed) == before


def test_validation_reports_the_drafts_files_as_an_upload_of_them(deployed: Services) -> None:
    draft = drafts.create_draft(deployed, "order_review", ANALYST)
    assert drafts.validate_draft(deployed, draft.id, ANALYST).errors == []
    broken = lifecycle_files()["order_fix.bpmn"].replace(b"fixed = True", b"import os")
    drafts.save_draft_file(deployed, draft.id, "order_fix.bpmn", broken, 1, ANALYST)
    errors = drafts.validate_draft(deployed, draft.id, ANALYST).errors
    assert errors and {e.file for e in errors} == {"order_fix.bpmn"}
    empty = drafts.create_draft(deployed, "nothing_yet", ANALYST)
    with pytest.raises(InvalidDefinition, match="no files"):
        drafts.validate_draft(deployed, empty.id, ANALYST)


def test_the_archive_holds_the_drafts_files(deployed: Services) -> None:
    draft = drafts.create_draft(deployed, "order_review", ANALYST)
    name, content = drafts.draft_archive(deployed, draft.id, ANALYST)
    assert name == f"order_review-draft-{draft.id}.zip"
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        assert {n: archive.read(n) for n in archive.namelist()} == drafts.draft_files(
            deployed, draft.id, ANALYST
        )
    assert drafts.draft_archive(deployed, draft.id, ANALYST)[1] == content  # the same files, the same bytes


def test_a_deleted_draft_is_gone(deployed: Services) -> None:
    draft = drafts.create_draft(deployed, "order_review", ANALYST)
    drafts.delete_draft(deployed, draft.id, ANALYST)
    assert drafts.list_drafts(deployed, ANALYST) == []
    for call in (drafts.get_draft, drafts.delete_draft, drafts.validate_draft, drafts.draft_files):
        with pytest.raises(NotFound):
            call(deployed, draft.id, ANALYST)


@pytest.mark.parametrize("draft_id", [0, -1, 2**31, 999])
def test_unknown_drafts_are_not_found(services: Services, draft_id: int) -> None:
    with pytest.raises(NotFound):
        drafts.get_draft(services, draft_id, ANALYST)
    with pytest.raises(NotFound):
        drafts.save_draft_file(services, draft_id, "a.bpmn", b"", 1, ANALYST)
    with pytest.raises(NotFound):
        drafts.read_draft_file(services, draft_id, "a.bpmn", ANALYST)


def _calls(services: Services, draft_id: int) -> list[Callable[[Actor], Any]]:
    """Every draft command and read, on the draft ``draft_id``, as ``who``."""
    return [
        lambda who: drafts.create_draft(services, "order_review", who),
        lambda who: drafts.list_drafts(services, who),
        lambda who: drafts.get_draft(services, draft_id, who),
        lambda who: drafts.read_draft_file(services, draft_id, "order_fix.bpmn", who),
        lambda who: drafts.save_draft_file(services, draft_id, "order_fix.bpmn", b"", 1, who),
        lambda who: drafts.delete_draft_file(services, draft_id, "order_fix.bpmn", 1, who),
        lambda who: drafts.validate_draft(services, draft_id, who),
        lambda who: drafts.draft_archive(services, draft_id, who),
        lambda who: drafts.deploy_draft(services, draft_id, "note", 1, who),
        lambda who: drafts.delete_draft(services, draft_id, who),
    ]


@pytest.mark.parametrize("who", [AGENT, MANAGER])
def test_only_analysts_and_admins_touch_drafts(deployed: Services, who: Actor) -> None:
    draft = drafts.create_draft(deployed, "order_review", ANALYST)
    before = database_state(deployed)
    for call in _calls(deployed, draft.id):
        with pytest.raises(Forbidden):
            call(who)
    assert database_state(deployed) == before


def test_of_simultaneous_saves_on_one_revision_exactly_one_wins(deployed: Services) -> None:
    draft = drafts.create_draft(deployed, "order_review", ANALYST)
    savers = [Actor(f"analyst{n}", "analyst") for n in range(4)]
    start = threading.Barrier(len(savers))
    outcomes: dict[str, str] = {}

    def save(who: Actor) -> None:
        start.wait()
        try:
            drafts.save_draft_file(deployed, draft.id, "order_fix.bpmn", who.name.encode(), 1, who)
            outcomes[who.name] = "saved"
        except DraftChanged:
            outcomes[who.name] = "refused"

    threads = [threading.Thread(target=save, args=(who,)) for who in savers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    winners = [name for name, outcome in outcomes.items() if outcome == "saved"]
    assert len(winners) == 1 and len(outcomes) == len(savers)
    final = drafts.get_draft(deployed, draft.id, ANALYST)
    assert (final.revision, final.updated_by) == (2, winners[0])
    assert drafts.read_draft_file(deployed, draft.id, "order_fix.bpmn", ANALYST) == winners[0].encode()
