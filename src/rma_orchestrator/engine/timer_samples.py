"""Lint rule ``timer-evaluates``: a timer expression that is not a literal is evaluated on sample data.

The deploy checks (``timer_checks``) judge literal values and only compile the other expressions,
since their value depends on the case. Here such an expression is run the way the engine will run it
(in the sandbox, with the clock and working-day functions of a year the calendar knows) and its value
is judged like a literal. Names of case data are given sample values (a date-time string, a number,
a duration string, in every combination); the expression passes when one gives a valid timer value.
A warning, not an error: the case's real data may differ from every sample.
"""

from __future__ import annotations

import ast
import functools
import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

from .bpmn_xml import Element
from .checker import Checker
from .sandbox import SandboxEnvironment
from .sandbox_builtins import OFFERED
from .sandbox_compiler import compile_check
from .sandbox_guards import ScriptTimeout
from .timer_checks import timer_problem
from .workdays import UnknownCalendarYear, WorkCalendar, official_years, script_functions

MAX_COMBINED = 3  # names whose sample values are combined
TIME_LIMIT = 0.25  # seconds: validation answers an analyst while they wait
_ISO = "%Y-%m-%dT%H:%M:%SZ"


@functools.cache
def _sample_now() -> datetime:
    """A Monday morning early in the last year whose official working-day schedule is known."""
    year = max(official_years())
    day = datetime(year, 3, 1, 1, 0, tzinfo=UTC)
    return day + timedelta(days=(7 - day.weekday()) % 7)


def _environment() -> SandboxEnvironment:
    now = _sample_now()
    return SandboxEnvironment(functions=script_functions(WorkCalendar, lambda: now), time_limit=TIME_LIMIT)


def _samples(names: set[str]) -> list[dict[str, Any]]:
    """Each combination of the sample values over up to 3 names (27 runs at most), else one value for all."""
    values = ((_sample_now() + timedelta(days=3)).strftime(_ISO), 3, "P3D")
    ordered = sorted(names)
    if len(ordered) > MAX_COMBINED:
        return [dict.fromkeys(ordered, value) for value in values]
    return [
        dict(zip(ordered, chosen, strict=True)) for chosen in itertools.product(values, repeat=len(ordered))
    ]


def check_timer_sample(checker: Checker, node: Element, kind: str) -> None:
    """Warn when the non-literal timer expression in ``node`` gives no valid timer value on sample data."""
    text = (node.text or "").strip()
    try:
        ast.literal_eval(text)
        return  # a literal: judged by the deploy check
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        pass
    if not text or compile_check(text, "eval") is not None:
        return  # empty or not sandboxed Python: a deploy error already
    environment = _environment()
    used = [n for n in ast.walk(ast.parse(text, mode="eval")) if isinstance(n, ast.Name)]
    names = {n.id for n in used} - {n.id for n in used if isinstance(n.ctx, ast.Store)}  # not loop variables
    names -= {*environment.globals, *OFFERED}
    problems: list[str] = []
    for data in _samples(names):
        try:
            value = environment.evaluate(text, dict(data))
        except UnknownCalendarYear:
            return  # the sample ran past the calendar: nothing can be said
        except ScriptTimeout as exc:
            problems.append(f"{type(exc).__name__}: {exc}")
            break  # one stop is enough: the analyst waits for the answer
        except Exception as exc:  # noqa: BLE001 - whatever the analyst's code raises is the finding
            problems.append(f"{type(exc).__name__}: {exc}")
            continue
        problem = (
            timer_problem(kind, value)
            if isinstance(value, str)
            else f"it gives {type(value).__name__} {value!r}, not an ISO 8601 string"
        )
        if problem is None:
            return
        problems.append(problem)
    definition = node.getparent()
    event = definition.getparent() if definition is not None else None
    given = f" with {', '.join(sorted(names))} set to sample values" if names else ""
    checker.warn(
        node,
        f"Timer {kind} expression {text} does not evaluate to a valid timer value{given} "
        f"(sample time {_sample_now().strftime(_ISO)}): {problems[0]}",
        "timer-evaluates",
        event.get("id") if event is not None else None,  # the modeler selects the event, not its definition
    )
