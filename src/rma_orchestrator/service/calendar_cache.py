"""The working-day calendar scripts use, re-read from the database at most every ``ttl`` seconds."""

from __future__ import annotations

import threading
import time
from zoneinfo import ZoneInfo

from ..engine.workdays import WorkCalendar
from ..store import calendar as stored
from ..store.db import Database


class CalendarCache:
    """Timer expressions call the working-day functions often; the overrides change rarely.

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
            with self._database.reading() as connection:
                overrides = stored.overrides(connection)
                confirmed = stored.confirmed_years(connection)
            self._calendar = WorkCalendar(
                tz=ZoneInfo(self._tz), overrides=overrides, confirmed_years=confirmed
            )
            self._loaded_at = time.monotonic()
            return self._calendar

    def invalidate(self) -> None:
        self._calendar = None
