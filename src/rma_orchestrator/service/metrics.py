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
    instances_by_process: list[tuple[str, str, int]]  # (process key, status, instances)
    open_tasks_by_group: dict[str, int]
    open_incidents: int
    sla_breaches_by_timer: list[tuple[str, str, str, int]]  # (sla, process key, element id, fired)


def service_statistics(services: Services) -> ServiceStatistics:
    with services.database.reading() as connection:
        timers = statistics.timers_by_status(connection)
        count, total, buckets = statistics.lag_histogram(connection, LAG_BUCKETS)
        breaches = statistics.sla_breaches(connection)
        legal = statistics.legal_breaches(connection)
        instances = statistics.instances_by_status(connection)
        by_process = statistics.instances_by_process(connection)
        tasks = statistics.open_tasks_by_group(connection)
        incidents = statistics.open_incidents(connection)
        by_timer = statistics.sla_breaches_by_timer(connection)
    timers["pending"] = timers.get("pending", 0) + timers.pop("claimed", 0)
    return ServiceStatistics(
        timers_by_status=timers,
        lag_buckets=list(zip(LAG_BUCKETS, buckets, strict=True)),
        lag_count=count,
        lag_sum=total,
        sla_breaches=breaches,
        legal_breaches=legal,
        instances_by_status=instances,
        instances_by_process=by_process,
        open_tasks_by_group=tasks,
        open_incidents=incidents,
        sla_breaches_by_timer=by_timer,
    )


def health_check(services: Services) -> None:
    """Raises when the database does not answer."""
    with services.database.reading() as connection:
        statistics.ping(connection)
