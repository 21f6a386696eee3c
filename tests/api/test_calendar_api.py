"""The working-day calendar over the API (issue 11 item 6): read by managers and admins, changed by
admins, every change at once in every process's calendar."""

from __future__ import annotations

from collections.abc import Callable

from flask.testing import FlaskClient

from rma_orchestrator.service.context import Services

Auth = Callable[[str], dict[str, str]]


def year_of(client: FlaskClient, headers: dict[str, str], year: int) -> dict[str, object]:
    answer = client.get("/api/v1/calendar", headers=headers)
    assert answer.status_code == 200
    (found,) = [y for y in answer.json["years"] if y["year"] == year]
    return found


def test_admins_enter_days_and_confirm_a_year(services: Services, client: FlaskClient, auth: Auth) -> None:
    admin = auth("admin")
    overview = client.get("/api/v1/calendar", headers=auth("manager")).json
    assert overview["last_known_year"] == 2026 and {"warning", "days_left", "years"} <= set(overview)
    assert year_of(client, admin, 2026)["official"] is True
    assert year_of(client, admin, 2027)["known"] is False

    put = client.put("/api/v1/calendar/days/2027-02-11", json={"kind": "holiday"}, headers=admin)
    assert put.status_code == 200 and put.json == {"date": "2027-02-11", "kind": "holiday"}
    put = client.put("/api/v1/calendar/days/2027-02-07", json={"kind": "workday"}, headers=admin)
    assert put.status_code == 200
    assert not services.calendar.get().is_known_year(2027)
    confirmed = client.post("/api/v1/calendar/years/2027/confirm", headers=admin)
    assert confirmed.status_code == 200 and confirmed.json == {"year": 2027, "overrides": 2}
    assert services.calendar.get().is_working_day("2027-02-07")  # seen at once, here as anywhere
    year = year_of(client, admin, 2027)
    assert (year["confirmed"], year["holidays"], year["makeup_workdays"]) == (
        True,
        ["2027-02-11"],
        ["2027-02-07"],
    )

    assert client.delete("/api/v1/calendar/days/2027-02-07", headers=admin).status_code == 204
    assert not services.calendar.get().is_working_day("2027-02-07")
    assert client.delete("/api/v1/calendar/days/2027-02-07", headers=admin).status_code == 404
    assert client.get("/api/v1/calendar", headers=admin).json["last_known_year"] == 2027


def test_bad_dates_kinds_and_years_are_400(client: FlaskClient, auth: Auth) -> None:
    admin = auth("admin")
    for day, body, field in [
        ("2027-02-30", {"kind": "holiday"}, "date"),
        ("2027-2-3", {"kind": "holiday"}, "date"),
        ("tomorrow", {"kind": "holiday"}, "date"),
        ("2027-02-11", {"kind": "weekend"}, "kind"),
        ("2027-02-11", {}, "kind"),
    ]:
        answer = client.put(f"/api/v1/calendar/days/{day}", json=body, headers=admin)
        assert answer.status_code == 400 and answer.json["errors"][0]["field"] == field, (day, body)
    assert client.delete("/api/v1/calendar/days/20270211", headers=admin).status_code == 400
    assert client.post("/api/v1/calendar/years/1999/confirm", headers=admin).status_code == 400
    assert client.get("/api/v1/calendar", headers=admin).json["years"][-1]["overrides"] == []


def test_who_may_read_and_change_the_calendar(client: FlaskClient, auth: Auth) -> None:
    for who in ("staff", "analyst"):
        assert client.get("/api/v1/calendar", headers=auth(who)).status_code == 403, who
    for who in ("staff", "analyst", "manager"):
        headers = auth(who)
        put = client.put("/api/v1/calendar/days/2027-02-11", json={"kind": "holiday"}, headers=headers)
        assert put.status_code == 403, who
        assert client.delete("/api/v1/calendar/days/2027-02-11", headers=headers).status_code == 403, who
        assert client.post("/api/v1/calendar/years/2027/confirm", headers=headers).status_code == 403, who
    assert client.get("/api/v1/calendar").status_code == 401
    assert client.get("/api/v1/calendar", headers=auth("manager")).json["last_known_year"] == 2026
