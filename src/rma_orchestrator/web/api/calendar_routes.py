"""The JSON API: the working-day calendar (managers read it, admins change it)."""

from __future__ import annotations

from typing import Any

from flask import Response

from ...service import calendar as calendar_service
from ...service.calendar_view import CalendarOverview, get_calendar
from ...service.results import CalendarDay, CalendarYear
from ..auth import current_actor, services
from . import bp
from .bodies import CalendarDayBody
from .operations import operation, parse_body


@operation(
    bp,
    "get",
    "/calendar",
    summary="The years the working-day calendar knows, their days, and the warning when it runs out",
    returns=CalendarOverview,
    errors=(403,),
)
def read_calendar() -> CalendarOverview:
    return get_calendar(services(), current_actor())


@operation(
    bp,
    "put",
    "/calendar/days/<day>",
    summary="Make a date (YYYY-MM-DD) a holiday or a working day (admins)",
    returns=CalendarDay,
    errors=(400, 403, 404),
    body=CalendarDayBody,
)
def set_calendar_day(day: str) -> CalendarDay:
    body = parse_body(CalendarDayBody)
    return calendar_service.set_override(services(), day, body.kind, current_actor())


@operation(
    bp,
    "delete",
    "/calendar/days/<day>",
    summary="Give a date back to the official calendar (admins)",
    returns=None,
    status=204,
    errors=(400, 403, 404),
)
def remove_calendar_day(day: str) -> Any:
    calendar_service.remove_override(services(), day, current_actor())
    return Response(status=204)


@operation(
    bp,
    "post",
    "/calendar/years/<int:year>/confirm",
    summary="Declare a year's holidays and make-up working days complete (admins)",
    returns=CalendarYear,
    errors=(400, 403, 404),
)
def confirm_calendar_year(year: int) -> CalendarYear:
    return calendar_service.confirm_year(services(), year, current_actor())
