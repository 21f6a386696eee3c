"""Consecutive failed sign-ins per key (a user name, a client address), shared by every process."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Connection, bindparam, case, delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from .models import TABLES

_failure = TABLES["sign_in_failure"]
_OF = select(_failure.c.key, _failure.c.failures, _failure.c.last_failed_at).where(
    _failure.c.key.in_(bindparam("keys", expanding=True))
)
_CLEAR = delete(_failure).where(_failure.c.key == bindparam("key"))


def failures_of(connection: Connection, keys: Sequence[str]) -> dict[str, tuple[int, datetime]]:
    """key → (consecutive failures, the last one's time) of those of ``keys`` that failed."""
    rows = connection.execute(_OF, {"keys": list(keys)}).all()
    return {row.key: (int(row.failures), row.last_failed_at) for row in rows}


class SignInFailureRepository:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def record(self, keys: Sequence[str], at: datetime, forget_before: datetime) -> None:
        """Count one more failure for each key; a count whose last failure is before ``forget_before``
        starts again at one. One atomic upsert per key, so concurrent failures all count."""
        make = sqlite_insert if self._connection.dialect.name == "sqlite" else pg_insert
        for key in keys:
            statement = make(_failure).values(key=key, failures=1, last_failed_at=at)
            upsert = statement.on_conflict_do_update(
                index_elements=["key"],
                set_={
                    "failures": case(
                        (_failure.c.last_failed_at < forget_before, 1), else_=_failure.c.failures + 1
                    ),
                    "last_failed_at": statement.excluded.last_failed_at,
                },
            )
            self._connection.execute(upsert)

    def clear(self, key: str) -> None:
        self._connection.execute(_CLEAR, {"key": key})
