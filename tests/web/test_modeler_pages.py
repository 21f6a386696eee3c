"""The analysts' modeler pages: /modeler lists the deployed processes and decision tables with their
versions and the drafts, a draft is started from a version and opens in its editor; the form editor's
preview renders a schema as staff see it (escaped) or says why not; the timer preview API computes a due
time with the working-day calendar or names the field's error. Staff get 403."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable

import pytest
from flask.testing import FlaskClient
from page_client import csrf_token
from rma_cases import deploy_rma

from rma_orchestrator.service.context import Services

CONFIG = re.compile(r'<script type="application/json" id="editor-config">(.*?)</script>', re.S)


@pytest.fixture
def analyst(services: Services, signed_in: Callable[..., FlaskClient]) -> FlaskClient:
    deploy_rma(services)
    return signed_in("analyst")


def _write(client: FlaskClient, url: str, **kwargs: object) -> object:
    return client.post(url, headers={"X-CSRFToken": csrf_token(client, "/modeler")}, **kwargs)  # type: ignore[arg-type]


def test_staff_get_403_and_no_menu_entry(services: Services, signed_in: Callable[..., FlaskClient]) -> None:
    deploy_rma(services)
    staff = signed_in("staff")
    assert staff.get("/modeler").status_code == 403
    assert staff.get("/modeler/processes/return/versions/1").status_code == 403
    assert 'href="/modeler"' not in staff.get("/tasks/").get_data(as_text=True)
    token = csrf_token(staff, "/tasks/")
    answer = staff.post("/modeler/form-preview", data="{}", headers={"X-CSRFToken": token})
    assert answer.status_code == 403


def test_the_index_lists_processes_decision_tables_and_their_versions(analyst: FlaskClient) -> None:
    page = analyst.get("/modeler")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert 'href="/modeler"' in text  # the menu's entry
    for key in ("return", "rma_case", "repair", "exchange", "complaint"):
        assert f'data-process="{key}"' in text
        assert f'href="/modeler/processes/{key}/versions/1"' in text
    for table in ("eligibility.dmn", "refund_deductions.dmn", "warranty.dmn", "repair_rules.dmn"):
        assert f'data-file="{table}" data-version="1"' in text
    assert "ana" in text  # who deployed
    assert "No drafts yet." in text


def test_a_draft_started_from_a_version_opens_in_the_editor(analyst: FlaskClient) -> None:
    answer = analyst.post(
        "/modeler/drafts",
        data={"process_key": "return", "version": "1", "csrf_token": csrf_token(analyst, "/modeler")},
    )
    assert answer.status_code == 302
    editor = answer.headers["Location"]
    assert re.fullmatch(r"/modeler/drafts/\d+", editor)
    page = analyst.get(editor).get_data(as_text=True)
    config = json.loads(html.unescape(CONFIG.search(page).group(1)))  # type: ignore[union-attr]
    assert config["file"] == "return.bpmn" and config["kind"] == "bpmn" and config["revision"] == 1
    assert config["urls"]["file"].endswith("/files/return.bpmn")
    assert "return_inspection.json" in config["forms"] and "refund_deductions" in config["decisions"]
    assert "/static/vendor/modeler/bpmn.js" in page
    for name in ("return_inspection.json", "refund_deductions.dmn"):
        assert f"?file={name}" in page
    form = analyst.get(f"{editor}?file=return_inspection.json").get_data(as_text=True)
    assert "/static/vendor/modeler/form.js" in form and 'id="form-text"' in form
    assert analyst.get(f"{editor}?file=nothing.bpmn").status_code == 404
    index = analyst.get("/modeler").get_data(as_text=True)
    assert f'href="{editor}"' in index and "No drafts yet." not in index


def test_a_deployed_version_opens_read_only(analyst: FlaskClient) -> None:
    page = analyst.get("/modeler/processes/return/versions/1").get_data(as_text=True)
    config = json.loads(html.unescape(CONFIG.search(page).group(1)))  # type: ignore[union-attr]
    assert (
        config["read_only"]
        and config["urls"]["source"] == "/api/v1/process-definitions/return/versions/1/bpmn"
    )
    assert 'id="editor-save"' not in page
    assert analyst.get("/modeler/processes/return/versions/9").status_code == 404


def test_the_form_preview_renders_the_schema_escaped(analyst: FlaskClient) -> None:
    schema = {
        "type": "object",
        "properties": {"note": {"type": "string", "title": "<script>alert(1)</script> Note"}},
    }
    answer = _write(
        analyst, "/modeler/form-preview", data=json.dumps(schema), content_type="application/json"
    )
    assert answer.status_code == 200  # type: ignore[attr-defined]
    text = answer.get_data(as_text=True)  # type: ignore[attr-defined]
    assert 'name="note"' in text and "<script>" not in text and "&lt;script&gt;" in text


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("{not json", "not valid JSON"),
        ('{"type": "object", "properties": {"n": {"type": "strin"}}}', "Not a valid JSON Schema"),
        ('{"type": "array"}', "A form is an object"),
    ],
)
def test_the_form_preview_reports_what_refuses_the_schema(
    analyst: FlaskClient, body: str, expected: str
) -> None:
    answer = _write(analyst, "/modeler/form-preview", data=body, content_type="application/json")
    assert answer.status_code == 400  # type: ignore[attr-defined]
    text = html.unescape(answer.get_data(as_text=True))  # type: ignore[attr-defined]
    assert expected in text and 'data-preview="refused"' in text


def test_the_timer_preview_gives_the_due_time_with_working_days(analyst: FlaskClient) -> None:
    thursday = "2026-04-30T10:00:00+08:00"  # before the May Day holidays (1 to 5 May)
    body = {"kind": "timeDate", "expression": "add_working_days(2)", "start": thursday}
    answer = _write(analyst, "/api/v1/timer-previews", json=body)
    assert answer.status_code == 200, answer.get_data(as_text=True)  # type: ignore[attr-defined]
    body = answer.get_json()  # type: ignore[attr-defined]
    assert body["value"] == "2026-05-07T16:00:00Z" and body["due_at"].startswith("2026-05-07T16:00:00")
    answer = _write(
        analyst,
        "/api/v1/timer-previews",
        json={"kind": "timeDuration", "expression": '"P7D"', "start": "2026-01-05T09:00:00+08:00"},
    )
    assert answer.get_json()["due_at"].startswith("2026-01-12T01:00:00")  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"kind": "timeDuration", "expression": "P7D"}, "expression", "case data"),
        ({"kind": "timeDuration", "expression": '"7 days"'}, "expression", "not valid ISO 8601"),
        ({"kind": "timeDate", "expression": '"2030-01-31T09:00:00"'}, "expression", "no UTC offset"),
        ({"kind": "timeDuration", "expression": "1 +"}, "expression", "does not compile"),
        ({"kind": "timeDate", "expression": "refund_due_at"}, "expression", "refund_due_at"),
        ({"kind": "timeLater", "expression": '"P1D"'}, "kind", "timeDuration"),
        ({"kind": "timeDuration", "expression": '"P1D"', "start": "tomorrow"}, "start", "ISO 8601"),
    ],
)
def test_a_broken_timer_expression_is_its_field_error(
    analyst: FlaskClient, body: dict[str, str], field: str, words: str
) -> None:
    answer = _write(analyst, "/api/v1/timer-previews", json=body)
    assert answer.status_code == 400  # type: ignore[attr-defined]
    (error,) = answer.get_json()["errors"]  # type: ignore[attr-defined]
    assert error["field"] == field and words in error["message"]


def test_staff_may_not_preview_timers(services: Services, signed_in: Callable[..., FlaskClient]) -> None:
    staff = signed_in("staff")
    token = csrf_token(staff, "/tasks/")
    body = {"kind": "timeDuration", "expression": '"P1D"'}
    answer = staff.post("/api/v1/timer-previews", json=body, headers={"X-CSRFToken": token})
    assert answer.status_code == 403
