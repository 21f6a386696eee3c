"""The SLA heatmap of one process version: per diagram element, aggregates over the cases of a period.

Each figure is one SQL statement grouped by element. Percentiles are the dashboard's nearest rank
(the value at rank ⌈p·n⌉): PostgreSQL's ``percentile_disc``, on SQLite an aggregate of ours that
sorts each element's values (``rma_nearest_ranks``), so both give the same figures. Every statement
starts from the period's cases of the version (``ix_process_instance_heatmap``) and reads each
case's rows from a covering index (``ix_*_heatmap``, migration 0016): no case's or task's row is read.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Table,
    and_,
    case,
    func,
    literal,
    literal_column,
    null,
    or_,
    select,
)

from .dashboard import seconds_between
from .models import TABLES

_instance = TABLES["process_instance"]
_task = TABLES["human_task"]
_timer = TABLES["timer"]
_subscription = TABLES["message_subscription"]
_call = TABLES["called_process"]
WAITING_TIMER = ("pending", "claimed")


@dataclass(frozen=True)
class Cases:
    """The cases of one definition version registered from ``start`` (inclusive) to ``end`` (exclusive),
    and the processes whose elements are counted: those drawn on the diagram shown (the version's own
    process and its embedded subprocesses, or a process it calls and that one's embedded ones)."""

    process_key: str
    version: int
    start: datetime
    end: datetime
    process_keys: frozenset[str]

    def where(self) -> list[ColumnElement[bool]]:
        """The condition on ``process_instance``, answered by ``ix_process_instance_heatmap`` alone
        (one range; a case's row holds its state: a page or more)."""
        return [
            _instance.c.process_key == self.process_key,
            _instance.c.version == self.version,
            _instance.c.started_at >= self.start,
            _instance.c.started_at < self.end,
        ]


@dataclass(frozen=True)
class ElementRow:
    """One element's figures from one table: ``passed`` (tasks completed, timers fired, messages
    delivered, called processes ended), ``waiting`` there now, ``cases`` that reached it, and the
    median and 90th percentile of the seconds spent by those that passed (None: none did)."""

    element_id: str
    passed: int
    waiting: int
    cases: int
    median: float | None
    p90: float | None


@dataclass(frozen=True)
class SlaRow:
    element_id: str  # the user task the SLA timers guard
    late_cases: int  # cases where one of them fired
    slas: tuple[str, ...]  # the names of those timers (the first and the last by name)


def _figures(
    connection: Connection,
    cases: Cases,
    table: Table,
    passed: ColumnElement[bool],
    waiting: ColumnElement[bool],
    span: tuple[Any, Any],
    *where: ColumnElement[bool],
    group: tuple[Any, Any] | None = None,
    sla: Any = None,
) -> list[tuple[int, ElementRow, Any, Any]]:
    """Per element of ``table`` (rows of the chosen cases at the diagram's processes), one aggregate
    over them: the rows that ``passed``, those ``waiting``, the cases, the median and 90th percentile
    (nearest rank) of ``span`` (start, end) of those that passed. ``group``: (kind, element)
    expressions to group by instead of the element alone (kind 0); ``sla``: a column whose least and
    greatest value per group come too."""
    start, end = span
    kind, element = group if group is not None else (literal(0), table.c.element_id)
    grouped = (kind, element) if group is not None else (element,)  # never a bare number to group by
    done = and_(passed, end.is_not(None), start.is_not(None))
    spent = case((done, seconds_between(connection, end, start)))
    if connection.dialect.name == "sqlite":
        ranks: list[Any] = [_sqlite_ranks(connection, spent)]
    else:  # the first value whose rank reaches p·n: the nearest rank
        ranks = [func.percentile_disc(p).within_group(spent) for p in (0.5, 0.9)]
    query = (
        select(
            kind,
            element,
            func.count().filter(passed),
            func.count().filter(waiting),
            func.count(func.distinct(table.c.instance_id)),
            *ranks,
            func.min(sla if sla is not None else null()),
            func.max(sla if sla is not None else null()),
        )
        .select_from(table.join(_instance, _instance.c.id == table.c.instance_id))
        .where(*cases.where(), table.c.process_key.in_(sorted(cases.process_keys)), *where)
        .group_by(*grouped)
        .order_by(*grouped)
    )
    found = []
    for k, e, p, w, c, *figures, low, high in connection.execute(query):
        median, p90 = _NearestRanks.parse(figures[0]) if len(figures) == 1 else figures
        found.append(
            (int(k), ElementRow(str(e), int(p), int(w), int(c), _seconds(median), _seconds(p90)), low, high)
        )
    return found


class _NearestRanks:
    """SQLite's aggregate ``rma_nearest_ranks(value)``: the median and the 90th percentile of the
    values that are not null, by nearest rank (the values at ranks ⌈n/2⌉ and ⌈9n/10⌉, as
    PostgreSQL's ``percentile_disc``), written "median p90" (exact float reprs); null without values.

    SQLite has no percentile aggregate; ranking each value within its element by window functions
    cost half again the time of the whole pass (two windows and their sort per statement)."""

    def __init__(self) -> None:
        self.values: list[float] = []

    def step(self, value: float | None) -> None:
        if value is not None:
            self.values.append(value)

    def finalize(self) -> str | None:
        if not self.values:
            return None
        values = sorted(self.values)
        n = len(values)
        return f"{values[(n + 1) // 2 - 1]!r} {values[(9 * n + 9) // 10 - 1]!r}"

    @staticmethod
    def parse(text: str | None) -> tuple[float | None, float | None]:
        if text is None:
            return None, None
        median, p90 = text.split()
        return float(median), float(p90)


def _sqlite_ranks(connection: Connection, value: Any) -> Any:
    """``rma_nearest_ranks(value)``, registered on this SQLite connection (cheap to do again)."""
    driver = connection.connection.driver_connection
    driver.create_aggregate("rma_nearest_ranks", 1, _NearestRanks)  # type: ignore[union-attr]
    return func.rma_nearest_ranks(value)


def _seconds(value: Any) -> float | None:
    return None if value is None else float(value)


def task_figures(connection: Connection, cases: Cases) -> list[ElementRow]:
    """User tasks: completed and open ones, from creation to completion."""
    status = _task.c.status
    span = (_task.c.created_at, _task.c.completed_at)
    return [
        row
        for _, row, _, _ in _figures(connection, cases, _task, status == "completed", status == "open", span)
    ]


def fired_sla() -> ColumnElement[bool]:
    """A timer with an SLA that fired (``'fired'`` written out, as in the index's condition)."""
    return and_(_timer.c.sla.is_not(None), _timer.c.status == literal_column("'fired'"))


def timers_read() -> ColumnElement[bool]:
    """The timers the heatmap reads: waited at, or fired on an SLA. The condition of their partial
    index (``TIMER_HEATMAP_WHERE``) said the very same way, or neither database uses the index."""
    return or_(_timer.c.attached_to.is_(None), fired_sla())


def timer_figures(
    connection: Connection, cases: Cases, attached: Mapping[str, str]
) -> tuple[list[ElementRow], list[SlaRow]]:
    """In one pass over the chosen cases' timers: those cases wait at (not boundary timers), fired and
    waiting, from the timer's creation to its firing; and per activity (``attached``: boundary event
    -> the activity it is attached to, from the diagram) the cases where an SLA boundary timer on it
    fired, with those timers' names (the first and the last by name)."""
    status = _timer.c.status
    waited = _timer.c.attached_to.is_(None)
    guarded = case(dict(attached), value=_timer.c.element_id, else_=_timer.c.element_id) if attached else None
    group = (
        case((waited, 0), else_=1),
        case((waited, _timer.c.element_id), else_=guarded) if guarded is not None else _timer.c.element_id,
    )
    rows = _figures(
        connection,
        cases,
        _timer,
        and_(waited, status == "fired"),
        and_(waited, status.in_(WAITING_TIMER)),
        (_timer.c.created_at, _timer.c.fired_at),
        timers_read(),
        group=group,
        sla=_timer.c.sla,
    )
    waits = [row for kind, row, _, _ in rows if kind == 0]
    breaches = [
        SlaRow(row.element_id, row.cases, tuple(sorted({str(low), str(high)})))
        for kind, row, low, high in rows
        if kind == 1
    ]
    return waits, breaches


def message_figures(connection: Connection, cases: Cases) -> list[ElementRow]:
    """Message catches (events, receive tasks, boundary events): delivered and open waits, from the
    wait's start to the message."""
    status = _subscription.c.status
    span = (_subscription.c.created_at, _subscription.c.ended_at)
    rows = _figures(connection, cases, _subscription, status == "delivered", status == "waiting", span)
    return [row for _, row, _, _ in rows]


def call_figures(connection: Connection, cases: Cases) -> list[ElementRow]:
    """Call activities: called processes that ended and those running, from their start to their end."""
    status = _call.c.status
    span = (_call.c.started_at, _call.c.ended_at)
    return [
        row
        for _, row, _, _ in _figures(
            connection, cases, _call, status == "completed", status == "running", span
        )
    ]
