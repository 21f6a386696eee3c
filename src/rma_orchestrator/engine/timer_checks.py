"""Static checks on BPMN timer expressions, for values SpiffWorkflow would reject or misread at run time.

The engine evaluates a timer expression as Python and parses the result as ISO 8601 only when the
timer is reached, so a bare ``PT24H`` or an offset-less date-time fails (or fires at the wrong hour)
long after deployment. Findings go through ``Checker.add``; nothing is raised.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

from . import durations
from .bpmn_xml import Element
from .checker import Checker
from .echo import clip
from .limits import TIMER_HORIZON

_ISO_LITERAL = re.compile(r"R\d*/\S*|P(?=[\dT])[\dYMWDTHS.,]*|\d{4}-\d{1,2}-\d{1,2}\S*", re.IGNORECASE)
_OFFSET = re.compile(r"(Z|[+-]\d{2}(:?\d{2})?)$", re.IGNORECASE)
_EXAMPLES = {
    "timeDate": '"2030-01-31T09:00:00+01:00"',
    "timeDuration": '"PT24H"',
    "timeCycle": '"R3/PT1H"',
}


def check_timer_expression(checker: Checker, node: Element, kind: str) -> None:
    """Check the timeDate, timeDuration or timeCycle element ``node`` of a timer event definition."""
    text = (node.text or "").strip()
    if not text:
        checker.add(
            node,
            f'Timer {kind} is empty; give a quoted ISO 8601 value such as "PT24H".',
            rule="timer-evaluates",
        )
        return
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        if _ISO_LITERAL.fullmatch(text):
            checker.add(
                node,
                f"Timer {kind} {clip(text)} is not quoted: timer expressions are evaluated as "
                f'Python, so write it as a string: "{clip(text)}".',
                rule="timer-evaluates",
            )
        else:
            checker.compile(node, node.text or "", "eval", f"Timer {kind} expression")
        return
    if not isinstance(value, str):
        checker.add(
            node,
            f'Timer {kind} {clip(text)} must be an ISO 8601 string such as "PT24H".',
            rule="timer-evaluates",
        )
        return
    message = timer_problem(kind, value)
    if message:
        checker.add(node, message, rule="timer-evaluates")


def _beyond_horizon(kind: str, value: str, due: Callable[[], datetime]) -> str | None:
    """Why a timer due at ``due()`` is refused (later than the horizon, or past the calendar's end)."""
    try:
        beyond = due() > datetime.now(UTC) + TIMER_HORIZON
    except (OverflowError, ValueError):
        beyond = True
    except TypeError:  # a time without offset: reported as that, below
        beyond = False
    if not beyond:
        return None
    return f'Timer {kind} "{clip(value)}" falls due more than 10 years ahead; no timer may wait that long.'


def timer_problem(kind: str, value: str) -> str | None:
    """Why the literal ISO 8601 ``value`` of a timer ``kind`` would fail or misfire, or None.

    The value is echoed cut short: it may be what an analyst's expression gave (``timer_evaluation``).
    """
    now = datetime.now(UTC)
    shown = clip(value)
    try:
        if durations.longest_days(value) > TIMER_HORIZON.days:
            return _beyond_horizon(kind, value, lambda: datetime.max.replace(tzinfo=UTC))
        if kind == "timeDuration":
            parsed = TimerEventDefinition.parse_iso_duration(value)
            return _beyond_horizon(
                kind, value, lambda: now + TimerEventDefinition.get_timedelta_from_start(parsed, now)
            )
        if kind == "timeDate":
            if value.upper().startswith("P"):
                return f'Timer timeDate "{shown}" is a duration; use timeDuration or give a date-time.'
            when = TimerEventDefinition.parse_time_or_duration(value)
            moments = [value]
            too_far = _beyond_horizon(kind, value, lambda: when if when.tzinfo else when.replace(tzinfo=UTC))
        else:
            cycles, start, every = TimerEventDefinition.parse_iso_recurring_interval(value)
            if cycles != 0 and every <= timedelta(0):
                return (
                    f'Timer timeCycle "{shown}" has no time between its cycles, so it would fire '
                    'without end at one instant; give an interval such as "R3/PT1H".'
                )
            parts = value.upper().replace("--", "/").strip("R").split("/")[1:]
            moments = [part for part in parts if not part.startswith("P")]
            too_far = _beyond_horizon(kind, value, lambda: max(start, now) + every)
    except Exception:  # noqa: BLE001 - the helpers raise bare Exception/ValueError/AttributeError
        return f'Timer {kind} "{shown}" is not valid ISO 8601; for example {_EXAMPLES[kind]}.'
    if too_far:
        return too_far
    for moment in moments:
        clock = moment.upper().split("T", 1)[1] if "T" in moment.upper() else ""
        if not _OFFSET.search(clock):
            return (
                f'Timer {kind} "{shown}" has no UTC offset; SpiffWorkflow would read it with the '
                "server's current fixed offset and get daylight-saving changes wrong. Add Z or an offset "
                "such as +01:00."
            )
    return None
