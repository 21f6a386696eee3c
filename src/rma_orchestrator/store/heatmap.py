"""The SLA heatmap of one process version: per diagram element, aggregates over the cases of a period.

Each figure is one SQL statement grouped by element; no case is looped over in Python. Percentiles
are the dashboard's nearest rank (the value at rank ⌈p·n⌉), ranked per element with a window
function, so SQLite and PostgreSQL give the same figures.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, case, exists, func, or_, select

from .dashboard import seconds_between
from .models import TABLES

_instance = TABLES["process_instance"]
_task = TABLES["human_task"]
_timer = TABLES["timer"]
_subscription = TABLES["message_subscription"]
WAITING_TIMER = ("pending", "claimed")
INSTANCE_STATUSES = (
    "running",
    "completed",
    "cancelled",
    "suspended",
    "error",
)  # = service.instances.STATUSES
LATE_CASES_SHOWN = 200


@dataclass(frozen=True)
class Cases:
    """The cases of one definition version registered from ``start`` (inclusive) to ``end`` (exclusive)."""

    process_key: str
    version: int
    start: datetime
    end: datetime
    process_keys: frozenset[str]  # the processes drawn on the diagram (its own and embedded ones)

    def where(self) -> list[ColumnElement[bool]]:
        """The condition on ``process_instance``: every status named, so that the monitor's index
        (status, started_at, id, process_key, version) answers it alone, one range per status,
        never reading a case's row (each holds its state: a page or more)."""
        return [
            _instance.c.status.in_(INSTANCE_STATUSES),
            _instance.c.process_key == self.process_key,
            _instance.c.version == self.version,
            _instance.c.started_at >= self.start,
            _instance.c.started_at < self.end,
        ]


@dataclass(frozen=True)
class TaskRow:
    element_id: str
    name: str
    passed: int  # completed tasks
    waiting: int  # open tasks
    cases: int  # cases that reached the element (a task there, whatever its status)
    median: float | None  # seconds from creation to completion, None without a completed task
    p90: float | None


@dataclass(frozen=True)
class SlaRow:
    element_id: str  # the user task the SLA timers guard
    late_cases: int  # cases where one of them fired
    slas: tuple[str, ...]  # the names of those timers (the first and the last by name)


@dataclass(frozen=True)
class LateCase:
    instance_id: int
    business_key: str
    status: str
    reason: str | None
    product_category: str | None
    started_at: datetime


def _case_tasks() -> Any:
    return _task.join(_instance, _instance.c.id == _task.c.instance_id)


def task_figures(connection: Connection, cases: Cases) -> list[TaskRow]:
    """Per user task element, in one pass over the chosen cases' tasks: completed and open tasks, the
    cases that reached it, and the median and 90th percentile (nearest rank) of the seconds from a
    task's creation to its completion (each completed task ranked within its element by a window)."""
    status = _task.c.status
    done = and_(status == "completed", _task.c.completed_at.is_not(None))
    spent = case((done, seconds_between(connection, _task.c.completed_at, _task.c.created_at)))
    partition = (_task.c.element_id, case((done, 1), else_=0))
    ranked = (
        select(
            _task.c.element_id.label("element_id"),
            _task.c.name.label("name"),
            status.label("status"),
            _task.c.instance_id.label("instance_id"),
            spent.label("value"),
            func.row_number().over(partition_by=partition, order_by=spent).label("rank"),
            # the completed tasks of the element (the open ones' partition counts no value); the
            # same window as the rank's, so that one sort serves both
            func.count(spent).over(partition_by=partition, order_by=spent, rows=(None, None)).label("total"),
        )
        .select_from(_case_tasks())
        .where(*cases.where(), _task.c.process_key.in_(sorted(cases.process_keys)))
        .subquery("ranked")
    )
    measured = ranked.c.value.is_not(None)

    def at(rank: Any) -> Any:
        return func.max(case((and_(measured, ranked.c.rank == rank), ranked.c.value)))

    query = (
        select(
            ranked.c.element_id,
            func.min(ranked.c.name),
            func.count().filter(ranked.c.status == "completed"),
            func.count().filter(ranked.c.status == "open"),
            func.count(func.distinct(ranked.c.instance_id)),
            at((ranked.c.total + 1) // 2),  # ⌈n/2⌉ in integer arithmetic both databases share
            at((ranked.c.total * 9 + 9) // 10),  # ⌈9n/10⌉
        )
        .group_by(ranked.c.element_id)
        .order_by(ranked.c.element_id)
    )
    return [
        TaskRow(str(e), str(n), int(p), int(w), int(c), _seconds(m), _seconds(p90))
        for e, n, p, w, c, m, p90 in connection.execute(query)
    ]


def _seconds(value: Any) -> float | None:
    return None if value is None else float(value)


def timer_figures(connection: Connection, cases: Cases) -> tuple[list[tuple[str, int, int]], list[SlaRow]]:
    """In one pass over the chosen cases' timers: (element, fired, waiting now) of the timers cases
    wait at (not boundary timers on a task), and per user task element the cases where an SLA
    boundary timer on it fired (``attached_to`` = the task) with those timers' names."""
    status = _timer.c.status
    breach = and_(_timer.c.sla.is_not(None), status == "fired", _timer.c.attached_to.is_not(None))
    waited = _timer.c.attached_to.is_(None)
    kind = case((waited, 1), else_=0)
    element = case((waited, _timer.c.element_id), else_=_task.c.element_id)
    keys = sorted(cases.process_keys)
    query = (
        select(
            element,
            kind,
            func.count().filter(status == "fired"),
            func.count().filter(status.in_(WAITING_TIMER)),
            func.count(func.distinct(case((breach, _timer.c.instance_id)))),
            func.min(case((breach, _timer.c.sla))),
            func.max(case((breach, _timer.c.sla))),
        )
        .select_from(
            _timer.join(_instance, _instance.c.id == _timer.c.instance_id).outerjoin(
                _task, and_(_task.c.id == _timer.c.attached_to, breach)
            )
        )
        .where(
            *cases.where(),
            or_(and_(waited, _timer.c.process_key.in_(keys)), and_(breach, _task.c.process_key.in_(keys))),
        )
        .group_by(element, kind)
        .order_by(element)
    )
    waits: list[tuple[str, int, int]] = []
    breaches: list[SlaRow] = []
    for element_id, is_wait, fired, waiting, late, first, last in connection.execute(query):
        if is_wait:
            waits.append((str(element_id), int(fired), int(waiting)))
        elif late:
            breaches.append(SlaRow(str(element_id), int(late), tuple(sorted({str(first), str(last)}))))
    return waits, breaches


def message_waits(connection: Connection, cases: Cases) -> list[tuple[str, int]]:
    """(element, cases waiting there now for a message)."""
    query = (
        select(_subscription.c.element_id, func.count(func.distinct(_subscription.c.instance_id)))
        .select_from(_subscription.join(_instance, _instance.c.id == _subscription.c.instance_id))
        .where(*cases.where())
        .group_by(_subscription.c.element_id)
        .order_by(_subscription.c.element_id)
    )
    return [(str(e), int(n)) for e, n in connection.execute(query)]


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
