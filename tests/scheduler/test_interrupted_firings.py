"""A timer whose firing is cut short again and again becomes an incident instead of being retried forever.

Each claim below is taken with a lease that has already run out and then left, as a process that
died right after claiming would leave it.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import select
from support import ADMIN, AGENT, ANALYST

from rma_orchestrator.service.context import Services
from rma_orchestrator.service.definitions import deploy
from rma_orchestrator.service.incidents import retry_incident
from rma_orchestrator.service.instances import get_instance, start_instance
from rma_orchestrator.service.timers import INTERRUPTED_FIRINGS, claim_due_timers, fire_due_timers
from rma_orchestrator.store.models import Timer

TIMERS = Path(__file__).parents[1] / "data" / "timers"
GONE = timedelta(0)  # a lease that runs out at once: its holder died


def _due(services: Services) -> int:
    deploy(services, {"wait_duration.bpmn": (TIMERS / "wait_duration.bpmn").read_bytes()}, ANALYST)
    started = start_instance(services, "wait_duration", {}, AGENT)
    with services.uow() as uow:
        uow.settings.save_controlled_time(services.clock.now() + timedelta(hours=2))
        uow.commit()
    return started.id


def _timer(services: Services) -> Timer:
    with services.database.read() as session:
        (timer,) = session.scalars(select(Timer))
        return timer


def test_a_timer_claimed_three_times_without_firing_becomes_an_incident_and_can_be_retried(
    services: Services,
) -> None:
    instance_id = _due(services)
    for dead in range(INTERRUPTED_FIRINGS):
        assert claim_due_timers(services, services.clock.now(), worker=f"dead:{dead}", lease=GONE)
    assert _timer(services).attempts == INTERRUPTED_FIRINGS
    assert fire_due_timers(services) == 0  # the fourth claim gives up instead of firing
    timer = _timer(services)
    assert timer.status == "failed"
    case = get_instance(services, instance_id, ADMIN)
    assert case.status == "error"
    (incident,) = case.incidents
    assert incident.element_id == timer.element_id and "claimed 3 times and never fired" in incident.message
    assert fire_due_timers(services) == 0  # a failed timer is never claimed again
    retry_incident(services, incident.id, ADMIN)
    assert get_instance(services, instance_id, ADMIN).status == "completed"


def test_an_interruption_less_than_the_limit_still_fires(services: Services) -> None:
    instance_id = _due(services)
    for dead in range(INTERRUPTED_FIRINGS - 1):
        assert claim_due_timers(services, services.clock.now(), worker=f"dead:{dead}", lease=GONE)
    assert fire_due_timers(services) == 1
    assert get_instance(services, instance_id, ADMIN).status == "completed"
