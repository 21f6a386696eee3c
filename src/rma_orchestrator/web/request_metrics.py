"""Request latency by endpoint for /metrics: a Prometheus histogram observed around every request.

Labelled by the URL rule (``/api/v1/tasks/<task_id>``), never the raw path, so ids do not grow the
label set; a request no rule matched is ``<unmatched>``. The histogram lives in this process's
memory: with gunicorn's several workers each scrape is answered by one worker with its own
requests (README, "Serving in production").
"""

from __future__ import annotations

import time

from flask import Flask, Response, current_app, g, request
from prometheus_client import CollectorRegistry, Histogram

EXTENSION = "rma_request_metrics"
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class RequestMetrics:
    """The app's own registry with the latency histogram (one per app, so tests do not share it)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.latency = Histogram(
            "rma_http_request_duration_seconds",
            "Time to answer a request, by method, URL rule and status",
            ["method", "endpoint", "status"],
            registry=self.registry,
            buckets=BUCKETS,
        )


def init_app(app: Flask) -> None:
    metrics = RequestMetrics()
    app.extensions[EXTENSION] = metrics

    @app.before_request
    def _started() -> None:
        g.rma_request_started = time.perf_counter()  # wall time of the request, not the business clock

    @app.after_request
    def _observed(response: Response) -> Response:
        started = g.get("rma_request_started")
        if started is not None:
            rule = request.url_rule.rule if request.url_rule is not None else "<unmatched>"
            metrics.latency.labels(request.method, rule, str(response.status_code)).observe(
                time.perf_counter() - started
            )
        return response


def request_registry() -> CollectorRegistry | None:
    """The current app's latency registry (None when the app did not set it up)."""
    metrics = current_app.extensions.get(EXTENSION)
    return metrics.registry if isinstance(metrics, RequestMetrics) else None
