"""Points SpiffWorkflow's timer module at our clock, once per process.

SpiffWorkflow reads ``datetime.now(timezone.utc)`` inside its timer event definitions and
offers no hook for it, so the module's ``datetime`` name is replaced by a subclass whose
``now`` asks our clock.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, tzinfo

import SpiffWorkflow.bpmn.specs.event_definitions.timer as spiff_timer

_now: Callable[[], datetime] = lambda: datetime.now(UTC)  # noqa: E731


class _EngineDatetime(datetime):
    @classmethod
    def now(cls, tz: tzinfo | None = None) -> datetime:  # type: ignore[override]
        value = _now()
        return value.astimezone(tz) if tz is not None else value.astimezone().replace(tzinfo=None)


def use_clock(now: Callable[[], datetime]) -> None:
    """Make the engine's timers read ``now()`` (an aware datetime) from now on."""
    global _now
    _now = now
    spiff_timer.datetime = _EngineDatetime


@contextmanager
def engine_time(moment: datetime) -> Iterator[None]:
    """Let the engine's timers read ``moment`` as "now" inside the block (a timer computed again as of
    the time its wait began), then the clock it read before."""
    global _now
    saved = _now
    _now = lambda: moment  # noqa: E731
    try:
        yield
    finally:
        _now = saved
