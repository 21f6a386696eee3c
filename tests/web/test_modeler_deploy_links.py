"""Deploying a draft from its editor and the links between the modeler's pages: the editor renders
the Deploy… control and answers its deploy call (the versions made, the findings, the conflict, the
note's field error); the index links compare and migrate only when a process has two versions; the
compare page links the migrate page of the same pair; the migration report says each outcome in
words (English and Chinese) and links each case to its page."""

from __future__ import annotations

import html
import io
import json
import re
import zipfile
from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient
from migration_cases import RETURN_FILE, deploy_return, reminder_after, start_return
from page_client import csrf_token
from rma_cases import deploy_rma
from support import ANALYST

from rma_orchestrator.service import diagram_drafts
from rma_orchestrator.service.batch_work import work_on_batches
from rma_orchestrator.service.case_migration import start_migration
from rma_orchestrator.service.context import Services

SignedIn = Callable[..., FlaskClient]
CONFIG = re.compile(r'<script type="application/json" id="editor-config">(.*?)</script>', re.S)


@pytest.fixture
def analyst(services: Services, signed_in: SignedIn) -> FlaskClient:
    deploy_rma(services)
    return signed_in("analyst")


def _config(page: str) -> dict[str, Any]:
    found = CONFIG.search(page)
    assert found
    return json.loads(html.unescape(found.group(1)))  # type: ignore[no-any-return]


def _changed_draft(services: Services) -> int:
    """A draft of return v1 whose goods-wait reminder comes after 5 days (revision 2)."""
    draft = diagram_drafts.create_draft(services, "return", ANALYST, 1)
    diagram_drafts.save_draft_file(services, draft.id, "return.bpmn", reminder_after(5), 1, ANALYST)
    return draft.id


def _deploy(client: FlaskClient, url: str, body: dict[str, Any]) -> Any:
    token = csrf_token(client, "/modeler")
    headers = {"X-CSRFToken": token, "Accept": "application/json"}
    return client.post(url, json=body, headers=headers)


def test_the_editor_renders_the_deploy_control_and_its_call_makes_the_versions(
    services: Services, analyst: FlaskClient
) -> None:
    draft_id = _changed_draft(services)
    page = analyst.get(f"/modeler/drafts/{draft_id}").get_data(as_text=True)
    assert 'id="editor-deploy"' in page and 'id="deploy-note"' in page and 'id="deploy-panel"' in page
    urls = _config(page)["urls"]
    assert urls["deploy"] == f"/api/v1/drafts/{draft_id}/deployments"
    assert urls["compare"] == "/modeler/processes/{key}/compare?from={from}&to={to}"
    assert urls["migrate"] == "/modeler/processes/{key}/migrate?from={from}&to={to}"
    texts = _config(page)["texts"]
    assert any(key.startswith("Write a change note") for key in texts)
    answer = _deploy(analyst, urls["deploy"], {"note": "reminder after 5 days", "revision": 2})
    assert answer.status_code == 201, answer.json
    made = {(p["process_key"], p["version"]) for p in answer.json["processes"] if p["created"]}
    assert {("return", 2), ("rma_case", 2)} <= made
    index = analyst.get("/modeler").get_data(as_text=True)
    assert "reminder after 5 days" in index  # the note and who deployed, per version
    row = re.search(r'<div class="modeler-process" data-process="return">.*?</div>', index, re.S)
    assert row and 'data-version="2"' in row.group(0) and "ana" in row.group(0)


def test_a_deploy_without_a_note_a_stale_revision_or_a_broken_draft_is_refused(
    services: Services, analyst: FlaskClient
) -> None:
    draft_id = _changed_draft(services)
    url = f"/api/v1/drafts/{draft_id}/deployments"
    blank = _deploy(analyst, url, {"note": "  ", "revision": 2})
    assert blank.status_code == 400 and blank.json["errors"][0]["field"] == "note"
    stale = _deploy(analyst, url, {"note": "old", "revision": 1})
    assert stale.status_code == 409 and (stale.json["revision"], stale.json["updated_by"]) == (2, "ana")
    broken = RETURN_FILE.read_bytes().replace(b'"P7D"', b'"ten days"', 1)
    diagram_drafts.save_draft_file(services, draft_id, "return.bpmn", broken, 2, ANALYST)
    refused = _deploy(analyst, url, {"note": "broken", "revision": 3})
    assert refused.status_code == 422
    assert any(e["element"] and "ten days" in e["message"] for e in refused.json["errors"])
    assert 'data-version="2"' not in analyst.get("/modeler").get_data(as_text=True)


def test_the_index_links_compare_and_migrate_only_with_two_versions(
    services: Services, analyst: FlaskClient
) -> None:
    index = analyst.get("/modeler").get_data(as_text=True)
    assert 'data-link="compare"' not in index and 'data-link="migrate"' not in index
    deploy_return(services, reminder_after(5))
    index = html.unescape(analyst.get("/modeler").get_data(as_text=True))
    assert 'href="/modeler/processes/return/compare?from=1&to=2"' in index
    assert 'href="/modeler/processes/return/migrate?from=1&to=2"' in index
    assert 'href="/modeler/processes/complaint/compare' not in index  # complaint has one version
    assert analyst.get("/modeler/processes/return/compare?from=1&to=2").status_code == 200
    assert analyst.get("/modeler/processes/return/migrate?from=1&to=2").status_code == 200


def test_the_compare_page_links_the_migrate_page_of_the_same_pair(
    services: Services, analyst: FlaskClient
) -> None:
    deploy_return(services, reminder_after(5))
    page = html.unescape(analyst.get("/modeler/processes/return/compare?from=1&to=2").get_data(as_text=True))
    assert 'id="to-migrate" href="/modeler/processes/return/migrate?from=1&to=2"' in page
    assert 'href="/modeler"' in page


def test_the_editor_links_the_index_and_the_compare_page_of_its_base_version(
    services: Services, analyst: FlaskClient
) -> None:
    first = diagram_drafts.create_draft(services, "return", ANALYST, 1)
    page = analyst.get(f"/modeler/drafts/{first.id}").get_data(as_text=True)
    assert 'href="/modeler" id="to-index"' in page and 'id="to-compare"' not in page  # v1 alone
    deploy_return(services, reminder_after(5))
    older = html.unescape(analyst.get(f"/modeler/drafts/{first.id}").get_data(as_text=True))
    assert 'href="/modeler/processes/return/compare?from=1&to=2" id="to-compare"' in older
    latest = diagram_drafts.create_draft(services, "return", ANALYST, 2)
    page = html.unescape(analyst.get(f"/modeler/drafts/{latest.id}").get_data(as_text=True))
    assert 'href="/modeler/processes/return/compare?from=1&to=2" id="to-compare"' in page


def test_the_editor_links_the_drafts_scenarios_and_its_files_as_a_zip(
    services: Services, analyst: FlaskClient
) -> None:
    draft = diagram_drafts.create_draft(services, "return", ANALYST, 1)
    page = analyst.get(f"/modeler/drafts/{draft.id}").get_data(as_text=True)
    scenarios = re.search(r'href="([^"]+)" id="to-scenarios"', page)
    archive = re.search(r'href="([^"]+)" id="draft-archive"', page)
    assert scenarios and archive, page
    assert scenarios.group(1) == f"/modeler/drafts/{draft.id}/scenarios"
    assert analyst.get(scenarios.group(1)).status_code == 200
    zipped = analyst.get(archive.group(1))
    assert zipped.status_code == 200 and zipped.data[:2] == b"PK"
    assert "return.bpmn" in zipfile.ZipFile(io.BytesIO(zipped.data)).namelist()


@pytest.mark.parametrize(("language", "done"), [("en", "Done"), ("zh-CN", "完成")])
def test_the_migration_report_says_outcomes_in_words_and_links_the_cases(
    services: Services, signed_in: SignedIn, language: str, done: str
) -> None:
    deploy_rma(services)
    case = start_return(services, f"SO-{language}")
    deploy_return(services, reminder_after(5))
    report = start_migration(services, "return", 1, 2, [case.id], "reminder after 5 days", ANALYST)
    work_on_batches(services)
    client = signed_in("analyst", language)
    page = client.get(f"/modeler/migrations/{report.id}").get_data(as_text=True)
    row = re.search(rf'<tr data-instance="{case.id}" data-outcome="ok">(.*?)</tr>', page, re.S)
    assert row, page
    assert f"<td>{done}</td>" in row.group(1) and "<td>ok</td>" not in row.group(1)
    assert f'href="/cases/{case.id}"' in row.group(1)
    assert client.get(f"/cases/{case.id}").status_code == 200
