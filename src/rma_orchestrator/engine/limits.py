"""The hard limits every engine step runs under, and the cheap checks that enforce the data ones.

The time and memory limits are enforced by the process that runs the step (see
``step_worker``); the others are checked by the step's ``StepWatch`` as the engine works.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

# SpiffWorkflow's task iterator stops looking past 1,000 levels of the task tree, so a case
# whose loops grow the tree that deep would stall with no task, timer or incident.
MAX_TREE_DEPTH = 900
TIMER_HORIZON = timedelta(days=3653)  # 10 years: how far ahead a timer may fall due


@dataclass(frozen=True)
class StepLimits:
    """What one step may use; each limit, once exceeded, becomes an incident naming it."""

    time: float = 1.0  # seconds of wall time per step (RMA_SCRIPT_TIME_LIMIT)
    memory_mb: int = 1024  # address space of the process running the step
    data_bytes: int = 1_000_000  # one task's data, serialised as JSON
    multi_instance: int = 1_000  # instances one multi-instance activity may create
    loop_turns: int = 100  # times one element may run again, deeper in the tree, in one step
    timer_horizon: timedelta = TIMER_HORIZON

    def describe_time(self) -> str:
        return f"{self.time:g} s"


class LimitExceeded(Exception):
    """A step went past one of its limits at an element; the step is run again to fail it there."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


_SCALAR_SIZES: dict[type, int] = {bool: 5, type(None): 4}
_TEMPORAL = (datetime, date, time, timedelta, Decimal)


def data_size_problem(value: Any, limit: int) -> str | None:
    """Why ``value`` cannot be stored as task data (over ``limit`` bytes of JSON, NaN...), or None.

    The walk counts every reference again (a list repeated a hundred times is stored a hundred
    times) and stops as soon as the limit is passed, so it never costs more than the limit.
    """
    size = 0
    pending: list[Any] = [value]
    while pending:
        item = pending.pop()
        kind = type(item)
        if kind is str:
            size += len(item) + 2
        elif kind is int:
            size += 1 + item.bit_length() * 3 // 10
        elif kind is float:
            if not math.isfinite(item):
                return f"task data holds {item!r}, which JSON cannot store"
            size += 8
        elif kind in _SCALAR_SIZES:
            size += _SCALAR_SIZES[kind]
        elif kind is dict:
            size += 2 + 2 * len(item)
            pending.extend(item.keys())
            pending.extend(item.values())
        elif kind is list or kind is tuple or kind is set or kind is frozenset:
            size += 2 + len(item)
            pending.extend(item)
        elif isinstance(item, _TEMPORAL):
            size += 34
        else:
            size += 16  # whatever the serializer makes of it, it is at least this
        if size > limit:
            return f"task data would be larger than the limit of {_megabytes(limit)}"
    return None


def _megabytes(size: int) -> str:
    return f"{size / 1_000_000:g} MB"
