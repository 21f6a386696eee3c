"""Figures for /metrics, read from the database so every process reports the same totals."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from ..store.models import ProcessInstance, Timer
from .context import Services

LAG_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 300.0, 3600.0)


@dataclass(frozen=True)
class ServiceStatistics:
    timers_by_status: dict[str, int]
    lag_buckets: list[tuple[float, int]]  # cumulative counts of fired timers with lag <= bound
    lag_count: int
    lag_sum: float
    sla_breaches: dict[str, int]
    instances_by_status: dict[str, int]


def service_statistics(services: Services) -> ServiceStatistics:
    with services.database.read() as session:
        timers = dict(session.execute(select(Timer.status, func.count()).group_by(Timer.status)).all())
        timers["pending"] = timers.get("pending", 0) + timers.pop("claimed", 0)
        lag = Timer.lag_seconds
        bucket_columns = [func.count().filter(lag <= bound) for bound in LAG_BUCKETS]
        row = session.execute(
            select(func.count(lag), func.coalesce(func.sum(lag), 0.0), *bucket_columns).where(
                lag.is_not(None)
            )
        ).one()
        breaches = dict(
            session.execute(
                select(Timer.sla, func.count())
                .where(Timer.sla.is_not(None), Timer.status == "fired")
                .group_by(Timer.sla)
            ).all()
        )
        instances = dict(
            session.execute(
                select(ProcessInstance.status, func.count()).group_by(ProcessInstance.status)
            ).all()
        )
    return ServiceStatistics(
        timers_by_status=timers,
        lag_buckets=list(zip(LAG_BUCKETS, row[2:], strict=True)),
        lag_count=row[0],
        lag_sum=float(row[1]),
        sla_breaches=breaches,
        instances_by_status=instances,
    )
