"""Lint rule ``timer-evaluates``: a timer expression that is not a literal is evaluated on sample data.

The deploy checks (``timer_checks``) judge literal values and only compile the other expressions,
since their value depends on the case. Here such an expression is run the way the engine will run it
(in the sandbox, with the clock and working-day functions of a year the calendar knows) and its value
is judged like a literal. Names of case data are given sample values (a date-time string, a number,
a duration string, in every combination); the expression passes when one gives a valid timer value.
A warning, not an error: the case's real data may differ from every sample.

All the samples of one expression go in one ``TimerQuestion`` to the evaluator the caller gives (the
service's step workers, where a C-level bomb is stopped); without one they are evaluated here.
"""

from __future__ import annotations

import ast
import functools
import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

from .bpmn_xml import Element
from .checker import Checker
from .echo import clip
from .sandbox_builtins import OFFERED
from .sandbox_compiler import compile_check
from .timer_evaluation import TimerEvaluator, TimerQuestion, evaluate_timer
from .workdays import WorkCalendar, official_years, script_functions

MAX_COMBINED = 3  # names whose sample values are combined
_ISO = "%Y-%m-%dT%H:%M:%SZ"


@functools.cache
def _sample_now() -> datetime:
    """A Monday morning early in the last year whose official working-day schedule is known."""
    year = max(official_years())
    day = datetime(year, 3, 1, 1, 0, tzinfo=UTC)
    return day + timedelta(days=(7 - day.weekday()) % 7)


@functools.cache
def _functions() -> frozenset[str]:
    """The names the engine gives every timer expression (``now``, ``add_working_days``...)."""
    return frozenset(script_functions(WorkCalendar, _sample_now))


def _samples(names: set[str]) -> list[dict[str, Any]]:
    """Each combination of the sample values over up to 3 names (27 runs at most), else one value for all."""
    values = ((_sample_now() + timedelta(days=3)).strftime(_ISO), 3, "P3D")
    ordered = sorted(names)
    if len(ordered) > MAX_COMBINED:
        return [dict.fromkeys(ordered, value) for value in values]
    return [
        dict(zip(ordered, chosen, strict=True)) for chosen in itertools.product(values, repeat=len(ordered))
    ]


def check_timer_sample(
    checker: Checker, node: Element, kind: str, evaluate: TimerEvaluator | None = None
) -> None:
    """Warn when the non-literal timer expression in ``node`` gives no valid timer value on sample data.

    ``evaluate`` answers the question (``timer_evaluation``); None evaluates in this process.
    """
    text = (node.text or "").strip()
    try:
        ast.literal_eval(text)
        return  # a literal: judged by the deploy check
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        pass
    if not text or compile_check(text, "eval") is not None:
        return  # empty or not sandboxed Python: a deploy error already
    used = [n for n in ast.walk(ast.parse(text, mode="eval")) if isinstance(n, ast.Name)]
    names = {n.id for n in used} - {n.id for n in used if isinstance(n.ctx, ast.Store)}  # not loop variables
    names -= {*_functions(), *OFFERED}
    question = TimerQuestion(text, kind, _sample_now(), tuple(_samples(names)))
    problems: list[str] = []
    for answer in (evaluate or evaluate_timer)(question):
        if answer.outcome in ("valid", "calendar"):
            return  # a valid value, or a sample that ran past the calendar: nothing to say
        if answer.outcome == "not-text":
            problems.append(f"it gives {answer.text}, not an ISO 8601 string")
        else:
            problems.append(answer.text)
    if not problems:
        return
    definition = node.getparent()
    event = definition.getparent() if definition is not None else None
    given = f" with {', '.join(sorted(names))} set to sample values" if names else ""
    checker.warn(
        node,
        f"Timer {kind} expression {clip(text)} does not evaluate to a valid timer value{given} "
        f"(sample time {_sample_now().strftime(_ISO)}): {problems[0]}",
        "timer-evaluates",
        event.get("id") if event is not None else None,  # the modeler selects the event, not its definition
    )
