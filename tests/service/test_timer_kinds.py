"""Every kind of waiting timer is projected with its UTC due time and fires through the clock."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from support import ADMIN, AGENT, ANALYST, MANAGER

from rma_orchestrator.service.clock import move_clock
from rma_orchestrator.service.context import Services
from rma_orchestrator.service.definitions import deploy
from rma_orchestrator.service.instances import get_instance, list_events, start_instance
from rma_orchestrator.service.tasks import complete_task
from rma_orchestrator.store.models import TABLES

TIMERS = Path(__file__).parents[1] / "data" / "timers"


@pytest.fixture
def timers(services: Services) -> Services:
    deploy(services, {p.name: p.read_bytes() for p in TIMERS.glob("*.bpmn")}, ANALYST)
    return services


def _due(services: Services, instance_id: int) -> list[datetime]:
    return [t.due_at for t in get_instance(services, instance_id, AGENT).timers]


def test_intermediate_duration_timer(timers: Services) -> None:
    now = timers.clock.now()
    started = start_instance(timers, "wait_duration", {}, AGENT)
    assert _due(timers, started.id) == [now + timedelta(hours=1)]
    assert move_clock(timers, ADMIN, add="PT59M").fired == 0
    assert move_clock(timers, ADMIN, add="PT1M").fired == 1
    assert get_instance(timers, started.id, AGENT).outcome == "end_done"


def test_time_date_timer_from_data(timers: Services) -> None:
    due = (timers.clock.now() + timedelta(days=2)).replace(microsecond=0)
    started = start_instance(timers, "wait_date", {"due": due.isoformat()}, AGENT)
    assert _due(timers, started.id) == [due]
    move_clock(timers, ADMIN, set_to=(due + timedelta(seconds=1)).isoformat())
    assert get_instance(timers, started.id, AGENT).status == "completed"


def test_cycle_timer_fires_each_cycle_then_stops(timers: Services) -> None:
    now = timers.clock.now()
    started = start_instance(timers, "wait_cycle", {}, AGENT)
    assert _due(timers, started.id) == [now + timedelta(hours=1)]
    assert move_clock(timers, ADMIN, add="PT5H").fired == 3
    fired = [e for e in list_events(timers, started.id, AGENT).items if e.kind == "timer_fired"]
    assert [e.details["due_at"] for e in fired] == [
        (now + timedelta(hours=h)).isoformat() for h in (1, 2, 3)
    ]
    instance = get_instance(timers, started.id, AGENT)
    assert instance.timers == [] and instance.status == "running"
    complete_task(timers, instance.tasks[0].id, {}, MANAGER)
    assert get_instance(timers, started.id, AGENT).outcome == "end_done"


def test_a_timer_whose_firing_failed_is_never_claimed_again(timers: Services) -> None:
    started = start_instance(timers, "fail_after_wait", {"parts": 0}, AGENT)
    assert move_clock(timers, ADMIN, add="PT2H").fired == 1
    instance = get_instance(timers, started.id, AGENT)
    assert instance.status == "error" and instance.incidents[0].element_id == "divide"
    from sqlalchemy import select

    from rma_orchestrator.store.models import Timer

    with timers.database.read() as session:
        assert session.scalars(select(Timer.status)).all() == ["failed"]
    assert move_clock(timers, ADMIN, add="PT2H").fired == 0


def test_a_time_date_without_offset_is_an_incident_and_retry_fixes_it(timers: Services) -> None:
    from rma_orchestrator.service.incidents import retry_incident

    started = start_instance(timers, "wait_date", {"due": "2030-01-01T09:00:00"}, AGENT)
    assert started.status == "error"
    instance = get_instance(timers, started.id, AGENT)
    (incident,) = instance.incidents
    assert incident.element_id == "wait_until" and "UTC offset" in incident.message
    assert instance.timers == []
    due = (timers.clock.now() + timedelta(hours=1)).replace(microsecond=0)
    result = retry_incident(timers, incident.id, MANAGER, {"due": due.isoformat()})
    assert result.instance_status == "running"
    assert _due(timers, started.id) == [due]


def test_working_day_deadline_counts_the_china_calendar(timers: Services) -> None:
    """Two working days from Tuesday 2026-12-01 10:00 in Beijing end on Thursday at midnight, Beijing
    time. Read from the timer row whatever its status: once the clock passes that time the timer
    fires as soon as it is made, and is no longer pending."""
    started = start_instance(
        timers, "wait_workdays", {"days": 2, "start": "2026-12-01T10:00:00+08:00"}, AGENT
    )
    timer = TABLES["timer"]
    with timers.database.reading() as connection:
        due = connection.execute(select(timer.c.due_at).where(timer.c.instance_id == started.id)).scalars()
        assert list(due) == [datetime.fromisoformat("2026-12-03T16:00:00+00:00")]


def test_a_deadline_in_an_unknown_year_is_an_incident_until_the_year_is_confirmed(timers: Services) -> None:
    from rma_orchestrator.service.calendar import confirm_year
    from rma_orchestrator.service.incidents import retry_incident

    data = {"days": 30, "start": "2026-12-20T10:00:00+08:00"}
    started = start_instance(timers, "wait_workdays", data, AGENT)
    assert started.status == "error"
    (incident,) = get_instance(timers, started.id, AGENT).incidents
    assert incident.element_id == "wait_until" and "2027" in incident.message
    assert "rma calendar confirm 2027" in incident.message
    confirm_year(timers, 2027, ADMIN)
    result = retry_incident(timers, incident.id, MANAGER)
    assert result.instance_status == "running"
    (due,) = _due(timers, started.id)
    assert due.year == 2027


def test_moving_the_clock_steps_through_chained_timers(timers: Services) -> None:
    now = timers.clock.now()
    started = start_instance(timers, "wait_twice", {}, AGENT)
    assert move_clock(timers, ADMIN, add="P15D").fired == 2
    fired = [
        e.details["due_at"]
        for e in list_events(timers, started.id, AGENT).items
        if e.kind == "timer_fired"
    ]
    first = now + timedelta(days=7)
    assert [datetime.fromisoformat(d) for d in fired] == [first, first + timedelta(days=7, microseconds=1)]
    assert get_instance(timers, started.id, AGENT).outcome == "end_done"


def test_a_timer_overdue_when_created_fires_at_once_and_is_recorded(timers: Services) -> None:
    due = timers.clock.now() - timedelta(hours=1)
    started = start_instance(timers, "wait_date", {"due": due.isoformat()}, AGENT)
    assert started.status == "completed"
    (fired,) = [e for e in list_events(timers, started.id, AGENT).items if e.kind == "timer_fired"]
    assert fired.element_id == "wait_until" and fired.details["lag_seconds"] == 3600
