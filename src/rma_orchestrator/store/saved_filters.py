"""Saved inbox filters: a user's named inbox query strings."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, bindparam, delete, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from .db import AnyRow
from .models import TABLES

_filter = TABLES["saved_filter"]
_OF_USER = (
    select(_filter.c.name, _filter.c.query, _filter.c.created_at)
    .where(_filter.c.user_name == bindparam("user_name"))
    .order_by(_filter.c.name)
)
_COUNT = select(func.count()).where(
    _filter.c.user_name == bindparam("user_name"), _filter.c.name != bindparam("name")
)
_DELETE = delete(_filter).where(
    _filter.c.user_name == bindparam("user_name"), _filter.c.name == bindparam("name")
)


def filters_of(connection: Connection, user_name: str) -> list[AnyRow]:
    """name, query, created_at of each of the user's filters, by name."""
    return list(connection.execute(_OF_USER, {"user_name": user_name}).all())


class SavedFilterRepository:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def others(self, user_name: str, name: str) -> int:
        """How many filters the user has besides ``name``."""
        return int(self._connection.execute(_COUNT, {"user_name": user_name, "name": name}).scalar_one())

    def save(self, user_name: str, name: str, query: str, at: datetime) -> datetime:
        """Insert, or replace the query of the user's filter of that name; its created_at."""
        make = sqlite_insert if self._connection.dialect.name == "sqlite" else pg_insert
        statement = make(_filter).values(user_name=user_name, name=name, query=query, created_at=at)
        upsert = statement.on_conflict_do_update(
            index_elements=["user_name", "name"], set_={"query": statement.excluded.query}
        ).returning(_filter.c.created_at)
        created: datetime = self._connection.execute(upsert).scalar_one()
        return created

    def delete(self, user_name: str, name: str) -> bool:
        """False when the user has no filter of that name."""
        return self._connection.execute(_DELETE, {"user_name": user_name, "name": name}).rowcount == 1
