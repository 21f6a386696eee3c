"""The managers' dashboard page /monitor/dashboard: who may open it, the period in the URL, charts
with their tables, links that reproduce each figure in the case list, the calendar warning."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
from flask.testing import FlaskClient
from rma_cases import case_data, deploy_rma
from support import ADMIN, AGENT, MANAGER

from rma_orchestrator.service.calendar import confirm_year
from rma_orchestrator.service.clock import move_clock
from rma_orchestrator.service.context import Services
from rma_orchestrator.service.instances import get_instance, start_instance
from rma_orchestrator.service.tasks import complete_task


@pytest.fixture
def manager(signed_in: Callable[..., FlaskClient]) -> FlaskClient:
    return signed_in("manager")


def page(client: FlaskClient, query: str = "") -> str:
    answer = client.get(f"/monitor/dashboard{query}")
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return answer.get_data(as_text=True)


def links(text: str) -> list[tuple[str, dict[str, list[str]]]]:
    """(path, query) of every link of the page."""
    found = []
    for href in re.findall(r'href="([^"]+)"', text):
        parts = urlsplit(html.unescape(href))
        found.append((parts.path, parse_qs(parts.query)))
    return found


def test_staff_without_the_manager_role_get_403(signed_in: Callable[..., FlaskClient]) -> None:
    for who in ("staff", "analyst"):
        assert signed_in(who).get("/monitor/dashboard").status_code == 403, who
        assert signed_in(who).get("/monitor/dashboard?days=7").status_code == 403, who


def test_monitor_is_the_dashboard_with_its_period_kept(
    manager: FlaskClient, signed_in: Callable[..., FlaskClient]
) -> None:
    answer = manager.get("/monitor/?days=7")
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/monitor/dashboard?days=7")
    assert manager.get("/monitor", follow_redirects=True).request.path == "/monitor/dashboard"
    assert signed_in("staff").get("/monitor/").status_code == 403


def test_the_menu_offers_the_dashboard_to_managers(manager: FlaskClient) -> None:
    assert 'href="/monitor/dashboard"' in page(manager, "?days=7")


def test_the_period_is_in_the_url_and_reaches_every_link(services: Services, manager: FlaskClient) -> None:
    deploy_rma(services)
    start_instance(services, "rma_case", case_data(services, reason="wrong_item"), AGENT)
    text = page(manager, "?from=2026-01-01&to=2026-12-31")
    assert 'value="2026-01-01"' in text and 'value="2026-12-31"' in text
    period_links = [q for path, q in links(text) if path == "/monitor/instances" and "started_from" in q]
    assert period_links, "no figure links to the period's cases"
    assert all(
        q["started_from"] == ["2026-01-01"] and q["started_to"] == ["2026-12-31"] for q in period_links
    )
    week = page(manager, "?days=7")
    assert 'aria-current="page"' in week.split("last 7 days")[0].rsplit("<a", 1)[1]


@pytest.mark.parametrize(
    "query",
    ["?days=8", "?from=2026-02-30&to=2026-03-01", "?from=2026-03-02&to=2026-03-01", "?from=2026-03-02"],
)
def test_a_bad_period_is_a_400_that_says_why(manager: FlaskClient, query: str) -> None:
    answer = manager.get(f"/monitor/dashboard{query}")
    assert answer.status_code == 400
    assert 'id="period-problems"' in answer.get_data(as_text=True)


def test_figures_link_to_the_cases_behind_them_and_every_chart_has_its_table(
    services: Services, manager: FlaskClient
) -> None:
    deploy_rma(services)
    late = start_instance(services, "rma_case", case_data(services, reason="wrong_item"), AGENT)
    start_instance(services, "rma_case", case_data(services, kind="exchange", reason="no_reason"), AGENT)
    move_clock(services, ADMIN, add="PT25H")  # both first responses are breached, both reviews overdue
    (task,) = [t for t in get_instance(services, late.id, MANAGER).tasks if t.element_id == "review_case"]
    answer = {"eligible": False, "approved": False, "return_method": "not_applicable"}
    complete_task(services, task.id, answer, MANAGER)
    text = page(manager, "?days=7")
    found = links(text)
    today = services.clock.now().astimezone(ZoneInfo(services.settings.business_tz)).date()
    period = {"started_to": [today.isoformat()]}

    def linked(path: str, **query: list[str]) -> bool:
        return any(p == path and all(q.get(k) == v for k, v in query.items()) for p, q in found)

    assert linked("/monitor/instances", kind=["exchange"], status=["running"])
    assert linked("/monitor/instances", step=["review_case"])
    assert linked("/tasks", view=["all"], group=["customer_service"], overdue=["1"])
    assert linked("/monitor/instances", sla=["first_response"], **period)
    assert linked("/monitor/instances", reason=["wrong_item"], **period)
    assert linked("/monitor/instances", reason=["wrong_item"], outcome=["end_refunded"], **period)
    assert linked("/monitor/instances", category=["home_goods"], **period)
    assert linked("/monitor/instances", kind=["repair"], status=["completed"], **period)
    for chart in (
        "chart-open",
        "chart-steps",
        "chart-overdue",
        "chart-sla",
        "chart-reason",
        "chart-category",
    ):
        figure = text.split(f'id="{chart}"', 1)[1].split("</figure>", 1)[0]
        assert f'<span id="{chart}-title">' in figure and f'<span id="{chart}-desc">' in figure, chart
        assert f'<ol class="bars" aria-labelledby="{chart}-title"' in figure, chart
        assert "<details" in figure and "<table" in figure, chart
    sla_table = text.split('id="table-sla"', 1)[1].split("</table>", 1)[0]
    assert re.search(
        r"<code>first_response</code></td><td><a [^>]+>2</a></td><td>0</td><td>0</td><td>100.0 %", sla_table
    )
    assert ">2</a></h2>" in text  # the period's cases, linked
    reasons = text.split('id="table-reason"', 1)[1].split("</table>", 1)[0]
    assert "Wrong item" in reasons and "No reason (unused)" in reasons


def test_the_list_reproduces_a_linked_figure(services: Services, manager: FlaskClient) -> None:
    deploy_rma(services)
    late = start_instance(services, "rma_case", case_data(services, reason="wrong_item"), AGENT)
    start_instance(services, "rma_case", case_data(services, reason="no_reason"), AGENT)
    move_clock(services, ADMIN, add="PT1H")
    text = page(manager, "?days=7")
    hrefs = [html.unescape(h) for h in re.findall(r'href="([^"]+)"', text)]
    href = next(h for h in hrefs if "reason=wrong_item" in h and "outcome" not in h)  # the table's cases
    listed = manager.get(href).get_data(as_text=True)
    assert re.findall(r'<tr data-instance="(\d+)"', listed) == [str(late.id)]


def test_the_calendar_warning_shows_when_the_calendar_runs_out(
    services: Services, manager: FlaskClient
) -> None:
    last = services.calendar.get().last_known_year()
    with services.uow() as uow:  # 20 days before the known calendar runs out
        uow.settings.save_controlled_time(datetime(last, 12, 11, 4, tzinfo=UTC))
        uow.commit()
    text = page(manager)
    assert 'id="calendar-warning"' in text and f"rma calendar confirm {last + 1}" in text
    assert f"{last + 1} is not confirmed" in text
    confirm_year(services, last + 1, ADMIN)
    assert 'id="calendar-warning"' not in page(manager)


def test_the_page_speaks_chinese(signed_in: Callable[..., FlaskClient]) -> None:
    text = page(signed_in("manager", "zh"), "?days=7")
    assert "仪表板" in text and "最近 7 天" in text
