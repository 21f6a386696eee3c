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


def instances_by_process(connection: Connection) -> list[tuple[str, str, int]]:
    """(process key, status, instances): every instance started, by what became of it."""
    query = select(_instance.c.process_key, _instance.c.status, func.count()).group_by(
        _instance.c.process_key, _instance.c.status
    )
    return [(str(key), str(status), int(count)) for key, status, count in connection.execute(query)]


def open_tasks_by_group(connection: Connection) -> dict[str, int]:
    """Open human tasks by candidate group ("" for a task without one)."""
    task = TABLES["human_task"]
    query = select(task.c.group_name, func.count()).where(task.c.status == "open").group_by(task.c.group_name)
    return {group or "": int(count) for group, count in connection.execute(query)}


def open_incidents(connection: Connection) -> int:
    incident = TABLES["incident"]
    query = select(func.count()).select_from(incident).where(incident.c.resolved_at.is_(None))
    return int(connection.execute(query).scalar_one())


def sla_breaches_by_timer(connection: Connection) -> list[tuple[str, str, str, int]]:
    """(sla, process key, timer element id, fired timers): the breaches of each SLA timer of each diagram."""
    query = (
        select(_timer.c.sla, _timer.c.process_key, _timer.c.element_id, func.count())
        .where(_timer.c.sla.is_not(None), _timer.c.status == "fired")
        .group_by(_timer.c.sla, _timer.c.process_key, _timer.c.element_id)
    )
    return [(str(s), str(p), str(e), int(n)) for s, p, e, n in connection.execute(query)]


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
