"""Counts for /metrics, read from the tables so every process reports the same figures."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, func, select, text

from .models import TABLES

_timer = TABLES["timer"]
_instance = TABLES["process_instance"]
_event = TABLES["event"]


def timers_by_status(connection: Connection) -> dict[str, int]:
    rows = connection.execute(select(_timer.c.status, func.count()).group_by(_timer.c.status))
    return {status: count for status, count in rows}


def lag_histogram(connection: Connection, bounds: Sequence[float]) -> tuple[int, float, list[int]]:
    """(count, sum, cumulative count per bound) of the lag of fired timers."""
    lag = _timer.c.lag_seconds
    row = connection.execute(
        select(
            func.count(lag),
            func.coalesce(func.sum(lag), 0.0),
            *[func.count().filter(lag <= bound) for bound in bounds],
        ).where(lag.is_not(None))
    ).one()
    return int(row[0]), float(row[1]), [int(v) for v in row[2:]]


def sla_breaches(connection: Connection) -> dict[str, int]:
    rows = connection.execute(
        select(_timer.c.sla, func.count())
        .where(_timer.c.sla.is_not(None), _timer.c.status == "fired")
        .group_by(_timer.c.sla)
    )
    return {sla: count for sla, count in rows}


def legal_breaches(connection: Connection) -> int:
    """How many legal deadlines were missed (``legal_breach`` events: timers with breach = legal)."""
    query = select(func.count()).select_from(_event).where(_event.c.kind == "legal_breach")
    return int(connection.execute(query).scalar_one())


def instances_by_status(connection: Connection) -> dict[str, int]:
    rows = connection.execute(select(_instance.c.status, func.count()).group_by(_instance.c.status))
    return {status: count for status, count in rows}


def users_and_instances(connection: Connection) -> tuple[int, int]:
    """How many users and instances the database holds (an empty one gets demo data)."""
    users = connection.execute(select(func.count()).select_from(TABLES["app_user"])).scalar_one()
    instances = connection.execute(select(func.count()).select_from(_instance)).scalar_one()
    return int(users), int(instances)


def ping(connection: Connection) -> None:
    connection.execute(text("SELECT 1"))


def holds_cases(connection: Connection) -> bool:
    """Whether any instance or message exists (something may count from the clock)."""
    for table in (_instance, TABLES["message_inbox"]):
        if connection.execute(select(table.c.id).limit(1)).first() is not None:
            return True
    return False
