"""The rules every caller's input meets before a command touches the database (API and CLI alike).

Text: no NUL character (PostgreSQL refuses it, SQLite would store it) nor lone surrogate (no
UTF-8 encoding has one), and no longer than its column (PostgreSQL refuses, SQLite would store
it whole). Ids: within what the id column holds (beyond it nothing can exist). Case data:
nested at most ``MAX_DATA_DEPTH`` levels, the same characters rule for every key and string,
only finite numbers (JSON has no NaN or Infinity). Each refusal is an InvalidData with the
field, raised before the first statement, so nothing changes.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

from ..engine.limits import characters_problem
from ..errors import InvalidData, NotFound

MAX_DATA_DEPTH = 32  # levels of objects and arrays in start, task, retry and message data


def text_problem(value: object, limit: int) -> str | None:
    """Why ``value`` cannot be stored in a text column of ``limit`` characters, or None."""
    if not isinstance(value, str):
        return "must be a string"
    if (problem := characters_problem(value)) is not None:
        return problem
    if len(value) > limit:
        return f"at most {limit} characters (got {len(value)})"
    return None


def check_text(field: str, value: object, limit: int, *, required: bool = True) -> None:
    """Raise InvalidData when ``value`` is not a storable string (None passes when not required)."""
    problem = _text_field_problem(value, limit, required)
    if problem is not None:
        raise InvalidData(f"bad {field}", [{"field": field, "message": problem}])


def check_texts(fields: dict[str, tuple[object, int]], required: frozenset[str] = frozenset()) -> None:
    """Several text inputs: every problem at once, each under its field; None passes unless required."""
    errors = [
        {"field": field, "message": problem}
        for field, (value, limit) in fields.items()
        if (problem := _text_field_problem(value, limit, field in required)) is not None
    ]
    if errors:
        raise InvalidData("bad text", errors)


def _text_field_problem(value: object, limit: int, required: bool) -> str | None:
    if value in (None, ""):
        return "is required" if required else None if value is None else text_problem(value, limit)
    return text_problem(value, limit)


def check_id(what: str, value: int, largest: int) -> None:
    """An id no row can have is simply not found (the database is never asked)."""
    if not 1 <= value <= largest:
        raise NotFound(f"{what} {value} not found")


def check_data(field: str, value: Any) -> None:
    """Raise InvalidData for the first place in ``value`` that breaks the data rules."""
    for path, problem in _data_problems(field, value, 1):
        raise InvalidData(f"bad {field}", [{"field": path, "message": problem}])


def _data_problems(path: str, value: Any, depth: int) -> Iterator[tuple[str, str]]:
    if isinstance(value, float) and not math.isfinite(value):
        yield path, "must be a finite number (JSON has no NaN or Infinity)"
    elif isinstance(value, str) and (problem := characters_problem(value)) is not None:
        yield path, problem
    elif isinstance(value, dict | list):
        if depth > MAX_DATA_DEPTH:
            yield path, f"nested deeper than {MAX_DATA_DEPTH} levels"
            return
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for key, item in items:
            inner = f"{path}.{key}" if path else str(key)
            if isinstance(key, str) and (problem := characters_problem(key)) is not None:
                yield _escaped(inner), f"keys {problem}"
                return
            yield from _data_problems(inner, item, depth + 1)


def _escaped(text: str) -> str:
    """``text`` with NUL and surrogates written as ``\\uXXXX``, fit to name a field in an answer."""
    return "".join(f"\\u{ord(c):04x}" if c == "\x00" or 0xD800 <= ord(c) <= 0xDFFF else c for c in text)
