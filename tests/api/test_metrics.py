"""/metrics exposes timer and instance figures in Prometheus text format."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from prometheus_client.parser import text_string_to_metric_families
from support import ADMIN, AGENT, ANALYST, lifecycle_files

from rma_orchestrator.service.clock import move_clock
from rma_orchestrator.service.context import Services
from rma_orchestrator.service.definitions import deploy
from rma_orchestrator.service.instances import start_instance


def _samples(client: FlaskClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = client.get("/metrics")
    assert response.status_code == 200 and response.mimetype == "text/plain"
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.get_data(as_text=True))
        for sample in family.samples
    }


def test_timer_figures(services: Services, client: FlaskClient) -> None:
    deploy(services, lifecycle_files(), ANALYST)
    data = {"order_no": "1", "amount": 500, "category": "other"}
    start_instance(services, "order_review", data, AGENT)
    start_instance(services, "order_review", data, AGENT)
    before = _samples(client)
    assert before[("rma_timers_pending", ())] == 4
    assert before[("rma_instances", (("status", "running"),))] == 2
    move_clock(services, ADMIN, add="PT25H")
    after = _samples(client)
    assert after[("rma_timers_pending", ())] == 0
    assert after[("rma_timers_fired_total", ())] == 4
    assert after[("rma_timer_lag_seconds_count", ())] == 4
    assert after[("rma_timer_lag_seconds_bucket", (("le", "0.1"),))] == 4
    assert after[("rma_sla_breaches_total", (("sla", "review_within_24h"),))] == 2
    assert after[("rma_instances", (("status", "completed"),))] == 2


def test_metrics_token_protects_when_set(
    services: Services, client: FlaskClient, monkeypatch: object
) -> None:
    import dataclasses

    services.settings = dataclasses.replace(services.settings, metrics_token="s3cret")
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer s3cret"}).status_code == 200


def test_calendar_figures_and_warning(
    services: Services, client: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    from datetime import UTC, datetime

    from rma_orchestrator.service.calendar import confirm_year

    last = _samples(client)[("rma_calendar_last_known_year", ())]
    with services.uow() as uow:  # 20 days before the known calendar runs out
        uow.settings.save_controlled_time(datetime(int(last), 12, 11, 4, tzinfo=UTC))
        uow.commit()
    with caplog.at_level("WARNING"):
        assert _samples(client)[("rma_calendar_days_left", ())] == 20
    assert f"rma calendar confirm {int(last) + 1}" in caplog.text
    confirm_year(services, int(last) + 1, ADMIN)
    assert _samples(client)[("rma_calendar_last_known_year", ())] == last + 1


def test_legal_breaches_are_counted_apart(services: Services, client: FlaskClient) -> None:
    from datetime import timedelta

    from support import DATA

    legal = DATA / "timers" / "wait_legal.bpmn"
    deploy(services, {legal.name: legal.read_bytes()}, ANALYST)
    now = services.clock.now()
    due = {
        "sla_due": (now + timedelta(days=7)).isoformat(),
        "legal_due": (now + timedelta(days=15)).isoformat(),
    }
    start_instance(services, "wait_legal", due, AGENT)
    assert _samples(client)[("rma_legal_breaches_total", ())] == 0
    move_clock(services, ADMIN, add="P16D")
    after = _samples(client)
    assert after[("rma_legal_breaches_total", ())] == 1
    assert after[("rma_sla_breaches_total", (("sla", "legal_sla"),))] == 1
    assert after[("rma_sla_breaches_total", (("sla", "plain_sla"),))] == 1
