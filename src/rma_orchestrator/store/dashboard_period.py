"""The dashboard's figures of a period: about the cases registered in it, read from indexes alone.

The times are figures each case keeps (``first_response_seconds``, ``resolution_seconds``, set by
the step that ends them), and timers and satisfaction scores carry their case's registration
(``case_started_at``), so nothing joins the period's cases to their tasks, timers or scores: those
joins looked each case's rows up one by one (1.5-2.3 s for a year of 100,000 cases).

SQLite can only group or rank by sorting, and keeps no statistics that would tell it how many
cases a period holds: for a long period it sorted every case of it (0.1-0.3 s each time). From
WALK_FROM cases on, the period's conditions are marked likely() there, and SQLite reads an index in
the order it groups or ranks by instead (the period a filter, about 10-30 ms for a year). A short
period keeps its range and the small sort. PostgreSQL's planner decides from its own statistics,
for each period anew (a custom plan).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, case, func, select, text

from .dashboard import REFUNDED, Period, RateRow, Spread, spread
from .models import TABLES

_instance = TABLES["process_instance"]
_timer = TABLES["timer"]
_repair = TABLES["product_repair"]
_score = TABLES["satisfaction_score"]
_REPAIRS = _repair.join(_instance, _instance.c.id == _repair.c.instance_id)  # attempts with their case

WALK_FROM = 10_000  # cases in the period


@dataclass(frozen=True)
class PeriodFigures:
    cases: int
    by_reason: list[RateRow]  # cases, and of them ended refunded
    by_category: list[RateRow]
    first_response: Spread  # seconds
    resolution: Spread  # seconds
    sla: list[tuple[str, int, int, int]]  # (sla, fired, met, pending)
    repair_days: Spread
    first_time_fixes: tuple[int, int]  # (repair cases ended with a recorded repair, of them fixed at once)
    csat: tuple[int, int, int, int]  # (follow-ups, scores given, their sum, customers reached)


@dataclass(frozen=True)
class _Reading:
    """A period and how to read it: ``walk`` marks its conditions likely() (SQLite, a long period)."""

    period: Period
    walk: bool = False

    def registered(self, column: Any) -> list[ColumnElement[bool]]:
        terms: list[ColumnElement[bool]] = [column >= self.period.start, column < self.period.end]
        return [func.likely(term) for term in terms] if self.walk else terms


def period_figures(connection: Connection, period: Period) -> PeriodFigures:
    """Every figure of the period's cases; a period without cases has none (no further statement)."""
    if connection.dialect.name == "postgresql":
        # psycopg prepares a statement run often, and PostgreSQL then plans it once for any period
        # (a generic plan): a year ran 1.5-2 times slower on the plan of a week. Until this read's end.
        connection.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
    reading = _Reading(period)
    if connection.dialect.name == "sqlite":  # how many, first: that decides how to read the rest
        counted = select(func.count()).where(
            _instance.c.kind.is_not(None), *reading.registered(_instance.c.started_at)
        )
        reading = _Reading(period, walk=int(connection.execute(counted).scalar_one()) >= WALK_FROM)
    rows = _by_reason_and_category(connection, reading)
    cases = sum(int(row[2]) for row in rows)
    if cases == 0:
        nothing = Spread(0, None, None)
        return PeriodFigures(0, [], [], nothing, nothing, [], nothing, (0, 0), (0, 0, 0, 0))
    answered = sum(int(row[4]) for row in rows), sum(float(row[5] or 0) for row in rows)
    ended = sum(int(row[6]) for row in rows), sum(float(row[7] or 0) for row in rows)
    first, resolution = _spreads(
        connection,
        reading,
        (_instance.c.first_response_seconds, *answered),
        (_instance.c.resolution_seconds, *ended),
    )
    return PeriodFigures(
        cases,
        _rates(rows, 0),
        _rates(rows, 1),
        first,
        resolution,
        sla_outcomes(connection, reading),
        repair_days(connection, period),
        first_time_fixes(connection, period),
        csat(connection, period),
    )


def _by_reason_and_category(connection: Connection, reading: _Reading) -> Sequence[Sequence[Any]]:
    """(reason, category, cases, refunded, answered, their seconds, ended, their seconds): one pass."""
    first, resolved = _instance.c.first_response_seconds, _instance.c.resolution_seconds
    query = (
        select(
            _instance.c.reason,
            _instance.c.product_category,
            func.count(),
            func.count().filter(_instance.c.outcome == REFUNDED),
            func.count(first),
            func.sum(first),
            func.count(resolved),
            func.sum(resolved),
        )
        .where(_instance.c.kind.is_not(None), *reading.registered(_instance.c.started_at))
        .group_by(_instance.c.reason, _instance.c.product_category)
    )
    return connection.execute(query).all()


def _rates(rows: Sequence[Sequence[Any]], key: int) -> list[RateRow]:
    """Cases and refunded ones by the column at ``key``: the most cases first, "not given" last."""
    cases: dict[str | None, int] = defaultdict(int)
    refunded: dict[str | None, int] = defaultdict(int)
    for row in rows:
        cases[row[key]] += int(row[2])
        refunded[row[key]] += int(row[3])
    order = sorted(cases, key=lambda k: (-cases[k], k is None, k or ""))
    return [RateRow(k, cases[k], refunded[k]) for k in order]


def _spreads(
    connection: Connection, reading: _Reading, *figures: tuple[ColumnElement[Any], int, float]
) -> list[Spread]:
    """Median and 90th percentile (nearest rank) of figures the period's cases keep, each given with
    its count and sum: one statement, a value at its rank in the figure's own index for each.

    Nearest rank: the p-th percentile is the value at rank ⌈p·n⌉, in integer arithmetic: ⌈n/2⌉ =
    (n + 1) // 2 and ⌈9n/10⌉ = (9n + 9) // 10; each the value at that place in the figure's order
    (equal values tie, so whichever row comes first gives the same figure on both databases).
    """
    registered = (_instance.c.kind.is_not(None), *reading.registered(_instance.c.started_at))
    ranked = [(figure, count) for figure, count, _total in figures if count > 0]
    values = [
        select(figure).where(figure.is_not(None), *registered).order_by(figure).limit(1).offset(rank - 1)
        for figure, count in ranked
        for rank in ((count + 1) // 2, (count * 9 + 9) // 10)
    ]
    found = list(connection.execute(select(*(v.scalar_subquery() for v in values))).one()) if values else []
    spreads = []
    for _figure, count, total in figures:
        if count == 0:
            spreads.append(Spread(0, None, None))
        else:
            median, p90 = found.pop(0), found.pop(0)
            spreads.append(Spread(count, float(median), float(p90), total / count))
    return spreads


def sla_outcomes(connection: Connection, reading: _Reading) -> list[tuple[str, int, int, int]]:
    """(sla, fired, met, pending) of the SLA timers of the period's cases: a fired timer is a breach,
    a cancelled one was met (its task done in time, or the case ended first)."""
    query = (
        select(_timer.c.sla, _timer.c.status, func.count())
        .where(_timer.c.sla.is_not(None), *reading.registered(_timer.c.case_started_at))
        .group_by(_timer.c.sla, _timer.c.status)
    )
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for sla, status, timers in connection.execute(query):
        counts[str(sla)][str(status)] += int(timers)
    return [
        (sla, by["fired"], by["cancelled"], by["pending"] + by["claimed"])
        for sla, by in sorted(counts.items())
    ]


def repair_days(connection: Connection, period: Period) -> Spread:
    """The days of the recorded repair attempts of the period's repair cases."""
    where = (_instance.c.kind == "repair", *_Reading(period).registered(_instance.c.started_at))
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
        .where(
            _instance.c.kind == "repair",
            *_Reading(period).registered(_instance.c.started_at),
            _instance.c.status == "completed",
        )
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
    query = select(
        func.count(),
        func.count(_score.c.score),
        func.coalesce(func.sum(_score.c.score), 0),
        func.count().filter(_score.c.reached.is_(True)),
    ).where(*_Reading(period).registered(_score.c.case_started_at))
    entries, scored, total, reached = connection.execute(query).one()
    return int(entries), int(scored), int(total), int(reached)
