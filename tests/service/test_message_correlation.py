"""Messages to correlated catches are matched on their correlation; one nobody accepts is kept, not lost."""

from __future__ import annotations

from pathlib import Path

import pytest
from support import AGENT, ANALYST, DATA

from rma_orchestrator.service.context import Services
from rma_orchestrator.service.definitions import deploy
from rma_orchestrator.service.instances import get_instance, list_events, start_instance
from rma_orchestrator.service.messages import deliver_message
from rma_orchestrator.service.results import Delivery

DIAGRAMS: Path = DATA / "messages"


@pytest.fixture(params=["correlated_goods", "correlated_receipt"], ids=["catch_event", "receive_task"])
def correlated(services: Services, request: pytest.FixtureRequest) -> tuple[Services, str]:
    """Services with a process whose second wait (a catch event, or a receive task) is correlated."""
    diagram = DIAGRAMS / f"{request.param}.bpmn"
    deploy(services, {diagram.name: diagram.read_bytes()}, ANALYST)
    return services, request.param


def _kinds(services: Services, instance_id: int) -> list[str]:
    return [e.kind for e in list_events(services, instance_id, AGENT).items]


def test_a_message_is_taken_only_by_the_catch_its_correlation_matches(
    correlated: tuple[Services, str],
) -> None:
    services, process = correlated
    started = start_instance(services, process, {}, AGENT)
    key = started.business_key
    assert deliver_message(services, "registered", key, {"order_id": "A1"}, AGENT) == Delivery(True)
    wrong = deliver_message(services, "goods_arrived", key, {"order_id": "B2"}, AGENT)
    assert wrong == Delivery(delivered=False)
    waiting = get_instance(services, started.id, AGENT)
    assert waiting.status == "running"
    assert waiting.element_states[process]["wait_goods"]["state"] == "waiting"
    assert _kinds(services, started.id)[-1] == "message_kept"
    assert deliver_message(services, "goods_arrived", key, {"order_id": "A1"}, AGENT) == Delivery(True)
    done = get_instance(services, started.id, AGENT)
    assert (done.status, done.data["goods"]) == ("completed", {"order_id": "A1"})


def test_a_message_without_the_correlated_value_is_kept(correlated: tuple[Services, str]) -> None:
    services, process = correlated
    started = start_instance(services, process, {}, AGENT)
    deliver_message(services, "registered", started.business_key, {"order_id": "A1"}, AGENT)
    answer = deliver_message(services, "goods_arrived", started.business_key, {"parcel": 7}, AGENT)
    assert answer == Delivery(delivered=False)
    assert get_instance(services, started.id, AGENT).status == "running"


def test_a_kept_message_is_delivered_when_a_matching_catch_opens(correlated: tuple[Services, str]) -> None:
    services, process = correlated
    started = start_instance(services, process, {}, AGENT)
    key = started.business_key
    assert not deliver_message(services, "goods_arrived", key, {"order_id": "B2"}, AGENT).delivered
    assert not deliver_message(services, "goods_arrived", key, {"order_id": "A1"}, AGENT).delivered
    assert deliver_message(services, "registered", key, {"order_id": "A1"}, AGENT).delivered
    done = get_instance(services, started.id, AGENT)
    assert (done.status, done.data["goods"]) == ("completed", {"order_id": "A1"})  # the A1 one, not B2
    kinds = _kinds(services, started.id)
    assert kinds.count("message_kept") == 2 and kinds.count("message_received") == 2
