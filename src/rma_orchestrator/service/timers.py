"""Firing due timers exactly once: claim atomically, then fire each in its own transaction.

A claim is a short lease (``LEASE``) in wall-clock time. The process firing a batch renews the
leases of the timers it has still to fire every ``RENEW_EVERY`` seconds, between firings, so a
live process keeps its claims and those of a process that died run out within ``LEASE`` of its
death, to be claimed again by any other. Losing a lease never fires a timer twice: a firing locks
the instance and then re-reads the timer, and goes on only while the timer is claimed by this
process (whoever fires it first, the other finds it fired or claimed by someone else).
"""

from __future__ import annotations

import logging
import os
import socket
import time
from datetime import datetime, timedelta

from ..clock import SystemClock
from ..engine.step import Run
from ..errors import NotFound, StaleRevision
from ..store import timers as stored_timers
from ..store.db import AnyRow
from ..store.instances import InstanceRecord
from ..store.uow import UnitOfWork
from .context import SYSTEM, Services
from .instance_step import carry_cached_workflow, retried_on_conflict, run_step

log = logging.getLogger(__name__)
LEASE = timedelta(seconds=6)  # how long a claim outlives its last renewal
RENEW_EVERY = 2.0  # seconds between renewals while a batch is being fired
INTERRUPTED_FIRINGS = 3  # claims that ended without a firing before the timer becomes an incident
RETRY_AFTER = timedelta(minutes=2)  # a firing that raised is tried again after this, by any process
# Timers claimed at once: what a process that dies leaves to fire after its leases run out; claiming
# costs one short transaction per batch, so a smaller batch costs little even in a storm.
BATCH = 50
_WALL = SystemClock()  # leases are about processes being alive: never the controlled clock
# SpiffWorkflow fires a timer only when due < now, so a timer is fired at one microsecond past
# its due time; timers that the firing starts count from there (a negligible drift).
FIRING_EPSILON = timedelta(microseconds=1)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def claim_due_timers(
    services: Services,
    now: datetime,
    limit: int = BATCH,
    worker: str | None = None,
    instance_id: int | None = None,
    timer_id: int | None = None,
    lease: timedelta = LEASE,
) -> list[int]:
    """Claim up to ``limit`` due timers of running instances (run-out leases included), oldest first."""
    lease_now = _WALL.now()
    with services.uow() as uow:
        ids = uow.timers.claim_due(
            now,
            lease_now,
            lease_now + lease,
            worker or worker_name(),
            limit,
            instance_id=instance_id,
            timer_id=timer_id,
        )
        uow.commit()
        return ids


def renew_claims(
    services: Services, timer_ids: list[int], worker: str | None = None, lease: timedelta = LEASE
) -> int:
    """Extend this process's leases on ``timer_ids``; how many it still holds (none is taken back)."""
    with services.uow() as uow:
        held = uow.timers.renew(timer_ids, worker or worker_name(), _WALL.now() + lease)
        uow.commit()
        return held


class _Lease:
    """The claims of one batch not fired yet, renewed every ``RENEW_EVERY`` seconds as firing goes on."""

    def __init__(self, services: Services, worker: str, timer_ids: list[int]) -> None:
        self.services = services
        self.worker = worker
        self.left = list(timer_ids)
        self.renewed_at = time.monotonic()

    def keep(self) -> None:
        if time.monotonic() - self.renewed_at >= RENEW_EVERY:
            renew_claims(self.services, self.left, self.worker)
            self.renewed_at = time.monotonic()

    def done(self, timer_id: int) -> None:
        self.left.remove(timer_id)


def _put_off(services: Services, worker: str, timer_id: int, error: Exception) -> None:
    """A firing raised: keep the timer claimed for ``RETRY_AFTER`` rather than retry it at once.

    Not after a write conflict that outlasted its retries: that is contention, not a fault of the
    timer, and its lease running out lets it be tried again within seconds.
    """
    if isinstance(error, StaleRevision):
        return
    try:
        renew_claims(services, [timer_id], worker, RETRY_AFTER)
    except Exception:  # noqa: BLE001 - best effort: else its lease runs out and it is retried sooner
        log.warning("could not put off timer %s after its firing failed", timer_id, exc_info=True)


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
        if timer.attempts > INTERRUPTED_FIRINGS:
            _give_up(services, uow, instance, timer)
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


def _give_up(services: Services, uow: UnitOfWork, instance: InstanceRecord, timer: AnyRow) -> None:
    """A timer claimed again and again that never fired becomes an incident on its case."""
    now = services.clock.now()
    message = (
        f"timer {timer.element_id} was claimed {timer.attempts - 1} times and never fired: each "
        "firing was cut short (the process firing it died, or the firing failed); retry to fire it"
    )
    incident_id = uow.incidents.insert(
        instance.id, None, timer.element_id, message, message, "fire_timer", now
    )
    uow.events.record(
        instance.id,
        "incident_raised",
        now,
        SYSTEM.name,
        timer.element_id,
        incident_id=incident_id,
        message=message,
    )
    uow.timers.set_status(timer.id, "failed")
    carry_cached_workflow(services, uow, instance)
    uow.instances.set_status(instance, "error")


def fire_timer_if_due(services: Services, timer_id: int) -> bool:
    """An alarm went off for ``timer_id``: claim it if still due and unclaimed, and fire it."""
    worker = worker_name()
    now = services.clock.now()
    if not claim_due_timers(services, now, 1, worker, timer_id=timer_id):
        return False
    try:
        with services.clock.pinned(now):
            return fire_timer(services, timer_id, worker)
    except Exception as error:
        _put_off(services, worker, timer_id, error)
        raise


def fire_due_timers(
    services: Services,
    now: datetime | None = None,
    limit: int = BATCH,
    instance_id: int | None = None,
    worker: str | None = None,
) -> int:
    """Claim and fire, in due order, every timer due at ``now``; returns how many fired.

    If a firing raises, that timer is put off for ``RETRY_AFTER`` and the error propagates; the
    rest of the batch is no longer renewed, so its leases run out and any process claims it again.
    """
    now = now or services.clock.now()
    worker = worker or worker_name()
    fired = 0
    while True:
        ids = claim_due_timers(services, now, limit, worker, instance_id)
        if not ids:
            return fired
        lease = _Lease(services, worker, ids)
        for timer_id in ids:
            lease.keep()
            try:
                with services.clock.pinned(max(now, services.clock.now())):
                    fired += fire_timer(services, timer_id, worker)
            except Exception as error:
                _put_off(services, worker, timer_id, error)
                raise
            lease.done(timer_id)


def has_due_timers(services: Services) -> bool:
    """Whether any timer waits to be claimed now (due and pending, or its lease run out): a cheap poll."""
    with services.database.reading() as connection:
        return stored_timers.any_due(connection, services.clock.now(), _WALL.now())


def upcoming_timers(services: Services, until: datetime) -> list[tuple[int, datetime]]:
    """Pending timers of running instances due before ``until`` (to arm alarms for them)."""
    with services.database.reading() as connection:
        return stored_timers.upcoming(connection, until)


def next_due_time(services: Services, until: datetime) -> datetime | None:
    """The earliest due time of a pending timer of a running instance, up to ``until``."""
    with services.database.reading() as connection:
        return stored_timers.next_due(connection, until)
