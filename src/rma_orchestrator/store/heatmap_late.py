"""The cases late at one element of the SLA heatmap (an SLA timer on its task fired), with their
breakdown by reason and by product category."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Connection, exists, func, select

from .heatmap import Cases
from .models import TABLES

_instance = TABLES["process_instance"]
_task = TABLES["human_task"]
_timer = TABLES["timer"]
LATE_CASES_SHOWN = 200


@dataclass(frozen=True)
class LateCase:
    instance_id: int
    business_key: str
    status: str
    reason: str | None
    product_category: str | None
    started_at: datetime


def _late_at(connection: Connection, cases: Cases, element_id: str) -> ColumnElement[bool]:
    """The case had an SLA timer fire on a task at ``element_id``.

    PostgreSQL is asked for the late ones among the period's cases (``IN``: its plan starts from
    their index; as ``EXISTS`` it hashed every fired timer there is, 500 ms at 100,000 cases
    whatever the period); SQLite is faster with ``EXISTS``, a look at each case's own timers."""
    fired = (
        _timer.c.sla.is_not(None),
        _timer.c.status == "fired",
        _task.c.element_id == element_id,
        _task.c.process_key.in_(sorted(cases.process_keys)),
    )
    guarded = _timer.join(_task, _task.c.id == _timer.c.attached_to)
    if connection.dialect.name == "sqlite":
        return exists(
            select(_timer.c.id).select_from(guarded).where(_timer.c.instance_id == _instance.c.id, *fired)
        )
    late = (
        select(_timer.c.instance_id)
        .select_from(_instance.join(guarded, _timer.c.instance_id == _instance.c.id))
        .where(*cases.where(), *fired)
    )
    return _instance.c.id.in_(late)


def late_cases(connection: Connection, cases: Cases, element_id: str) -> tuple[int, list[LateCase]]:
    """(how many, the newest ``LATE_CASES_SHOWN``) of the cases late at ``element_id``."""
    where = (*cases.where(), _late_at(connection, cases, element_id))
    total = int(connection.execute(select(func.count()).select_from(_instance).where(*where)).scalar_one())
    query = (
        select(
            _instance.c.id,
            _instance.c.business_key,
            _instance.c.status,
            _instance.c.reason,
            _instance.c.product_category,
            _instance.c.started_at,
        )
        .where(*where)
        .order_by(_instance.c.started_at.desc(), _instance.c.id.desc())
        .limit(LATE_CASES_SHOWN)
    )
    return total, [LateCase(*row) for row in connection.execute(query)]


def late_breakdown(
    connection: Connection, cases: Cases, element_id: str, by: str
) -> list[tuple[str | None, int]]:
    """(reason or product category, late cases at ``element_id``), most first."""
    column = {"reason": _instance.c.reason, "category": _instance.c.product_category}[by]
    query = (
        select(column, func.count())
        .where(*cases.where(), _late_at(connection, cases, element_id))
        .group_by(column)
        .order_by(func.count().desc(), column)
    )
    return [(k, int(n)) for k, n in connection.execute(query)]
