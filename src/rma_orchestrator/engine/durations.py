"""ISO 8601 durations the way the engine's timers read them, for callers outside the engine."""

from __future__ import annotations

import re
from datetime import datetime

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

_DURATION = re.compile(r"P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+S)?)?")


def is_duration(text: str) -> bool:
    """Whether ``text`` is an ISO 8601 duration such as ``PT25H`` or ``P1Y2M``."""
    return _DURATION.fullmatch(text) is not None


# days each designator can stand for at most; SpiffWorkflow counts months one by one, so a
# duration of a million years costs it seconds: callers bound it with ``longest_days`` first.
_MOST_DAYS = {
    "years": 366,
    "months": 31,
    "weeks": 7,
    "days": 1,
    "hours": 1 / 24,
    "minutes": 1 / 1440,
    "seconds": 1 / 86400,
}


def longest_days(text: str) -> float:
    """The most days any ISO 8601 duration in ``text`` (a duration, or the parts of a cycle) can span.

    0 when ``text`` holds no duration; raises ValueError when a duration part is malformed.
    """
    longest = 0.0
    for part in text.upper().replace("--", "/").split("/"):
        if part.startswith("P"):
            parsed = TimerEventDefinition.parse_iso_duration(part)
            longest = max(longest, sum(_MOST_DAYS[name] * value for name, value in parsed.items()))
    return longest


def after(start: datetime, duration: str) -> datetime:
    """``start`` plus ``duration``, months and years counted on the calendar as timers count them.

    Raises OverflowError for a duration longer than about 10,000 years, without counting it.
    """
    if longest_days(duration) > 10_000 * 366:
        raise OverflowError(f"the duration {duration} is too long")
    parsed = TimerEventDefinition.parse_iso_duration(duration)
    result: datetime = start + TimerEventDefinition.get_timedelta_from_start(parsed, start)
    return result
