"""How a scenario compares what happened with what it expected, and shows the difference."""

from __future__ import annotations

import json
from typing import Any

from ..errors import RmaError
from .files import ERROR_TYPES, ExpectedError


def error_mismatch(expected: ExpectedError, error: RmaError) -> str | None:
    if not isinstance(error, ERROR_TYPES[expected.type]):
        return f"expected {expected.type}, got {describe(error)}"
    if expected.fields is not None:
        fields = sorted({str(item.get("field")) for item in error.items if item.get("field") is not None})
        if sorted(set(expected.fields)) != fields:
            return f"expected {expected.type} on fields {ids(expected.fields)}, got {describe(error)}"
    if expected.message is not None and expected.message not in describe(error):
        return f"expected {expected.type} mentioning {expected.message!r}, got {describe(error)}"
    return None


def describe(error: RmaError) -> str:
    details = "; ".join(
        f"{item['field']}: {item['message']}" if item.get("field") else str(item.get("message"))
        for item in error.items
        if item.get("message") != error.message
    )
    return f"{type(error).__name__}: {error.message}" + (f" ({details})" if details else "")


def lookup(data: Any, path: str) -> tuple[bool, Any]:
    """``(found, value)`` at a dotted path; list items by index (``items.0.sku``)."""
    value = data
    for part in path.split("."):
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return False, None
    return True, value


def same(actual: Any, expected: Any) -> bool:
    """Equality as JSON sees it: 500 == 500.0, but true is not 1."""
    if isinstance(actual, bool) or isinstance(expected, bool):
        return type(actual) is type(expected) and actual == expected
    if isinstance(actual, dict) and isinstance(expected, dict):
        return actual.keys() == expected.keys() and all(same(actual[k], expected[k]) for k in actual)
    if isinstance(actual, list) and isinstance(expected, list):
        return len(actual) == len(expected) and all(same(a, e) for a, e in zip(actual, expected, strict=True))
    return bool(actual == expected)


def show(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str) if not isinstance(value, str) else value


def ids(values: Any) -> str:
    return "[" + ", ".join(str(v) for v in values) + "]"
