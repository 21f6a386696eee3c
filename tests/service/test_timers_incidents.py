"""Timers projected and fired by the controlled clock; incidents and retry; suspend and resume."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from support import ADMIN, AGENT, ANALYST, MANAGER

from rma_orchestrator.errors import Conflict, InvalidData, NotFound
from rma_orchestrator.service.clock import get_clock, move_clock
from rma_orchestrator.service.context import Services
from rma_orchestrator.service.definitions import deploy
from rma_orchestrator.service.incidents import list_incidents, retry_incident
from rma_orchestrator.service.instances import (
    get_instance,
    list_events,
    resume_instance,
    start_instance,
    suspend_instance,
)
from rma_orchestrator.service.results import Delivery, InstanceInfo
from rma_orchestrator.service.tasks import complete_task

Start = Callable[..., InstanceInfo]
DIVIDE = Path(__file__).parents[1] / "data" / "incident" / "divide.bpmn"


def test_timers_are_projected_in_utc(deployed: Services, start_order: Start) -> None:
    now = deployed.clock.now()
    started = start_order(amount=500)
    timers = get_instance(deployed, started.id, AGENT).timers
    assert [t.element_id for t in timers] == ["review_reminder", "review_timeout"]

    dues = [t.due_at for t in timers]
    assert [round((d - now) / timedelta(hours=1)) for d in dues] == [2, 24]
    assert all(t.status == "pending" and t.due_at.utcoffset() == timedelta(0) for t in timers)


def test_non_interrupting_timer_fires_and_the_task_stays(deployed: Services, start_order: Start) -> None:
    started = start_order(amount=500)
    assert move_clock(deployed, ADMIN, add="PT3H").fired == 1
    instance = get_instance(deployed, started.id, AGENT)
    assert instance.status == "running" and len(instance.tasks) == 1
    assert instance.data.get("reminded") is True
    assert instance.element_states["order_review"]["note_reminder"]["state"] == "completed"
    assert [t.element_id for t in instance.timers] == ["review_timeout"]
    fired = [e for e in list_events(deployed, started.id, AGENT).items if e.kind == "timer_fired"]
    assert len(fired) == 1 and fired[0].details["lag_seconds"] == 0


def test_interrupting_timer_cancels_the_task(deployed: Services, start_order: Start) -> None:
    started = start_order(amount=500)
    task_id = get_instance(deployed, started.id, AGENT).tasks[0].id
    result = move_clock(deployed, ADMIN, add="PT25H")
    assert result.fired == 2
    instance = get_instance(deployed, started.id, AGENT)
    assert (instance.status, instance.outcome) == ("completed", "end_timed_out")
    assert instance.tasks == [] and instance.timers == []
    with pytest.raises(Conflict):
        complete_task(deployed, task_id, {"approved": True}, AGENT)


def test_clock_never_moves_backwards_and_needs_admin(deployed: Services) -> None:
    now = get_clock(deployed, ADMIN).now
    with pytest.raises(InvalidData):
        move_clock(deployed, ADMIN, set_to="2000-01-01T00:00:00Z")
    with pytest.raises(InvalidData):
        move_clock(deployed, ADMIN, add="PT")
    from rma_orchestrator.errors import Forbidden

    with pytest.raises(Forbidden):
        move_clock(deployed, MANAGER, add="PT1H")
    assert get_clock(deployed, ADMIN).now == now


def test_suspended_instances_fire_nothing_until_resumed(deployed: Services, start_order: Start) -> None:
    started = start_order(amount=500)
    task_id = get_instance(deployed, started.id, AGENT).tasks[0].id
    suspend_instance(deployed, started.id, MANAGER)
    with pytest.raises(Conflict):
        complete_task(deployed, task_id, {"approved": True}, AGENT)
    assert move_clock(deployed, ADMIN, add="PT25H").fired == 0
    assert get_instance(deployed, started.id, AGENT).status == "suspended"
    resume_instance(deployed, started.id, MANAGER)
    instance = get_instance(deployed, started.id, AGENT)
    assert (instance.status, instance.outcome) == ("completed", "end_timed_out")


@pytest.fixture
def divide(services: Services) -> Services:
    deploy(services, {"divide.bpmn": DIVIDE.read_bytes()}, ANALYST)
    return services


def test_script_error_is_an_incident_and_retry_fixes_it(divide: Services) -> None:
    started = start_instance(divide, "divide", {"total": 10, "parts": 0}, AGENT)
    assert started.status == "error"
    instance = get_instance(divide, started.id, AGENT)
    (incident,) = instance.incidents
    assert incident.element_id == "compute" and "ZeroDivisionError" in incident.message
    assert instance.element_states["divide"]["compute"]["state"] == "error"
    assert list_incidents(divide, MANAGER).total == 1
    result = retry_incident(divide, incident.id, MANAGER, {"parts": 4})
    assert result.resolved_at and not result.new_incident
    done = get_instance(divide, started.id, AGENT)
    assert (done.status, done.outcome, done.data["share"]) == ("completed", "end_divided", 2.5)
    with pytest.raises(Conflict):
        retry_incident(divide, incident.id, MANAGER)
    with pytest.raises(NotFound):
        retry_incident(divide, 9999, MANAGER)


def test_retry_that_fails_again_opens_a_new_incident(divide: Services) -> None:
    started = start_instance(divide, "divide", {"total": 10, "parts": 0}, AGENT)
    incident = get_instance(divide, started.id, AGENT).incidents[0]
    result = retry_incident(divide, incident.id, MANAGER, {"parts": 0})
    assert result.new_incident and result.instance_status == "error"
    assert len(get_instance(divide, started.id, AGENT).incidents) == 2


def test_sandbox_stops_a_bad_script_as_an_incident(services: Services) -> None:
    source = DIVIDE.read_bytes().replace(b"share = total / parts", b"share = 'x' * total")
    deploy(services, {"divide.bpmn": source}, ANALYST)
    started = start_instance(services, "divide", {"total": 10**10, "parts": 1}, AGENT)
    assert started.status == "error"
    (incident,) = get_instance(services, started.id, AGENT).incidents
    assert incident.element_id == "compute"
    assert "repeating a sequence beyond 10,000,000 items is not allowed" in incident.message


def test_an_sla_timer_records_its_breach(deployed: Services, start_order: Start) -> None:
    started = start_order(amount=500)
    move_clock(deployed, ADMIN, add="PT25H")
    kinds = [(e.kind, e.element_id, e.details) for e in list_events(deployed, started.id, AGENT).items]
    breaches = [details for kind, _, details in kinds if kind == "sla_breached"]
    assert [b["sla"] for b in breaches] == ["review_within_24h"]
    fired = [
        details for kind, element, details in kinds if kind == "timer_fired" and element == "review_timeout"
    ]
    assert len(fired) == 1 and fired[0]["lag_seconds"] == 0


def test_a_message_kept_while_suspended_is_delivered_on_resume(
    deployed: Services, start_order: Start
) -> None:
    from rma_orchestrator.service.messages import deliver_message

    started = start_order(amount=50)
    suspend_instance(deployed, started.id, MANAGER)
    kept = deliver_message(deployed, "payment_received", started.business_key, {"ref": "late"}, AGENT)
    assert kept == Delivery(delivered=False)
    resume_instance(deployed, started.id, MANAGER)
    instance = get_instance(deployed, started.id, AGENT)
    assert (instance.status, instance.data["payment"]) == ("completed", {"ref": "late"})


def test_cancelling_records_overdue_timers_as_cancelled_not_fired(
    deployed: Services, start_order: Start
) -> None:
    from rma_orchestrator.service.instances import cancel_instance

    started = start_order(amount=500)
    suspend_instance(deployed, started.id, MANAGER)
    move_clock(deployed, ADMIN, add="PT25H")  # both timers overdue, none fired while suspended
    cancel_instance(deployed, started.id, MANAGER)
    kinds = [e.kind for e in list_events(deployed, started.id, AGENT).items]
    assert "timer_fired" not in kinds and "instance_completed" not in kinds
    assert kinds[-1] == "instance_cancelled"
    from sqlalchemy import select

    from rma_orchestrator.store.models import Timer

    with deployed.database.read() as session:
        assert session.scalars(select(Timer.status)).all() == ["cancelled", "cancelled"]


def test_only_managers_see_an_incidents_traceback(divide: Services) -> None:
    started = start_instance(divide, "divide", {"total": 10, "parts": 0}, AGENT)
    (as_staff,) = get_instance(divide, started.id, AGENT).incidents
    (as_manager,) = get_instance(divide, started.id, MANAGER).incidents
    assert "division by zero" in as_staff.message and as_staff.details is None
    assert as_manager.details is not None and "Traceback" in as_manager.details
    assert [i.details for i in list_incidents(divide, AGENT).items] == [None]
    assert "Traceback" in (list_incidents(divide, MANAGER).items[0].details or "")
