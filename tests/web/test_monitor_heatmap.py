"""The SLA heatmap page /monitor/heatmap: managers only, a bad query is a 400 that says why, the
element table with the late step marked, an element's late cases with their breakdown and the link
that reproduces them in the case list."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

import pytest
from flask.testing import FlaskClient
from parcel_cases import parcel_cases
from rma_cases import case_data, deploy_rma
from support import ADMIN, AGENT, MANAGER

from rma_orchestrator.service.clock import move_clock
from rma_orchestrator.service.context import Services
from rma_orchestrator.service.instances import get_instance, start_instance
from rma_orchestrator.service.tasks import complete_task

PHONE = {
    "sku": "PH-1",
    "name": "手机 Phone",
    "category": "electronics",
    "exclusion": "none",
    "price_paid": "1.00",
}


@pytest.fixture
def manager(signed_in: Callable[..., FlaskClient]) -> FlaskClient:
    return signed_in("manager")


def links(text: str) -> dict[str, dict[str, list[str]]]:
    """The query of each link of the page, by its id."""
    found = {}
    for anchor_id, href in re.findall(r'<a id="([^"]+)" href="([^"]+)"', text):
        found[anchor_id] = parse_qs(urlsplit(html.unescape(href)).query)
    return found


def late_cases(services: Services) -> tuple[int, int, str, str]:
    """Two cases past their 24-hour first response (one answered late), a third answered in time."""
    deploy_rma(services)
    answered = start_instance(services, "rma_case", case_data(services, reason="no_reason"), AGENT)
    late = start_instance(
        services, "rma_case", case_data(services, reason="wrong_item", product=PHONE), AGENT
    )
    waiting = start_instance(services, "rma_case", case_data(services, reason="wrong_item"), AGENT)
    answer = {"eligible": False, "approved": False, "return_method": "not_applicable"}
    for instance_id, later in ((answered.id, "PT1H"), (late.id, "PT25H")):
        move_clock(services, ADMIN, add=later)
        detail = get_instance(services, instance_id, MANAGER)
        (task,) = [t for t in detail.tasks if t.element_id == "review_case"]
        complete_task(services, task.id, answer, MANAGER)
    return late.id, waiting.id, late.business_key, waiting.business_key


def test_staff_without_the_manager_role_get_403(signed_in: Callable[..., FlaskClient]) -> None:
    for who in ("staff", "analyst"):
        assert signed_in(who).get("/monitor/heatmap").status_code == 403, who
        assert signed_in(who).get("/monitor/heatmap?process=rma_case").status_code == 403, who


@pytest.mark.parametrize(
    ("query", "says"),
    [
        ("process=no_such_process", "no process 'no_such_process' is deployed"),
        ("process=rma_case&version=99", "has no version 99"),
        ("process=rma_case&days=5", "must be one of 7, 30, 90"),
        ("process=rma_case&from=2026-13-01&to=2026-12-01", "must be a date written YYYY-MM-DD"),
        ("process=rma_case&threshold=abc", "must be a percentage from 0 to 100"),
        ("process=rma_case&call=no_such_process", "calls no process 'no_such_process'"),
        ("process=rma_case&call=" + "x" * 300, "name a process the version calls"),
        ("days=7", "name a deployed process"),
    ],
)
def test_a_bad_query_is_a_400_that_says_why(
    services: Services, manager: FlaskClient, query: str, says: str
) -> None:
    deploy_rma(services)
    answer = manager.get(f"/monitor/heatmap?{query}")
    assert answer.status_code == 400
    text = html.unescape(answer.get_data(as_text=True))
    assert 'id="heatmap-problems"' in text and says in text


def test_without_a_query_the_page_offers_the_processes(services: Services, manager: FlaskClient) -> None:
    deploy_rma(services)
    text = manager.get("/monitor/heatmap").get_data(as_text=True)
    assert 'href="/monitor/heatmap?process=rma_case"' in text


def test_the_late_step_its_cases_and_their_breakdown(services: Services, manager: FlaskClient) -> None:
    late_id, waiting_id, late_key, waiting_key = late_cases(services)
    answer = manager.get("/monitor/heatmap?process=rma_case&days=7")
    assert answer.status_code == 200
    text = answer.get_data(as_text=True)
    row = re.search(r'<tr data-element="review_case" class="hot">(.*?)</tr>', text, re.S)
    assert row is not None, "the review is marked late"
    assert "2 / 3" in row.group(1)  # late cases among the cases that reached it
    assert 'id="heatmap-data"' in text and "rma-heat" not in text  # the overlays are drawn by heatmap.js
    assert 'id="late-cases"' not in text  # no element chosen yet

    text = manager.get("/monitor/heatmap?process=rma_case&days=7&element=review_case").get_data(as_text=True)
    cases = re.search(r'<table id="late-case-table">(.*?)</table>', text, re.S)
    assert cases is not None
    assert f'href="/monitor/instances/{late_id}">{late_key}<' in cases.group(1)
    assert f'href="/monitor/instances/{waiting_id}">{waiting_key}<' in cases.group(1)
    assert len(re.findall(r"<tr data-instance=", cases.group(1))) == 2
    by_reason = re.search(r'<table id="late-by-reason">(.*?)</table>', text, re.S)
    assert by_reason is not None and "Wrong item" in by_reason.group(1) and "<td>2</td>" in by_reason.group(1)
    by_category = re.search(r'<table id="late-by-category">(.*?)</table>', text, re.S)
    assert by_category is not None
    assert "Electronics" in by_category.group(1) and "Home goods" in by_category.group(1)

    listed = links(text)["late-case-list"]
    version = str(get_instance(services, late_id, MANAGER).version)
    assert listed["process"] == ["rma_case"] and listed["version"] == [version]
    assert listed["sla"] == ["first_response"]
    assert "started_from" in listed and "started_to" in listed
    href = re.search(r'<a id="late-case-list" href="([^"]+)"', text)
    assert href is not None
    shown = manager.get(html.unescape(href.group(1))).get_data(as_text=True)
    assert late_key in shown and waiting_key in shown


def test_the_heatmap_speaks_chinese(services: Services, signed_in: Callable[..., FlaskClient]) -> None:
    deploy_rma(services)
    text = signed_in("manager", "zh-CN").get("/monitor/heatmap?process=rma_case").get_data(as_text=True)
    assert "SLA 热力图" in text


def test_the_dashboard_links_to_the_heatmap_of_its_period(services: Services, manager: FlaskClient) -> None:
    deploy_rma(services)
    text = manager.get("/monitor/dashboard?days=7").get_data(as_text=True)
    assert links(text)["heatmap-link"] == {"process": ["rma_case"], "days": ["7"]}


def test_a_call_activity_links_to_the_heatmap_of_the_process_it_calls(
    services: Services, manager: FlaskClient
) -> None:
    parcel_cases(services)
    text = manager.get("/monitor/heatmap?process=heat_parent&days=7").get_data(as_text=True)
    row = re.search(r'<tr data-element="check_parcel">(.*?)</tr>', text, re.S)
    assert row is not None, "the call activity has its row"
    cells = re.findall(r"<td>(.*?)</td>", row.group(1), re.S)
    assert cells[1:5] == ["1", "1", "4.0 h", "4.0 h"]  # passed, running now, median, p90
    href = re.search(r'<a href="([^"]+)" class="call-link">Check the parcel</a>', row.group(1))
    assert href is not None
    called = parse_qs(urlsplit(html.unescape(href.group(1))).query)
    assert called == {"process": ["heat_parent"], "days": ["7"], "version": ["1"], "call": ["heat_child"]}
    drawn = json.loads(html.unescape(re.search(r'id="heatmap-data">(.*?)</script>', text, re.S).group(1)))
    overlays = {e["element_id"]: e for e in drawn["elements"]}
    assert overlays["check_parcel"]["url"] == html.unescape(href.group(1))  # the diagram's click
    assert overlays["wait_parcel"]["url"] is None and "median 1.0 h" in overlays["wait_parcel"]["label"]
    assert (
        "passed 3" in overlays["wait_two_hours"]["label"]
        and "median 2.0 h" in overlays["wait_two_hours"]["label"]
    )

    text = manager.get(html.unescape(href.group(1))).get_data(as_text=True)
    assert "heat_parent v1 › heat_child" in text
    assert (
        re.search(r'<tr data-element="inspect_parcel">', text) and 'data-element="check_parcel"' not in text
    )
    back = links(text)["caller-link"]
    assert back == {"process": ["heat_parent"], "days": ["7"], "version": ["1"]}
