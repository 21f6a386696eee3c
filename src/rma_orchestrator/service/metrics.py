"""Figures for /metrics, read from the database so every process reports the same totals."""

from __future__ import annotations

from dataclasses import dataclass

from ..store import statistics
from .context import Services

LAG_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 300.0, 3600.0)


@dataclass(frozen=True)
class ServiceStatistics:
    timers_by_status: dict[str, int]
    lag_buckets: list[tuple[float, int]]  # cumulative counts of fired timers with lag <= bound
    lag_count: int
    lag_sum: float
    sla_breaches: dict[str, int]
    legal_breaches: int  # missed legal deadlines (timers with breach = legal)
    instances_by_status: dict[str, int]


def service_statistics(services: Services) -> ServiceStatistics:
    with services.database.reading() as connection:
        timers = statistics.timers_by_status(connection)
        count, total, buckets = statistics.lag_histogram(connection, LAG_BUCKETS)
        breaches = statistics.sla_breaches(connection)
        legal = statistics.legal_breaches(connection)
        instances = statistics.instances_by_status(connection)
    timers["pending"] = timers.get("pending", 0) + timers.pop("claimed", 0)
    return ServiceStatistics(
        timers_by_status=timers,
        lag_buckets=list(zip(LAG_BUCKETS, buckets, strict=True)),
        lag_count=count,
        lag_sum=total,
        sla_breaches=breaches,
        legal_breaches=legal,
        instances_by_status=instances,
    )


def health_check(services: Services) -> None:
    """Raises when the database does not answer."""
    with services.database.reading() as connection:
        statistics.ping(connection)
