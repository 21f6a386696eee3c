"""APScheduler fires timers in real time, catches up after downtime, and takes over dead claims."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update
from support import AGENT, ANALYST

from rma_orchestrator.bootstrap import bootstrap
from rma_orchestrator.config import Settings
from rma_orchestrator.scheduler import TimerScheduler
from rma_orchestrator.service.context import Services
from rma_orchestrator.service.definitions import deploy
from rma_orchestrator.service.instances import get_instance, list_events, start_instance
from rma_orchestrator.service.timers import fire_due_timers, worker_name
from rma_orchestrator.store.models import Timer

TIMERS = Path(__file__).parents[1] / "data" / "timers"


@pytest.fixture
def realtime(db_url: str, tmp_path: Path) -> Iterator[Services]:
    """Services on the system clock, with the timer test processes deployed."""
    services = bootstrap(Settings.from_env({}, data_dir=tmp_path, database_url=db_url))
    deploy(services, {p.name: p.read_bytes() for p in TIMERS.glob("*.bpmn")}, ANALYST)
    yield services
    services.database.dispose()


def _wait_completed(services: Services, instance_ids: list[int], seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if all(get_instance(services, i, AGENT).status == "completed" for i in instance_ids):
            return
        time.sleep(0.05)
    pytest.fail(f"instances {instance_ids} did not complete within {seconds} s")


def _claimed_by(services: Services) -> list[str | None]:
    with services.database.read() as session:
        return list(session.scalars(select(Timer.claimed_by).order_by(Timer.id)))


def _fired_events(services: Services, instance_id: int) -> list[dict[str, object]]:
    return [e for e in list_events(services, instance_id, AGENT).items if e.kind == "timer_fired"]


def test_an_alarm_fires_a_new_timer_at_its_due_time(realtime: Services) -> None:
    scheduler = TimerScheduler(realtime, sweep_seconds=30)  # far apart: only the alarm can fire it in time
    scheduler.start()
    try:
        due = datetime.now(UTC) + timedelta(seconds=1)
        started = start_instance(realtime, "wait_date", {"due": due.isoformat()}, AGENT)
        _wait_completed(realtime, [started.id], seconds=10)
    finally:
        scheduler.shutdown()
    (fired,) = _fired_events(realtime, started.id)
    assert 0 <= fired.details["lag_seconds"] < 5  # an upper bound: the next sweep is 30 s away
    assert _claimed_by(realtime) == [worker_name()]  # this process's alarm, not the start itself


def test_timers_due_while_no_scheduler_ran_fire_at_start_in_due_order(realtime: Services) -> None:
    now = datetime.now(UTC)
    with realtime.clock.pinned(now):  # however slow the starts, none sees its timer due
        ids = [
            start_instance(
                realtime, "wait_date", {"due": (now + timedelta(milliseconds=ms)).isoformat()}, AGENT
            ).id
            for ms in (600, 400, 200)
        ]
    time.sleep(max((now + timedelta(milliseconds=800) - datetime.now(UTC)).total_seconds(), 0))
    scheduler = TimerScheduler(realtime, sweep_seconds=0.5)
    scheduler.start()
    try:
        _wait_completed(realtime, ids)
    finally:
        scheduler.shutdown()
    events = {i: _fired_events(realtime, i)[0] for i in ids}
    assert sorted(ids, key=lambda i: events[i].id) == list(reversed(ids))
    assert all(e.details["lag_seconds"] > 0 for e in events.values())
    assert _claimed_by(realtime) == [worker_name()] * 3


@pytest.mark.parametrize(
    ("claim_left", "fired", "status"),
    [(timedelta(seconds=-1), 1, "fired"), (timedelta(minutes=1), 0, "claimed")],
    ids=["dead-claim-expired", "live-claim-respected"],
)
def test_a_claim_is_taken_over_only_once_it_expired(
    services: Services, claim_left: timedelta, fired: int, status: str
) -> None:
    """A process that claimed a timer and died leaves a lease that runs out; a live one is left alone.

    Leases are wall-clock time, whatever the (here controlled) clock that timers are due by.
    """
    deploy(services, {p.name: p.read_bytes() for p in TIMERS.glob("*.bpmn")}, ANALYST)
    started = start_instance(services, "wait_duration", {}, AGENT)
    later = services.clock.now() + timedelta(hours=2)
    with services.uow() as uow:
        uow.settings.save_controlled_time(later)
        uow.connection.execute(
            update(Timer.__table__).values(
                status="claimed", claimed_by="other-host:1", claimed_until=datetime.now(UTC) + claim_left
            )
        )
        uow.commit()
    assert fire_due_timers(services) == fired
    assert get_instance(services, started.id, AGENT).status == ("completed" if fired else "running")
    with services.database.read() as session:
        assert session.scalars(select(Timer.status)).all() == [status]


def test_completing_what_a_timer_guards_drops_its_alarm(realtime: Services) -> None:
    from support import lifecycle_files

    from rma_orchestrator.service.tasks import complete_task

    deploy(realtime, lifecycle_files(), ANALYST)
    scheduler = TimerScheduler(realtime, sweep_seconds=30)
    scheduler.start()
    try:
        data = {"order_no": "1", "amount": 500, "category": "other"}
        started = start_instance(realtime, "order_review", data, AGENT)
        instance = get_instance(realtime, started.id, AGENT)
        # 2 h and 24 h are beyond the alarm horizon, so arm them explicitly as a sweep would near
        # their time; 50 s ahead (inside the 60 s horizon): no alarm goes off before the completion
        with realtime.database.read() as session:
            timers = [(t.id, t.due_at) for t in session.scalars(select(Timer))]
        assert len(timers) == 2
        scheduler.arm([(timer_id, datetime.now(UTC) + timedelta(seconds=50)) for timer_id, _ in timers])
        assert {job.id for job in scheduler.scheduler.get_jobs()} >= {f"timer-{i}" for i, _ in timers}
        complete_task(realtime, instance.tasks[0].id, {"approved": True}, AGENT)
        assert not {job.id for job in scheduler.scheduler.get_jobs()} & {f"timer-{i}" for i, _ in timers}
    finally:
        scheduler.shutdown()
    with realtime.database.read() as session:
        assert session.scalars(select(Timer.status)).all() == ["cancelled", "cancelled"]
