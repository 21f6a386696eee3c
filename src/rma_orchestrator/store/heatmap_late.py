"""The cases late at one element of the SLA heatmap (an SLA timer on its task fired), with their
breakdown by reason and by product category."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Connection, exists, func, select

from .heatmap import Cases, fired_sla, timers_read
from .models import TABLES

_instance = TABLES["process_instance"]
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


def _late_at(connection: Connection, cases: Cases, guards: Sequence[str]) -> ColumnElement[bool]:
    """The case had an SLA timer fire among ``guards`` (the boundary events of one activity).

    PostgreSQL is asked for the late ones among the period's cases (``IN``: its plan starts from
    their index; as ``EXISTS`` it hashed every fired timer there is, 500 ms at 100,000 cases
    whatever the period); SQLite is faster with ``EXISTS``, a look at each case's own timers. Both
    read the timers' heatmap index alone (its condition is repeated for that)."""
    fired = (
        _timer.c.process_key.in_(sorted(cases.process_keys)),
        _timer.c.element_id.in_(sorted(guards)),
        _timer.c.attached_to.is_not(None),
        fired_sla(),
        timers_read(),
    )
    if connection.dialect.name == "sqlite":
        return exists(select(_timer.c.id).where(_timer.c.instance_id == _instance.c.id, *fired))
    late = (
        select(_timer.c.instance_id)
        .select_from(_instance.join(_timer, _timer.c.instance_id == _instance.c.id))
        .where(*cases.where(), *fired)
    )
    return _instance.c.id.in_(late)


def late_cases(connection: Connection, cases: Cases, guards: Sequence[str]) -> tuple[int, list[LateCase]]:
    """(how many, the newest ``LATE_CASES_SHOWN``) of the cases late at the activity ``guards`` guard."""
    where = (*cases.where(), _late_at(connection, cases, guards))
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
    connection: Connection, cases: Cases, guards: Sequence[str], by: str
) -> list[tuple[str | None, int]]:
    """(reason or product category, late cases at the activity ``guards`` guard), most first."""
    column = {"reason": _instance.c.reason, "category": _instance.c.product_category}[by]
    query = (
        select(column, func.count())
        .where(*cases.where(), _late_at(connection, cases, guards))
        .group_by(column)
        .order_by(func.count().desc(), column)
    )
    return [(k, int(n)) for k, n in connection.execute(query)]
