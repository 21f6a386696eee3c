"""The managers' dashboard: aggregates over the cases (instances with a kind), each one statement.

Nothing here loops over cases in Python: counts, sums and groups are SQL, and a percentile is the
value at its rank in the ordered values, so the work stays in the database whatever the number of
cases. What is open now is here; the figures of a period are in ``dashboard_period``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, func, or_, select

from .models import TABLES

_instance = TABLES["process_instance"]
_task = TABLES["human_task"]
_timer = TABLES["timer"]

OPEN_STATUSES = ("running", "suspended", "error")
FIRST_RESPONSE_STEPS = ("review_case", "request_documents")  # customer service's first answer
REFUNDED = "end_refunded"  # the outcome of a case that ended with its refund paid


@dataclass(frozen=True)
class Period:
    """Cases registered from ``start`` (inclusive) to ``end`` (exclusive)."""

    start: datetime
    end: datetime


@dataclass(frozen=True)
class Spread:
    """How many values, their median and 90th percentile (nearest rank) and average; None without values."""

    count: int
    median: float | None
    p90: float | None
    average: float | None = None


@dataclass(frozen=True)
class RateRow:
    key: str | None
    cases: int
    hits: int


def open_by_kind(connection: Connection) -> list[tuple[str, str, int]]:
    """(kind, status, cases) of the cases still open (running, suspended, stopped at an error)."""
    query = (
        select(_instance.c.kind, _instance.c.status, func.count())
        .where(_instance.c.status.in_(OPEN_STATUSES))
        .group_by(_instance.c.status, _instance.c.kind)  # status first: the status index answers
        .order_by(_instance.c.kind, _instance.c.status)
    )
    # Instances without a kind (not cases) are left out of the few grouped rows, not in SQL: a
    # condition on kind made SQLite read every case row instead of the status index.
    return [(str(k), str(s), int(n)) for k, s, n in connection.execute(query) if k is not None]


def open_by_step(connection: Connection) -> list[tuple[str, str, int]]:
    """(element id, task name, cases) of the steps where open cases wait now (an open task there).

    From the index of open tasks by step with their names alone (reading the task rows took 40-60 ms
    for 20,000 open tasks).
    """
    query = (
        select(_task.c.element_id, func.min(_task.c.name), func.count(func.distinct(_task.c.instance_id)))
        .where(_task.c.status == "open")
        .group_by(_task.c.element_id)
        .order_by(func.count(func.distinct(_task.c.instance_id)).desc(), _task.c.element_id)
    )
    return [(str(e), str(n), int(c)) for e, n, c in connection.execute(query)]


def overdue_by_group(connection: Connection, now: datetime) -> list[tuple[str | None, int]]:
    """(group, open tasks past their deadline at ``now``)."""
    query = (
        select(_task.c.group_name, func.count())
        .where(_task.c.status == "open", _task.c.due_at.is_not(None), _task.c.due_at < now)
        .group_by(_task.c.group_name)
        .order_by(func.count().desc(), _task.c.group_name)
    )
    return [(g, int(n)) for g, n in connection.execute(query)]


def seconds_between(connection: Connection, later: Any, earlier: Any) -> ColumnElement[Any]:
    """``later - earlier`` in seconds, in the database's own dialect."""
    if connection.dialect.name == "sqlite":
        return (func.julianday(later) - func.julianday(earlier)) * 86400.0
    return func.extract("epoch", later - earlier)


def spread(connection: Connection, values: Select[Any]) -> Spread:
    """Count, average, median and 90th percentile of ``values``' one column, in one statement.

    Nearest rank: the p-th percentile is the value at rank ⌈p·n⌉, written in integer arithmetic that
    both databases share: ⌈n/2⌉ = (n + 1) / 2 and ⌈9n/10⌉ = (9n + 9) / 10.
    """
    inner = values.subquery("spread_values")
    value = inner.c[0]
    ranked = select(
        value.label("value"),
        func.row_number().over(order_by=value).label("rank"),
        func.count().over().label("total"),
        func.avg(value).over().label("average"),
    ).subquery("ranked")
    median_rank = (ranked.c.total + 1) // 2  # integer division in SQL (``/`` would be true division)
    p90_rank = (ranked.c.total * 9 + 9) // 10
    rows = connection.execute(
        select(ranked.c.value, ranked.c.rank, ranked.c.total, ranked.c.average).where(
            or_(ranked.c.rank == median_rank, ranked.c.rank == p90_rank)
        )
    ).all()
    if not rows:
        return Spread(0, None, None)
    total = int(rows[0].total)
    at = {int(row.rank): float(row.value) for row in rows}
    return Spread(
        total,
        at[(total + 1) // 2],
        at[(total * 9 + 9) // 10],
        float(rows[0].average) if rows[0].average is not None else None,
    )
