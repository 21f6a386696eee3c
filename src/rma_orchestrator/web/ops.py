"""Open operational endpoints: health and Prometheus metrics."""

from __future__ import annotations

import logging
from collections.abc import Iterator

from flask import Blueprint, Response, jsonify, request
from flask.typing import ResponseReturnValue
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric

from ..errors import Unauthorized
from ..service.calendar import calendar_status
from ..service.context import Services
from ..service.metrics import ServiceStatistics, health_check, service_statistics
from ..service.products import csat_figure
from .auth import services
from .request_metrics import request_registry

bp = Blueprint("ops", __name__)
log = logging.getLogger(__name__)


@bp.get("/healthz")
def healthz() -> ResponseReturnValue:
    health_check(services())
    return jsonify({"status": "ok"})


@bp.get("/metrics")
def metrics() -> ResponseReturnValue:
    token = services().settings.metrics_token
    if token and request.headers.get("Authorization") != f"Bearer {token}":
        raise Unauthorized("metrics need the RMA_METRICS_TOKEN bearer token")
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_ServiceCollector(services()))
    body = generate_latest(registry)
    requests = request_registry()
    if requests is not None:  # this process's request latencies (the rest is the database's)
        body += generate_latest(requests)
    return Response(body, content_type=CONTENT_TYPE_LATEST)


class _ServiceCollector:
    """Timer and instance figures from the database (the same answer from every process)."""

    def __init__(self, services: Services) -> None:
        self.services = services

    def collect(self) -> Iterator[Metric]:
        stats = service_statistics(self.services)
        pending = GaugeMetricFamily("rma_timers_pending", "Timers waiting to fire")
        pending.add_metric([], stats.timers_by_status.get("pending", 0))
        yield pending
        for status in ("fired", "failed", "cancelled"):
            counter = CounterMetricFamily(f"rma_timers_{status}", f"Timers {status}")
            counter.add_metric([], stats.timers_by_status.get(status, 0))
            yield counter
        lag = HistogramMetricFamily("rma_timer_lag_seconds", "How late timers fired after their due time")
        buckets = [(str(bound), count) for bound, count in stats.lag_buckets] + [("+Inf", stats.lag_count)]
        lag.add_metric([], buckets, sum_value=stats.lag_sum)
        yield lag
        breaches = CounterMetricFamily(
            "rma_sla_breaches", "SLA timers that fired, by SLA name", labels=["sla"]
        )
        for name, count in sorted(stats.sla_breaches.items()):
            breaches.add_metric([name], count)
        yield breaches
        legal = CounterMetricFamily(
            "rma_legal_breaches",
            "Legal deadlines missed (timers with breach = legal: a refund after 15 days)",
        )
        legal.add_metric([], stats.legal_breaches)
        yield legal
        calendar = calendar_status(self.services)
        known = GaugeMetricFamily("rma_calendar_last_known_year", "Last year the working-day calendar knows")
        known.add_metric([], calendar.last_known_year)
        yield known
        left = GaugeMetricFamily(
            "rma_calendar_days_left", "Days until the working-day calendar runs out (warn under 30)"
        )
        left.add_metric([], calendar.days_left)
        yield left
        if calendar.warning:
            log.warning(calendar.warning)
        instances = GaugeMetricFamily("rma_instances", "Process instances by status", labels=["status"])
        for status, count in sorted(stats.instances_by_status.items()):
            instances.add_metric([status], count)
        yield instances
        yield from _work(stats)
        yield from _csat(self.services)


def _work(stats: ServiceStatistics) -> Iterator[Metric]:
    """Instances by process and outcome, open tasks and incidents, SLA breaches per timer element."""
    for status, text in (
        (None, "Process instances started, by process key"),
        ("completed", "Process instances completed, by process key"),
        ("cancelled", "Process instances cancelled, by process key"),
    ):
        name = f"rma_instances_{status or 'started'}"
        counter = CounterMetricFamily(name, text, labels=["process"])
        totals: dict[str, int] = {}
        for key, row_status, count in stats.instances_by_process:
            if status is None or row_status == status:
                totals[key] = totals.get(key, 0) + count
        for key, count in sorted(totals.items()):
            counter.add_metric([key], count)
        yield counter
    tasks = GaugeMetricFamily("rma_open_tasks", "Open human tasks by candidate group", labels=["group"])
    for group, count in sorted(stats.open_tasks_by_group.items()):
        tasks.add_metric([group], count)
    yield tasks
    incidents = GaugeMetricFamily("rma_open_incidents", "Incidents not yet resolved")
    incidents.add_metric([], stats.open_incidents)
    yield incidents
    breaches = CounterMetricFamily(
        "rma_sla_timer_breaches",
        "SLA timers that fired, by SLA name, process key and timer element",
        labels=["sla", "process", "element"],
    )
    for sla, key, element, count in sorted(stats.sla_breaches_by_timer):
        breaches.add_metric([sla, key, element], count)
    yield breaches


def _csat(services: Services) -> Iterator[Metric]:
    """Customer satisfaction from the follow-ups' stored scores (1..5)."""
    figure = csat_figure(services)
    for name, text, value in (
        ("rma_csat_followups", "Satisfaction follow-ups recorded, reached or not", figure.entries),
        ("rma_csat_reached", "Satisfaction follow-ups that reached the customer", figure.reached),
        ("rma_csat_scores", "Satisfaction scores given (1 to 5)", figure.scored),
    ):
        counter = CounterMetricFamily(name, text)
        counter.add_metric([], value)
        yield counter
    average = GaugeMetricFamily("rma_csat_score_average", "Average satisfaction score (NaN with none)")
    average.add_metric([], figure.average if figure.average is not None else float("nan"))
    yield average
