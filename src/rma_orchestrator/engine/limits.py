"""The hard limits every engine step runs under, and the cheap checks that enforce the data ones.

The time and memory limits are enforced by the process that runs the step (see
``step_worker``); the others are checked by the step's ``StepWatch`` as the engine works.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass
from datetime import date, datetime, timedelta
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


class LimitExceeded(Exception):
    """A step went past one of its limits at an element; the step is run again to fail it there."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


_SCALAR_SIZES: dict[type, int] = {bool: 5, type(None): 4}
_TEMPORAL = (datetime, date, timedelta)  # the serializer writes these as ISO text
_KEY_TYPES = (str, int, float, bool, type(None))  # what JSON can make an object key of
# Levels of lists and dicts task data may nest: copying, pickling and writing it as JSON recurse
# once per level, and a few hundred levels end in a RecursionError outside any element.
MAX_DATA_NESTING = 100
_LARGEST_INT = 10 ** sys.get_int_max_str_digits()  # ints from here on have no decimal text


def characters_problem(value: str) -> str | None:
    """NUL, or a lone surrogate (JSON's ``"\\ud800"``), which no UTF-8 text column or JSON holds."""
    if "\x00" in value:
        return "must not contain NUL characters"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "must be valid Unicode (a lone surrogate is not)"
    return None


def data_problem(value: Any, limit: int) -> str | None:
    """Why ``value`` cannot be stored as task data, or None.

    Too big (over ``limit`` bytes of JSON), nested too deep, or holding what JSON or a text
    column cannot hold: NaN, infinity, huge ints, NUL, lone surrogates, keys that are not text
    or numbers, values of other types (a ``time``, a ``timezone``). The walk counts every
    reference again (a list repeated a hundred times is stored a hundred times) and stops as
    soon as the limit is passed, so it never costs more than the limit; a list holding itself
    is nested too deep.
    """
    size = 0
    pending: list[tuple[Any, int]] = [(value, 0)]
    while pending:
        item, depth = pending.pop()
        kind = type(item)
        if kind is str:
            problem = characters_problem(item)
            if problem is not None:
                return f"task data holds text that {problem}"
            size += len(item) + 2
        elif kind is int:
            if not -_LARGEST_INT < item < _LARGEST_INT:
                return f"task data holds an integer of more than {sys.get_int_max_str_digits():,} digits"
            size += 1 + item.bit_length() * 3 // 10
        elif kind is float:
            if not math.isfinite(item):
                return f"task data holds {item!r}, which JSON cannot store"
            size += 8
        elif kind in _SCALAR_SIZES:
            size += _SCALAR_SIZES[kind]
        elif kind is dict or kind is list or kind is tuple or kind is set:
            if depth >= MAX_DATA_NESTING:
                return f"task data is nested deeper than {MAX_DATA_NESTING} levels"
            size += 2 + (2 * len(item) if kind is dict else len(item))
            if kind is dict:
                for key in item:
                    if not isinstance(key, _KEY_TYPES):
                        return f"task data has a {type(key).__name__} as a key; keys must be text or numbers"
                pending.extend((part, depth + 1) for part in item)
                pending.extend((part, depth + 1) for part in item.values())
            else:
                pending.extend((part, depth + 1) for part in item)
        elif kind is Decimal:
            if not item.is_finite():
                return f"task data holds {item!r}, which JSON cannot store"
            size += len(str(item)) + 30  # stored as its text, which never expands the exponent
        elif isinstance(item, _TEMPORAL):
            size += 34
        else:
            return f"task data holds a {kind.__name__}, which cannot be stored"
        if size > limit:
            return f"task data would be larger than the limit of {_megabytes(limit)}"
    return None


def _megabytes(size: int) -> str:
    return f"{size / 1_000_000:g} MB"
