"""/metrics (issue 11 item 7): instances started, completed and cancelled by process, open tasks by
group, open incidents and SLA breaches by timer element, all read from the database; request
latency by URL rule, observed in this process."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient
from prometheus_client.parser import text_string_to_metric_families
from support import ADMIN, AGENT, ANALYST, DIVIDE_FILE, MANAGER, lifecycle_files

from rma_orchestrator.service.clock import move_clock
from rma_orchestrator.service.context import Services
from rma_orchestrator.service.definitions import deploy
from rma_orchestrator.service.instances import cancel_instance, get_instance, start_instance
from rma_orchestrator.web import create_app

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def _samples(client: FlaskClient) -> Samples:
    response = client.get("/metrics")
    assert response.status_code == 200 and response.mimetype == "text/plain"
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.get_data(as_text=True))
        for sample in family.samples
    }


def test_instances_by_process_open_tasks_and_breaches_by_timer(
    services: Services, client: FlaskClient
) -> None:
    deploy(services, lifecycle_files(), ANALYST)
    data = {"order_no": "1", "amount": 500, "category": "other"}
    started = [start_instance(services, "order_review", data, AGENT) for _ in range(3)]
    cancel_instance(services, started[0].id, MANAGER)
    before = _samples(client)
    process = (("process", "order_review"),)
    assert before[("rma_instances_started_total", process)] == 3
    assert before[("rma_instances_cancelled_total", process)] == 1
    assert ("rma_instances_completed_total", process) not in before
    assert before[("rma_open_tasks", (("group", "customer_service"),))] == 2
    assert before[("rma_open_incidents", ())] == 0
    move_clock(services, ADMIN, add="PT25H")  # both open reviews time out: SLA breached, completed
    after = _samples(client)
    assert after[("rma_instances_started_total", process)] == 3
    assert after[("rma_instances_completed_total", process)] == 2
    assert ("rma_open_tasks", (("group", "customer_service"),)) not in after
    timer = (("element", "review_timeout"), ("process", "order_review"), ("sla", "review_within_24h"))
    assert after[("rma_sla_timer_breaches_total", timer)] == 2
    assert after[("rma_sla_breaches_total", (("sla", "review_within_24h"),))] == 2  # unchanged, by sla alone


def test_open_incidents(services: Services, client: FlaskClient) -> None:
    deploy(services, {"divide.bpmn": DIVIDE_FILE.read_bytes()}, ANALYST)
    failed = start_instance(services, "divide", {"total": 1, "parts": 0}, AGENT)
    assert get_instance(services, failed.id, MANAGER).status == "error"
    samples = _samples(client)
    assert samples[("rma_open_incidents", ())] == 1
    assert samples[("rma_instances_started_total", (("process", "divide"),))] == 1


def test_request_latency_is_labelled_by_the_url_rule_not_the_path(
    services: Services, client: FlaskClient, auth: Callable[[str], dict[str, str]]
) -> None:
    headers = auth("manager")
    for task_id in ("no-such-task-1", "no-such-task-2"):
        assert client.get(f"/api/v1/tasks/{task_id}", headers=headers).status_code == 404
    assert client.get("/healthz").status_code == 200
    samples = _samples(client)
    rule = (("endpoint", "/api/v1/tasks/<task_id>"), ("method", "GET"), ("status", "404"))
    assert samples[("rma_http_request_duration_seconds_count", rule)] == 2
    every = tuple(sorted((*rule, ("le", "+Inf"))))
    assert samples[("rma_http_request_duration_seconds_bucket", every)] == 2
    health = (("endpoint", "/healthz"), ("method", "GET"), ("status", "200"))
    assert samples[("rma_http_request_duration_seconds_count", health)] == 1
    endpoints = {dict(labels).get("endpoint") for name, labels in samples if name.startswith("rma_http_")}
    assert not any("no-such-task" in (endpoint or "") for endpoint in endpoints)


def test_each_app_counts_its_own_requests(services: Services, app: Flask) -> None:
    other = create_app(services=services)
    assert app.test_client().get("/healthz").status_code == 200
    assert other.test_client().get("/healthz").status_code == 200
    samples = _samples(app.test_client())
    health = (("endpoint", "/healthz"), ("method", "GET"), ("status", "200"))
    assert samples[("rma_http_request_duration_seconds_count", health)] == 1
