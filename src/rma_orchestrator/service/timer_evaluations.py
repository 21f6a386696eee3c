"""Timer expressions analysts try out, evaluated in a step worker under hard limits.

The modeler's timer preview and validation's lint rule ``timer-evaluates`` run analyst code while the
analyst waits for the answer. In the web process only the sandbox's trace deadline would bound it,
and one C call (sorting ten million strings, formatting a huge Decimal) holds the interpreter lock
past any deadline; so the expression goes to a step worker (``StepWorkers.evaluate``), which is
killed and replaced when it overruns, under the step memory limit.

The time limit is ``EVALUATION_LIMIT`` (1 s) for all the evaluations of one expression, or the step
time limit when that is lower: a timer expression takes microseconds, the analyst waits, and at run
time the expression could never take longer than its step is allowed to.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from ..engine.timer_evaluation import EVALUATION_LIMIT, Evaluated, TimerEvaluator, TimerQuestion
from ..engine.workdays import WorkCalendar
from .context import Services


def evaluation_limit(services: Services) -> float:
    """Seconds one timer expression may run, over all its sample data."""
    return min(EVALUATION_LIMIT, services.settings.script_time_limit)


def timer_evaluator(services: Services, calendar: WorkCalendar | None = None) -> TimerEvaluator:
    """Evaluate questions in the step workers, on ``calendar`` (None: the official schedule)."""
    limit = evaluation_limit(services)
    memory_mb = services.settings.step_memory_mb

    def evaluate(question: TimerQuestion) -> Sequence[Evaluated]:
        bounded = dataclasses.replace(question, time_limit=limit)
        return services.steps.evaluate(bounded, memory_mb, calendar)

    return evaluate
