"""ISO 8601 durations the way the engine's timers read them, for callers outside the engine."""

from __future__ import annotations

import re
from datetime import datetime

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

_DURATION = re.compile(r"P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+S)?)?")


def is_duration(text: str) -> bool:
    """Whether ``text`` is an ISO 8601 duration such as ``PT25H`` or ``P1Y2M``."""
    return _DURATION.fullmatch(text) is not None


def after(start: datetime, duration: str) -> datetime:
    """``start`` plus ``duration``, months and years counted on the calendar as timers count them."""
    parsed = TimerEventDefinition.parse_iso_duration(duration)
    result: datetime = start + TimerEventDefinition.get_timedelta_from_start(parsed, start)
    return result
