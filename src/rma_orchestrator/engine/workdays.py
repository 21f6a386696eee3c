"""Mainland China working-day calendar for SLA deadlines ("within 2 working days").

Public holidays and the make-up working days (调休: a Saturday or Sunday that is worked to bridge a
holiday) come from the ``holidays`` package's ``China`` calendar: holidays are the dates in the object,
make-up days are its ``weekend_workdays`` set (the same data ``HolidayBase.is_working_day`` uses).

The State Council announces each year's schedule only a few weeks before the year starts, and the
library answers for any year by extrapolating rules. An extrapolated year is a guess, so a deadline
that touches a year without an official schedule is refused (``UnknownCalendarYear``) until an operator
enters the year's dates as overrides and confirms the year (``rma calendar confirm YEAR``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from types import MappingProxyType
from zoneinfo import ZoneInfo

from holidays.countries.china import China

__all__ = ["DEFAULT_TZ", "UnknownCalendarYear", "WorkCalendar", "official_days", "official_years"]

DEFAULT_TZ = ZoneInfo("Asia/Shanghai")

_SATURDAY = 5  # date.weekday(): Monday is 0, Saturday 5, Sunday 6.


class UnknownCalendarYear(Exception):
    """A deadline fell in a year whose official schedule is neither in the library nor confirmed."""

    def __init__(self, year: int, message: str | None = None) -> None:
        if message is None:
            message = (
                f"No official working-day schedule is known for {year}: the holidays library only has "
                f"the State Council schedule for {_official_range_text()} and {year} is not confirmed. "
                f"Enter {year}'s public holidays and make-up working days with "
                f"`rma calendar set DATE workday|holiday`, then run `rma calendar confirm {year}`."
            )
        super().__init__(message)
        self.year = year
        self.message = message


@dataclass(frozen=True)
class _YearData:
    """One year of the library's calendar, reduced to two date sets for fast lookups."""

    holidays: frozenset[date]
    weekend_workdays: frozenset[date]


@cache
def official_years() -> frozenset[int]:
    """Years for which the installed ``holidays`` has the official State Council schedule.

    Every officially published year carries hand-entered substituted days off (``(to_month, to_day,
    from_month, from_day[, from_year])`` entries in ``special_public_holidays``); years after the last
    notice have none and come purely from rules. Raises RuntimeError if a library upgrade moved that data,
    rather than silently treating every year as known or unknown.
    """
    specials = getattr(China(), "special_public_holidays", None)  # type: ignore[no-untyped-call]
    years = frozenset(
        year
        for year, entries in (specials or {}).items()
        if any(len(entry) >= 4 for entry in _entries(entries))
    )
    if not years:
        raise RuntimeError(
            f"Cannot read China's official holiday years from holidays {_library_version()}: "
            "its internal data layout changed; pin the last working version"
        )
    return years


def _entries(entries: object) -> tuple[tuple[object, ...], ...]:
    """A year's special-holiday entries as a tuple of tuples (one entry may be stored bare)."""
    if isinstance(entries, tuple) and entries and not isinstance(entries[0], tuple):
        return (entries,)
    return tuple(entries) if isinstance(entries, tuple | list) else ()


def _library_version() -> str:
    try:
        return version("holidays")
    except PackageNotFoundError:  # pragma: no cover - only outside an installed environment
        return "(unknown version)"


def _official_range_text() -> str:
    try:
        years = official_years()
    except RuntimeError:
        return "no year (library data unreadable)"
    return f"{min(years)}-{max(years)}"


@cache
def _year_data(year: int) -> _YearData:
    """The library's holidays and make-up working days of one year, built once per process.

    Public holidays only (the HALF_DAY category covers groups such as women or youth, not everyone).
    Make-up days borrowed across New Year are listed under the following year's notice, but the library
    registers all of them at construction, so a one-year object still holds them; filtering by year keeps
    each set exact.
    """
    calendar = China(years=year)  # type: ignore[no-untyped-call]
    return _YearData(
        holidays=frozenset(day for day in calendar if day.year == year),
        weekend_workdays=frozenset(day for day in calendar.weekend_workdays if day.year == year),
    )


def official_days(year: int) -> tuple[frozenset[date], frozenset[date]]:
    """The library's public holidays and make-up working days of ``year`` (a guess outside official years)."""
    data = _year_data(year)
    return data.holidays, data.weekend_workdays


def _parse_iso(value: str) -> date | datetime:
    """A date string stays a date; a date-time string must carry an offset (or ``Z``)."""
    text = value.strip()
    try:
        if "T" not in text and " " not in text:
            return date.fromisoformat(text)
        parsed = datetime.fromisoformat(text)
    except ValueError as exc:
        raise ValueError(f"not an ISO 8601 date or date-time: {value!r}") from exc
    return _require_aware(parsed, value)


def _require_aware(value: datetime, shown: object) -> datetime:
    """Naive times are refused: guessing their zone is a classic source of deadlines a day off."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"date-time without a UTC offset: {shown!r} (give e.g. +08:00 or Z)")
    return value


@dataclass(frozen=True)
class WorkCalendar:
    """Working days in ``tz``: Mon-Fri minus public holidays plus make-up weekend days; overrides win.

    ``overrides`` maps a date to True (working day) or False (day off), from the calendar_override table;
    ``confirmed_years`` are years an operator vouched for after entering their overrides.
    """

    tz: ZoneInfo = DEFAULT_TZ
    overrides: Mapping[date, bool] = field(default_factory=dict)
    confirmed_years: frozenset[int] = frozenset()

    def __post_init__(self) -> None:
        # Normalise and freeze inputs so a frozen calendar cannot change behind a caller's back.
        given_tz: ZoneInfo | str = self.tz  # callers may pass a zone name
        tz = ZoneInfo(given_tz) if isinstance(given_tz, str) else given_tz
        overrides: dict[date, bool] = {}
        given: Iterable[tuple[object, object]] = self.overrides.items()  # keys may be ISO strings
        for key, flag in given:
            day = date.fromisoformat(key) if isinstance(key, str) else key
            if isinstance(day, datetime) or not isinstance(day, date):
                raise ValueError(f"calendar override key must be a date, not {key!r}")
            if not isinstance(flag, bool):
                raise ValueError(f"calendar override for {day} must be True or False, not {flag!r}")
            overrides[day] = flag
        object.__setattr__(self, "tz", tz)
        object.__setattr__(self, "overrides", MappingProxyType(overrides))
        object.__setattr__(self, "confirmed_years", frozenset(int(year) for year in self.confirmed_years))

    def __hash__(self) -> int:
        return hash((self.tz, frozenset(self.overrides.items()), self.confirmed_years))

    # -- years -------------------------------------------------------------------------------------

    def last_known_year(self) -> int:
        """The latest year deadlines can be computed in (library's official years or confirmed)."""
        return max(official_years() | self.confirmed_years)

    def is_known_year(self, year: int) -> bool:
        """True when the library has the official schedule for ``year`` or an operator confirmed it."""
        return year in self.confirmed_years or year in official_years()

    # -- days --------------------------------------------------------------------------------------

    def is_working_day(self, day: date | datetime | str) -> bool:
        """Whether the local date of ``day`` is a working day; raises UnknownCalendarYear if unknown."""
        return self._is_working(self._local_date(day))

    def add_working_days(
        self, n: int, start: datetime | str | None = None, now: datetime | None = None
    ) -> str:
        """End (24:00 local, i.e. 00:00 of the next day in tz) of the n-th working day after `start`.

        ``start`` defaults to ``now``, which callers pass from their clock (this module never reads the
        system time). The start day itself is never counted for n >= 1, whatever the time of day and
        whether or not it is a working day. ``n == 0`` means "by the end of today's business day": the end
        of the start day if it is a working day, else the end of the next working day. A plain date string
        is accepted as the local start date. Returns ISO 8601 UTC, e.g. '2025-10-10T16:00:00Z'.
        Raises UnknownCalendarYear when any day examined lies in an unknown year.
        """
        if isinstance(n, bool) or not isinstance(n, int):
            raise TypeError(f"n must be an int, not {type(n).__name__}")
        if n < 0:
            raise ValueError(f"n must be >= 0, got {n}")
        if start is None:
            if now is None:
                raise ValueError("add_working_days needs a start or the caller's now")
            start = now
        day = self._local_date(start)
        if n == 0:
            while not self._is_working(day):
                day += timedelta(days=1)
        else:
            remaining = n
            while remaining:
                day += timedelta(days=1)
                if self._is_working(day):
                    remaining -= 1
        end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=self.tz)
        return end.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    def working_days_between(self, a: date | datetime | str, b: date | datetime | str) -> int:
        """Working days d with a < d <= b (dates taken in tz); negative or zero when b <= a.

        Antisymmetric: for b < a the result is minus the count of working days d with b < d <= a, so
        ``working_days_between(a, b) == -working_days_between(b, a)`` and ``a == b`` gives 0.
        """
        first, last = self._local_date(a), self._local_date(b)
        sign = 1
        if last < first:
            first, last, sign = last, first, -1
        count = 0
        day = first + timedelta(days=1)
        while day <= last:
            count += self._is_working(day)
            day += timedelta(days=1)
        return sign * count

    # -- internals ---------------------------------------------------------------------------------

    def _local_date(self, value: date | datetime | str) -> date:
        """The business date of a value: aware times are converted into ``tz`` first."""
        if isinstance(value, str):
            value = _parse_iso(value)
        if isinstance(value, datetime):
            return _require_aware(value, value).astimezone(self.tz).date()
        if isinstance(value, date):
            return value
        raise TypeError(
            f"expected a date, an aware datetime or an ISO 8601 string, not {type(value).__name__}"
        )

    def _is_working(self, day: date) -> bool:
        if not self.is_known_year(day.year):
            raise UnknownCalendarYear(day.year)
        flag = self.overrides.get(day)
        if flag is not None:
            return flag
        data = _year_data(day.year)
        if day.weekday() >= _SATURDAY:
            return day in data.weekend_workdays
        return day not in data.holidays


def script_functions(calendar: Callable[[], WorkCalendar], now: Callable[[], datetime]) -> dict[str, object]:
    """The clock and working-day functions of scripts and timer expressions, bound to a calendar and a clock.

    ``now()`` and ``add_working_days`` return ISO 8601 UTC strings (``2026-06-10T02:00:00Z``): case data
    stays JSON, and SpiffWorkflow crashes on a timer expression that evaluates to a ``datetime``.
    ``now()`` is the service's clock (the controlled clock in tests and scenarios), never the machine's.
    """

    def current_time() -> str:
        return now().astimezone(UTC).isoformat().replace("+00:00", "Z")

    def add_working_days(n: int, start: datetime | str | None = None) -> str:
        return calendar().add_working_days(n, start, now=now())

    def working_days_between(a: date | datetime | str, b: date | datetime | str) -> int:
        return calendar().working_days_between(a, b)

    def is_working_day(day: date | datetime | str) -> bool:
        return calendar().is_working_day(day)

    return {
        "now": current_time,
        "add_working_days": add_working_days,
        "working_days_between": working_days_between,
        "is_working_day": is_working_day,
    }
