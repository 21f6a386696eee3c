"""The working-day calendar: operator overrides, confirmed years, and the cached calendar scripts use."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select

from ..engine.workdays import WorkCalendar
from ..errors import InvalidData
from ..store.db import Database
from ..store.models import CalendarOverride, ConfirmedCalendarYear
from .context import Actor, Services
from .permissions import require_role

log = logging.getLogger(__name__)
WARN_DAYS = 30


class CalendarCache:
    """The current ``WorkCalendar``, re-read from the database at most every ``ttl`` seconds.

    Timer expressions call the working-day functions often; the overrides change rarely.
    A change made in this process is seen at once, one made by another process within ``ttl``.
    """

    def __init__(self, database: Database, tz: str, ttl: float = 30.0) -> None:
        self._database = database
        self._tz = tz
        self._ttl = ttl
        self._lock = threading.Lock()
        self._calendar: WorkCalendar | None = None
        self._loaded_at = 0.0

    def get(self) -> WorkCalendar:
        calendar = self._calendar
        if calendar is not None and time.monotonic() - self._loaded_at < self._ttl:
            return calendar
        with self._lock:
            with self._database.read() as session:
                overrides = dict(
                    session.execute(select(CalendarOverride.day, CalendarOverride.workday)).all()
                )
                confirmed = frozenset(session.scalars(select(ConfirmedCalendarYear.year)))
            self._calendar = WorkCalendar(tz=self._tz, overrides=overrides, confirmed_years=confirmed)  # type: ignore[arg-type]
            self._loaded_at = time.monotonic()
            return self._calendar

    def invalidate(self) -> None:
        self._calendar = None


def set_override(services: Services, day: str, kind: str, actor: Actor) -> dict[str, Any]:
    """Make ``day`` a working day or a holiday, whatever the official calendar says."""
    require_role(actor, "admin")
    try:
        parsed = date.fromisoformat(day)
    except ValueError:
        raise InvalidData("bad date", [{"field": "date", "message": f"{day!r} is not YYYY-MM-DD"}]) from None
    if kind not in ("workday", "holiday"):
        raise InvalidData("bad kind", [{"field": "kind", "message": "workday or holiday"}])
    with services.clock.pinned() as now, services.uow() as uow:
        row = uow.session.get(CalendarOverride, parsed)
        if row is None:
            row = CalendarOverride(day=parsed, workday=kind == "workday", set_by=actor.name, set_at=now)
            uow.session.add(row)
        else:
            row.workday, row.set_by, row.set_at = kind == "workday", actor.name, now
        uow.commit()
    services.calendar.invalidate()
    return {"date": parsed.isoformat(), "kind": kind}


def confirm_year(services: Services, year: int, actor: Actor) -> dict[str, Any]:
    """Declare ``year``'s schedule complete (official holidays and make-up days entered as overrides)."""
    require_role(actor, "admin")
    if not 2000 <= year <= 2200:
        raise InvalidData("bad year", [{"field": "year", "message": "a year between 2000 and 2200"}])
    with services.clock.pinned() as now, services.uow() as uow:
        if uow.session.get(ConfirmedCalendarYear, year) is None:
            uow.session.add(ConfirmedCalendarYear(year=year, confirmed_by=actor.name, confirmed_at=now))
        uow.commit()
    services.calendar.invalidate()
    return {"year": year, "overrides": _override_count(services, year)}


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


def _override_count(services: Services, year: int) -> int:
    with services.database.read() as session:
        days = session.scalars(select(CalendarOverride.day)).all()
    return sum(1 for day in days if day.year == year)
