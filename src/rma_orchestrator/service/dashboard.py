"""The managers' dashboard (/monitor/dashboard): what is open now, and the figures of a period.

A period is whole days of the business time zone (the last 7, 30 or 90 days, today included, or
from one date to another, both included), the same days the case list's ``started_from`` and
``started_to`` take, so every figure links to the list of the cases behind it. A period's figures
are about the cases registered in it (processes/README.md, "The managers' dashboard").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from ..errors import InvalidData
from ..store import dashboard as figures
from ..store.dashboard import Period, Spread
from ..store.dashboard_period import period_figures
from . import permissions
from .calendar import CalendarStatus, calendar_status
from .context import Actor, Services
from .instance_search import url_day
from .product_results import CsatFigure

PERIOD_DAYS = (7, 30, 90)
DEFAULT_DAYS = 30


@dataclass(frozen=True)
class DashboardPeriod:
    """``days``: the last 7, 30 or 90 days; None: the chosen ``first_day``..``last_day`` (both included)."""

    first_day: date
    last_day: date
    days: int | None = DEFAULT_DAYS

    def params(self) -> dict[str, str]:
        """The period as URL parameters of the dashboard (the default period: none)."""
        if self.days is None:
            return {"from": self.first_day.isoformat(), "to": self.last_day.isoformat()}
        return {} if self.days == DEFAULT_DAYS else {"days": str(self.days)}

    def list_params(self) -> dict[str, str]:
        """The same days as the case list's registration filter."""
        return {"started_from": self.first_day.isoformat(), "started_to": self.last_day.isoformat()}


@dataclass(frozen=True)
class OpenCount:
    kind: str
    status: str
    cases: int


@dataclass(frozen=True)
class StepCount:
    element_id: str
    name: str
    cases: int


@dataclass(frozen=True)
class GroupCount:
    group: str | None
    tasks: int


@dataclass(frozen=True)
class SlaRate:
    """An SLA timer's breaches among its decided timers (fired = breached, cancelled = met)."""

    sla: str
    breached: int
    met: int
    pending: int

    @property
    def rate(self) -> float | None:
        decided = self.breached + self.met
        return self.breached / decided if decided else None


@dataclass(frozen=True)
class RefundRate:
    """Of the period's ``cases`` with this reason or product category, how many ended refunded."""

    key: str | None
    cases: int
    refunded: int

    @property
    def rate(self) -> float | None:
        return self.refunded / self.cases if self.cases else None


@dataclass(frozen=True)
class FixRate:
    repaired_cases: int
    first_time: int

    @property
    def rate(self) -> float | None:
        return self.first_time / self.repaired_cases if self.repaired_cases else None


@dataclass(frozen=True)
class Dashboard:
    period: DashboardPeriod
    now: datetime
    cases: int  # registered in the period
    open_by_kind: list[OpenCount]
    open_by_step: list[StepCount]
    overdue_by_group: list[GroupCount]
    sla: list[SlaRate]
    first_response: Spread  # seconds
    resolution: Spread  # seconds
    by_reason: list[RefundRate]
    by_category: list[RefundRate]
    repair_days: Spread
    repair_days_average: float | None
    first_time_fix: FixRate
    csat: CsatFigure
    calendar: CalendarStatus


def parse_period(args: Mapping[str, str], today: date) -> DashboardPeriod:
    """The period URL parameters ask for: ``days`` (7, 30, 90) or ``from`` and ``to``.

    InvalidData names each bad one."""
    problems: list[dict[str, str]] = []

    def day(field: str) -> date | None:
        try:
            return url_day(args.get(field, ""))
        except ValueError as problem:
            problems.append({"field": field, "message": str(problem)})
            return None

    first, last = day("from"), day("to")
    days_text = args.get("days", "").strip()
    days = DEFAULT_DAYS
    if days_text:
        if days_text not in {str(d) for d in PERIOD_DAYS}:
            problems.append({"field": "days", "message": "must be one of 7, 30, 90"})
        else:
            days = int(days_text)
    if (first is None) != (last is None) and not problems:
        problems.append(
            {"field": "to" if last is None else "from", "message": "give both dates, from and to"}
        )
    if first and last and last < first:
        problems.append({"field": "to", "message": "must not be before from"})
    if problems:
        raise InvalidData("bad period", problems)
    if first and last:
        return DashboardPeriod(first, last, None)
    return DashboardPeriod(today - timedelta(days=days - 1), today, days)


def today_of(services: Services) -> date:
    return services.clock.now().astimezone(ZoneInfo(services.settings.business_tz)).date()


def get_dashboard(services: Services, actor: Actor, period: DashboardPeriod) -> Dashboard:
    """Every figure of the dashboard, read in one transaction (one consistent view)."""
    permissions.require_may_monitor(actor)
    zone = ZoneInfo(services.settings.business_tz)
    window = Period(
        datetime.combine(period.first_day, time(), zone),
        datetime.combine(period.last_day + timedelta(days=1), time(), zone),
    )
    now = services.clock.now()
    with services.database.reading() as connection:
        registered = period_figures(connection, window)
        by_kind = [OpenCount(*row) for row in figures.open_by_kind(connection)]
        by_step = [StepCount(*row) for row in figures.open_by_step(connection)]
        overdue = [GroupCount(*row) for row in figures.overdue_by_group(connection, now)]
    repair_days = registered.repair_days
    repaired, first_time = registered.first_time_fixes
    entries, scored, total, reached = registered.csat
    average = round(total / scored, 3) if scored else None
    return Dashboard(
        period=period,
        now=now,
        cases=registered.cases,
        open_by_kind=by_kind,
        open_by_step=by_step,
        overdue_by_group=overdue,
        sla=[SlaRate(*row) for row in registered.sla],
        first_response=registered.first_response,
        resolution=registered.resolution,
        by_reason=[RefundRate(r.key, r.cases, r.hits) for r in registered.by_reason],
        by_category=[RefundRate(r.key, r.cases, r.hits) for r in registered.by_category],
        repair_days=repair_days,
        repair_days_average=round(repair_days.average, 2) if repair_days.average is not None else None,
        first_time_fix=FixRate(repaired, first_time),
        csat=CsatFigure(entries, scored, reached, average),
        calendar=calendar_status(services),
    )
