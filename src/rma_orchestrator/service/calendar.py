"""The working-day calendar: operator overrides, confirmed years, and how long the known calendar lasts."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import date

from ..errors import InvalidData, NotFound
from . import permissions
from .context import Actor, Services
from .results import CalendarDay, CalendarYear

log = logging.getLogger(__name__)
WARN_DAYS = 30
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def set_override(services: Services, day: str, kind: str, actor: Actor) -> CalendarDay:
    """Make ``day`` a working day or a holiday, whatever the official calendar says."""
    permissions.require_may_administer(actor)
    parsed = _day(day)
    if kind not in ("workday", "holiday"):
        raise InvalidData("bad kind", [{"field": "kind", "message": "workday or holiday"}])
    with services.clock.pinned() as now, services.uow() as uow:
        uow.calendar.set_override(parsed, kind == "workday", actor.name, now)
        uow.commit()
    services.calendar.invalidate()
    return CalendarDay(parsed.isoformat(), "workday" if kind == "workday" else "holiday")


def remove_override(services: Services, day: str, actor: Actor) -> None:
    """Give ``day`` back to the official calendar; NotFound when it had no override."""
    permissions.require_may_administer(actor)
    parsed = _day(day)
    with services.uow() as uow:
        if not uow.calendar.remove_override(parsed):
            raise NotFound(f"{parsed.isoformat()} has no override")
        uow.commit()
    services.calendar.invalidate()


def _day(day: str) -> date:
    """A date written YYYY-MM-DD (the short ISO forms Python also reads are refused: ambiguous in forms)."""
    try:
        if isinstance(day, str) and _DATE.fullmatch(day) and 2000 <= int(day[:4]) <= 2200:
            return date.fromisoformat(day)
    except ValueError:
        pass
    message = f"{day!r} is not YYYY-MM-DD (a date from 2000 to 2200)"
    raise InvalidData("bad date", [{"field": "date", "message": message}])


def confirm_year(services: Services, year: int, actor: Actor) -> CalendarYear:
    """Declare ``year``'s schedule complete (official holidays and make-up days entered as overrides)."""
    permissions.require_may_administer(actor)
    if not 2000 <= year <= 2200:
        raise InvalidData("bad year", [{"field": "year", "message": "a year between 2000 and 2200"}])
    with services.clock.pinned() as now, services.uow() as uow:
        uow.calendar.confirm_year(year, actor.name, now)
        overrides = uow.calendar.override_count(year)
        uow.commit()
    services.calendar.invalidate()
    return CalendarYear(year, overrides)


@dataclass(frozen=True)
class CalendarStatus:
    last_known_year: int
    days_left: int  # days from today (business time zone) to the end of the last known year

    @property
    def warning(self) -> str | None:
        if self.days_left > WARN_DAYS:
            return None
        return (
            f"the working-day calendar is known only until {self.last_known_year}-12-31 "
            f"({self.days_left} days); enter {self.last_known_year + 1}'s holidays with "
            f"`rma calendar set` and `rma calendar confirm {self.last_known_year + 1}`"
        )


def calendar_status(services: Services) -> CalendarStatus:
    calendar = services.calendar.get()
    today = services.clock.now().astimezone(calendar.tz).date()
    last = calendar.last_known_year()
    return CalendarStatus(last, (date(last, 12, 31) - today).days)


def warn_if_calendar_runs_out(services: Services) -> None:
    warning = calendar_status(services).warning
    if warning:
        log.warning(warning)
