"""The paging rule of every list: ``page`` from 1, ``per_page`` 1..200 (DESIGN §7)."""

from __future__ import annotations

from ..errors import InvalidData

MAX_PER_PAGE = 200


def check_paging(page: int, per_page: int) -> None:
    if page < 1 or not 1 <= per_page <= MAX_PER_PAGE:
        raise InvalidData(
            "bad paging",
            [{"field": "per_page", "message": f"page must be >= 1 and per_page 1..{MAX_PER_PAGE}"}],
        )
