"""``/monitor/calendar``: the working-day calendar. Managers read it (the monitor blueprint lets
them in); admins also enter holidays and make-up working days and confirm a year, which every
process sees at once (the calendar cache checks the database's calendar version on each use)."""

from __future__ import annotations

from flask import redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from ...errors import InvalidData
from ...service import calendar as calendar_service
from ...service import permissions
from ...service.calendar_view import CalendarOverview, get_calendar
from ...service.context import Actor
from ..auth import services
from ..shell import require_page_actor
from . import bp


@bp.get("/calendar")
def calendar() -> ResponseReturnValue:
    actor = require_page_actor()
    return _page(actor, get_calendar(services(), actor), _chosen_year(request.args.get("year", "")))


@bp.post("/calendar/days")
def calendar_set_day() -> ResponseReturnValue:
    actor = require_page_actor()
    day, kind = request.form.get("date", "").strip(), request.form.get("kind", "")
    try:
        calendar_service.set_override(services(), day, kind, actor)
    except InvalidData as error:
        overview = get_calendar(services(), actor)
        year = _chosen_year(request.form.get("year", ""))
        return _page(actor, overview, year, problems=_problems(error), typed={"date": day, "kind": kind}), 400
    return redirect(url_for("monitor.calendar", year=day[:4]), 303)


@bp.post("/calendar/days/<day>/remove")
def calendar_remove_day(day: str) -> ResponseReturnValue:
    calendar_service.remove_override(services(), day, require_page_actor())
    return redirect(url_for("monitor.calendar", year=day[:4]), 303)


@bp.post("/calendar/years/<int:year>/confirm")
def calendar_confirm_year(year: int) -> ResponseReturnValue:
    calendar_service.confirm_year(services(), year, require_page_actor())
    return redirect(url_for("monitor.calendar", year=year), 303)


def _chosen_year(value: str) -> int | None:
    return int(value) if value.isdigit() and len(value) == 4 else None


def _page(
    actor: Actor,
    overview: CalendarOverview,
    year: int | None,
    problems: list[str] | None = None,
    typed: dict[str, str] | None = None,
) -> str:
    """The years, and one of them in detail: the one asked for, else the first the calendar lacks."""
    wanted = year if year is not None else overview.last_known_year + 1
    shown = next((y for y in overview.years if y.year == wanted), overview.years[-1])
    return render_template(
        "monitor/calendar.html",
        overview=overview,
        shown=shown,
        may_edit=permissions.may_administer(actor),
        problems=problems or [],
        typed=typed or {"date": "", "kind": "holiday"},
    )


def _problems(error: InvalidData) -> list[str]:
    hints = {
        "date": _("Date: write it as YYYY-MM-DD, e.g. 2027-02-11, in a year from 2000 to 2200."),
        "kind": _("Kind: choose a holiday (day off) or a make-up working day."),
        "year": _("Year: from 2000 to 2200."),
    }
    return [hints.get(str(item.get("field", "")), str(item.get("message", ""))) for item in error.items]
