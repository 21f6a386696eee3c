"""The managers' case list /monitor/instances on the real procedures: each filter, the text search,
sort, paging, filters kept in the links, the CSV export, bad input and who may open it."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator
from datetime import datetime
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
from flask import Flask, Response
from flask.testing import FlaskClient
from rma_cases import ROOT, case_data, deploy_rma
from support import ADMIN, AGENT, ANALYST, MANAGER

from rma_orchestrator.service.clock import move_clock
from rma_orchestrator.service.context import Services
from rma_orchestrator.service.definitions import deploy
from rma_orchestrator.service.instances import cancel_instance, start_instance, suspend_instance
from rma_orchestrator.service.results import InstanceInfo


@pytest.fixture
def rma(services: Services) -> Services:
    deploy_rma(services)
    return services


@pytest.fixture
def start_case(rma: Services) -> Callable[..., InstanceInfo]:
    def start(**changes: object) -> InstanceInfo:
        return start_instance(rma, "rma_case", case_data(rma, **changes), AGENT)

    return start


@pytest.fixture
def manager(signed_in: Callable[..., FlaskClient]) -> FlaskClient:
    return signed_in("manager")


def listed(client: FlaskClient, query: str = "") -> list[int]:
    """The instance ids of the list's rows, in their order (the answer must be a 200)."""
    answer = client.get(f"/monitor/instances{query}")
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return [int(i) for i in re.findall(r'<tr data-instance="(\d+)"', answer.get_data(as_text=True))]


def customer(name: str, phone: str) -> dict[str, str]:
    return {"name": name, "phone": phone, "email": "c@example.cn"}


def test_the_text_search_finds_a_case_by_rma_number_order_number_customer_name_or_phone(
    start_case: Callable[..., InstanceInfo], manager: FlaskClient
) -> None:
    wang = start_case(customer=customer("王伟 Wang Wei", "13800001111"), order_no="SO-FIND-ME-1")
    li = start_case(customer=customer("李娜 Li Na", "13912345678"), order_no="SO-OTHER-2")
    assert set(listed(manager)) == {wang.id, li.id}
    for query in (wang.business_key, "find-me", "王伟", "wang wei", "0000111"):
        assert listed(manager, f"?q={query}") == [wang.id], query
    assert listed(manager, "?q=13912345678") == [li.id]
    assert listed(manager, "?q=%25") == []  # a LIKE wildcard is a plain character
    page = manager.get("/monitor/instances?q=SO-FIND-ME-1").get_data(as_text=True)
    assert f'href="/monitor/instances/{wang.id}"' in page  # each row links to the case's monitor page
    assert "SO-FIND-ME-1" in page and "王伟 Wang Wei" in page and "13800001111" in page


def test_status_and_kind_filters(
    start_case: Callable[..., InstanceInfo], rma: Services, manager: FlaskClient
) -> None:
    running = start_case(kind="return")
    exchange = start_case(kind="exchange")
    cancelled = start_case(kind="repair")
    suspended = start_case(kind="return")
    cancel_instance(rma, cancelled.id, MANAGER)
    suspend_instance(rma, suspended.id, MANAGER)
    assert set(listed(manager, "?status=running")) == {running.id, exchange.id}
    assert listed(manager, "?status=cancelled") == [cancelled.id]
    assert listed(manager, "?status=suspended") == [suspended.id]
    assert listed(manager, "?kind=exchange") == [exchange.id]
    assert set(listed(manager, "?kind=return")) == {running.id, suspended.id}
    assert listed(manager, "?kind=return&status=running") == [running.id]


def test_process_and_version_filters(
    start_case: Callable[..., InstanceInfo], rma: Services, manager: FlaskClient
) -> None:
    first = start_case()
    changed = (
        (ROOT / "processes" / "rma_case.bpmn")
        .read_bytes()
        .replace(b"</bpmn:definitions>", b"<!-- v2 -->\n</bpmn:definitions>")
    )
    deploy(rma, {"rma_case.bpmn": changed}, ANALYST)
    second = start_case()
    assert listed(manager, "?process=rma_case") == [second.id, first.id]
    assert listed(manager, "?process=rma_case&version=1") == [first.id]
    assert listed(manager, "?process=rma_case&version=2") == [second.id]
    assert listed(manager, "?process=return") == []  # deployed, but only ever called by rma_case
    page = manager.get("/monitor/instances?process=rma_case&version=2").get_data(as_text=True)
    assert "rma_case v2" in page


def test_current_step_overdue_and_sla_breached_filters(
    start_case: Callable[..., InstanceInfo], rma: Services, manager: FlaskClient
) -> None:
    late = start_case()
    move_clock(rma, ADMIN, add="PT20H")
    fresh = start_case()
    move_clock(rma, ADMIN, add="PT5H")  # the first one's 24-hour first response has passed
    assert listed(manager, "?step=review_case") == [fresh.id, late.id]
    assert listed(manager, "?step=escalate_first_response") == [late.id]
    assert listed(manager, "?overdue=1") == [late.id]
    assert listed(manager, "?breached=1") == [late.id]
    assert listed(manager, "?breached=1&step=review_case&overdue=1") == [late.id]
    assert listed(manager, "?sort=due") == [late.id, fresh.id]  # the next deadline first
    assert listed(manager, "?sort=-due") == [fresh.id, late.id]
    page = manager.get("/monitor/instances").get_data(as_text=True)
    assert re.search(rf'<tr data-instance="{late.id}" class="overdue">', page)
    assert re.search(rf'<tr data-instance="{fresh.id}" class="">', page)
    assert page.count("badge breach") == 1
    options = re.findall(r'<option value="([^"]+)"', page.split('id="step"')[1].split("</select>")[0])
    assert options == ["escalate_first_response", "review_case"]  # the steps where cases wait now


def test_the_date_range_takes_whole_business_days(
    start_case: Callable[..., InstanceInfo], rma: Services, manager: FlaskClient
) -> None:
    zone = ZoneInfo(rma.settings.business_tz)
    move_clock(rma, ADMIN, set_to="2026-12-14T15:30:00+00:00")  # 23:30 on the 14th in Shanghai
    monday = start_case()
    move_clock(rma, ADMIN, add="PT1H")  # 00:30 on the 15th there, still the 14th in UTC
    tuesday = start_case()
    move_clock(rma, ADMIN, add="P2D")
    thursday = start_case()
    assert rma.clock.now().astimezone(zone).date().isoformat() == "2026-12-17"
    assert listed(manager, "?started_from=2026-12-14&started_to=2026-12-14") == [monday.id]
    assert listed(manager, "?started_from=2026-12-15&started_to=2026-12-15") == [tuesday.id]
    assert listed(manager, "?started_from=2026-12-15") == [thursday.id, tuesday.id]
    assert listed(manager, "?started_to=2026-12-16") == [tuesday.id, monday.id]


def test_sort_paging_and_filters_kept_in_every_link(
    start_case: Callable[..., InstanceInfo], rma: Services, manager: FlaskClient
) -> None:
    names = ["Chen", "Zhao", "An", "Bai", "Ding"]
    cases = {}
    for name in names:
        cases[name] = start_case(customer=customer(name, "13700000000"), kind="return")
        move_clock(rma, ADMIN, add="PT1M")
    start_case(kind="exchange")  # filtered out below
    by_name = [cases[n].id for n in sorted(names)]
    assert listed(manager, "?kind=return&sort=customer") == by_name
    assert listed(manager, "?kind=return&sort=-customer") == by_name[::-1]
    newest_first = [cases[n].id for n in reversed(names)]
    assert listed(manager, "?kind=return") == newest_first  # the default: the newest case first
    assert listed(manager, "?kind=return&sort=started") == newest_first[::-1]
    first = manager.get("/monitor/instances?kind=return&sort=customer&per_page=2").get_data(as_text=True)
    assert "5 cases, page 1 of 3" in first
    following = re.search(r'<a href="([^"]+)" rel="next">', first)
    assert following
    target = following.group(1).replace("&amp;", "&")
    assert parse_qs(urlsplit(target).query) == {
        "kind": ["return"],
        "sort": ["customer"],
        "per_page": ["2"],
        "page": ["2"],
    }
    assert listed(manager, target.removeprefix("/monitor/instances")) == by_name[2:4]
    assert listed(manager, "?kind=return&sort=customer&per_page=2&page=3") == by_name[4:]
    assert listed(manager, "?kind=return&sort=customer&per_page=2&page=9") == []
    header = re.search(r'<th scope="col" aria-sort="ascending">\s*<a href="([^"]+)"', first)
    assert header and parse_qs(urlsplit(header.group(1).replace("&amp;", "&")).query)["sort"] == ["-customer"]
    csv_link = re.search(r'<a class="button" href="([^"]+)" download>', first)
    assert csv_link
    assert parse_qs(urlsplit(csv_link.group(1).replace("&amp;", "&")).query) == {
        "kind": ["return"],
        "sort": ["customer"],
        "per_page": ["2"],
    }
    form_fields = "q=+Zhao+&status=&kind=return&version=&per_page=25&sort=-started"
    submitted = manager.get(f"/monitor/instances?{form_fields}")
    assert submitted.status_code == 302  # the form's empty fields and defaults left out of the link
    assert submitted.headers["Location"] == "/monitor/instances?kind=return&q=Zhao"
    form = manager.get("/monitor/instances?kind=return&q=Zhao&overdue=1").get_data(as_text=True)
    assert re.search(r'<option value="return" selected>', form) and 'value="Zhao"' in form
    assert re.search(r'name="overdue" value="1" checked', form)


def _csv(answer: object) -> list[list[str]]:
    text = answer.get_data(as_text=True)  # type: ignore[attr-defined]
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))


@pytest.fixture
def responses(app: Flask) -> list[Response]:
    """The responses the app hands to the server, as it made them (registered before any request)."""
    seen: list[Response] = []

    @app.after_request
    def _keep(response: Response) -> Response:
        seen.append(response)
        return response

    return seen


def test_the_csv_export_streams_every_match_in_order_defused_and_named_by_date(
    responses: list[Response],
    app: Flask,
    start_case: Callable[..., InstanceInfo],
    rma: Services,
    manager: FlaskClient,
) -> None:
    app.config["MONITOR_EXPORT_CHUNK"] = 2  # five cases in three chunks
    hostile = ['=HYPERLINK("http://evil")', "-1+2", "@SUM(A1)", 'Quote "me", please', "Plain"]
    cases = []
    for name in hostile:
        cases.append(start_case(customer=customer(name, "+86 13912345678"), kind="repair"))
        move_clock(rma, ADMIN, add="PT1M")
    start_case(kind="exchange")
    answer = manager.get("/monitor/instances.csv?kind=repair&sort=started&per_page=2&page=2")
    assert answer.status_code == 200
    manager.get("/monitor/instances")
    # the app's own responses (the test client wraps every answer as streamed): a generator for the CSV
    assert [(r.mimetype, r.is_streamed, isinstance(r.response, Iterator)) for r in responses[-2:]] == [
        ("text/csv", True, True),
        ("text/html", False, False),
    ]
    assert answer.mimetype == "text/csv"
    today = rma.clock.now().astimezone(ZoneInfo(rma.settings.business_tz)).date().isoformat()
    assert f'filename="rma-cases-{today}.csv"' in answer.headers["Content-Disposition"]
    header, *rows = _csv(answer)
    assert header[:4] == ["RMA number", "Order number", "Customer", "Phone"]
    assert [r[0] for r in rows] == [c.business_key for c in cases]  # every page, in the list's order
    assert [r[2] for r in rows] == [
        '\'=HYPERLINK("http://evil")',
        "'-1+2",
        "'@SUM(A1)",
        'Quote "me", please',
        "Plain",
    ]
    assert [r[3] for r in rows] == ["'+86 13912345678"] * 5
    assert [r[5] for r in rows] == ["Repair"] * 5 and all(r[6] == "rma_case" for r in rows)
    started = datetime.fromisoformat(rows[0][13])
    assert started.utcoffset() is not None and started == cases[0].started_at.replace(microsecond=0)
    raw = answer.get_data(as_text=True)
    assert '"\'=HYPERLINK(""http://evil"")"' in raw and "\r\n" in raw  # RFC 4180 quoting


def test_the_csv_of_a_descending_sort_on_a_column_with_blanks_keeps_every_row_once(
    app: Flask, start_case: Callable[..., InstanceInfo], rma: Services, manager: FlaskClient
) -> None:
    app.config["MONITOR_EXPORT_CHUNK"] = 1
    early, tied, tied_later = start_case(), start_case(), start_case()
    running = [start_case(), start_case()]  # no end: blank
    cancel_instance(rma, early.id, MANAGER)
    move_clock(rma, ADMIN, add="PT1M")
    cancel_instance(rma, tied.id, MANAGER)
    cancel_instance(rma, tied_later.id, MANAGER)
    expected = [tied_later, tied, early, running[1], running[0]]  # blanks last, ties newest first
    ended = {c.id: c for c in expected}
    assert len(ended) == 5
    rows = _csv(manager.get("/monitor/instances.csv?sort=-ended"))[1:]
    assert [r[0] for r in rows] == [c.business_key for c in expected]
    assert listed(manager, "?sort=-ended") == [c.id for c in expected]
    assert [r[0] for r in _csv(manager.get("/monitor/instances.csv?sort=ended"))[1:]] == [
        c.business_key for c in (early, tied, tied_later, running[0], running[1])
    ]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("status=lost", "Status"),
        ("kind=refund", "Kind"),
        ("process=no_such_process", "Process"),
        ("process=rma_case&version=7", "Version"),
        ("version=1", "Version"),
        ("version=abc", "Version"),
        ("started_from=2026-13-01", "Registered from"),
        ("started_from=yesterday", "Registered from"),
        ("started_from=0001-01-01", "Registered from"),
        ("started_to=9999-12-31", "Registered until"),
        ("step=%00", "Current step"),
        ("started_from=2026-12-05&started_to=2026-12-01", "Registered until"),
        ("overdue=maybe", "Overdue only"),
        ("breached=yes", "SLA breached only"),
        ("sort=price", "Sort"),
        ("page=0", "Page"),
        ("page=-1", "Page"),
        ("per_page=1000", "Rows per page"),
        ("q=" + "x" * 101, "Search"),
        ("q=%00", "Search"),
    ],
)
def test_a_bad_filter_is_said_on_the_page_and_is_a_400_for_the_csv(
    rma: Services, manager: FlaskClient, query: str, field: str
) -> None:
    start_instance(rma, "rma_case", case_data(rma), AGENT)
    answer = manager.get(f"/monitor/instances?{query}")
    page = answer.get_data(as_text=True)
    assert answer.status_code == 400
    assert "These filters could not be used" in page and f"<li>{field}:" in page
    assert "data-instance" not in page and "Traceback" not in page
    exported = manager.get(f"/monitor/instances.csv?{query}")
    assert exported.status_code == 400 and exported.mimetype == "text/html"


def test_the_page_speaks_chinese(rma: Services, signed_in: Callable[..., FlaskClient]) -> None:
    start_instance(rma, "rma_case", case_data(rma), AGENT)
    client = signed_in("manager", language="zh-CN")
    page = client.get("/monitor/instances").get_data(as_text=True)
    assert "全部案件" in page and "下载 CSV" in page
    bad = client.get("/monitor/instances?started_from=x").get_data(as_text=True)
    assert "登记起始日：请按 YYYY-MM-DD 填写日期" in bad
    header = _csv(client.get("/monitor/instances.csv"))[0]
    assert header[0] == "售后单号"


@pytest.mark.parametrize("path", ["/monitor/", "/monitor/instances", "/monitor/instances.csv"])
def test_only_managers_and_admins_open_monitor_pages(
    app: Flask, signed_in: Callable[..., FlaskClient], path: str
) -> None:
    for who in ("staff", "warehouse", "analyst"):
        answer = signed_in(who).get(path)
        assert answer.status_code == 403, who
        assert "You may not open this" in answer.get_data(as_text=True) and "text/html" in answer.content_type
    stranger = app.test_client().get(path)
    assert stranger.status_code == 302 and stranger.headers["Location"].startswith("/login?next=/monitor")
    for who in ("manager", "admin"):
        assert signed_in(who).get(path).status_code == (302 if path == "/monitor/" else 200), who


def test_the_menu_shows_the_case_list_to_managers_only(signed_in: Callable[..., FlaskClient]) -> None:
    assert 'href="/monitor/instances"' in signed_in("manager").get("/tasks").get_data(as_text=True)
    assert 'href="/monitor/instances"' not in signed_in("staff").get("/tasks").get_data(as_text=True)
