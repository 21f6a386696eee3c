"""The managers' dashboard: aggregates over the cases (instances with a kind), each one statement.

Nothing here loops over cases in Python: counts, sums and groups are SQL, and a percentile is the
value at its rank in the ordered values (a window function), so the work stays in the database
whatever the number of cases.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, and_, case, func, or_, select

from .models import TABLES

_instance = TABLES["process_instance"]
_task = TABLES["human_task"]
_timer = TABLES["timer"]
_repair = TABLES["product_repair"]
_score = TABLES["satisfaction_score"]

_REPAIRS = _repair.join(_instance, _instance.c.id == _repair.c.instance_id)  # attempts with their case
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
    """(element id, task name, cases) of the steps where open cases wait now (an open task there)."""
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


def _in_period(period: Period) -> list[ColumnElement[bool]]:
    return [
        _instance.c.kind.is_not(None),
        _instance.c.started_at >= period.start,
        _instance.c.started_at < period.end,
    ]


def sla_outcomes(connection: Connection, period: Period) -> list[tuple[str, int, int, int]]:
    """(sla, fired, met, pending) of the SLA timers of the period's cases: a fired timer is a breach,
    a cancelled one was met (its task done in time, or the case ended first)."""
    status = _timer.c.status
    query = (
        select(
            _timer.c.sla,
            func.count().filter(status == "fired"),
            func.count().filter(status == "cancelled"),
            func.count().filter(status.in_(("pending", "claimed"))),
        )
        .select_from(_timer.join(_instance, _instance.c.id == _timer.c.instance_id))
        .where(_timer.c.sla.is_not(None), *_in_period(period))
        .group_by(_timer.c.sla)
        .order_by(_timer.c.sla)
    )
    return [(str(s), int(f), int(m), int(p)) for s, f, m, p in connection.execute(query)]


def seconds_between(connection: Connection, later: Any, earlier: Any) -> ColumnElement[Any]:
    """``later - earlier`` in seconds, in the database's own dialect."""
    if connection.dialect.name == "sqlite":
        return (func.julianday(later) - func.julianday(earlier)) * 86400.0
    return func.extract("epoch", later - earlier)


def first_response_seconds(connection: Connection, period: Period) -> Spread:
    """Registration to the completion of the case's first customer-service task, for the period's cases.

    The period's instances first (the registration index alone: a case is what has such a task),
    then their tasks (an index on the task's case, element and completion); grouping every task of
    every case before the join read the whole task table.
    """
    answered = func.min(_task.c.completed_at)
    value = seconds_between(connection, answered, _instance.c.started_at).label("value")
    query = (
        select(value)
        .select_from(_instance.join(_task, _task.c.instance_id == _instance.c.id))
        .where(
            _instance.c.started_at >= period.start,
            _instance.c.started_at < period.end,
            _task.c.element_id.in_(FIRST_RESPONSE_STEPS),
            _task.c.completed_at.is_not(None),
        )
        .group_by(_instance.c.id, _instance.c.started_at)
    )
    return spread(connection, query)


def resolution_seconds(connection: Connection, period: Period) -> Spread:
    """Registration to the case's end, for the period's cases that ended (not cancelled)."""
    value = seconds_between(connection, _instance.c.ended_at, _instance.c.started_at).label("value")
    query = select(value).where(
        *_in_period(period), _instance.c.status == "completed", _instance.c.ended_at.is_not(None)
    )
    return spread(connection, query)


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


def refund_rates(connection: Connection, period: Period, by: str) -> list[RateRow]:
    """(reason or product category, cases of the period, of them ended refunded)."""
    column = {"reason": _instance.c.reason, "category": _instance.c.product_category}[by]
    query = (
        select(column, func.count(), func.count().filter(_instance.c.outcome == REFUNDED))
        .where(*_in_period(period))
        .group_by(column)
        .order_by(func.count().desc(), column)
    )
    return [RateRow(k, int(n), int(h)) for k, n, h in connection.execute(query)]


def repair_days(connection: Connection, period: Period) -> Spread:
    """The days of the recorded repair attempts of the period's repair cases."""
    where = (*_in_period(period), _instance.c.kind == "repair")
    query = select(_repair.c.days.label("value")).select_from(_REPAIRS).where(*where)
    return spread(connection, query)


def first_time_fixes(connection: Connection, period: Period) -> tuple[int, int]:
    """(repair cases of the period that ended with a recorded repair, of them fixed by the only attempt)."""
    attempts = (
        select(
            _repair.c.instance_id,
            func.count().label("attempts"),
            func.max(case((_repair.c.fixed.is_(True), 1), else_=0)).label("fixed"),
        )
        .select_from(_REPAIRS)
        .where(*_in_period(period), _instance.c.kind == "repair", _instance.c.status == "completed")
        .group_by(_repair.c.instance_id)
        .subquery("attempts")
    )
    first_time = and_(attempts.c.attempts == 1, attempts.c.fixed == 1)
    row = connection.execute(
        select(func.count(), func.count().filter(first_time)).select_from(attempts)
    ).one()
    return int(row[0]), int(row[1])


def csat(connection: Connection, period: Period) -> tuple[int, int, int, int]:
    """(follow-ups, scores given, their sum, follow-ups that reached the customer) of the period's cases."""
    query = (
        select(
            func.count(),
            func.count(_score.c.score),
            func.coalesce(func.sum(_score.c.score), 0),
            func.count().filter(_score.c.reached.is_(True)),
        )
        .select_from(_score.join(_instance, _instance.c.id == _score.c.instance_id))
        .where(*_in_period(period))
    )
    entries, scored, total, reached = connection.execute(query).one()
    return int(entries), int(scored), int(total), int(reached)


def case_count(connection: Connection, period: Period) -> int:
    query = select(func.count()).select_from(_instance).where(*_in_period(period))
    return int(connection.execute(query).scalar_one())
