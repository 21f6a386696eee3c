"""Claim leases: a renewed claim is kept, a lease that ran out is anyone's, a renewal takes nothing back.

Workers are named here ("a:1", "b:2") as two processes would be. Each test waits only for a
lease to run out, by the wall clock; nothing asserts how fast anything else is.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from support import AGENT, ANALYST, timer_firings

from rma_orchestrator.bootstrap import bootstrap
from rma_orchestrator.config import Settings
from rma_orchestrator.service.context import Services
from rma_orchestrator.service.definitions import deploy
from rma_orchestrator.service.instances import start_instance
from rma_orchestrator.service.timers import (
    RENEW_EVERY,
    claim_due_timers,
    fire_due_timers,
    fire_timer,
    renew_claims,
)
from rma_orchestrator.store.models import Timer

TIMERS = Path(__file__).parents[1] / "data" / "timers"
SLOW = Path(__file__).parents[1] / "data" / "slow" / "wait_then_count.bpmn"
SHORT = timedelta(seconds=1)


def _timer(services: Services) -> Timer:
    with services.database.read() as session:
        (timer,) = session.scalars(select(Timer))
        return timer


def _due_timer(services: Services) -> int:
    """One pending timer, due: an hour's wait, with the controlled clock moved two hours on."""
    deploy(services, {p.name: p.read_bytes() for p in TIMERS.glob("*.bpmn")}, ANALYST)
    start_instance(services, "wait_duration", {}, AGENT)
    with services.uow() as uow:
        uow.settings.save_controlled_time(services.clock.now() + timedelta(hours=2))
        uow.commit()
    return _timer(services).id


def _sleep_past(moment: datetime) -> None:
    time.sleep(max(0.0, (moment - datetime.now(UTC)).total_seconds()) + 0.05)


def test_a_renewed_claim_outlives_its_first_lease(services: Services) -> None:
    timer_id = _due_timer(services)
    assert claim_due_timers(services, services.clock.now(), worker="a:1", lease=SHORT) == [timer_id]
    first_end = _timer(services).claimed_until
    assert first_end is not None
    assert renew_claims(services, [timer_id], "a:1", lease=timedelta(minutes=1)) == 1
    _sleep_past(first_end)
    assert fire_due_timers(services, worker="b:2") == 0
    timer = _timer(services)
    assert (timer.status, timer.claimed_by) == ("claimed", "a:1")
    assert fire_timer(services, timer_id, "a:1")
    assert timer_firings(services.database) == {timer_id: 1}


def test_a_lease_that_ran_out_is_claimed_again_and_the_timer_fires_once(services: Services) -> None:
    timer_id = _due_timer(services)
    assert claim_due_timers(services, services.clock.now(), worker="a:1", lease=SHORT) == [timer_id]
    _sleep_past(_timer(services).claimed_until or datetime.now(UTC))
    assert fire_due_timers(services, worker="b:2") == 1
    # the first holder comes back (it was slow, not dead): it neither renews nor fires again
    assert renew_claims(services, [timer_id], "a:1") == 0
    assert not fire_timer(services, timer_id, "a:1")
    timer = _timer(services)
    assert (timer.status, timer.claimed_by) == ("fired", "b:2")
    assert timer_firings(services.database) == {timer_id: 1}


def test_a_renewal_does_not_take_back_a_claim_another_process_took_over(services: Services) -> None:
    timer_id = _due_timer(services)
    assert claim_due_timers(services, services.clock.now(), worker="a:1", lease=SHORT) == [timer_id]
    _sleep_past(_timer(services).claimed_until or datetime.now(UTC))
    assert claim_due_timers(services, services.clock.now(), worker="b:2") == [timer_id]
    taken = _timer(services)
    assert renew_claims(services, [timer_id], "a:1", lease=timedelta(hours=1)) == 0
    timer = _timer(services)
    assert (timer.status, timer.claimed_by, timer.claimed_until) == ("claimed", "b:2", taken.claimed_until)
    assert fire_timer(services, timer_id, "b:2")
    assert timer_firings(services.database) == {timer_id: 1}


@pytest.fixture
def slow_timers(db_url: str, tmp_path: Path) -> Iterator[Services]:
    """Real time; each firing counts for a while (scripts may run long here)."""
    settings = Settings.from_env({}, data_dir=tmp_path, database_url=db_url, script_time_limit=60)
    services = bootstrap(settings)
    deploy(services, {SLOW.name: SLOW.read_bytes()}, ANALYST)
    yield services
    services.database.dispose()


def test_a_process_firing_a_batch_renews_the_leases_of_the_timers_still_to_fire(
    slow_timers: Services,
) -> None:
    services = slow_timers
    now = datetime.now(UTC)
    with services.clock.pinned(now - timedelta(minutes=1)):  # each start sees its timer still to come
        for _ in range(12):
            start_instance(services, "wait_then_count", {"due": now.isoformat(), "rounds": 300}, AGENT)
    fired: list[int] = []
    firing = threading.Thread(target=lambda: fired.append(fire_due_timers(services, worker="a:1")))
    firing.start()
    try:
        deadline = time.monotonic() + 60
        while True:  # the batch's first claim, then the last timer's lease moving on
            with services.database.read() as session:
                last = session.scalars(select(Timer).order_by(Timer.id.desc())).first()
            if last is not None and last.status == "claimed":
                break
            assert time.monotonic() < deadline, "nothing was claimed within 60 s"
            time.sleep(0.01)
        first_end = last.claimed_until
        assert first_end is not None
        renewed = None
        while firing.is_alive() and renewed is None:
            time.sleep(0.05)
            with services.database.read() as session:
                row = session.get(Timer, last.id)
                if (
                    row is not None
                    and row.status == "claimed"
                    and (row.claimed_until or first_end) > first_end
                ):
                    renewed = row
    finally:
        firing.join(timeout=120)
    # twelve firings of ~0.4 s each take longer than one renewal period, so the lease moved on
    assert renewed is not None, f"the last timer's lease was never renewed (every {RENEW_EVERY} s)"
    assert renewed.claimed_by == "a:1"
    assert fired == [12]
    with services.database.read() as session:
        assert set(session.scalars(select(Timer.claimed_by))) == {"a:1"}
    assert set(timer_firings(services.database).values()) == {1}
