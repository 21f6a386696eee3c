"""Waits that diagrams from other modelers use: event-based gateways and events with several definitions.

SpiffWorkflow keeps the events of an event-based gateway, and those of a start or catch event
with several definitions, on one waiting task; each of them is projected (a timer row with its
due time, a message subscription), the first one to happen wins and the others are withdrawn.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from support import ADMIN, AGENT, ANALYST

from rma_orchestrator.errors import Conflict
from rma_orchestrator.service.clock import move_clock
from rma_orchestrator.service.context import Services
from rma_orchestrator.service.definitions import deploy
from rma_orchestrator.service.instances import get_instance, list_events, start_instance
from rma_orchestrator.service.messages import deliver_message
from rma_orchestrator.service.results import Delivery
from rma_orchestrator.store.models import MessageSubscription, Timer

EVENTS = Path(__file__).parents[1] / "data" / "events"


@pytest.fixture
def events(services: Services) -> Services:
    deploy(services, {p.name: p.read_bytes() for p in EVENTS.glob("*.bpmn")}, ANALYST)
    return services


def _timers(services: Services, instance_id: int) -> list[tuple[str, datetime, str]]:
    with services.database.read() as session:
        rows = session.scalars(select(Timer).where(Timer.instance_id == instance_id).order_by(Timer.id))
        return [(t.element_id, t.due_at, t.status) for t in rows]


def _waits(services: Services, instance_id: int) -> list[tuple[str, str]]:
    with services.database.read() as session:
        rows = session.scalars(
            select(MessageSubscription).where(
                MessageSubscription.instance_id == instance_id, MessageSubscription.status == "waiting"
            )
        )
        return sorted((s.element_id, s.message_name) for s in rows)


def test_event_based_gateway_waits_for_its_message_and_its_timer(events: Services) -> None:
    now = events.clock.now()
    started = start_instance(events, "wait_goods_or_expire", {}, AGENT)
    assert _timers(events, started.id) == [("seven_days", now + timedelta(days=7), "pending")]
    assert _waits(events, started.id) == [("goods_received", "goods_received")]
    assert [t.due_at for t in get_instance(events, started.id, AGENT).timers] == [now + timedelta(days=7)]


def test_event_based_gateway_message_wins_and_cancels_the_timer(events: Services) -> None:
    started = start_instance(events, "wait_goods_or_expire", {}, AGENT)
    answer = deliver_message(events, "goods_received", started.business_key, {"parcel": "P-1"}, AGENT)
    assert answer == Delivery(delivered=True)
    done = get_instance(events, started.id, AGENT)
    assert done.outcome == "end_received" and done.data["goods"] == {"parcel": "P-1"}
    assert [status for *_, status in _timers(events, started.id)] == ["cancelled"]
    assert _waits(events, started.id) == []
    assert move_clock(events, ADMIN, add="P8D").fired == 0


def test_event_based_gateway_timer_wins_and_withdraws_the_subscription(events: Services) -> None:
    now = events.clock.now()
    started = start_instance(events, "wait_goods_or_expire", {}, AGENT)
    assert move_clock(events, ADMIN, add="P6DT23H59M").fired == 0
    assert move_clock(events, ADMIN, add="PT1M").fired == 1
    done = get_instance(events, started.id, AGENT)
    assert done.outcome == "end_expired"
    assert _timers(events, started.id) == [("seven_days", now + timedelta(days=7), "fired")]
    assert _waits(events, started.id) == []
    with pytest.raises(Conflict):  # the case has ended
        deliver_message(events, "goods_received", started.business_key, {}, AGENT)
    fired = [e for e in list_events(events, started.id, AGENT).items if e.kind == "timer_fired"]
    assert [e.element_id for e in fired] == ["seven_days"]


def test_start_event_with_a_message_and_a_timer_waits_for_both(events: Services) -> None:
    now = events.clock.now()
    started = start_instance(events, "start_on_order_or_hour", {}, AGENT)
    assert started.status == "running"
    assert _timers(events, started.id) == [("start", now + timedelta(hours=1), "pending")]
    assert _waits(events, started.id) == [("start", "order_details")]


def test_start_event_message_wins_and_its_payload_is_the_data(events: Services) -> None:
    now = events.clock.now()
    started = start_instance(events, "start_on_order_or_hour", {}, AGENT)
    answer = deliver_message(events, "order_details", started.business_key, {"order_no": "SO-1"}, AGENT)
    assert answer == Delivery(delivered=True)
    instance = get_instance(events, started.id, AGENT)
    assert instance.data["order"] == {"order_no": "SO-1"}
    assert _timers(events, started.id) == [
        ("start", now + timedelta(hours=1), "cancelled"),
        ("confirmation", now + timedelta(days=1), "pending"),
    ]
    assert _waits(events, started.id) == [("confirmation", "order_confirmed")]
    assert move_clock(events, ADMIN, add="PT2H").fired == 0  # the start timer no longer counts


def test_start_event_timer_wins_then_a_catch_event_with_two_definitions_waits(events: Services) -> None:
    now = events.clock.now()
    started = start_instance(events, "start_on_order_or_hour", {}, AGENT)
    assert move_clock(events, ADMIN, add="PT2H").fired == 1
    assert _waits(events, started.id) == [("confirmation", "order_confirmed")]
    assert _timers(events, started.id) == [
        ("start", now + timedelta(hours=1), "fired"),
        ("confirmation", now + timedelta(hours=1, days=1, microseconds=1), "pending"),
    ]
    late = deliver_message(events, "order_details", started.business_key, {"order_no": "SO-2"}, AGENT)
    assert late == Delivery(delivered=False)  # kept: nothing waits for it any more
    answer = deliver_message(events, "order_confirmed", started.business_key, {"by": "phone"}, AGENT)
    assert answer == Delivery(delivered=True)
    done = get_instance(events, started.id, AGENT)
    assert done.outcome == "end_done" and done.data["confirmed"] == {"by": "phone"}
    assert "order" not in done.data
    assert [status for *_, status in _timers(events, started.id)] == ["fired", "cancelled"]
    assert _waits(events, started.id) == []


def test_catch_event_with_two_definitions_fires_its_timer(events: Services) -> None:
    started = start_instance(events, "start_on_order_or_hour", {}, AGENT)
    deliver_message(events, "order_details", started.business_key, {"order_no": "SO-3"}, AGENT)
    assert move_clock(events, ADMIN, add="P1DT1S").fired == 1
    done = get_instance(events, started.id, AGENT)
    assert done.outcome == "end_done" and "confirmed" not in done.data
    assert [status for *_, status in _timers(events, started.id)] == ["cancelled", "fired"]
    assert _waits(events, started.id) == []


def test_a_message_kept_early_reaches_a_catch_event_with_two_definitions(events: Services) -> None:
    started = start_instance(events, "start_on_order_or_hour", {}, AGENT)
    early = deliver_message(events, "order_confirmed", started.business_key, {"by": "mail"}, AGENT)
    assert early == Delivery(delivered=False)
    deliver_message(events, "order_details", started.business_key, {"order_no": "SO-4"}, AGENT)
    done = get_instance(events, started.id, AGENT)
    assert done.outcome == "end_done"
    assert done.data["order"] == {"order_no": "SO-4"} and done.data["confirmed"] == {"by": "mail"}
    assert [status for *_, status in _timers(events, started.id)] == ["cancelled"]


def test_parallel_multiple_start_waits_for_the_timer_and_the_message(events: Services) -> None:
    now = events.clock.now()
    started = start_instance(events, "start_on_order_and_hour", {}, AGENT)
    assert move_clock(events, ADMIN, add="PT2H").fired == 1
    assert _timers(events, started.id) == [("start", now + timedelta(hours=1), "fired")]
    assert _waits(events, started.id) == [("start", "order_details")]
    assert get_instance(events, started.id, AGENT).status == "running"
    answer = deliver_message(events, "order_details", started.business_key, {"order_no": "SO-5"}, AGENT)
    assert answer == Delivery(delivered=True)
    done = get_instance(events, started.id, AGENT)
    assert done.outcome == "end_done" and done.data["order"] == {"order_no": "SO-5"}
    assert _timers(events, started.id) == [("start", now + timedelta(hours=1), "fired")]
    fired = [e for e in list_events(events, started.id, AGENT).items if e.kind == "timer_fired"]
    assert len(fired) == 1


def test_parallel_multiple_start_keeps_its_timer_after_the_message(events: Services) -> None:
    started = start_instance(events, "start_on_order_and_hour", {}, AGENT)
    deliver_message(events, "order_details", started.business_key, {"order_no": "SO-6"}, AGENT)
    assert _waits(events, started.id) == [] and get_instance(events, started.id, AGENT).status == "running"
    assert [status for *_, status in _timers(events, started.id)] == ["pending"]
    assert move_clock(events, ADMIN, add="PT1H1S").fired == 1
    done = get_instance(events, started.id, AGENT)
    assert done.outcome == "end_done" and done.data["order"] == {"order_no": "SO-6"}
