"""Batch actions from the managers' case list: ticked rows or every case of the filter, a preview that
says how many and which and asks for a reason (kept as a prepared run, its ids in the database), the
start that answers at once, and the report that reloads itself while the batch worker (drained here
in the test's thread, as the scheduler runs it) works the cases, and the stop (issue 11 item 5)."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from flask.testing import FlaskClient
from formpost import posted
from lxml import html
from page_client import csrf_token
from support import MANAGER
from werkzeug.test import TestResponse

from rma_orchestrator.service import batches
from rma_orchestrator.service.batch_work import work_on_batches
from rma_orchestrator.service.context import Services
from rma_orchestrator.service.instances import cancel_instance, get_instance, list_events
from rma_orchestrator.service.results import InstanceInfo

Start = Callable[..., InstanceInfo]


@pytest.fixture
def manager(signed_in: Callable[..., FlaskClient]) -> FlaskClient:
    return signed_in("manager")


def form_of(page: str, form_id: str) -> str:
    """The inner HTML of the form ``form_id`` of a page."""
    (form,) = html.fromstring(page).xpath(f"//form[@id='{form_id}']")
    return "".join(html.tostring(child, encoding="unicode") for child in form)


def preview(
    client: FlaskClient, ids: list[int], action: str = "cancel", query: str = "", **extra: str
) -> str:
    """Tick ``ids`` on the list (of ``query``), choose ``action`` and press Preview: the preview page
    (after its redirect), as ``STATUS\nPAGE``."""
    page = client.get(f"/monitor/instances{query}").get_data(as_text=True)
    data = posted(form_of(page, "batch-form"))
    data.setlist("instance_id", [str(i) for i in ids])
    data["action"] = action
    for name, value in extra.items():
        data[name] = value
    answer = client.post("/monitor/batches/preview", data=data)
    if answer.status_code == 303:
        assert re.fullmatch(r"/monitor/batches/\d+", answer.headers["Location"])
        answer = client.get(answer.headers["Location"])
    return f"{answer.status_code}\n" + answer.get_data(as_text=True)


def start(client: FlaskClient, page: str, reason: str) -> TestResponse:
    """Fill in the reason on a preview page (``STATUS\nPAGE``) and press the run button."""
    markup = page.split("\n", 1)[1]
    (action,) = html.fromstring(markup).xpath("//form[@id='batch-run-form']/@action")
    data = posted(form_of(markup, "batch-run-form"))
    data["reason"] = reason
    return client.post(action, data=data)


def status(services: Services, instance_id: int) -> str:
    return get_instance(services, instance_id, MANAGER).status


def test_the_list_offers_a_checkbox_per_row_and_all_matching(
    start_order: Start, manager: FlaskClient
) -> None:
    cases = [start_order() for _ in range(3)]
    page = manager.get("/monitor/instances?status=running").get_data(as_text=True)
    boxes = re.findall(r'name="instance_id" value="(\d+)"', page)
    assert sorted(map(int, boxes)) == sorted(c.id for c in cases)
    assert "all 3 cases matching this filter" in page
    assert 'name="filter" value="status=running"' in page
    assert 'value="retry_incidents"' in page and 'value="suspend"' in page


def prepared_ids(services: Services, page: str) -> list[int]:
    """The case ids the prepared run of a preview page holds."""
    (action,) = html.fromstring(page.split("\n", 1)[1]).xpath("//form[@id='batch-run-form']/@action")
    batch_id = int(action.split("/")[-2])
    return batches.get_prepared_batch(services, batch_id, MANAGER).instance_ids


def test_a_preview_lists_the_ticked_cases_and_asks_for_a_reason(
    deployed: Services, start_order: Start, manager: FlaskClient
) -> None:
    first, second, other = start_order(), start_order(), start_order()
    page = preview(manager, [first.id, second.id])
    assert page.startswith("200")
    assert "2 cases" in page and "the ticked cases" in page and "worked in the background" in page
    assert first.business_key in page and second.business_key in page and other.business_key not in page
    run_form = form_of(page.split("\n", 1)[1], "batch-run-form")
    assert "instance_id" not in run_form  # the ids are in the prepared run, not in the form
    assert prepared_ids(deployed, page) == [first.id, second.id]
    assert re.search(r"<textarea[^>]*name=\"reason\"[^>]*required", run_form)
    assert {status(deployed, c.id) for c in (first, second, other)} == {"running"}  # nothing changed yet


def test_all_matching_resolves_every_case_of_the_filter(
    deployed: Services, start_order: Start, manager: FlaskClient
) -> None:
    cases = [start_order() for _ in range(3)]
    cancel_instance(deployed, cases[0].id, MANAGER)
    page = preview(manager, [], query="?status=running&sort=started", all_matching="1")
    assert page.startswith("200") and "every case matching the filter" in page and "status=running" in page
    assert prepared_ids(deployed, page) == [c.id for c in cases[1:]]


def test_a_run_without_a_reason_is_refused_and_changes_nothing(
    deployed: Services, start_order: Start, manager: FlaskClient
) -> None:
    case = start_order()
    page = preview(manager, [case.id])
    answer = start(manager, page, "   ")
    assert answer.status_code == 400
    assert "Give a reason" in answer.get_data(as_text=True)
    assert 'id="batch-run-form"' in answer.get_data(as_text=True)  # the same preview, asking again
    assert work_on_batches(deployed) == 0
    assert status(deployed, case.id) == "running"


def test_a_run_answers_at_once_and_its_report_shows_progress_then_what_failed_and_why(
    deployed: Services, start_order: Start, manager: FlaskClient
) -> None:
    done, ended = start_order(), start_order()
    page = preview(manager, [done.id, ended.id])
    cancel_instance(deployed, ended.id, MANAGER)  # meanwhile, someone else
    answer = start(manager, page, "duplicate registrations")
    assert answer.status_code == 303
    report_url = answer.headers["Location"]
    assert re.fullmatch(r"/monitor/batches/\d+", report_url)
    assert status(deployed, done.id) == "running"  # nothing is done inside the request
    running = manager.get(report_url).get_data(as_text=True)
    assert '<meta http-equiv="refresh" content="2">' in running and 'id="batch-stop"' in running
    assert "0 done, 0 failed, 2 not done yet, of 2" in running and 'data-status="running"' in running
    assert start(manager, page, "sent twice").headers["Location"] == report_url  # the same run

    assert work_on_batches(deployed) == 2  # the scheduler's batch worker
    report = manager.get(report_url).get_data(as_text=True)
    assert 'http-equiv="refresh"' not in report and 'id="batch-stop"' not in report
    assert "1 done, 1 failed, 0 not done yet, of 2" in report and "duplicate registrations" in report
    assert 'data-status="finished"' in report
    items = html.fromstring(report).xpath("//table[@id='batch-items']//tr[@data-instance]")
    assert {row.get("data-instance"): row.get("data-outcome") for row in items} == {
        str(done.id): "ok",
        str(ended.id): "failed",
    }
    failures = html.fromstring(report).xpath("//table[@id='batch-failures']//tr[@data-instance]")
    assert [row.get("data-instance") for row in failures] == [str(ended.id)]
    assert "already ended" in failures[0].text_content()
    assert status(deployed, done.id) == "cancelled"
    cancelled = [e for e in list_events(deployed, done.id, MANAGER).items if e.kind == "instance_cancelled"]
    assert [e.details.get("reason") for e in cancelled] == ["duplicate registrations"]
    only_failed = manager.get(f"{report_url}?outcome=failed").get_data(as_text=True)
    rows = html.fromstring(only_failed).xpath("//table[@id='batch-items']//tr[@data-instance]")
    assert [row.get("data-instance") for row in rows] == [str(ended.id)]


def test_a_run_is_stopped_from_its_report(
    deployed: Services, start_order: Start, manager: FlaskClient
) -> None:
    cases = [start_order() for _ in range(3)]
    report_url = start(manager, preview(manager, [c.id for c in cases], "suspend"), "hold").headers[
        "Location"
    ]
    assert work_on_batches(deployed, limit=1) == 1
    report = manager.get(report_url).get_data(as_text=True)
    data = posted(form_of(report, "batch-stop-form"))
    answer = manager.post(f"{report_url}/stop", data=data)
    assert answer.status_code == 303 and answer.headers["Location"] == report_url
    stopped = manager.get(report_url).get_data(as_text=True)
    assert 'data-status="stopped"' in stopped and "2 skipped" in stopped and 'id="batch-stop"' not in stopped
    assert work_on_batches(deployed) == 0
    assert [status(deployed, c.id) for c in cases] == ["suspended", "running", "running"]
    assert manager.post(f"{report_url}/stop", data=data).status_code == 409


def test_the_cap_is_said_on_the_page(
    start_order: Start, manager: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    cases = [start_order() for _ in range(3)]
    monkeypatch.setattr(batches, "MAX_BATCH", 2)
    page = preview(manager, [], query="?status=running", all_matching="1")
    assert page.startswith("400") and "At most 2 cases per batch: narrow the filter." in page
    page = preview(manager, [c.id for c in cases])
    assert page.startswith("400") and "At most 2 cases per batch" in page


def test_nothing_ticked_is_said(start_order: Start, manager: FlaskClient) -> None:
    start_order()
    page = preview(manager, [])
    assert page.startswith("400") and "Choose at least one case" in page


def test_staff_get_403_on_every_batch_page(
    deployed: Services, start_order: Start, signed_in: Callable[..., FlaskClient], manager: FlaskClient
) -> None:
    case = start_order()
    page = preview(manager, [case.id])
    (start_url,) = html.fromstring(page.split("\n", 1)[1]).xpath("//form[@id='batch-run-form']/@action")
    preview_url = start_url.rsplit("/", 1)[0]
    other = start_order()
    report_url = start(manager, preview(manager, [other.id]), "ok").headers["Location"]
    for who in ("staff", "analyst"):
        client = signed_in(who)
        token = csrf_token(client, "/tasks")
        form = {"csrf_token": token, "action": "cancel", "instance_id": str(case.id), "reason": "no"}
        assert client.post("/monitor/batches/preview", data=form).status_code == 403, who
        assert client.get(preview_url).status_code == 403, who
        assert client.post(start_url, data=form).status_code == 403, who
        assert client.get(report_url).status_code == 403, who
        assert client.post(f"{report_url}/stop", data=form).status_code == 403, who
    assert manager.get(report_url).status_code == 200
    assert manager.get(preview_url).status_code == 200  # still a preview: nobody started it
    assert work_on_batches(deployed) == 1
    assert (status(deployed, case.id), status(deployed, other.id)) == ("running", "cancelled")
