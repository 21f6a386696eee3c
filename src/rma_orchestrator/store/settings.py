"""The key/value settings table: small values every process shares (the controlled clock's time)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError

from .db import Database
from .models import TABLES

CLOCK_KEY = "controlled_clock.now"
_setting = TABLES["setting"]
_GET = select(_setting.c.value).where(_setting.c.key == bindparam("key"))
_SET = update(_setting).where(_setting.c.key == bindparam("b_key")).values(value=bindparam("value"))


def load_controlled_time(database: Database) -> datetime | None:
    with database.reading() as connection:
        value = connection.execute(_GET, {"key": CLOCK_KEY}).scalar_one_or_none()
    return datetime.fromisoformat(value) if value else None


def start_controlled_time(database: Database, value: datetime) -> datetime:
    """Store the controlled clock's first value unless another process did; return the stored one."""
    try:
        with database.write_connection() as connection, connection.begin():
            if connection.execute(_GET, {"key": CLOCK_KEY}).first() is None:
                connection.execute(insert(_setting).values(key=CLOCK_KEY, value=value.isoformat()))
    except IntegrityError:
        pass
    stored = load_controlled_time(database)
    assert stored is not None
    return stored


class SettingRepository:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def save_controlled_time(self, value: datetime) -> None:
        if not self._connection.execute(_SET, {"b_key": CLOCK_KEY, "value": value.isoformat()}).rowcount:
            self._connection.execute(insert(_setting).values(key=CLOCK_KEY, value=value.isoformat()))
