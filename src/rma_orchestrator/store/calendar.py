"""Working-day overrides and confirmed calendar years, as operators entered them.

Every change also writes a new ``calendar.version`` setting in its transaction: each process reads
that one row before using its cached calendar, so a change is seen everywhere at once.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import Connection, bindparam, delete, select, update
from sqlalchemy import insert as core_insert

from .models import TABLES

_override = TABLES["calendar_override"]
_year = TABLES["calendar_year"]
_setting = TABLES["setting"]
VERSION_KEY = "calendar.version"
_VERSION = select(_setting.c.value).where(_setting.c.key == VERSION_KEY)


def overrides(connection: Connection) -> dict[date, bool]:
    """Day → is a working day."""
    return {day: workday for day, workday in connection.execute(select(_override.c.day, _override.c.workday))}


def confirmed_years(connection: Connection) -> frozenset[int]:
    return frozenset(connection.execute(select(_year.c.year)).scalars())


def version(connection: Connection) -> str | None:
    """The calendar's version: a new value after every change (None before the first one)."""
    return connection.execute(_VERSION).scalar_one_or_none()


def override_rows(connection: Connection) -> list[tuple[date, bool, str | None, datetime]]:
    """Every override as (day, workday, set by, set at), by day."""
    query = select(_override.c.day, _override.c.workday, _override.c.set_by, _override.c.set_at)
    rows = connection.execute(query.order_by(_override.c.day))
    return [(row.day, row.workday, row.set_by, row.set_at) for row in rows]


def confirmed_rows(connection: Connection) -> dict[int, tuple[str | None, datetime]]:
    """Confirmed year → (by, at)."""
    query = select(_year.c.year, _year.c.confirmed_by, _year.c.confirmed_at)
    return {year: (by, at) for year, by, at in connection.execute(query)}


class CalendarRepository:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def version(self) -> str | None:
        return version(self._connection)

    def overrides(self) -> dict[date, bool]:
        return overrides(self._connection)

    def confirmed_years(self) -> frozenset[int]:
        return confirmed_years(self._connection)

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
        self.touch()

    def remove_override(self, day: date) -> bool:
        """Back to the official calendar for ``day``; False when it had no override."""
        removed = self._connection.execute(delete(_override).where(_override.c.day == day)).rowcount
        if removed:
            self.touch()
        return bool(removed)

    def touch(self) -> None:
        """A new calendar version, committed with the change: other processes reload on their next use.

        The update takes the row lock, so concurrent changes queue; only the very first change of a
        database inserts the row.
        """
        value = uuid.uuid4().hex
        if not self._connection.execute(
            update(_setting).where(_setting.c.key == VERSION_KEY).values(value=value)
        ).rowcount:
            self._connection.execute(core_insert(_setting).values(key=VERSION_KEY, value=value))

    def confirm_year(self, year: int, by: str, at: datetime) -> None:
        if self._connection.execute(select(_year.c.year).where(_year.c.year == year)).first() is None:
            self._connection.execute(core_insert(_year).values(year=year, confirmed_by=by, confirmed_at=at))
            self.touch()

    def override_count(self, year: int) -> int:
        days = self._connection.execute(select(_override.c.day)).scalars()
        return sum(1 for day in days if day.year == year)
