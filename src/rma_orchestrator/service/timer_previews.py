"""When a timer expression falls due if its timer started at a given moment: the modeler's preview.

The expression is evaluated as the engine evaluates it (in the sandbox, with the working-day
functions on the current calendar and ``now()`` at the start), judged by the deploy's timer check,
and turned into a due time the way SpiffWorkflow does (a duration from the start, a date as given,
a cycle's first firing). Names of case data the analyst did not give a value are the field's error.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

from ..engine.sandbox import SandboxEnvironment
from ..engine.sandbox_builtins import OFFERED
from ..engine.sandbox_compiler import compile_check
from ..engine.timer_checks import timer_problem
from ..engine.workdays import UnknownCalendarYear, script_functions
from ..errors import InvalidData
from . import permissions
from .context import Actor, Services

KINDS = ("timeDuration", "timeDate", "timeCycle")
TIME_LIMIT = 0.25  # seconds: the analyst waits for the answer
MAX_EXPRESSION = 4000


@dataclass(frozen=True)
class TimerPreview:
    kind: str
    expression: str
    value: str  # what the expression evaluated to (an ISO 8601 string)
    start: datetime
    due_at: datetime


def _refuse(field: str, message: str) -> InvalidData:
    return InvalidData(message, [{"field": field, "message": message}])


def _start(start: str | None, now: datetime) -> datetime:
    if not start:
        return now
    try:
        moment = datetime.fromisoformat(start)
    except ValueError:
        raise _refuse("start", f"{start!r} is not an ISO 8601 date-time") from None
    if moment.tzinfo is None:
        raise _refuse("start", "give the start with a UTC offset, such as 2030-01-31T09:00:00+08:00")
    return moment.astimezone(UTC)


def _unknown_names(expression: str, environment: SandboxEnvironment, data: dict[str, Any]) -> list[str]:
    nodes = [node for node in ast.walk(ast.parse(expression, mode="eval")) if isinstance(node, ast.Name)]
    stored = {node.id for node in nodes if isinstance(node.ctx, ast.Store)}  # loop variables
    loaded = {node.id for node in nodes} - stored
    return sorted(loaded - {*environment.globals, *OFFERED, *data, "True", "False", "None"})


def _evaluate(services: Services, expression: str, start: datetime, data: dict[str, Any]) -> Any:
    problem = compile_check(expression, "eval")
    if problem is not None:
        raise _refuse("expression", f"The expression does not compile: {problem}")
    calendar = services.calendar.get()
    environment = SandboxEnvironment(
        functions=script_functions(lambda: calendar, lambda: start), time_limit=TIME_LIMIT
    )
    missing = _unknown_names(expression, environment, data)
    if missing:
        raise _refuse(
            "expression",
            f"The expression uses case data ({', '.join(missing)}); its due time depends on the case.",
        )
    try:
        return environment.evaluate(expression, dict(data))
    except UnknownCalendarYear as exc:
        raise _refuse("expression", exc.message) from None
    except Exception as exc:  # noqa: BLE001 - whatever the analyst's expression raises is the answer
        raise _refuse("expression", f"The expression fails: {type(exc).__name__}: {exc}") from None


def _due(kind: str, value: str, start: datetime) -> datetime:
    """The first due time of a valid timer value, started at ``start`` (as SpiffWorkflow computes it)."""
    if kind == "timeDuration":
        parsed = TimerEventDefinition.parse_iso_duration(value)
        delta: timedelta = TimerEventDefinition.get_timedelta_from_start(parsed, start)
        return start + delta
    if kind == "timeDate":
        due: datetime = TimerEventDefinition.parse_time_or_duration(value)
        return due.astimezone(UTC)
    parts = value.upper().replace("--", "/").strip("R").split("/")
    if len(parts) == 2 and parts[1].startswith("P"):  # only an interval: the first firing is one interval on
        every: timedelta = TimerEventDefinition.get_timedelta_from_start(
            TimerEventDefinition.parse_iso_duration(parts[1]), start
        )
        return start + every
    _, first, _ = TimerEventDefinition.parse_iso_recurring_interval(value)
    moment: datetime = first
    return moment.astimezone(UTC)


def preview_timer(
    services: Services,
    *,
    kind: str,
    expression: str,
    actor: Actor,
    start: str | None = None,
    data: dict[str, Any] | None = None,
) -> TimerPreview:
    """The due time of a timer ``kind`` with ``expression`` started at ``start`` (default now); InvalidData
    naming the field when the expression cannot give one."""
    permissions.require_may_deploy(actor)
    if kind not in KINDS:
        raise _refuse("kind", f"the timer kind is one of {', '.join(KINDS)}")
    text = expression.strip()
    if not text:
        raise _refuse("expression", 'The expression is empty; give a quoted ISO 8601 value such as "P7D".')
    if len(text) > MAX_EXPRESSION:
        raise _refuse("expression", f"The expression is longer than {MAX_EXPRESSION} characters.")
    moment = _start(start, services.clock.now())
    value = _evaluate(services, text, moment, dict(data or {}))
    if not isinstance(value, str):
        raise _refuse(
            "expression", f'It gives {type(value).__name__} {value!r}, not an ISO 8601 string such as "P7D".'
        )
    problem = timer_problem(kind, value)
    if problem is not None:
        raise _refuse("expression", problem)
    try:
        due = _due(kind, value, moment)
    except Exception as exc:  # noqa: BLE001 - SpiffWorkflow's parsers raise bare exceptions
        raise _refuse("expression", f"{value!r} is not a valid {kind}: {exc}") from None
    return TimerPreview(kind, text, value, moment, due)
