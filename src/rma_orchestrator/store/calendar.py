"""Working-day overrides and confirmed calendar years, as operators entered them."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Connection, bindparam, select, update
from sqlalchemy import insert as core_insert

from .models import TABLES

_override = TABLES["calendar_override"]
_year = TABLES["calendar_year"]


def overrides(connection: Connection) -> dict[date, bool]:
    """Day → is a working day."""
    return {day: workday for day, workday in connection.execute(select(_override.c.day, _override.c.workday))}


def confirmed_years(connection: Connection) -> frozenset[int]:
    return frozenset(connection.execute(select(_year.c.year)).scalars())


class CalendarRepository:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def set_override(self, day: date, workday: bool, by: str, at: datetime) -> None:
        changed = self._connection.execute(
            update(_override)
            .where(_override.c.day == bindparam("b_day"))
            .values(workday=workday, set_by=by, set_at=at),
            {"b_day": day},
        ).rowcount
        if not changed:
            self._connection.execute(
                core_insert(_override).values(day=day, workday=workday, set_by=by, set_at=at)
            )

    def confirm_year(self, year: int, by: str, at: datetime) -> None:
        if self._connection.execute(select(_year.c.year).where(_year.c.year == year)).first() is None:
            self._connection.execute(core_insert(_year).values(year=year, confirmed_by=by, confirmed_at=at))

    def override_count(self, year: int) -> int:
        days = self._connection.execute(select(_override.c.day)).scalars()
        return sum(1 for day in days if day.year == year)
