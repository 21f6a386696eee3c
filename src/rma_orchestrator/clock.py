"""The one source of "now": the system clock, or a controlled clock for tests and demos.

A command pins the time it started at (``with clock.pinned():``) so every reading inside one
step agrees, and a controlled clock costs one lookup per command rather than per reading.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime


def utc(value: datetime) -> datetime:
    """The same instant as an aware UTC datetime (naive values are taken as UTC)."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def iso(value: datetime | None) -> str | None:
    """ISO 8601 in UTC with a ``Z``, the API's one time format."""
    if value is None:
        return None
    return utc(value).isoformat().replace("+00:00", "Z")


class Clock:
    """Reads the current time; subclasses choose where it comes from."""

    controlled = False

    def __init__(self) -> None:
        self._pinned = threading.local()

    def _read(self) -> datetime:
        return datetime.now(UTC)

    def now(self) -> datetime:
        pinned = getattr(self._pinned, "value", None)
        return pinned if pinned is not None else self._read()

    @contextmanager
    def pinned(self, at: datetime | None = None) -> Iterator[datetime]:
        """Freeze this thread's "now" for the duration of one command."""
        previous = getattr(self._pinned, "value", None)
        value = utc(at) if at is not None else (previous or self._read())
        self._pinned.value = value
        try:
            yield value
        finally:
            self._pinned.value = previous


class SystemClock(Clock):
    """Wall-clock time."""


class ControlledClock(Clock):
    """Time that only moves when told.

    ``load`` reads the shared value (from the database); ``start`` stores the first value
    (the wall-clock time) when none is stored yet and returns the value that won.
    """

    controlled = True

    def __init__(self, load: Callable[[], datetime | None], start: Callable[[datetime], datetime]) -> None:
        super().__init__()
        self._load = load
        self._start = start

    def _read(self) -> datetime:
        value = self._load()
        if value is None:
            value = self._start(datetime.now(UTC))
        return utc(value)
