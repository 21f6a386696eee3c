"""The working-day calendar as the calendar page and ``GET /api/v1/calendar`` show it: each year the
calendar knows (official from the bundled holidays data, or confirmed by an admin), its days off and
make-up working days with the overrides applied, and the warning when the known calendar runs out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal
from zoneinfo import ZoneInfo

from ..engine.workdays import official_days, official_years
from ..store import calendar as stored
from . import permissions
from .calendar import calendar_status
from .context import Actor, Services


@dataclass(frozen=True)
class OverrideInfo:
    date: str
    kind: Literal["workday", "holiday"]
    set_by: str | None
    set_at: datetime


@dataclass(frozen=True)
class YearInfo:
    """``holidays``: days off on weekdays or in official holiday periods; ``makeup_workdays``: worked
    weekend days. An unofficial year lists only what admins entered."""

    year: int
    official: bool
    confirmed: bool
    known: bool
    confirmed_by: str | None
    confirmed_at: datetime | None
    holidays: list[str]
    makeup_workdays: list[str]
    overrides: list[OverrideInfo]


@dataclass(frozen=True)
class CalendarOverview:
    last_known_year: int
    days_left: int
    warning: str | None
    years: list[YearInfo]


def get_calendar(services: Services, actor: Actor) -> CalendarOverview:
    """Managers and admins read the calendar (their deadlines depend on it); only admins change it."""
    permissions.require_may_read_calendar(actor)
    with services.database.reading() as connection:
        overrides = stored.override_rows(connection)
        confirmed = stored.confirmed_rows(connection)
    status = calendar_status(services)
    today = services.clock.now().astimezone(ZoneInfo(services.settings.business_tz)).date()
    official = official_years()
    entered = {row[0].year for row in overrides}
    years = sorted(official | set(confirmed) | entered | {today.year, today.year + 1})
    listed = []
    for year in years:
        own = [row for row in overrides if row[0].year == year]
        holidays, makeup = _days(year, year in official, own)
        by, at = confirmed.get(year, (None, None))
        listed.append(
            YearInfo(
                year=year,
                official=year in official,
                confirmed=year in confirmed,
                known=year in official or year in confirmed,
                confirmed_by=by,
                confirmed_at=at,
                holidays=[day.isoformat() for day in sorted(holidays)],
                makeup_workdays=[day.isoformat() for day in sorted(makeup)],
                overrides=[
                    OverrideInfo(day.isoformat(), "workday" if workday else "holiday", set_by, set_at)
                    for day, workday, set_by, set_at in own
                ],
            )
        )
    return CalendarOverview(status.last_known_year, status.days_left, status.warning, listed)


def _days(
    year: int, official: bool, own: list[tuple[date, bool, str | None, datetime]]
) -> tuple[set[date], set[date]]:
    holidays: set[date] = set()
    makeup: set[date] = set()
    if official:
        library_holidays, library_makeup = official_days(year)
        holidays, makeup = set(library_holidays), set(library_makeup)
    for day, workday, _by, _at in own:
        holidays.discard(day)
        makeup.discard(day)
        if workday and day.weekday() >= 5:
            makeup.add(day)
        elif not workday:
            holidays.add(day)
    return holidays, makeup
