"""Firing due timers exactly once: claim atomically, then fire each in its own transaction."""

from __future__ import annotations

import logging
import os
import socket
from datetime import datetime, timedelta

from ..engine.step import Run
from ..errors import NotFound
from ..store import timers as stored_timers
from .context import SYSTEM, Services
from .instance_step import retried_on_conflict, run_step

log = logging.getLogger(__name__)
CLAIM_FOR = timedelta(minutes=2)
# SpiffWorkflow fires a timer only when due < now, so a timer is fired at one microsecond past
# its due time; timers that the firing starts count from there (a negligible drift).
FIRING_EPSILON = timedelta(microseconds=1)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def claim_due_timers(
    services: Services,
    now: datetime,
    limit: int = 100,
    worker: str | None = None,
    instance_id: int | None = None,
    timer_id: int | None = None,
) -> list[int]:
    """Claim up to ``limit`` due timers of running instances (expired claims included), oldest first."""
    with services.uow() as uow:
        ids = uow.timers.claim_due(
            now, now + CLAIM_FOR, worker or worker_name(), limit, instance_id=instance_id, timer_id=timer_id
        )
        uow.commit()
        return ids


@retried_on_conflict
def fire_timer(services: Services, timer_id: int, worker: str | None = None) -> bool:
    """Fire one claimed timer; False when it is no longer ours or no longer due."""
    worker = worker or worker_name()
    with services.clock.pinned(), services.uow(optimistic=True) as uow:
        instance = uow.instances.lock_for_timer(timer_id)
        if instance is None:
            raise NotFound(f"timer {timer_id} not found")
        timer = uow.timers.get(timer_id)  # read after the lock
        if timer is None or timer.status != "claimed" or timer.claimed_by != worker:
            return False
        if instance.status != "running":
            uow.timers.release(timer_id)
            uow.commit()
            return False
        outcome = run_step(
            services,
            uow,
            instance,
            Run(),
            SYSTEM.name,
            "fire_timer",
            engine_time=timer.due_at + FIRING_EPSILON,
        )
        if outcome.error is not None:
            uow.timers.set_status(timer_id, "failed")
        elif timer_id not in outcome.timers.closed:  # due in the table but not in the engine: never expected
            log.error(
                "timer %s (%s) was claimed as due but the engine did not fire it", timer_id, timer.element_id
            )
            uow.timers.set_status(timer_id, "failed")
        uow.commit()
        return True


def fire_timer_if_due(services: Services, timer_id: int) -> bool:
    """An alarm went off for ``timer_id``: claim it if still due and unclaimed, and fire it."""
    worker = worker_name()
    now = services.clock.now()
    if not claim_due_timers(services, now, 1, worker, timer_id=timer_id):
        return False
    with services.clock.pinned(now):
        return fire_timer(services, timer_id, worker)


def fire_due_timers(
    services: Services, now: datetime | None = None, limit: int = 100, instance_id: int | None = None
) -> int:
    """Claim and fire, in due order, every timer due at ``now``; returns how many fired."""
    now = now or services.clock.now()
    worker = worker_name()
    fired = 0
    while True:
        ids = claim_due_timers(services, now, limit, worker, instance_id)
        if not ids:
            return fired
        for timer_id in ids:
            with services.clock.pinned(max(now, services.clock.now())):
                fired += fire_timer(services, timer_id, worker)


def upcoming_timers(services: Services, until: datetime) -> list[tuple[int, datetime]]:
    """Pending timers of running instances due before ``until`` (to arm alarms for them)."""
    with services.database.reading() as connection:
        return stored_timers.upcoming(connection, until)


def next_due_time(services: Services, until: datetime) -> datetime | None:
    """The earliest due time of a pending timer of a running instance, up to ``until``."""
    with services.database.reading() as connection:
        return stored_timers.next_due(connection, until)
