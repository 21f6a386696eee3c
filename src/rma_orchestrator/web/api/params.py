"""Query parameter schemas and readers shared by the API's routes."""

from __future__ import annotations

from typing import Any

from flask import request

from ...errors import InvalidData
from ...service import paging, tasks

# The query parameters' schemas: an empty value counts as not given.
TEXT: dict[str, Any] = {"type": "string"}
FLAG: dict[str, Any] = {"type": "string", "description": "on for 1, true or yes; anything else is off"}
RESOLVED: dict[str, Any] = {"type": "string", "description": "true or 1: resolved ones; all: every one"}
PAGING: dict[str, dict[str, Any]] = {
    "page": {"type": "integer", "minimum": 1, "maximum": paging.MAX_PAGE, "default": 1},
    "per_page": {"type": "integer", "minimum": 1, "maximum": paging.MAX_PER_PAGE, "default": 50},
}


def one_of(values: tuple[str, ...], empty: str) -> dict[str, Any]:
    return {"type": "string", "enum": [*values, ""], "description": f"empty: {empty}"}


TASK_ERRORS = (403, 404, 409)
INBOX_QUERY: dict[str, dict[str, Any]] = {
    "view": one_of(tasks.INBOX_VIEWS, "every task the caller may see"),
    "assignee": {"type": "string", "description": "a user name, or me"},
    "group": TEXT,
    "kind": one_of(tasks.CASE_KINDS, "every kind"),
    "status": one_of(tasks.TASK_STATUSES, "every status (open when not given)"),
    "overdue": FLAG,
    "q": {"type": "string", "description": "part of the RMA number, order number, customer name or phone"},
    **PAGING,
}


def int_arg(name: str, default: int) -> int:
    value = request.args.get(name)
    if value is None:
        return default
    try:
        return int(value)
    except ValueError:
        raise InvalidData(f"bad {name}", [{"field": name, "message": "must be an integer"}]) from None


def bool_arg(name: str) -> bool:
    return request.args.get(name, "").lower() in ("1", "true", "yes")


def version_arg(name: str) -> int | None:
    """A version number from the query (None when not given): ASCII digits only, from 1 on."""
    value = request.args.get(name, "")
    if not value:
        return None
    if not value.isascii() or not value.isdigit() or int(value) < 1:
        raise InvalidData(f"bad {name}", [{"field": name, "message": "must be a version number (1, 2, ...)"}])
    return int(value)
