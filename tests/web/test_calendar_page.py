"""/monitor/calendar (issue 11 item 6): the known years, each year's days, admins enter and remove days
and confirm a year; managers read it; other staff get 403."""

from __future__ import annotations

import re
from collections.abc import Callable

from flask.testing import FlaskClient
from page_client import csrf_token

from rma_orchestrator.service.context import Services


def known(page: str) -> dict[str, str]:
    return dict(re.findall(r'<tr data-year="(\d+)" data-known="(\w+)"', page))


def test_admins_enter_and_remove_days_and_confirm_a_year(
    services: Services, signed_in: Callable[..., FlaskClient]
) -> None:
    admin = signed_in("admin")
    page = admin.get("/monitor/calendar").get_data(as_text=True)
    assert known(page)["2026"] == "yes" and known(page)["2027"] == "no"
    assert "official (bundled State Council schedule)" in page
    assert 'id="year-title">2027<' in page  # the first year the calendar lacks is shown
    token = csrf_token(admin, "/monitor/calendar")

    answer = admin.post(
        "/monitor/calendar/days", data={"csrf_token": token, "date": "2027-02-11", "kind": "holiday"}
    )
    assert answer.status_code == 303 and answer.headers["Location"].endswith("/monitor/calendar?year=2027")
    admin.post("/monitor/calendar/days", data={"csrf_token": token, "date": "2027-02-07", "kind": "workday"})
    page = admin.get("/monitor/calendar?year=2027").get_data(as_text=True)
    assert re.search(r'id="holidays">.*2027-02-11', page) and re.search(
        r'id="makeup-days">.*2027-02-07', page
    )
    assert 'data-day="2027-02-11"' in page and 'id="confirm-year"' in page

    assert admin.post("/monitor/calendar/years/2027/confirm", data={"csrf_token": token}).status_code == 303
    page = admin.get("/monitor/calendar?year=2027").get_data(as_text=True)
    assert known(page)["2027"] == "yes" and "confirmed by root" in page and 'id="confirm-year"' not in page
    assert services.calendar.get().is_working_day("2027-02-07")

    answer = admin.post("/monitor/calendar/days/2027-02-07/remove", data={"csrf_token": token})
    assert answer.status_code == 303
    assert 'data-day="2027-02-07"' not in admin.get("/monitor/calendar?year=2027").get_data(as_text=True)
    assert not services.calendar.get().is_working_day("2027-02-07")


def test_a_bad_date_or_kind_says_what_to_fix_and_keeps_what_was_typed(
    signed_in: Callable[..., FlaskClient],
) -> None:
    admin = signed_in("admin")
    token = csrf_token(admin, "/monitor/calendar")
    answer = admin.post(
        "/monitor/calendar/days", data={"csrf_token": token, "date": "2027-02-30", "kind": "holiday"}
    )
    page = answer.get_data(as_text=True)
    assert (
        answer.status_code == 400 and "Date: write it as YYYY-MM-DD" in page and 'value="2027-02-30"' in page
    )
    answer = admin.post(
        "/monitor/calendar/days", data={"csrf_token": token, "date": "2027-02-11", "kind": "weekend"}
    )
    assert answer.status_code == 400 and "Kind: choose a holiday" in answer.get_data(as_text=True)
    assert "data-day=" not in admin.get("/monitor/calendar?year=2027").get_data(as_text=True)


def test_managers_read_it_without_forms_and_others_get_403(signed_in: Callable[..., FlaskClient]) -> None:
    manager = signed_in("manager")
    page = manager.get("/monitor/calendar").get_data(as_text=True)
    assert known(page)["2026"] == "yes" and "Only admins change the calendar." in page
    assert 'id="add-day"' not in page and 'id="confirm-year"' not in page
    assert 'href="/monitor/calendar"' in page  # in the menu
    token = csrf_token(manager, "/monitor/calendar")
    data = {"csrf_token": token, "date": "2027-02-11", "kind": "holiday"}
    assert manager.post("/monitor/calendar/days", data=data).status_code == 403
    assert manager.post("/monitor/calendar/years/2027/confirm", data={"csrf_token": token}).status_code == 403
    for who in ("staff", "analyst"):
        client = signed_in(who)
        assert client.get("/monitor/calendar").status_code == 403, who
        assert 'href="/monitor/calendar"' not in client.get("/tasks").get_data(as_text=True)


def test_the_page_warns_when_the_calendar_runs_out(
    signed_in: Callable[..., FlaskClient], services: Services
) -> None:
    from support import late_in_2026

    days_left = late_in_2026(services)
    page = signed_in("admin").get("/monitor/calendar").get_data(as_text=True)
    assert 'id="calendar-warning"' in page and f"known only until 2026-12-31 ({days_left} days left)" in page
