"""Evaluating one timer expression on sets of case data, judged as the engine would judge its value.

Shared by the modeler's timer preview and the lint rule ``timer-evaluates``. The service sends a
``TimerQuestion`` to a step worker (``step_worker``), where work that holds the interpreter lock in one
C call can be stopped by killing the process; ``rma validate`` evaluates in its own process, with only
the sandbox's trace deadline. Whatever comes back is words fit to show an analyst: every echoed value
is cut short (``echo``), so a bomb's value never travels back whole.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from .echo import MAX_ECHO, clip, short
from .sandbox import SandboxEnvironment
from .sandbox_guards import ScriptTimeout
from .timer_checks import timer_problem
from .workdays import UnknownCalendarYear, WorkCalendar, script_functions

EVALUATION_LIMIT = 1.0  # seconds for all the evaluations of one question: the analyst waits
MAX_VALUE = 1000  # characters of a timer value: no ISO 8601 timer value is longer

Outcome = Literal["valid", "invalid", "not-text", "failed", "calendar", "stopped"]
_DECISIVE = ("valid", "calendar", "stopped")  # after one of these, the remaining data need no run


@dataclass(frozen=True)
class TimerQuestion:
    """Evaluate ``expression`` (of a timer ``kind``) with ``now()`` at ``now``, once per dict of ``data``."""

    expression: str
    kind: str
    now: datetime
    data: tuple[dict[str, Any], ...]
    time_limit: float = EVALUATION_LIMIT


@dataclass(frozen=True)
class Evaluated:
    """What one evaluation gave, as ``outcome`` and ``text`` (never longer than a short message).

    valid: ``text`` is the timer value; invalid: why the timer check refuses the string it gave;
    not-text: the type and short repr of a value that is no string; failed: ``Type: message`` of what
    it raised; calendar: the calendar's message (a year it does not know); stopped: which limit stopped it.
    """

    outcome: Outcome
    text: str


# Answers a question with one Evaluated per dict of data, in order, ending early at the first valid
# value, calendar gap or stop (a stop is always last).
TimerEvaluator = Callable[[TimerQuestion], Sequence[Evaluated]]


def overran(limit: float) -> str:
    return f"the expression ran longer than its limit of {limit:g} s and was stopped"


def ran_out_of_memory(memory_mb: int | None) -> str:
    limit = f" (the limit is {memory_mb} MB)" if memory_mb else ""
    return f"the expression ran out of memory{limit} and was stopped"


def evaluate_timer(
    question: TimerQuestion, calendar: WorkCalendar | None = None, memory_mb: int | None = None
) -> list[Evaluated]:
    """Answer ``question`` here, on ``calendar`` (None: the official schedule), within its time limit.

    The limit is the sandbox's trace deadline, shared by all the data: it stops Python-level loops but
    not one long C call, so only a process that can be killed around this (a step worker) enforces it.
    ``memory_mb`` is the process's memory limit, named when an evaluation runs out of memory.
    """
    work = calendar if calendar is not None else WorkCalendar()
    now = question.now
    environment = SandboxEnvironment(functions=script_functions(lambda: work, lambda: now))
    deadline = time.monotonic() + question.time_limit
    answers: list[Evaluated] = []
    for data in question.data:
        left = deadline - time.monotonic()
        if left <= 0:
            answers.append(Evaluated("stopped", overran(question.time_limit)))
            break
        environment.time_limit = left
        answers.append(_evaluate_once(environment, question, data, memory_mb))
        if answers[-1].outcome in _DECISIVE:
            break
    return answers


def _evaluate_once(
    environment: SandboxEnvironment, question: TimerQuestion, data: dict[str, Any], memory_mb: int | None
) -> Evaluated:
    try:
        value = environment.evaluate(question.expression, dict(data))
    except UnknownCalendarYear as exc:
        return Evaluated("calendar", str(exc))
    except ScriptTimeout:
        return Evaluated("stopped", overran(question.time_limit))
    except MemoryError:
        return Evaluated("stopped", ran_out_of_memory(memory_mb))
    except Exception as exc:  # noqa: BLE001 - whatever the analyst's expression raises is the answer
        return Evaluated("failed", clip(f"{type(exc).__name__}: {_said(exc)}"))
    if not isinstance(value, str):
        return Evaluated("not-text", f"{type(value).__name__} {short(value)}")
    if len(value) > MAX_VALUE:
        return Evaluated(
            "invalid",
            f"it gives a text of {len(value):,} characters ({short(value)}), too long for a timer value",
        )
    problem = timer_problem(question.kind, value)
    return Evaluated("valid", value) if problem is None else Evaluated("invalid", problem)


def _said(error: Exception) -> str:
    """What ``error`` says, without making a huge message of a huge argument."""
    if len(error.args) == 1 and not isinstance(error.args[0], str):
        return short(error.args[0])
    try:
        return str(error)[: MAX_ECHO * 2]
    except Exception:  # noqa: BLE001 - a message that cannot even be made
        return f"<a {type(error).__name__}>"
