"""A timer with the property breach = legal is recorded as a legal breach beside its SLA breach."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from support import ADMIN, AGENT, ANALYST

from rma_orchestrator.service.clock import move_clock
from rma_orchestrator.service.context import Services
from rma_orchestrator.service.definitions import deploy
from rma_orchestrator.service.instances import list_events, start_instance
from rma_orchestrator.service.metrics import service_statistics

LEGAL = Path(__file__).parents[1] / "data" / "timers" / "wait_legal.bpmn"


@pytest.fixture
def legal(services: Services) -> Services:
    deploy(services, {LEGAL.name: LEGAL.read_bytes()}, ANALYST)
    return services


def _kinds(services: Services, instance_id: int) -> list[tuple[str, str | None, object]]:
    events = list_events(services, instance_id, AGENT).items
    wanted = ("sla_breached", "legal_breach")
    return [(e.kind, e.element_id, e.details.get("sla")) for e in events if e.kind in wanted]


def test_a_legal_deadline_that_passes_is_a_legal_breach_and_an_sla_breach(legal: Services) -> None:
    now = legal.clock.now()
    data = {
        "sla_due": (now + timedelta(days=7)).isoformat(),
        "legal_due": (now + timedelta(days=15)).isoformat(),
    }
    started = start_instance(legal, "wait_legal", data, AGENT)
    move_clock(legal, ADMIN, add="P7DT1H")
    assert _kinds(legal, started.id) == [("sla_breached", "sla_due", "plain_sla")]
    assert service_statistics(legal).legal_breaches == 0
    move_clock(legal, ADMIN, add="P8D")
    assert _kinds(legal, started.id) == [
        ("sla_breached", "sla_due", "plain_sla"),
        ("sla_breached", "legal_due", "legal_sla"),
        ("legal_breach", "legal_due", "legal_sla"),
    ]
    stats = service_statistics(legal)
    assert stats.legal_breaches == 1
    assert stats.sla_breaches == {"plain_sla": 1, "legal_sla": 1}


def test_a_legal_deadline_already_past_when_set_is_recorded_at_once(legal: Services) -> None:
    past = (legal.clock.now() - timedelta(days=1)).isoformat()
    started = start_instance(legal, "wait_legal", {"sla_due": past, "legal_due": past}, AGENT)
    assert started.status == "completed"
    assert ("legal_breach", "legal_due", "legal_sla") in _kinds(legal, started.id)
    assert service_statistics(legal).legal_breaches == 1
