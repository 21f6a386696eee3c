"""The working-day calendar scripts use, kept in memory and checked against the database's version.

Timer expressions call the working-day functions often and the overrides change rarely, so the
calendar is built once per change. Every change writes a new version row in its own transaction
(``store.calendar.touch``); each ``get`` reads that one row (a primary-key lookup) and rebuilds the
calendar only when it differs, so a change made by any process — another gunicorn worker, the
scheduler, the CLI — is seen by every process at its next use, never after a delay.
"""

from __future__ import annotations

import threading
from zoneinfo import ZoneInfo

from ..engine.workdays import WorkCalendar
from ..store.calendar import CalendarRepository
from ..store.db import Database


class CalendarCache:
    def __init__(self, database: Database, tz: str) -> None:
        self._database = database
        self._tz = tz
        self._lock = threading.Lock()
        self._calendar: WorkCalendar | None = None
        self._version: str | None = None

    def get(self, reader: CalendarRepository | None = None) -> WorkCalendar:
        """The current calendar; the same object while nothing changed (step workers compare by identity).

        A command passes its unit of work's ``uow.calendar``: reading the version on a second
        connection while it holds one could wait for the pool forever once as many commands run as
        it has connections (twenty threads completing one task waited 30 s and failed).
        """
        if reader is not None:
            return self._current(reader)
        with self._database.reading() as connection:
            return self._current(CalendarRepository(connection))

    def _current(self, reader: CalendarRepository) -> WorkCalendar:
        version = reader.version()
        calendar = self._calendar
        if calendar is not None and version == self._version:
            return calendar
        with self._lock:
            # The version first: rows newer than it only cause one more rebuild, never a missed change.
            version = reader.version()
            built = WorkCalendar(
                tz=ZoneInfo(self._tz), overrides=reader.overrides(), confirmed_years=reader.confirmed_years()
            )
            self._calendar, self._version = built, version
            return built

    def invalidate(self) -> None:
        """Forget the calendar (the next ``get`` rebuilds it whatever the version says)."""
        self._calendar = None
