"""Firing due timers exactly once: claim atomically, then fire each in its own transaction."""

from __future__ import annotations

import logging
import os
import socket
from datetime import datetime, timedelta

from sqlalchemy import select, update

from ..engine import runtime
from ..errors import NotFound
from ..store.models import ProcessInstance, Timer
from . import steps
from .context import SYSTEM, Services

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
    """Claim up to ``limit`` due timers of running instances (expired claims included), oldest first.

    One atomic step: ``FOR UPDATE SKIP LOCKED`` on PostgreSQL lets several processes claim
    side by side without waiting for or taking each other's rows; on SQLite the write lock
    taken at BEGIN does the same job.
    """
    worker = worker or worker_name()
    with services.uow() as uow:
        candidates = (
            select(Timer.id)
            .join(ProcessInstance, ProcessInstance.id == Timer.instance_id)
            .where(
                Timer.due_at <= now,
                ProcessInstance.status == "running",
                (Timer.status == "pending") | ((Timer.status == "claimed") & (Timer.claimed_until < now)),
            )
            .order_by(Timer.due_at, Timer.id)
            .limit(limit)
        )
        if instance_id is not None:
            candidates = candidates.where(Timer.instance_id == instance_id)
        if timer_id is not None:
            candidates = candidates.where(Timer.id == timer_id)
        if not services.database.is_sqlite:
            candidates = candidates.with_for_update(of=Timer, skip_locked=True)
        ids = list(uow.session.scalars(candidates))
        if ids:
            uow.session.execute(
                update(Timer)
                .where(Timer.id.in_(ids))
                .values(status="claimed", claimed_by=worker, claimed_until=now + CLAIM_FOR)
            )
        uow.commit()
        return ids


def fire_timer(services: Services, timer_id: int, worker: str | None = None) -> bool:
    """Fire one claimed timer; False when it is no longer ours or no longer due."""
    worker = worker or worker_name()
    with services.clock.pinned(), services.uow() as uow:
        instance_id = uow.session.scalar(select(Timer.instance_id).where(Timer.id == timer_id))
        if instance_id is None:
            raise NotFound(f"timer {timer_id} not found")
        instance = uow.lock_instance(instance_id)
        timer = uow.session.get(Timer, timer_id, populate_existing=True)
        if timer is None or timer.status != "claimed" or timer.claimed_by != worker:
            return False
        if instance.status != "running":
            timer.status, timer.claimed_by, timer.claimed_until = "pending", None, None
            uow.commit()
            return False
        error = steps.apply(
            services,
            uow,
            instance,
            lambda wf: runtime.run(wf),
            SYSTEM.name,
            "fire_timer",
            engine_time=timer.due_at + FIRING_EPSILON,
        )
        if error is not None:
            timer.status = "failed"
        elif timer.status == "claimed":  # due in the table but not in the engine: never expected
            log.error(
                "timer %s (%s) was claimed as due but the engine did not fire it", timer_id, timer.element_id
            )
            timer.status = "failed"
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
    with services.database.read() as session:
        rows = session.execute(
            select(Timer.id, Timer.due_at)
            .join(ProcessInstance, ProcessInstance.id == Timer.instance_id)
            .where(Timer.status == "pending", Timer.due_at < until, ProcessInstance.status == "running")
            .order_by(Timer.due_at)
        ).all()
    return [(row.id, row.due_at) for row in rows]
