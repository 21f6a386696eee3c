"""The paging rule of every list: ``page`` from 1, ``per_page`` 1..200 (DESIGN §7)."""

from __future__ import annotations

from ..errors import InvalidData
from ..store import limits

MAX_PER_PAGE = 200
# No list holds more rows than an id column can number, so no later page can hold anything; the
# bound also keeps the row offset within what SQLite and PostgreSQL accept.
MAX_PAGE = limits.INSTANCE_ID


def check_paging(page: int, per_page: int) -> None:
    errors = []
    if not 1 <= page <= MAX_PAGE:
        errors.append({"field": "page", "message": f"page must be 1..{MAX_PAGE}"})
    if not 1 <= per_page <= MAX_PER_PAGE:
        errors.append({"field": "per_page", "message": f"per_page must be 1..{MAX_PER_PAGE}"})
    if errors:
        raise InvalidData("bad paging", errors)
